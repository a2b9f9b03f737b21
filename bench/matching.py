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

from guarantees.matching import DictionaryMatcher, Entry, MatchResult, MatchThresholds  # noqa: E402

# Dictionary columns that carry a name; whichever of them a legacy variant has are used.
SUPPLIER_NAME_COLUMNS = ("official_name", "display_name")
BANK_NAME_COLUMNS = ("official_name", "official_name_en", "official_name_ar")
MAX_CONFUSIONS = 50
EXAMPLES = 3
WEAK = 70.0
SHORT = 32
# Why a name the legacy team settled is not matched to the team's entry, most telling first.
MISS_CATEGORIES = {
    "not_in_dictionary": "the team's entry is no longer in the dictionary",
    "team_disagrees": "matched to the entry the team chose for the same name in other rows",
    "other_entry": "matched to another entry",
    "duplicated_entries": "several entries carry the name (a duplicated dictionary entry)",
    "below_thresholds": "the team's entry is the first proposal, below the score or margin",
    "proposed": "the team's entry is proposed, not first",
    "not_proposed": "not proposed: the names are unalike (a hand error, a renamed firm, a translation)",
}
# Why a name goes to review, over every row (settled by the team or not).
REVIEW_REASONS = {
    "empty": "no name",
    "no_candidate": "nothing in the dictionary resembles it",
    "weak": "nothing close in the dictionary (best proposal under 70)",
    "duplicated_entries": "several entries carry the name",
    "below_score": "best proposal below the score threshold",
    "close_runner_up": "a second entry scores too close",
}


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
    misses: Counter[tuple[str, str, str, int]] = Counter()
    reasons: Counter[tuple[str, str]] = Counter()
    decided = _decisions(rows)
    fields = {field: Counter() for field in ("supplier", "bank")}  # per name, among labelled rows
    for row, (supplier, bank) in zip(rows, results, strict=True):
        pair_ready = supplier.ready and bank.ready
        auto_ready_all += pair_ready
        for field, result in (("supplier", supplier), ("bank", bank)):
            if not result.ready:
                reasons[(field, _review_reason(result, matcher.thresholds))] += 1
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
            if not (result.ready and result.entity_id == expected):
                category = _miss_category(result, expected, names[field], decided[field].get(raw, set()))
                misses[(category, field, raw, expected)] += 1

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
        "misses": _miss_report(misses, names),
        "review_reasons": [
            {"field": field, "reason": reason, "label": REVIEW_REASONS[reason], "rows": count}
            for (field, reason), count in sorted(reasons.items(), key=lambda item: (item[0][0] != "supplier", -item[1]))
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


def _decisions(rows: list[sqlite3.Row]) -> dict[str, dict[str, set[int]]]:
    """Per field, every entry the legacy team chose for each raw name (the same name may have several)."""
    decided: dict[str, dict[str, set[int]]] = {"supplier": {}, "bank": {}}
    for row in rows:
        if _labelled(row):
            decided["supplier"].setdefault(row["raw_supplier_name"], set()).add(row["supplier_id"])
            decided["bank"].setdefault(row["raw_bank_name"], set()).add(row["bank_id"])
    return decided


def _miss_category(result: MatchResult, expected: int, entries: dict[int, str | None], chosen: set[int]) -> str:
    """Why a settled name is not matched to the team's entry (a key of MISS_CATEGORIES)."""
    if expected not in entries:
        return "not_in_dictionary"
    if result.ready:
        return "team_disagrees" if result.entity_id in chosen else "other_entry"
    proposed = [entity_id for entity_id, _ in result.candidates]
    if result.method in ("exact", "code"):
        return "duplicated_entries"
    if proposed[:1] == [expected]:
        return "below_thresholds"
    return "proposed" if expected in proposed else "not_proposed"


def _review_reason(result: MatchResult, thresholds: MatchThresholds) -> str:
    """Why the matcher leaves a name to a person (a key of REVIEW_REASONS)."""
    if result.method is None:
        return "no_candidate" if result.candidates or result.score else "empty"
    if result.method in ("exact", "code"):
        return "duplicated_entries"
    if result.score < WEAK:
        return "weak"
    return "below_score" if result.score < thresholds.min_score else "close_runner_up"


def _short(text: str | None) -> str:
    """A name cut short for the report."""
    text = " ".join((text or "").split())
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def _miss_report(misses: Counter, names: dict[str, dict[int, str | None]]) -> list[dict[str, Any]]:
    """Settled names not matched to the team's entry, by category: rows, distinct names, a few examples."""
    report = []
    for category, label in MISS_CATEGORIES.items():
        found = [(key, count) for key, count in misses.most_common() if key[0] == category]
        if not found:
            continue
        examples = [
            {"field": field, "raw": _short(raw), "expected": _short(names[field].get(expected)), "rows": count}
            for (_, field, raw, expected), count in found[:EXAMPLES]
        ]
        rows = sum(count for _, count in found)
        report.append({"category": category, "label": label, "rows": rows, "names": len(found), "examples": examples})
    return report


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
    print("settled names not matched to the team's entry (name-level rows), by cause:")
    for miss in report["misses"]:
        print(f"  {miss['rows']:4} rows, {miss['names']:3} names  {miss['label']}")
        for example in miss["examples"]:
            print(f"         {example['rows']:4} {example['field']:8} {example['raw']!r} → {example['expected']!r}")
    print("names left to review over all rows (one per row and field), by reason:")
    for reason in report["review_reasons"]:
        print(f"  {reason['rows']:5} {reason['field']:8} {reason['label']}")
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
