"""The search index (revision 0006): same results as a plain scan, kept in step with every write, used by the plan."""

import json
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.datastructures import MultiDict

from guarantees.extensions import db
from guarantees.repositories import guarantees as repository
from guarantees.services import guarantees as service
from guarantees.services import letters
from guarantees.services.actions import extend

NAMES = (
    ("GB-1001", "Lana Medical Company", "Riyad Bank", "CN-2025-201"),
    ("GB-1002", "شركة لانا الطبية", "مصرف الراجحي", "CN-2025-202"),
    ("GB-1003", "Al Zahrani & Sons (50% share)", "Saudi National Bank", "C/0016/40"),
    ("GB-1004", 'The "Quoted" Co_ltd', "البنك الأهلي السعودي", None),
    ("jlg 778899", "Gulf Trading Est.", "Riyad Bank", "PO_99"),
    ("GB-1006", "GULF TRADING EST.", "Arab National Bank", "cn-2025-2019"),
)
QUERIES = (
    "lana", "LANA", "لانا", "الطبية", "riyad bank", "Bank", "50%", "0%", "_ltd", '"Quoted"', 'd" c', "gulf trading",
    "JLG 7788", "jlg778899", "778899", "cn-2025-2", "CN-2025-20", "C/0016", "/00", "Sons (", "po_9", "ab", "x",
    "nothing like this", "مصرف", "الأهلي", "&", "gb-100", "GB1003",
)  # fmt: skip


@pytest.fixture
def register(app, make_guarantee):
    for number, supplier, bank, contract in NAMES:
        make_guarantee(number, raw_supplier_name=supplier, raw_bank_name=bank, contract_number=contract)


def found(q: str) -> list[str]:
    params, problems = repository.parse_params(MultiDict({"q": q}))
    assert problems == []
    return sorted(g.guarantee_number for g in repository.search(params).items)


def test_search_finds_what_a_scan_finds(register, monkeypatch):
    with_index = {q: found(q) for q in QUERIES}
    monkeypatch.setattr(repository, "_index", lambda params: None)
    without_index = {q: found(q) for q in QUERIES}
    assert with_index == without_index
    # and the scan itself finds what a person would expect
    assert with_index["lana"] == ["GB-1001"] and with_index["لانا"] == ["GB-1002"]
    assert with_index["gulf trading"] == ["GB-1006", "JLG778899"]
    assert with_index["50%"] == ["GB-1003"] and with_index["0%"] == ["GB-1003"]
    assert with_index['"Quoted"'] == ["GB-1004"] and with_index["JLG 7788"] == ["JLG778899"]
    assert with_index["cn-2025-2"] == ["GB-1001", "GB-1002", "GB-1006"]
    assert with_index["nothing like this"] == []


def test_the_index_follows_edits(register):
    guarantee = db.session.scalar(
        sa.select(repository.Guarantee).where(repository.Guarantee.guarantee_number == "GB-1001")
    )
    service.update(guarantee.id, {"raw_supplier_name": "Nahdi Pharmacy"}, expected_version=guarantee.version, user="t")
    assert found("nahdi") == ["GB-1001"]
    assert found("lana medical") == []
    # a write that does not touch a searched column leaves the entry as it was
    guarantee = repository.get(guarantee.id)
    service.update(guarantee.id, {"comment": "call the bank"}, expected_version=guarantee.version, user="t")
    assert found("nahdi") == ["GB-1001"]


def test_search_is_served_by_the_index(register):
    params, _ = repository.parse_params(MultiDict({"q": "lana medical"}))
    conditions = repository._conditions(params)
    statement = sa.select(sa.func.count(repository.Guarantee.id)).where(*conditions)
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SET enable_seqscan = off")  # a six-row table would be scanned anyway
            plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}"))
        assert "ix_guarantees_search_trgm" in plan
    else:
        plan = " ".join(str(row[-1]) for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "guarantees_search VIRTUAL TABLE" in plan


def test_sqlite_enters_through_the_index_even_with_other_filters(register):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the planner hint is for SQLite, which has no statistics until ANALYZE runs")
    params, _ = repository.parse_params(MultiDict({"q": "lana medical", "status": "active", "days": "90"}))
    query = repository._ordered(sa.select(repository.Guarantee.id).where(*repository._conditions(params)), params)
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = [str(row[-1]) for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))]
    assert any("INTEGER PRIMARY KEY" in step for step in plan) and not any("ix_guarantees_" in step for step in plan)


def test_short_searches_scan(register):
    short = [repository.parse_params(MultiDict({"q": q}))[0] for q in ("ab", "a b")]  # "a b" is the number "AB"
    assert [repository._index(params) for params in short] == [None, None]
    assert found("ab") == ["GB-1006"]


def test_upgrade_indexes_existing_guarantees_and_prints(make_app, empty_database):
    app = make_app(empty_database)
    with app.app_context():
        upgrade(revision="0005_indexes")
        guarantee = service.create(
            {
                "guarantee_number": "UP-1",
                "raw_supplier_name": "Lana Medical",
                "raw_bank_name": "Riyad Bank",
                "expiry_date": "2026-06-01",
            },
            user="t",
        )
        action = extend(guarantee.id, user="t")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO letter_prints (action_ids, language, printed_at) VALUES (:ids, 'ar', :at)"),
                {"ids": json.dumps([action.id, 987654]), "at": datetime(2026, 1, 5)},
            )
        db.session.remove()  # its snapshot predates the upgrade
        upgrade()
        assert found("lana med") == ["UP-1"]
        links = db.session.execute(sa.text("SELECT action_id FROM letter_print_actions")).scalars().all()
        assert links == [action.id]  # the id of no action is left out: the link would have nothing to point to


def test_print_links_are_written_and_append_only(app, make_guarantee):
    guarantee = make_guarantee("PL-1")
    action = extend(guarantee.id, user="clerk")
    record = letters.log_print([action.id], language="en", user="printer")
    links = db.session.execute(sa.text("SELECT letter_print_id, action_id FROM letter_print_actions")).all()
    assert [tuple(link) for link in links] == [(record.id, action.id)]
    for statement in ("UPDATE letter_print_actions SET action_id = action_id", "DELETE FROM letter_print_actions"):
        with pytest.raises(sa.exc.DatabaseError), db.engine.begin() as connection:
            connection.exec_driver_sql(statement)
    assert db.session.scalar(sa.text("SELECT count(*) FROM letter_print_actions")) == 1


@pytest.mark.parametrize("use_index, walk_above", [(True, 10_000), (True, 1), (False, 10_000)])
def test_past_the_cap_the_count_is_a_floor_and_pages_go_on(
    register, make_guarantee, monkeypatch, use_index, walk_above
):
    monkeypatch.setattr(repository, "WALK_ABOVE", walk_above)  # 1: SQLite's path for very broad searches
    monkeypatch.setattr(repository, "COUNT_CAP", 3)
    monkeypatch.setattr(repository, "PER_PAGE", 2)
    if not use_index:
        monkeypatch.setattr(repository, "_index", lambda params: None)
    for n in range(3):
        make_guarantee(f"GB-20{n}", raw_supplier_name=f"Lana Branch {n}", expiry_date=f"2027-0{n + 1}-01")
    pages, page = [], 1
    while True:
        params, _ = repository.parse_params(MultiDict({"q": "lana", "page": str(page)}))
        result = repository.search(params)
        assert (result.more, result.total) == (True, 3)  # four match: "more than 3"
        pages.append([g.guarantee_number for g in result.items])
        if result.pages == page:
            break
        page += 1
    listed = [number for numbers in pages for number in numbers]
    assert sorted(listed) == ["GB-1001", "GB-200", "GB-201", "GB-202"] and len(pages) == 2
    # in the list's order (expiry), the same order as below the cap
    monkeypatch.setattr(repository, "COUNT_CAP", 100)
    monkeypatch.setattr(repository, "PER_PAGE", 50)
    exact = repository.search(repository.parse_params(MultiDict({"q": "lana"}))[0])
    assert (exact.more, exact.total) == (False, 4) and [g.guarantee_number for g in exact.items] == listed
