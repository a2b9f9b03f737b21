"""The real legacy database (bgl-2025-12-17.sqlite): load → migrate → verify, figures from the acceptance rules."""

import pytest

from tests.conftest import shared_fixture
from tests.legacy.conftest import count, load_check


@pytest.mark.slow
def test_real_legacy_database_migrates_and_verifies(app, cli, database):
    legacy = shared_fixture("legacy", "bgl-2025-12-17.sqlite")
    code, output, loaded = cli("load", str(legacy), "--json")
    assert code == 0, output
    assert loaded["copied"] == {"import_sessions": 185, "imported_records": 4010, "suppliers": 145, "banks": 37}
    assert loaded["renumbered_total"] == 0 and loaded["altered_total"] == 0
    code, output, summary = cli("migrate", "--json")
    assert code == 0, output
    assert (summary["import_rows"], summary["action_rows"], summary["unmigrated_rows"]) == (4010, 0, 0)
    assert summary["items"] == {"created": 330, "updated": 609, "unchanged": 3071}
    code, output, report = cli("verify", "--json")
    assert code == 0 and report["ok"], output
    counts = report["counts"]
    assert (counts["legacy_rows"], counts["guarantees"], counts["import_batches"]) == (4010, 330, 142)
    assert (counts["guarantee_actions"], counts["action_sessions"], counts["unmigrated_rows"]) == (0, 0, 0)
    assert counts["empty_legacy_sessions"] == 43
    check = load_check()
    expected = check.expected_figures(str(legacy))
    for key, table in check.COUNTED.items():
        assert count(database, table) == expected[key] == counts[key], key
    code, output, _ = cli("migrate")
    assert code == 0 and "Nothing to migrate: all 4010 migratable legacy rows are already linked." in output
