"""The dictionaries as one pure matcher: built from entries and aliases, no database."""

from types import SimpleNamespace

from guarantees.matching import DictionaryMatcher, Entry, MatchThresholds, entry_names, entry_of

ENTRIES = {
    "supplier": [
        Entry(1, "Lana Medical", ("Lana Medical Company", "Lana Medical")),
        Entry(2, "Gulf Cables", ("Gulf Cables",)),
    ],
    "bank": [Entry(10, "Riyad Bank", ("Riyad Bank", "بنك الرياض"), "RIBL")],
}


def matcher(aliases=None) -> DictionaryMatcher:
    return DictionaryMatcher(ENTRIES, aliases or {}, MatchThresholds())


def test_a_pair_of_names_is_ready_only_when_both_match():
    match = matcher().match("LANA MEDICAL CO.", "ribl")
    assert (match.supplier_id, match.bank_id, match.match_status) == (1, 10, "ready")
    assert match.as_fields()["supplier_display_name"] == "Lana Medical"
    half = matcher().match("Lana Medical", "Bank of Nowhere")
    assert (half.supplier_id, half.bank_id, half.match_status) == (1, None, "needs_review")


def test_aliases_lead_to_their_entry():
    assert matcher({"supplier": {"lmc": 2}}).match("LMC", "RIBL").supplier_id == 2


def test_candidates_and_search_carry_labels():
    assert [c.id for c in matcher().candidates("supplier", "Lana Medicall")][:1] == [1]
    found = matcher().search("bank", "الرياض")
    assert [(c.id, c.label) for c in found] == [(10, "Riyad Bank")]
    assert matcher().search("supplier", "   ") == []


def test_rows_become_entries_by_their_names():
    bank = SimpleNamespace(
        id=3, label="SNB", official_name="The Saudi National Bank", official_name_en=" ", official_name_ar=None,
        short_code="SNB",
    )  # fmt: skip
    assert entry_names("bank", bank) == ["The Saudi National Bank"]
    assert entry_of("bank", bank) == Entry(3, "SNB", ("The Saudi National Bank",), "SNB")
    supplier = SimpleNamespace(id=4, label="Gulf", official_name="Gulf Cables", display_name="Gulf")
    assert entry_of("supplier", supplier).names == ("Gulf Cables", "Gulf")
    assert entry_of("supplier", supplier).official == 1  # the display name is not an official name
    assert entry_of("bank", bank).official is None  # every bank name is official


def test_former_bank_names_match_the_bank_that_absorbed_it():
    banks = [
        Entry(6, "Saudi National Bank (SNB)", ("البنك الأهلي السعودي", "Saudi National Bank (SNB)"), "SNB"),
        Entry(39, "Saudi Awwal Bank (SAB)", ("البنك السعودي الأول", "Saudi Awwal Bank (SAB)"), "SAB"),
    ]
    found = DictionaryMatcher({"supplier": [], "bank": banks}, {}, MatchThresholds())
    for raw, expected in (("SABB", 39), ("Saudi British Bank", 39), ("البنك السعودي البريطاني", 39), ("NCB ", 6)):
        result = found.match_one("bank", raw)
        assert (result.status, result.entity_id, result.method) == ("ready", expected, "known"), raw
    assert found.match_one("bank", "Samba Financial Group").entity_id == 6
    # Suppliers have no such list.
    assert found.match_one("supplier", "SABB").status == "needs_review"
