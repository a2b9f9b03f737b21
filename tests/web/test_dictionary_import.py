"""The dictionary pages' file import (preview, then confirm), export buttons and the starter banks; CLI commands."""

import io
import json
import re

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee
from guarantees.models.dictionary import Bank, Supplier
from guarantees.services import dictionary_import as service
from tests.conftest import build_xlsx

SUPPLIERS = [
    ["اسم المورد", "الاسم المختصر", "الأسماء البديلة"],
    ["شركة لانا الطبية", "لانا", "LMC"],
    ["Gulf Cables", "", ""],
]


def upload(client, kind, data, name="file.xlsx"):
    return client.post(
        f"/admin/{kind}/import",
        data={"csrf_token": client.token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_upload_previews_then_confirm_imports_and_reports_ready_guarantees(admin, make_guarantee):
    make_guarantee("G1", raw_supplier_name="LMC", raw_bank_name="Riyad Bank")
    service.apply("bank", b"Bank name\nRiyad Bank\n", "b.csv", user="setup")

    preview = upload(admin, "suppliers", build_xlsx(SUPPLIERS))
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "2 new" in page and "Import these rows" in page
    assert count(Supplier) == 0  # nothing written before the confirmation
    token = re.search(r'name="token"[^>]*value="([0-9a-f]{32})"', page)
    assert token, page
    done = admin.post("/admin/suppliers/import/confirm", data={"token": token.group(1)})
    assert done.status_code == 303
    assert count(Supplier) == 2
    db.session.expire_all()
    assert db.session.scalar(sa.select(Guarantee.match_status)) == "ready"
    listing = admin.get("/admin/suppliers").get_data(as_text=True)
    assert "2 added, 0 updated, 0 unchanged, 0 rows with errors left out." in listing
    assert "now ready: 1" in listing
    again = admin.post("/admin/suppliers/import/confirm", data={"token": token.group(1)})
    assert again.status_code == 303 and count(Supplier) == 2  # a token is used once
    assert "This preview has expired" in admin.get("/admin/suppliers").get_data(as_text=True)


def test_a_bad_file_is_refused_on_the_page_with_its_reason(admin):
    response = upload(admin, "banks", b"Amount,Date\n1,2\n", "x.csv")
    assert response.status_code == 422
    assert "No header row found" in response.get_data(as_text=True)
    assert count(Bank) == 0


def test_another_users_token_imports_nothing(admin, signed_in):
    page = upload(admin, "banks", b"Bank name\nRiyad Bank\n", "b.csv").get_data(as_text=True)
    token = re.search(r'value="([0-9a-f]{32})"', page).group(1)
    other = signed_in("admin", "other-admin")
    assert other.post("/admin/banks/import/confirm", data={"token": token}).status_code == 303
    assert count(Bank) == 0


def test_editors_and_forged_requests_are_refused(editor, admin):
    assert upload(editor, "banks", b"Bank name\nX\n", "b.csv").status_code == 403
    assert editor.get("/admin/banks/export").status_code == 403
    assert editor.post("/admin/banks/starter").status_code == 403
    assert admin.post("/admin/banks/starter", csrf=False).status_code == 400
    assert count(Bank) == 0


def test_empty_banks_page_offers_the_starter_list_and_one_click_loads_it(admin):
    page = admin.get("/admin/banks").get_data(as_text=True)
    assert "Load the starter list of Saudi banks" in page
    assert "Load the starter list" not in admin.get("/admin/suppliers").get_data(as_text=True)
    response = admin.post("/admin/banks/starter")
    assert response.status_code == 303
    assert count(Bank) == len(service.read_dictionary("bank", service.starter_banks()).rows)
    assert "Load the starter list" not in admin.get("/admin/banks").get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_buttons_download_what_the_import_reads_back(admin, fmt):
    service.apply("supplier", build_xlsx(SUPPLIERS), "s.xlsx", user="setup")
    page = admin.get("/admin/suppliers").get_data(as_text=True)
    assert f"/admin/suppliers/export?format={fmt}" in page
    response = admin.get(f"/admin/suppliers/export?format={fmt}")
    assert response.status_code == 200
    assert f"suppliers.{fmt}" in response.headers["Content-Disposition"]
    preview = upload(admin, "suppliers", response.data, f"suppliers.{fmt}").get_data(as_text=True)
    assert "2 unchanged" in preview and "Nothing to import" in preview


# ----------------------------------------------------------------------------- the command line


def test_cli_import_dry_run_json_and_apply(runner, tmp_path):
    path = tmp_path / "banks.xlsx"
    path.write_bytes(build_xlsx([["Bank name", "SWIFT"], ["Riyad Bank", "RIBLSARI"], ["Alinma", "bad"]]))
    dry = runner.invoke(args=["dictionary", "import", "banks", str(path), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    assert report["counts"] == {"new": 1, "update": 0, "unchanged": 0, "error": 1}
    assert "SWIFT" in report["rows"][1]["reason"]
    assert count(Bank) == 0
    done = runner.invoke(args=["dictionary", "import", "banks", str(path)])
    assert done.exit_code == 0, done.output
    assert "1 new" in done.output and "Applied 1 rows." in done.output
    assert count(Bank) == 1


def test_cli_refusals_and_usage_errors_exit_non_zero(runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"Amount\n1\n")
    refused = runner.invoke(args=["dictionary", "import", "banks", str(bad)])
    assert refused.exit_code == 1 and "No header row found" in refused.output
    missing = runner.invoke(args=["dictionary", "import", "banks", str(tmp_path / "none.csv")])
    assert missing.exit_code == 1
    both = runner.invoke(args=["dictionary", "import", "banks", str(bad), "--starter"])
    assert both.exit_code == 2
    assert runner.invoke(args=["dictionary", "import", "suppliers", "--starter"]).exit_code == 2
    assert runner.invoke(args=["dictionary", "import", "customers", str(bad)]).exit_code == 2
    assert count(Bank) == 0


def test_cli_starter_then_export_round_trips(runner, tmp_path):
    loaded = runner.invoke(args=["dictionary", "import", "banks", "--starter", "--json"])
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.output)["counts"]["error"] == 0
    target = tmp_path / "banks.csv"
    exported = runner.invoke(args=["dictionary", "export", "banks", "--format", "csv", "--to", str(target)])
    assert exported.exit_code == 0, exported.output
    again = runner.invoke(args=["dictionary", "import", "banks", str(target), "--dry-run", "--json"])
    counts = json.loads(again.output)["counts"]
    assert counts["unchanged"] == count(Bank) and counts["new"] == counts["update"] == counts["error"] == 0
