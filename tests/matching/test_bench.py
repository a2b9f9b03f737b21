"""bench/matching.py: measured accuracy against a legacy database's own decisions."""

import importlib.util
import json
import sqlite3
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / ".." / "shared" / "fixtures"
LEGACY = FIXTURES / "legacy" / "bgl-2025-12-17.sqlite"


def _bench() -> ModuleType:
    """bench/matching.py loaded as a module (bench/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_matching", ROOT / "bench" / "matching.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _bench()


def _variant_db(path: Path) -> Path:
    """A small legacy database of an older variant: no display_name, official_name_ar or short_code."""
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        create table suppliers (id integer, official_name text, normalized_name text);
        create table banks (id integer, official_name text, official_name_en text);
        create table imported_records (id integer, session_id integer, raw_supplier_name text,
            raw_bank_name text, match_status text, supplier_id integer, bank_id integer);
        insert into suppliers values (1, 'شركة الحياة الطبية', ''), (2, 'NAGHI BROTHERS', ''),
            (3, 'ORIENT MATERIALS EST.', ''), (4, 'ORIENT MATERIALS CO.', '');
        insert into banks values (7, 'بنك الرياض', 'Riyad Bank'), (8, 'البنك العربي الوطني', 'Arab National Bank');
        insert into imported_records values
            (1, 1, 'الحياه الطبيه', 'RIYAD BANK', 'ready', 1, 7),
            (2, 1, 'Naghi Brothers Co.', 'Arab National Bank', 'ready', 2, 8),
            (3, 1, 'Naghi Brothers Co.', 'بنك الرياض', 'ready', 1, 7),
            (4, 1, 'ORIENT MATERIALS CO.', 'Riyad Bank', 'ready', 4, 7),
            (null, 1, 'Unknown Co', 'Riyad Bank', 'needs_review', null, null),
            (6, 1, 'NAGHI BROTHERS', 'Riyad Bank', 'ready', 2, null);
        """
    )
    conn.commit()
    conn.close()
    return path


def test_older_variant_and_the_counts(bench: ModuleType, tmp_path: Path) -> None:
    report = bench.evaluate(_variant_db(tmp_path / "legacy.sqlite"))
    assert report["rows"] == 6
    assert report["labelled"] == 4  # ready with both ids
    assert report["auto_ready"] == 3  # ORIENT MATERIALS is ambiguous between 3 and 4
    assert report["auto_ready_all"] == 4
    assert report["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["recall"] == pytest.approx(2 / 4)
    assert report["confusions"] == [
        {
            "raw": "Naghi Brothers Co.",
            "field": "supplier",
            "expected_id": 1,
            "expected_name": "شركة الحياة الطبية",
            "got_id": 2,
            "got_name": "NAGHI BROTHERS",
            "rows": 1,
        }
    ]


def test_json_output(bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--legacy", str(_variant_db(tmp_path / "legacy.sqlite")), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {"precision", "recall", "labelled", "auto_ready", "rows", "auto_ready_all", "confusions", "timings"} <= set(
        report
    )
    assert report["timings"]["names"] == 12


def test_accuracy_on_the_real_legacy_database(bench: ModuleType) -> None:
    if not LEGACY.is_file():
        pytest.skip(f"real legacy fixture not available at {LEGACY.resolve()}")
    report = bench.evaluate(LEGACY)
    assert report["labelled"] > 1000
    assert report["precision"] >= 0.985, report["confusions"][:5]
    assert report["recall"] >= 0.90, report["misses"]
    counts = [confusion["rows"] for confusion in report["confusions"]]
    assert counts == sorted(counts, reverse=True)
    assert report["timings"]["names_per_s"] > 1000


def test_misses_and_review_reasons_are_reported(bench: ModuleType, tmp_path: Path) -> None:
    report = bench.evaluate(_variant_db(tmp_path / "legacy.sqlite"))
    by_category = {miss["category"]: miss for miss in report["misses"]}
    # ORIENT MATERIALS CO. meets two entries; 'Naghi Brothers Co.' was settled both ways by the team.
    assert by_category["duplicated_entries"]["rows"] == 1
    assert by_category["duplicated_entries"]["examples"][0]["raw"] == "ORIENT MATERIALS CO."
    assert by_category["team_disagrees"]["rows"] == 1
    assert set(by_category) <= set(bench.MISS_CATEGORIES)
    reasons = {(reason["field"], reason["reason"]): reason["rows"] for reason in report["review_reasons"]}
    assert reasons[("supplier", "duplicated_entries")] == 1
    assert sum(reasons.values()) >= 2  # 'Unknown Co' too


def test_text_report_prints_the_causes(bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--legacy", str(_variant_db(tmp_path / "legacy.sqlite"))]) == 0
    out = capsys.readouterr().out
    assert "by cause" in out
    assert bench.MISS_CATEGORIES["duplicated_entries"] in out
    assert "ORIENT MATERIALS CO." in out
