"""Measure matching against a legacy database's own decisions.

    .venv/bin/python bench/matching.py --legacy PATH [--json] [--min-score N] [--min-margin N]

Builds the supplier and bank dictionaries from the legacy `suppliers` and `banks` tables (ids kept,
learned aliases deliberately left out), replays every `imported_records` row through the matcher
and compares automatic `ready` with the rows the legacy team marked ready.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from guarantees.matching import DictionaryMatcher, Entry, MatchThresholds  # noqa: E402

# Dictionary columns that carry a name; whichever of them a legacy variant has are used.
SUPPLIER_NAME_COLUMNS = ("official_name", "display_name")
BANK_NAME_COLUMNS = ("official_name", "official_name_en", "official_name_ar")
MAX_CONFUSIONS = 50


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The columns a legacy table has (variants differ)."""
    return {row[1] for row in conn.execute(f"pragma table_info({table})")}


def load_dictionary(
    conn: sqlite3.Connection, table: str, name_columns: tuple[str, ...], official_columns: int | None = None
) -> list[Entry]:
    """Dictionary entries of a legacy table, keeping its ids; the first `official_columns` name columns (None:
    all) hold official names, as the register's own dictionary rows say (a supplier's display name is not)."""
    present = _columns(conn, table)
    names = [column for column in name_columns if column in present]
    code = "short_code" if "short_code" in present else "NULL"
    select = ", ".join(names) or "NULL"
    entries = []
    for row in conn.execute(f"select id, {code}, {select} from {table} where id is not null order by id"):
        values = [text if isinstance(text, str) and text.strip() else None for text in row[2:]]
        texts = [text for text in values if text]
        official = None if official_columns is None else sum(1 for text in values[:official_columns] if text)
        label = texts[0] if texts else str(row[0])
        entries.append(Entry(int(row[0]), label, tuple(texts), row[1] or None, official))
    return entries


def _labelled(row: sqlite3.Row) -> bool:
    """A row the legacy team settled: ready with both ids set."""
    return row["match_status"] == "ready" and row["supplier_id"] is not None and row["bank_id"] is not None


def evaluate(legacy_path: str | Path, thresholds: MatchThresholds | None = None) -> dict[str, Any]:
    """Replay a legacy database's rows through the matcher and score it against the legacy decisions."""
    conn = sqlite3.connect(f"{Path(legacy_path).resolve().as_uri()}?mode=ro", uri=True)  # never write to it
    conn.row_factory = sqlite3.Row
    try:
        started = time.perf_counter()
        suppliers = load_dictionary(conn, "suppliers", SUPPLIER_NAME_COLUMNS, official_columns=1)
        banks = load_dictionary(conn, "banks", BANK_NAME_COLUMNS)
        matcher = DictionaryMatcher({"supplier": suppliers, "bank": banks}, {}, thresholds or MatchThresholds())
        build_s = time.perf_counter() - started
        rows = conn.execute(
            "select raw_supplier_name, raw_bank_name, match_status, supplier_id, bank_id from imported_records"
        ).fetchall()
    finally:
        conn.close()

    names = {"supplier": {e.id: e.names[0] if e.names else None for e in suppliers}}
    names["bank"] = {e.id: e.names[0] if e.names else None for e in banks}
    started = time.perf_counter()
    results = [
        (matcher.match_one("supplier", r["raw_supplier_name"]), matcher.match_one("bank", r["raw_bank_name"]))
        for r in rows
    ]
    match_s = time.perf_counter() - started
    uncached_s = _time_distinct(suppliers, banks, rows, thresholds)

    labelled = auto_ready = correct = auto_ready_all = 0
    confusions: Counter[tuple[str, str, int, int]] = Counter()
    fields = {field: Counter() for field in ("supplier", "bank")}  # per name, among labelled rows
    for row, (supplier, bank) in zip(rows, results, strict=True):
        pair_ready = supplier.ready and bank.ready
        auto_ready_all += pair_ready
        if not _labelled(row):
            continue
        labelled += 1
        auto_ready += pair_ready
        correct += pair_ready and supplier.entity_id == row["supplier_id"] and bank.entity_id == row["bank_id"]
        # A field matched with confidence to another entry than the team chose: a wrong guess, a
        # duplicated dictionary entry, or a hand error in the legacy data; each is worth a look.
        for field, result, raw, expected in (
            ("supplier", supplier, row["raw_supplier_name"], row["supplier_id"]),
            ("bank", bank, row["raw_bank_name"], row["bank_id"]),
        ):
            fields[field]["auto_ready"] += result.ready
            fields[field]["correct"] += result.ready and result.entity_id == expected
            if result.ready and result.entity_id != expected:
                confusions[(raw, field, expected, result.entity_id)] += 1

    return {
        "precision": round(correct / auto_ready, 4) if auto_ready else None,
        "recall": round(correct / labelled, 4) if labelled else None,
        "labelled": labelled,
        "auto_ready": auto_ready,
        "correct": correct,
        "rows": len(rows),
        "auto_ready_all": auto_ready_all,
        "thresholds": {
            "min_score": matcher.thresholds.min_score,
            "min_margin": matcher.thresholds.min_margin,
        },
        "dictionary": {"suppliers": len(suppliers), "banks": len(banks)},
        "fields": {field: dict(counts) for field, counts in fields.items()},
        "confusions": [
            {
                "raw": raw,
                "field": field,
                "expected_id": expected,
                "expected_name": names[field].get(expected),
                "got_id": got,
                "got_name": names[field].get(got),
                "rows": count,
            }
            for (raw, field, expected, got), count in confusions.most_common(MAX_CONFUSIONS)
        ],
        "timings": {
            "build_s": round(build_s, 4),
            "match_s": round(match_s, 4),
            "names": 2 * len(rows),
            "names_per_s": round(2 * len(rows) / match_s) if match_s else None,
            "distinct_names": uncached_s[0],
            "distinct_names_per_s": round(uncached_s[0] / uncached_s[1]) if uncached_s[1] else None,
        },
    }


def _time_distinct(
    suppliers: list[Entry], banks: list[Entry], rows: list[sqlite3.Row], thresholds: MatchThresholds | None
) -> tuple[int, float]:
    """Distinct raw names and the seconds a fresh matcher takes on them: the speed without the cache."""
    matcher = DictionaryMatcher({"supplier": suppliers, "bank": banks}, {}, thresholds or MatchThresholds())
    work = [("supplier", {r["raw_supplier_name"] for r in rows}), ("bank", {r["raw_bank_name"] for r in rows})]
    started = time.perf_counter()
    for entity, raw_names in work:
        for raw in raw_names:
            matcher.match_one(entity, raw)
    return sum(len(raw_names) for _, raw_names in work), time.perf_counter() - started


def _print_text(report: dict[str, Any]) -> None:
    """The report for a person."""
    pct = lambda value: "n/a" if value is None else f"{value:.2%}"  # noqa: E731
    print(f"rows {report['rows']}, labelled {report['labelled']}, auto-ready among labelled {report['auto_ready']}")
    print(
        f"precision {pct(report['precision'])}  recall {pct(report['recall'])}  "
        f"(auto-ready over all rows: {report['auto_ready_all']})"
    )
    print(f"thresholds: {report['thresholds']}")
    for field, counts in report["fields"].items():
        agreeing = counts.get("correct", 0)
        print(f"  {field}: auto-ready {counts.get('auto_ready', 0)}, agreeing with the legacy team {agreeing}")
    t = report["timings"]
    print(
        f"build {t['build_s']} s, match {t['match_s']} s for {t['names']} names ({t['names_per_s']} names/s); "
        f"{t['distinct_names']} distinct names uncached: {t['distinct_names_per_s']} names/s"
    )
    print("confusions (auto-ready to another entry than the legacy decision):")
    for c in report["confusions"]:
        print(
            f"  {c['rows']:4} {c['field']:8} {c['raw']!r}: expected {c['expected_id']} {c['expected_name']!r}, "
            f"got {c['got_id']} {c['got_name']!r}"
        )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--legacy", required=True, help="legacy SQLite database")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--min-score", type=float, help="override MATCH_MIN_SCORE")
    parser.add_argument("--min-margin", type=float, help="override MATCH_MIN_MARGIN")
    args = parser.parse_args(argv)
    if not Path(args.legacy).is_file():
        parser.error(f"no such file: {args.legacy}")
    thresholds = MatchThresholds.from_config({"MATCH_MIN_SCORE": args.min_score, "MATCH_MIN_MARGIN": args.min_margin})
    report = evaluate(args.legacy, thresholds)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        _print_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
