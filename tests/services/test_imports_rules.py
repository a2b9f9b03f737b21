"""The row rules against a small model: rows apply in order, blanks never erase, new numbers need supplier, bank and
an amount."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatchItem
from guarantees.services import imports as service

HEADER = ["BANK GUARANTEE NUMBER", "SUPPLIER", "BANK NAME", "AMOUNT", "COMMENT"]
FIELDS = ("raw_supplier_name", "raw_bank_name", "amount", "comment")
_files = itertools.count()

maybe = st.none() | st.just("")  # a blank cell, empty or absent
rows = st.lists(
    st.tuples(
        st.sampled_from(["A1", "a1", " A 1", "B2", "b2 "]),
        maybe | st.sampled_from(["Lana Medical", "Noor Trading"]),
        maybe | st.sampled_from(["Riyad Bank", "SNB"]),
        maybe | st.sampled_from([10, 25, 1000]),
        maybe | st.sampled_from(["for extension", "released"]),
    ),
    min_size=1,
    max_size=8,
)


def model(prefix: str, file_rows) -> tuple[list[str], dict[str, dict]]:
    """The outcomes and the final register the rules promise, worked out the simple way."""
    state: dict[str, dict] = {}
    outcomes = []
    for number, supplier, bank, amount, comment in file_rows:
        key = prefix + number.replace(" ", "").upper()
        cells = dict(zip(FIELDS, (supplier, bank, amount, comment), strict=True))
        cells = {k: (Decimal(v).quantize(Decimal("0.01")) if k == "amount" else v) for k, v in cells.items() if v}
        if key not in state:
            if cells.get("raw_supplier_name") and cells.get("raw_bank_name") and cells.get("amount"):
                state[key] = {**dict.fromkeys(FIELDS), **cells}
                outcomes.append("new")
            else:
                outcomes.append("error")
            continue
        changed = {k: v for k, v in cells.items() if state[key][k] != v}
        state[key].update(changed)
        outcomes.append("update" if changed else "unchanged")
    return outcomes, state


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file_rows=rows)
def test_rows_apply_in_order_and_blanks_never_erase(app, xlsx_bytes, file_rows):
    prefix = f"P{next(_files)}-"
    data = xlsx_bytes([HEADER, *([prefix + r[0], *r[1:]] for r in file_rows)])
    outcomes, expected = model(prefix, file_rows)

    preview = service.evaluate(data, "rules.xlsx")
    assert [row.outcome for row in preview.rows] == outcomes
    if set(outcomes) == {"error"}:
        with pytest.raises(service.NothingToImport):
            service.commit(data, "rules.xlsx", user="rules")
        return
    result = service.commit(data, "rules.xlsx", user="rules")
    db.session.expire_all()
    stored = db.session.scalars(sa.select(Guarantee).where(Guarantee.guarantee_number.startswith(prefix))).all()
    assert {g.guarantee_number: {f: getattr(g, f) for f in FIELDS} for g in stored} == expected
    item_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(ImportBatchItem).where(ImportBatchItem.batch_id == result.batch_id)
    )
    assert item_count == len(outcomes) - outcomes.count("error")
