"""The acceptance check (../shared/checks/legacy_contract.py) on the synthetic legacy database, both backends."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.legacy.conftest import CHECK, many_rows, write_legacy

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["every-case", "many-rows"])
def test_acceptance_check_passes_on_synthetic_legacy_databases(empty_database, tmp_path, shape):
    if not CHECK.exists():
        pytest.skip("../shared/checks/legacy_contract.py is absent beside the project")
    if shape == "every-case":
        legacy = write_legacy(tmp_path / "legacy.sqlite")
    else:
        sessions, rows = many_rows(2000, 150)
        legacy = write_legacy(tmp_path / "legacy.sqlite", rows=rows, sessions=sessions)
    done = subprocess.run(
        [sys.executable, str(CHECK), "--legacy", str(legacy), "--database-url", empty_database],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed checks" in done.stdout
