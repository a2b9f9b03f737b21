"""Simple reads of guarantees: one by id, the banks the list offers, today's manual entries."""

import pytest

from guarantees.extensions import db
from guarantees.models import DictionaryMerge
from guarantees.models.dictionary import Bank
from guarantees.repositories import guarantees as repo


@pytest.mark.parametrize("guarantee_id", [0, -1, 2**31, 2**64])
def test_an_id_out_of_range_is_no_guarantee(app, guarantee_id):
    assert repo.get(guarantee_id) is None


def test_one_guarantee(make_guarantee):
    guarantee = make_guarantee("ONE-1")
    assert repo.get(guarantee.id).guarantee_number == "ONE-1" and repo.get(guarantee.id + 1) is None


def test_the_banks_offered_are_the_live_dictionary_banks_by_label(app):
    kept = Bank(official_name="بنك الرياض", official_name_en="Riyad Bank")
    gone = Bank(official_name="Old Bank")
    plain = Bank(official_name="Arab National Bank")
    db.session.add_all([kept, gone, plain])
    db.session.flush()
    db.session.add(DictionaryMerge(entity="bank", from_id=gone.id, into_id=kept.id))
    db.session.commit()
    assert repo.bank_choices() == ["Arab National Bank", "Riyad Bank"]


def test_todays_entries_newest_first(make_guarantee):
    assert repo.todays_manual_batch() is None
    for n in range(3):
        make_guarantee(f"DAY-{n}")
    batch = repo.todays_manual_batch()
    entries = repo.batch_entries(batch.id, limit=2)
    assert [g.guarantee_number for _item, g in entries] == ["DAY-2", "DAY-1"]
