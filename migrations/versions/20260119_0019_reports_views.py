"""Reports (phase 5): the standard guarantee type (guarantees.type_code, filled from the type text) and the
reporting views, the same names and columns on SQLite and PostgreSQL.

- report_exposure: guarantees not released, counted and summed by bank, supplier, type, currency and expiry date
  (the grain the reports filter on; the reports' query keeps those not expired on the register's day);
- report_exposure_months: the same by expiry month ('YYYY-MM') and bank, supplier and currency;
- report_action_activity: issued extensions, reductions and releases by day, month, user (who prepared them), bank
  and supplier (as the letter named them); an action voided by an issued void is not counted as done, and the
  issued voids are counted as their own kind ('void', on the void's day and by who prepared it);
- report_import_activity: the rows each user wrote into each batch, by the batch's day and month.

The type's mapping is the literal copy of guarantees/domain/guarantee_types.py a migration keeps (a migration never
imports the application): tests/domain/test_guarantee_types.py holds the copy equal and checks that this SQL maps
every spelling as type_code() does, on both databases.

Revision ID: 0019_reports_views
Revises: 0018_bank_answers_voids
Create Date: 2026-01-19
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_reports_views"
down_revision = "0018_bank_answers_voids"
branch_labels = None
depends_on = None

TYPE_CODES = ("bid", "performance", "advance_payment", "retention", "other")
KEY_REPLACEMENTS = (
    ("\u00a0", " "), ("\t", " "), ("\n", " "), ("\r", " "), ("-", " "), ("_", " "), (".", " "), ("/", " "),
    ("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ى", "ي"), ("ة", "ه"), ("ـ", ""),
    ("  ", " "), ("  ", " "), ("  ", " "), ("  ", " "),
)  # fmt: skip
ALIASES = {
    "bid": (
        "bid", "bid bond", "bid guarantee", "bid bond guarantee", "tender", "tender bond", "tender guarantee",
        "initial", "initial guarantee", "preliminary", "provisional", "ابتدائي", "ضمان ابتدائي", "ابتدايي",
        "مبدئي", "ضمان مبدئي", "دخول عطاء", "ضمان دخول عطاء",
    ),
    "performance": (
        "final", "final guarantee", "performance", "performance bond", "performance guarantee", "good performance",
        "final performance", "نهائي", "ضمان نهائي", "نهايي", "حسن التنفيذ", "حسن تنفيذ", "ضمان حسن التنفيذ",
        "ضمان حسن تنفيذ", "نهائي حسن التنفيذ", "حسن الاداء", "ضمان حسن الاداء",
    ),
    "advance_payment": (
        "advance", "advanced", "advance payment", "advanced payment", "advance payment guarantee",
        "advance payment bond", "down payment", "دفعه مقدمه", "ضمان دفعه مقدمه", "الدفعه المقدمه",
        "ضمان الدفعه المقدمه", "دفعه مقدما", "مقدم", "دفعات مقدمه",
    ),
    "retention": (
        "retention", "retention money", "retention bond", "retention guarantee", "محتجزات", "المحتجزات",
        "ضمان محتجزات", "ضمان المحتجزات", "محتجز",
    ),
}  # fmt: skip
VIEWS = ("report_exposure", "report_exposure_months", "report_action_activity", "report_import_activity")
ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CONTROL = ("\u00a0", "\t", "\n", "\r")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def type_code_sql(column: str, dialect: str) -> str:
    """SQL giving the standard code of the type text in `column`: domain.guarantee_types.type_code() in SQL."""
    # ASCII letters only are lowered on both (SQLite's lower() lowers no other; PostgreSQL's would).
    key = (
        f"lower({column})" if dialect == "sqlite" else f"translate({column}, '{ASCII_UPPER}', '{ASCII_UPPER.lower()}')"
    )
    for old, new in KEY_REPLACEMENTS:
        if old in CONTROL:  # (written as character codes: a statement's text keeps no raw control character)
            old_sql = f"char({ord(old)})" if dialect == "sqlite" else f"chr({ord(old)})"
        else:
            old_sql = _literal(old)
        key = f"replace({key}, {old_sql}, {_literal(new)})"
    key = f"trim({key})"
    whens = " ".join(
        f"WHEN {_literal(alias)} THEN {_literal(code)}" for code, keys in ALIASES.items() for alias in keys
    )
    return f"CASE {key} {whens} ELSE 'other' END"


def _month(column: str, dialect: str) -> str:
    return f"strftime('%Y-%m', {column})" if dialect == "sqlite" else f"to_char({column}, 'YYYY-MM')"


def _day(column: str, dialect: str) -> str:
    return f"date({column})" if dialect == "sqlite" else f"CAST({column} AS DATE)"


def _views(dialect: str) -> dict[str, str]:
    bank = "coalesce(g.bank_display, g.raw_bank_name, '')"
    supplier = "coalesce(g.supplier_display_name, g.raw_supplier_name, '')"
    month = _month("g.expiry_date", dialect)
    action_day = f"coalesce(a.action_date, {_day('a.created_at', dialect)})"
    batch_day = f"coalesce(b.batch_date, {_day('b.created_at', dialect)})"
    return {
        "report_exposure": f"""
SELECT g.bank_id AS bank_id, {bank} AS bank_name, g.supplier_id AS supplier_id, {supplier} AS supplier_name,
       g.type_code AS type_code, g.currency AS currency, g.status AS status, g.expiry_date AS expiry_date,
       count(*) AS guarantee_count, sum(g.amount) AS total_amount
FROM guarantees g
WHERE g.status = 'active'
GROUP BY g.bank_id, {bank}, g.supplier_id, {supplier}, g.type_code, g.currency, g.status, g.expiry_date""",
        "report_exposure_months": f"""
SELECT {month} AS expiry_month, g.bank_id AS bank_id, {bank} AS bank_name, g.supplier_id AS supplier_id,
       {supplier} AS supplier_name, g.currency AS currency, g.status AS status, g.expiry_date AS expiry_date,
       count(*) AS guarantee_count, sum(g.amount) AS total_amount
FROM guarantees g
WHERE g.status = 'active' AND g.expiry_date IS NOT NULL
GROUP BY {month}, g.bank_id, {bank}, g.supplier_id, {supplier}, g.currency, g.status, g.expiry_date""",
        "report_action_activity": f"""
SELECT {action_day} AS activity_date, {_month(action_day, dialect)} AS activity_month,
       coalesce(a.created_by, '') AS user_name, a.action_type AS action_type, a.bank_id AS bank_id,
       coalesce(a.bank_display, '') AS bank_name, a.supplier_id AS supplier_id,
       coalesce(a.supplier_display_name, '') AS supplier_name, count(*) AS action_count
FROM guarantee_actions a
WHERE a.action_status = 'issued'
  AND (a.action_type = 'void'
       OR (a.action_type IN ('extension', 'reduction', 'release')
           AND NOT EXISTS (SELECT 1 FROM guarantee_actions v
                           WHERE v.voids_action_id = a.id AND v.action_status = 'issued')))
GROUP BY {action_day}, coalesce(a.created_by, ''), a.action_type, a.bank_id, coalesce(a.bank_display, ''),
         a.supplier_id, coalesce(a.supplier_display_name, '')""",
        "report_import_activity": f"""
SELECT b.id AS batch_id, b.batch_type AS batch_type, {batch_day} AS activity_date,
       {_month(batch_day, dialect)} AS activity_month, coalesce(i.created_by, '') AS user_name,
       count(*) AS row_count
FROM import_batch_items i JOIN import_batches b ON b.id = i.batch_id
GROUP BY b.id, b.batch_type, {batch_day}, coalesce(i.created_by, '')""",
    }


def upgrade():
    dialect = op.get_bind().dialect.name
    check = f"type_code IN ({', '.join(_literal(code) for code in TYPE_CODES)})"
    if dialect == "sqlite":
        # ADD COLUMN keeps the table (a batch copy would drop its triggers and its search index's).
        op.execute(
            "ALTER TABLE guarantees ADD COLUMN type_code VARCHAR(20) DEFAULT 'other' NOT NULL "
            f"CONSTRAINT ck_guarantees_type_code CHECK ({check})"
        )
    else:
        op.add_column("guarantees", sa.Column("type_code", sa.String(20), nullable=False, server_default="other"))
        op.create_check_constraint("ck_guarantees_type_code", "guarantees", check)
    # Only the code is written: no trigger guards it (the type it follows is frozen on a locked guarantee).
    op.execute(f"UPDATE guarantees SET type_code = {type_code_sql('type', dialect)} WHERE type IS NOT NULL")
    for name, body in _views(dialect).items():
        op.execute(f"CREATE VIEW {name} AS {body.strip()}")


def downgrade():
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_guarantees_type_code", "guarantees", type_="check")
    op.drop_column("guarantees", "type_code")
