"""E-mail addresses: one check for a user's own and the alert settings' list."""

import pytest

from guarantees.domain import email


def test_an_address_is_trimmed_and_kept_in_lower_case():
    assert email.parse_address(" Chief.Finance+bg@Hospital.Example.org ") == "chief.finance+bg@hospital.example.org"


@pytest.mark.parametrize("text", ["", "chief", "chief@", "@example.org", "chief@example", "a b@example.org",
                                  "<chief@example.org>", "user:1@example.org", "x" * 250 + "@example.org"])  # fmt: skip
def test_what_is_not_an_address_is_refused(text):
    with pytest.raises(ValueError):
        email.parse_address(text)


def test_a_list_is_split_on_commas_semicolons_and_spaces_each_address_once():
    assert email.parse_addresses("a@x.org, b@x.org;\nA@X.org  c@x.org") == ("a@x.org", "b@x.org", "c@x.org")
    assert email.parse_addresses(" ") == ()
    with pytest.raises(ValueError, match="nope"):
        email.parse_addresses("a@x.org, nope")
    with pytest.raises(email.TooManyAddresses):
        email.parse_addresses(" ".join(f"u{n}@x.org" for n in range(email.MAX_ADDRESSES + 1)))
