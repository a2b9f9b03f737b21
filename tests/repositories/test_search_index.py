"""The search index (revision 0006): same results as a plain scan, kept in step with every write, used by the plan."""

import json
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from werkzeug.datastructures import MultiDict

from guarantees.clock import today
from guarantees.domain.expiry import state
from guarantees.domain.text import normalise_number
from guarantees.extensions import db
from guarantees.forms.guarantees import list_params
from guarantees.repositories import list_query
from guarantees.repositories import search as repository
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
    # PostgreSQL's search text turns spaces, hyphens, slashes and dots into Cyrillic letters: rows holding those
    # letters, and terms made of them, must still be told apart by the exact conditions
    ("GB-1007", "Компания Ёлка", "Riyad-Bank", "CNа2025"),
    ("GB-1008", "back\\slash ltd", "Riyad Bank", "CN 2025-2"),
)
QUERIES = (
    "lana", "LANA", "لانا", "الطبية", "riyad bank", "Bank", "50%", "0%", "_ltd", '"Quoted"', 'd" c', "gulf trading",
    "JLG 7788", "jlg778899", "778899", "cn-2025-2", "CN-2025-20", "C/0016", "/00", "Sons (", "po_9", "ab", "x",
    "nothing like this", "مصرف", "الأهلي", "&", "gb-100", "GB1003", "riyad-bank", "riyadёbank", "cnа2025", "cnа",
    "б0016", "CN 2025", "компания ёлка", "Ёлка", "ёлка", "slash", "k\\s", "\\", "d b", "Est. ", "(50%", "%_\\",
)  # fmt: skip


@pytest.fixture
def register(app, make_guarantee):
    for number, supplier, bank, contract in NAMES:
        make_guarantee(number, raw_supplier_name=supplier, raw_bank_name=bank, contract_number=contract)


def found(q: str, **args) -> list[str]:
    params, problems = list_params(MultiDict({"q": q, **args}))
    assert problems == []
    return sorted(g.guarantee_number for g in repository.search(params).items)


def plain_scan(params: list_query.ListParams) -> list[str]:
    """The numbers of the guarantees a plain scan finds for `params`, in the list's order: the definition of a
    match (each searched column ILIKE the term, the number ILIKE the term as numbers are stored), no index, no
    sort key of the migrations, every row read."""
    g = repository.Guarantee
    conditions = []
    if params.q:
        pattern = list_query.like(params.q)
        columns = (
            g.raw_supplier_name, g.supplier_display_name, g.raw_bank_name, g.bank_display, g.contract_number,
            g.po_number,
        )  # fmt: skip
        matches = [column.ilike(pattern, escape="\\") for column in columns]
        number = normalise_number(params.q) or params.q
        matches.append(g.guarantee_number.ilike(list_query.like(number), escape="\\"))
        conditions.append(sa.or_(*matches))
    key = {
        "number": g.guarantee_number,
        "supplier": sa.func.coalesce(g.supplier_display_name, g.raw_supplier_name),
        "bank": sa.func.coalesce(g.bank_display, g.raw_bank_name),
        "amount": g.amount,
        "expiry": g.expiry_date,
        "status": g.status,
        "match": g.match_status,
        "created": g.created_at,
    }[params.sort]
    if params.order == "desc":
        order = (key.desc().nulls_last(), g.id.desc())
    else:
        order = (key.asc().nulls_last(), g.id.asc())
    rows = db.session.execute(
        sa.select(g.guarantee_number, g.status, g.expiry_date).where(*conditions).order_by(*order)
    )
    # the state as the domain defines it (expired: past its expiry, not released), row by row
    return [
        row.guarantee_number
        for row in rows
        if not params.status or state(row.status, row.expiry_date, today()) == params.status
    ]


def test_search_finds_what_a_scan_finds(register):
    for q in QUERIES:
        params, _ = list_params(MultiDict({"q": q}))
        assert found(q) == sorted(plain_scan(params)), q
    # and the scan itself finds what a person would expect
    assert found("lana") == ["GB-1001"] and found("لانا") == ["GB-1002"]
    assert found("gulf trading") == ["GB-1006", "JLG778899"]
    assert found("50%") == ["GB-1003"] and found("0%") == ["GB-1003"]
    assert found('"Quoted"') == ["GB-1004"] and found("JLG 7788") == ["JLG778899"]
    assert found("cn-2025-2") == ["GB-1001", "GB-1002", "GB-1006"]
    assert found("riyad bank") == ["GB-1001", "GB-1008", "JLG778899"] and found("riyad-bank") == ["GB-1007"]
    assert found("cnа2025") == ["GB-1007"] and found("Ёлка") == ["GB-1007"]
    assert found("nothing like this") == []


def test_search_without_the_index_finds_the_same(register, monkeypatch):
    with_index = {q: found(q) for q in QUERIES}
    monkeypatch.setattr(repository, "candidates", lambda params: None)
    assert {q: found(q) for q in QUERIES} == with_index


def test_the_index_follows_edits(register):
    guarantee = db.session.scalar(
        sa.select(repository.Guarantee).where(repository.Guarantee.guarantee_number == "GB-1001")
    )
    service.update(guarantee.id, {"raw_supplier_name": "Nahdi Pharmacy"}, expected_version=guarantee.version, user="t")
    assert found("nahdi") == ["GB-1001"]
    assert found("lana medical") == []
    # a write that does not touch a searched column leaves the entry as it was
    guarantee = db.session.get(repository.Guarantee, guarantee.id)
    service.update(guarantee.id, {"comment": "call the bank"}, expected_version=guarantee.version, user="t")
    assert found("nahdi") == ["GB-1001"]


def test_search_is_served_by_the_index(register):
    params, _ = list_params(MultiDict({"q": "lana medical"}))
    conditions = list_query.conditions(params)
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
    params, _ = list_params(MultiDict({"q": "lana medical", "status": "active", "days": "90"}))
    query = list_query.ordered(sa.select(repository.Guarantee.id).where(*list_query.conditions(params)), params)
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = [str(row[-1]) for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))]
    assert any("INTEGER PRIMARY KEY" in step for step in plan) and not any("ix_guarantees_" in step for step in plan)


def test_short_searches_scan(register):
    short = [list_params(MultiDict({"q": q}))[0] for q in ("ab", "a b")]  # "a b" is the number "AB"
    assert [list_query.candidates(params) for params in short] == [None, None]
    assert found("ab") == ["GB-1006"]


def test_upgrade_indexes_existing_guarantees_and_prints(make_app, empty_database):
    app = make_app(empty_database)
    with app.app_context():
        upgrade(revision="0005_indexes")
        with db.engine.begin() as connection:  # in SQL: the models (and services) describe the schema at head
            guarantee_id = connection.execute(
                sa.text(
                    "INSERT INTO guarantees (guarantee_number, raw_supplier_name, raw_bank_name, amount, expiry_date, "
                    "currency, match_status, status, is_locked, version, created_at, updated_at) "
                    "VALUES ('UP-1', 'Lana Medical', 'Riyad Bank', 1000, '2026-06-01', 'SAR', 'needs_review', "
                    "'active', false, 1, :at, :at) RETURNING id"
                ),
                {"at": datetime(2026, 1, 5)},
            ).scalar_one()
            action_id = connection.execute(
                sa.text(
                    "INSERT INTO guarantee_actions (guarantee_id, guarantee_number, action_type, previous_expiry_date, "
                    "new_expiry_date, action_status, is_locked, origin, created_at) "
                    "VALUES (:id, 'UP-1', 'extension', '2026-06-01', '2027-06-01', 'draft', false, 'app', :at) "
                    "RETURNING id"
                ),
                {"id": guarantee_id, "at": datetime(2026, 1, 5)},
            ).scalar_one()
            connection.execute(
                sa.text("INSERT INTO letter_prints (action_ids, language, printed_at) VALUES (:ids, 'ar', :at)"),
                {"ids": json.dumps([action_id, 987654]), "at": datetime(2026, 1, 5)},
            )
        db.session.remove()  # its snapshot predates the upgrade
        upgrade()
        assert found("lana med") == ["UP-1"]
        links = db.session.execute(sa.text("SELECT action_id FROM letter_print_actions")).scalars().all()
        assert links == [action_id]  # the id of no action is left out: the link would have nothing to point to


def test_print_links_are_written_and_append_only(app, make_guarantee, before_expiry):
    guarantee = make_guarantee("PL-1")
    action = extend(guarantee.id, user="clerk")
    record = letters.log_print([action.id], language="en", user="printer")
    links = db.session.execute(sa.text("SELECT letter_print_id, action_id FROM letter_print_actions")).all()
    assert [tuple(link) for link in links] == [(record.id, action.id)]
    for statement in ("UPDATE letter_print_actions SET action_id = action_id", "DELETE FROM letter_print_actions"):
        with pytest.raises(sa.exc.DatabaseError), db.engine.begin() as connection:
            connection.exec_driver_sql(statement)
    assert db.session.scalar(sa.text("SELECT count(*) FROM letter_print_actions")) == 1


# How a search is answered, forced with small limits: (COUNT_CAP, SORT_MAX, walk): matches sorted from their
# ids, all counted or "more than" the cap; past SORT_MAX, read along the list's order (the walk), or, when the
# walk reads too few rows (a budget of one), sorted through the index.
PATHS = {
    "counted": (100, 100, True),
    "sorted past the cap": (3, 100, True),
    "walked": (3, 3, True),
    "walk gives up": (3, 3, False),
}


@pytest.fixture
def paths(monkeypatch):
    """paths(name): the search answers as PATHS[name] says; returns the walks that found their page."""
    walked = []
    walk = repository._walk

    def counting_walk(*args, **kwargs):
        items = walk(*args, **kwargs)
        walked.append(items is not None)
        return items

    def force(name: str) -> list[bool]:
        cap, sort_max, walks = PATHS[name]
        monkeypatch.setattr(repository, "COUNT_CAP", cap)
        monkeypatch.setattr(repository, "SORT_MAX", sort_max)
        monkeypatch.setattr(repository, "PER_PAGE", 2)
        monkeypatch.setattr(repository, "WALK_MAX", 10**9)
        monkeypatch.setattr(repository, "WALK_SLACK", 1000.0 if walks else 1e-9)
        monkeypatch.setattr(repository, "_walk", counting_walk)
        walked.clear()
        return walked

    return force


@pytest.fixture
def wide(app, make_guarantee):
    return make_wide(make_guarantee)


def make_wide(make_guarantee) -> dict:
    """Sixteen guarantees that tie and leave blanks in every sort column: the same expiry and amount several
    times, no amount, no expiry, display names for some, a released one; all of them match "lana"."""
    rows = [
        ("W-01", "Lana Alpha", "Riyad Bank", "2027-01-01", "100.00"),
        ("W-02", "lana beta", "بنك الرياض", "2027-01-01", "100.00"),
        ("W-03", "LANA GAMMA", "Riyad Bank", None, "50.00"),
        ("W-04", "شركة لانا", "Alinma Bank", "2026-05-01", None),
        ("W-05", "Lana Alpha", "Alinma Bank", "2026-05-01", "75.50"),
        ("W-06", "Lana Delta", "Riyad Bank", "2028-02-02", None),
        ("W-07", "Zed Lana", "Bank AlJazira", None, "100.00"),
        ("W-08", "Lana Alpha", "Riyad Bank", "2026-01-15", "9.99"),
        ("W-09", "Lana Epsilon", "Riyad Bank", "2027-01-01", "1000.00"),
        ("W-10", "Other Co", "Lana Bank", "2026-03-03", "20.00"),
        ("W-11", "lana alpha", "Riyad Bank", "2026-03-03", "20.00"),
        ("W-12", "Lana Zeta", "مصرف الراجحي", "2029-09-09", "5.00"),
        ("W-13", "Not Matching", "Riyad Bank", "2026-01-01", "1.00"),
    ]
    made = {}
    for number, supplier, bank, expiry, amount in rows:
        made[number] = make_guarantee(
            number, raw_supplier_name=supplier, raw_bank_name=bank, expiry_date=expiry, amount=amount or "1.00"
        )
    # an entry needs an amount: those without one (as legacy rows may be) lose it afterwards
    db.session.execute(sa.text("UPDATE guarantees SET amount = NULL WHERE guarantee_number IN ('W-04', 'W-06')"))
    made["W-14"] = make_guarantee("W-14", raw_supplier_name="Plain", raw_bank_name="Plain", contract_number="LANA-1")
    made["W-15"] = make_guarantee("W-15", raw_supplier_name="Plain Two", raw_bank_name="X", po_number="lana 2")
    made["W-16"] = make_guarantee("W-16", raw_supplier_name="Lana Omega", raw_bank_name="X", amount="100.00")
    # display names from the register, as matching sets them; one released guarantee
    db.session.execute(
        sa.text(
            "UPDATE guarantees SET supplier_display_name = :supplier, bank_display = :bank WHERE guarantee_number "
            "IN ('W-05', 'W-09')"
        ),
        {"supplier": "Lana Medical (register)", "bank": "Riyad Bank - Riyadh"},
    )
    db.session.execute(sa.text("UPDATE guarantees SET bank_display = 'Aardvark Lana' WHERE guarantee_number = 'W-13'"))
    db.session.execute(sa.text("UPDATE guarantees SET status = 'released' WHERE guarantee_number = 'W-08'"))
    db.session.commit()
    return made


def expected_page(params: list_query.ListParams) -> tuple[list[str], int, int, bool]:
    """What the list shows for `params` from a plain scan: the page's numbers, the total, pages, "more than"."""
    every = plain_scan(params)
    per, cap = repository.PER_PAGE, repository.COUNT_CAP
    if len(every) <= cap:
        pages = max(1, -(-len(every) // per))
        page = min(params.page, pages)
        return every[(page - 1) * per : page * per], len(every), pages, False
    start = (params.page - 1) * per
    more = len(every) > start + per
    return every[start : start + per], cap, params.page + (1 if more else 0), True


@pytest.mark.parametrize("path", list(PATHS))
def test_every_path_gives_the_page_of_a_plain_scan(wide, paths, path):
    walked = paths(path)
    for sort in list_query.SORTS:
        for order in ("asc", "desc"):
            for extra in ({}, {"status": "active"}, {"page": "2"}, {"page": "4"}, {"page": "9"}):
                args = {"q": "lana", "sort": sort, "order": order, **extra}
                params, _ = list_params(MultiDict(args))
                result = repository.search(params)
                shown = ([g.guarantee_number for g in result.items], result.total, result.pages, result.more)
                assert shown == expected_page(params), args
    if path == "walked":
        assert any(walked), "no walk found its page"
    if path == "walk gives up":
        assert walked and not any(walked)


@pytest.mark.parametrize("walk_max", [8000, 1])
def test_the_list_without_a_search_index_gives_the_page_of_a_plain_scan(wide, monkeypatch, walk_max):
    """No term, or one too short for the index: counted by a scan, paged along the list's order (on PostgreSQL a
    descending page is walked along the index read backwards; with a budget of one row it is sorted instead)."""
    monkeypatch.setattr(repository, "COUNT_CAP", 3)
    monkeypatch.setattr(repository, "PER_PAGE", 2)
    monkeypatch.setattr(repository, "WALK_MAX", walk_max)
    for q in ("", "la"):
        for sort in list_query.SORTS:
            for order in ("asc", "desc"):
                for extra in ({}, {"status": "active"}, {"page": "3"}, {"page": "9"}):
                    args = {"q": q, "sort": sort, "order": order, **extra}
                    params, _ = list_params(MultiDict(args))
                    result = repository.search(params)
                    shown = ([g.guarantee_number for g in result.items], result.total, result.pages, result.more)
                    assert shown == expected_page(params), args


def test_a_walk_reads_the_index_of_its_order(wide, paths, count_queries):
    """The walk's statement reads the index of the list's order, the supplier and bank sort keys included
    (revision 0007), forwards or backwards, and never sorts the table."""
    paths("walked")
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "walked" in statement:
            statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", keep)
    try:
        for sort, index in (
            ("supplier", "ix_guarantees_supplier_sort"),
            ("bank", "ix_guarantees_bank_sort"),
            ("expiry", "ix_guarantees_expiry_date_id"),
            ("amount", "ix_guarantees_amount_id"),
        ):
            for order in ("asc", "desc"):
                statements.clear()
                repository.search(list_params(MultiDict({"q": "lana", "sort": sort, "order": order}))[0])
                assert statements, (sort, order)
                statement, parameters = statements[-1]
                with db.engine.connect() as connection:
                    if db.engine.dialect.name == "postgresql":
                        # sixteen rows would be scanned and sorted: ask whether an index gives the order at all
                        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                            connection.exec_driver_sql(f"SET {setting} = off")
                        plan = [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)]
                    else:
                        explain = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                        plan = [str(row[-1]) for row in explain]
                text = "\n".join(plan)
                assert index in text and "Sort" not in text and "TEMP B-TREE" not in text, (sort, order, text)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", keep)


def test_sort_keys_and_search_text_follow_every_writer(app, make_guarantee, paths, tmp_path):
    """The sort keys and PostgreSQL's stored search text are kept by the database: the legacy migrate, edits
    through the service, plain SQL updates and an Excel import all leave the walks and the index right."""
    from openpyxl import Workbook

    from guarantees.services import imports as importer
    from tests.legacy.conftest import write_legacy

    runner = app.test_cli_runner()
    db.session.remove()
    assert runner.invoke(args=["legacy", "load", str(write_legacy(tmp_path / "legacy.sqlite"))]).exit_code == 0
    assert runner.invoke(args=["legacy", "migrate"]).exit_code == 0
    db.session.remove()
    wide = make_wide(make_guarantee)
    guarantee = wide["W-12"]
    service.update(guarantee.id, {"raw_supplier_name": "Aaa Lana First"}, expected_version=guarantee.version, user="t")
    guarantee = db.session.get(repository.Guarantee, wide["W-06"].id)
    service.update(guarantee.id, {"raw_bank_name": "Zzz Lana Bank"}, expected_version=guarantee.version, user="t")
    db.session.execute(
        sa.text("UPDATE guarantees SET supplier_display_name = 'Mmm Lana' WHERE guarantee_number = 'W-02'")
    )
    db.session.commit()
    book = Workbook()
    sheet = book.active
    sheet.append(["BANK GUARANTEE NUMBER", "SUPPLIER", "BANK NAME", "AMOUNT", "EXPIRY DATE", "CONTRACT NO."])
    sheet.append(["IMP-1", "Imported Lana Co", "Riyad Bank", 300, "2027-03-03", "CN-LANA-9"])
    sheet.append(["W-01", "Lana Alpha", "Renamed Lana Bank", 100, "2027-01-01", None])  # an update of W-01
    path = tmp_path / "list.xlsx"
    book.save(path)
    importer.commit(path.read_bytes(), "list.xlsx", user="clerk")
    db.session.remove()

    for q in ("lana", "riyad bank", "gulf", "c/0016"):
        for path in ("walked", "sorted past the cap", "counted"):
            paths(path)
            for sort in ("supplier", "bank", "expiry"):
                for order in ("asc", "desc"):
                    args = {"q": q, "sort": sort, "order": order}
                    params, _ = list_params(MultiDict(args))
                    result = repository.search(params)
                    shown = ([g.guarantee_number for g in result.items], result.total, result.pages, result.more)
                    assert shown == expected_page(params), (path, args)
    if db.engine.dialect.name == "sqlite":
        stale = (
            "supplier_sort IS NOT coalesce(supplier_display_name, raw_supplier_name) OR bank_sort IS NOT "
            "coalesce(bank_display, raw_bank_name)"
        )
    else:
        stale = (
            "search_text IS DISTINCT FROM lower(translate(coalesce(guarantee_number, '') || chr(10) || "
            "coalesce(raw_supplier_name, '') || chr(10) || coalesce(nullif(supplier_display_name, "
            "raw_supplier_name), '') || chr(10) || coalesce(raw_bank_name, '') || chr(10) || "
            "coalesce(nullif(bank_display, raw_bank_name), '') || chr(10) || coalesce(contract_number, '') || "
            "chr(10) || coalesce(po_number, ''), :punctuation, :letters))"
        )
    params = {"punctuation": list_query.SEPARATORS, "letters": list_query.AS_LETTERS}
    assert db.session.scalar(sa.text(f"SELECT count(*) FROM guarantees WHERE {stale}"), params) == 0


@pytest.mark.parametrize("path", ["counted", "walked", "walk gives up"])
def test_past_the_cap_the_count_is_a_floor_and_pages_go_on(register, make_guarantee, paths, monkeypatch, path):
    paths(path)
    for n in range(3):
        make_guarantee(f"GB-20{n}", raw_supplier_name=f"Lana Branch {n}", expiry_date=f"2027-0{n + 1}-01")
    monkeypatch.setattr(repository, "COUNT_CAP", 3)
    pages, page = [], 1
    while True:
        params, _ = list_params(MultiDict({"q": "lana", "page": str(page)}))
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
    exact = repository.search(list_params(MultiDict({"q": "lana"}))[0])
    assert (exact.more, exact.total) == (False, 4) and [g.guarantee_number for g in exact.items] == listed


def test_downgrade_to_0006_and_back(make_app, empty_database):
    """Revision 0007 goes back to 0006's index (and columns) on both databases, and up again."""
    app = make_app(empty_database)
    with app.app_context():
        upgrade()
        service.create(
            {
                "guarantee_number": "DG-1",
                "raw_supplier_name": "Lana Medical",
                "raw_bank_name": "Riyad Bank",
                "amount": "1",
            },
            user="t",
        )
        db.session.remove()
        downgrade(revision="0006_search_and_print_links")
        inspector = sa.inspect(db.engine)
        columns = {column["name"] for column in inspector.get_columns("guarantees")}
        assert not {"search_text", "supplier_sort", "bank_sort"} & columns
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                definition = connection.exec_driver_sql(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_guarantees_search_trgm'"
                ).scalar()
            assert "gin_trgm_ops" in definition and "search_text" not in definition
        db.engine.dispose()
        upgrade()
        db.session.remove()
        assert found("lana med") == ["DG-1"] and found("lana", sort="supplier", order="desc") == ["DG-1"]
        db.session.remove()
        db.engine.dispose()
