"""The fields a lock protects: defined once, and the triggers' literal copy equal to it."""

import ast
from pathlib import Path

from guarantees.domain import fields

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "20260101_0002_new_architecture.py"


def _literal(name: str):
    tree = ast.parse(MIGRATION.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not found in {MIGRATION.name}")


def test_the_triggers_freeze_the_identifying_fields_the_code_protects():
    assert tuple(_literal("IDENTIFYING")) == fields.IDENTIFYING_FIELDS


def test_the_triggers_freeze_the_link_fields_once_set():
    source = MIGRATION.read_text()
    for name in fields.LINK_FIELDS:
        assert f"(OLD.{name} IS NOT NULL AND NEW.{name} IS NOT OLD.{name})" in source
        assert f"(OLD.{name} IS NOT NULL AND NEW.{name} IS DISTINCT FROM OLD.{name})" in source


def test_the_triggers_tie_each_action_field_to_its_action():
    source = MIGRATION.read_text()
    for name in fields.ACTION_FIELDS:
        assert f"NEW.{name} IS NOT OLD.{name} AND NOT EXISTS" in source
        assert f"NEW.{name} IS DISTINCT FROM OLD.{name} AND" in source


def test_a_locked_guarantee_keeps_identity_links_and_action_fields():
    protected = fields.protected_fields(status="active", is_locked=True)
    assert protected == fields.LOCKED_FIELDS & set(fields.EDITABLE_FIELDS)
    assert {"raw_supplier_name", "amount", "expiry_date", "currency", "related_to"} <= protected
    assert "comment" not in protected


def test_a_released_guarantee_keeps_every_field_and_an_open_one_none():
    assert fields.protected_fields(status="released", is_locked=False) == set(fields.EDITABLE_FIELDS)
    assert fields.protected_fields(status="active", is_locked=False) == frozenset()


def test_the_import_and_the_migration_protect_the_same_set():
    from guarantees.legacy.plan import FIELDS, FILLABLE_WHEN_LOCKED
    from guarantees.services.import_rows import STATE_COLUMNS

    locked = fields.protected_fields(status="active", is_locked=True, fields=STATE_COLUMNS)
    assert locked == fields.LOCKED_FIELDS & set(STATE_COLUMNS)
    assert not set(FILLABLE_WHEN_LOCKED) & fields.LOCKED_FIELDS
    assert set(FILLABLE_WHEN_LOCKED) == set(FIELDS) - fields.LOCKED_FIELDS - {"match_status"}
