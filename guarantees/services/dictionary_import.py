"""Supplier and bank dictionaries in and out: a file's preview, its import in one transaction, and the export.

    preview = evaluate("bank", data, "banks.xlsx")       # reads only: new / update / unchanged / error per row
    result = apply("bank", data, "banks.xlsx", user=u)   # one transaction, then the waiting guarantees re-matched

A row is matched to an entry by its names (and a bank's short code) as matching folds them
(matching.normalise_name, spaces ignored) against every entry's names, short code and learned aliases. A
row that finds one entry updates it, one that finds none adds one, one that finds two is an error (merge the
duplicates first). A blank cell never erases a value; aliases are added, never removed. As the guarantee
import does, the valid rows are applied and the error rows are reported and left out; a file with no valid
row is refused. After the import, the guarantees waiting for review are matched again against the new
dictionary (review.apply_choice for each name the matcher now matches without a doubt), and the result says
how many became ready. Entries are written by the dual-write adapter; a bank's SWIFT/BIC lives in
bank_details.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy.orm import Session

from guarantees.domain.text import clean_text
from guarantees.extensions import db
from guarantees.importer.dictionary_file import (
    EXPORT_HEADERS,
    MAX_BYTES,
    NAME_FIELDS,
    DictionaryFile,
    FileRow,
    parse_swift,
    read_dictionary,
)
from guarantees.importer.error_workbook import is_formula_like, safe_cell
from guarantees.importer.reader import WorkbookError
from guarantees.matching import ENTITIES, entry_names, normalise_name
from guarantees.models import DictionaryMerge, Guarantee, NameAlias
from guarantees.models.dictionary import Bank, BankDetail, Supplier
from guarantees.repositories import matching as repo
from guarantees.services import review
from guarantees.services.dualwrite import DICTIONARY_FIELDS, DualWriteAdapter
from guarantees.services.errors import ValidationFailed
from guarantees.services.transaction import unit_of_work

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "OUTCOMES",
    "STARTER_BANKS",
    "DictionaryPreview",
    "ImportResult",
    "apply",
    "evaluate",
    "export",
    "parse_swift",
    "rematch",
]

OUTCOMES = ("new", "update", "unchanged", "error")
MODELS = {"supplier": Supplier, "bank": Bank}
STARTER_BANKS = Path(__file__).resolve().parent.parent / "data" / "banks-sa.csv"
FORMATS = ("xlsx", "csv")
# A file field -> the entry's column it fills. A bank's one-name column only names a new bank (and fills the
# language it is written in): the legacy official name of a known bank is left as it is.
COLUMNS = {
    "bank": {
        "name_ar": "official_name_ar", "name_en": "official_name_en",
        "short_name": "short_code", "department": "department", "address_line_1": "address_line_1",
        "address_line_2": "address_line_2", "email": "contact_email",
    },
    "supplier": {"name": "official_name", "short_name": "display_name"},
}  # fmt: skip
# The columns that name an entry (matching knows it by them).
NAME_COLUMNS = ("official_name", "official_name_ar", "official_name_en", "display_name", "short_code")
# What the preview calls each column it changes.
COLUMN_WORDS = {
    "official_name": _l("Official name"),
    "official_name_ar": _l("Arabic name"),
    "official_name_en": _l("English name"),
    "short_code": _l("Short code"),
    "display_name": _l("Display name"),
    "department": _l("Department"),
    "address_line_1": _l("Address line 1"),
    "address_line_2": _l("Address line 2"),
    "contact_email": _l("E-mail"),
    "swift_bic": _l("SWIFT/BIC"),
    "aliases": _l("Aliases"),
}
PENDING_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[0-9a-f]{32}\Z")


class BadFile(ValidationFailed):
    """The file cannot be read as a dictionary (not a workbook or CSV, too big, no header ...)."""


class NothingToImport(ValidationFailed):
    """No row of the file can be applied."""


@dataclass
class Change:
    """One column an update changes: its name, the value it had, the value it gets."""

    column: str
    old: str | None
    new: str | None

    @property
    def label(self) -> str:
        return str(COLUMN_WORDS.get(self.column, self.column))


@dataclass
class RowPlan:
    """What importing one row does."""

    row_number: int
    outcome: str
    label: str
    entry_id: int | None = None
    changes: list[Change] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)  # the aliases it adds
    reasons: list[object] = field(default_factory=list)
    values: dict = field(default_factory=dict)  # the entry's columns it sets
    swift_bic: str | None = None

    @property
    def reason(self) -> str:
        return "; ".join(str(reason) for reason in self.reasons)

    def as_json(self) -> dict:
        data = {"row": self.row_number, "outcome": self.outcome, "name": self.label, "entry_id": self.entry_id}
        if self.changes:
            data["changes"] = {change.column: [change.old, change.new] for change in self.changes}
        if self.aliases:
            data["aliases_added"] = self.aliases
        if self.reasons:
            data["reason"] = self.reason
        return data


@dataclass
class DictionaryPreview:
    """A dictionary file as the register would take it: where its header is, its columns, a plan per row."""

    entity: str
    filename: str
    format: str
    sheet: str | None
    header_row: int
    columns: dict[str, str]
    ignored: list[str]
    rows: list[RowPlan]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for row in self.rows:
            counts[row.outcome] += 1
        return counts

    @property
    def errors(self) -> list[RowPlan]:
        return [row for row in self.rows if row.outcome == "error"]

    @property
    def writes(self) -> list[RowPlan]:
        return [row for row in self.rows if row.outcome in ("new", "update")]

    def as_json(self, *, rows: bool = True) -> dict:
        data = {
            "dictionary": self.entity,
            "file": self.filename,
            "format": self.format,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "columns": self.columns,
            "ignored": self.ignored,
            "counts": self.counts,
        }
        if rows:
            data["rows"] = [row.as_json() for row in self.rows]
        return data


@dataclass
class ImportResult:
    """An applied dictionary file: its preview, and what matching the waiting guarantees again did."""

    preview: DictionaryPreview
    names_matched: int = 0  # raw names the new dictionary matches
    became_ready: int = 0  # guarantees that no longer wait for review

    def as_json(self, *, rows: bool = True) -> dict:
        data = self.preview.as_json(rows=rows)
        data["applied"] = len(self.preview.writes)
        data["rematched"] = {"names": self.names_matched, "guarantees_ready": self.became_ready}
        return data


# ----------------------------------------------------------------------------- planning


def _key(text: str | None) -> str:
    """A name as entries are told apart: folded as matching folds it, spaces ignored."""
    return normalise_name(text or "").replace(" ", "")


def _same(old: str | None, new: str | None, column: str) -> bool:
    left, right = clean_text(old) or "", clean_text(new) or ""
    if column in ("contact_email", "short_code", "swift_bic"):
        return left.casefold() == right.casefold()
    return left == right


@dataclass
class _Dictionary:
    """The live entries of one dictionary, indexed by every name they are known by."""

    entries: dict[int, Supplier | Bank]
    keys: dict[str, set[int]]  # folded name, short code or alias -> entry ids
    own: dict[int, set[str]]  # entry id -> its folded names, short code and aliases
    aliases: dict[int, list[str]]  # entry id -> its aliases as written
    swift: dict[int, str]


def _load(session: Session, entity: str) -> _Dictionary:
    model = MODELS[entity]
    merged = set(session.scalars(sa.select(DictionaryMerge.from_id).where(DictionaryMerge.entity == entity)))
    entries = {row.id: row for row in session.scalars(sa.select(model).order_by(model.id)) if row.id not in merged}
    keys: dict[str, set[int]] = defaultdict(set)
    own: dict[int, set[str]] = defaultdict(set)
    aliases: dict[int, list[str]] = defaultdict(list)

    def add(entry_id: int, text: str | None) -> None:
        key = _key(text)
        if key:
            keys[key].add(entry_id)
            own[entry_id].add(key)

    for entry in entries.values():
        for name in entry_names(entity, entry):
            add(entry.id, name)
        if entity == "bank":
            add(entry.id, entry.short_code)
    query = sa.select(NameAlias).where(NameAlias.entity == entity).order_by(NameAlias.raw_name, NameAlias.id)
    for alias in session.scalars(query):
        if alias.entity_id in entries:
            add(alias.entity_id, alias.raw_name)
            aliases[alias.entity_id].append(alias.raw_name)
    swift = {}
    if entity == "bank":
        swift = dict(session.execute(sa.select(BankDetail.bank_id, BankDetail.swift_bic)).all())
    return _Dictionary(entries, keys, own, aliases, swift)


def _row_values(entity: str, row: FileRow) -> tuple[dict, list[str]]:
    """The entry's columns a row sets (blank cells left out) and the names it adds as aliases."""
    columns = COLUMNS[entity]
    values = {columns[name]: value for name, value in row.values.items() if name in columns and value}
    extra: list[str] = []
    if entity == "supplier":
        # A supplier has one official name: the Arabic or English one stands for it when there is no
        # official-name column, and the other language's name becomes an alias.
        names = [row.values.get(name) for name in NAME_FIELDS if row.values.get(name)]
        official = values.get("official_name") or (names[0] if names else None)
        if official:
            values["official_name"] = official
        extra = [name for name in names if _key(name) != _key(official)]
    return values, extra


def _identity(entity: str, row: FileRow) -> list[str]:
    """The folded names a row is known by (a bank's short code too; a supplier's short name is a name)."""
    texts = list(row.names())
    if row.values.get("short_name"):
        texts.append(row.values["short_name"])
    return [key for key in dict.fromkeys(_key(text) for text in texts) if key]


def _plan_row(entity: str, row: FileRow, known: _Dictionary, claimed: dict[str, int]) -> RowPlan:
    values, extra_aliases = _row_values(entity, row)
    label = values.get("official_name_en") or values.get("official_name") or (row.names() or ["?"])[0]
    plan = RowPlan(row.row_number, "error", label, reasons=list(row.errors))
    keys = _identity(entity, row)
    for key in keys:
        if key in claimed:
            plan.reasons.append(_l("The same name as row %(row)d of the file.", row=claimed[key]))
            break
    found = sorted({entry_id for key in keys for entry_id in known.keys.get(key, ())})
    if len(found) > 1:
        listed = ", ".join(f"#{i} {known.entries[i].label}" for i in found)
        plan.reasons.append(
            _l("This row names %(count)d entries (%(entries)s): merge them first.", count=len(found), entries=listed)
        )
    entry = known.entries[found[0]] if len(found) == 1 else None
    # Names the entry has, or gets from this row, are not aliases of it.
    named = known.own.get(entry.id, set()) if entry else set()
    named = named | {_key(values.get(column)) for column in NAME_COLUMNS} | {_key(row.values.get("name"))}
    for alias in [*row.aliases, *extra_aliases]:
        key = _key(alias)
        if not key or key in named:
            continue
        owners = known.keys.get(key, set()) - ({entry.id} if entry else set())
        if owners:
            other = known.entries[min(owners)]
            plan.reasons.append(
                _l("The alias “%(alias)s” already names #%(id)d %(name)s.", alias=alias, id=other.id, name=other.label)
            )
        elif key in claimed:
            plan.reasons.append(_l("The alias “%(alias)s” is on row %(row)d too.", alias=alias, row=claimed[key]))
        elif key not in {_key(a) for a in plan.aliases}:
            plan.aliases.append(alias)
    if entity == "bank":
        plan.swift_bic = row.values.get("swift_bic")
    for key in keys + [_key(alias) for alias in plan.aliases]:
        claimed.setdefault(key, row.row_number)
    if plan.reasons:
        plan.aliases = []
        return plan
    plan.values = values
    if entry is None:
        if not values.get("official_name"):
            # A bank's legacy official name: the file's one name column, else its Arabic name, else English.
            names = (row.values.get("name"), values.get("official_name_ar"), values.get("official_name_en"))
            values["official_name"] = next(name for name in names if name)
        plan.outcome = "new"
        return plan
    plan.entry_id = entry.id
    plan.label = entry.label
    for column, new in values.items():
        old = getattr(entry, column)
        if not _same(old, new, column):
            plan.changes.append(Change(column, old, new))
    if plan.swift_bic and not _same(known.swift.get(entry.id), plan.swift_bic, "swift_bic"):
        plan.changes.append(Change("swift_bic", known.swift.get(entry.id), plan.swift_bic))
    if plan.aliases:
        plan.changes.append(Change("aliases", None, "; ".join(plan.aliases)))
    plan.outcome = "update" if plan.changes else "unchanged"
    return plan


def _plan(session: Session, found: DictionaryFile, filename: str) -> DictionaryPreview:
    known = _load(session, found.entity)
    claimed: dict[str, int] = {}
    rows = [_plan_row(found.entity, row, known, claimed) for row in found.rows]
    return DictionaryPreview(
        found.entity, filename, found.format, found.sheet, found.header_row, found.columns, found.ignored, rows
    )


def _entity(entity: str) -> str:
    if entity not in ENTITIES:
        raise ValidationFailed(_("Unknown dictionary “%(entity)s”.", entity=entity), field="entity")
    return entity


def _read(entity: str, data: bytes) -> DictionaryFile:
    try:
        return read_dictionary(_entity(entity), data)
    except WorkbookError as error:
        raise BadFile(error.message) from None


def evaluate(entity: str, data: bytes, filename: str) -> DictionaryPreview:
    """What importing this file would do, row by row (reads only)."""
    return _plan(db.session, _read(entity, data), filename)


def apply(entity: str, data: bytes, filename: str, *, user: str | None) -> ImportResult:
    """Add and update the file's valid rows in one transaction, then match the waiting guarantees again."""
    found = _read(entity, data)
    if not found.rows:
        raise NothingToImport(_("The file has no rows below its header."))
    model = MODELS[entity]
    with unit_of_work() as session:
        preview = _plan(session, found, filename)
        if not any(row.outcome != "error" for row in preview.rows):
            raise NothingToImport(_("No row of this file can be imported: every row has an error."))
        adapter = DualWriteAdapter(session)
        for row in preview.writes:
            entry = None if row.entry_id is None else session.get(model, row.entry_id)
            values = {name: getattr(entry, name) for name in DICTIONARY_FIELDS[model]} if entry else {}
            values.update(row.values)
            entry = adapter.save_entry(model, entry, values, normalized=normalise_name(values["official_name"]))
            row.entry_id = entry.id
            if row.swift_bic:
                detail = session.get(BankDetail, entry.id)
                if detail is None:
                    session.add(BankDetail(bank_id=entry.id, swift_bic=row.swift_bic, updated_by=user))
                elif detail.swift_bic != row.swift_bic:
                    detail.swift_bic, detail.updated_by = row.swift_bic, user
            for alias in row.aliases:
                session.add(
                    NameAlias(
                        entity=entity,
                        entity_id=entry.id,
                        raw_name=alias,
                        normalized_name=normalise_name(alias),
                        created_by=user,
                    )
                )
            session.flush()
    repo.dictionaries_changed()
    result = ImportResult(preview)
    if preview.writes:
        result.names_matched, result.became_ready = rematch(user=user)
    return result


def starter_banks() -> bytes:
    """The starter list of the banks operating in Saudi Arabia, as shipped with the register."""
    return STARTER_BANKS.read_bytes()


def is_empty(entity: str) -> bool:
    """Whether a dictionary has no entry yet (the banks page then offers the starter list)."""
    model = MODELS[_entity(entity)]
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0


# ----------------------------------------------------------------------------- matching again


def _waiting() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Guarantee).where(Guarantee.match_status == "needs_review")
    )


def rematch(*, user: str | None) -> tuple[int, int]:
    """Match the guarantees waiting for review again; (names now matched, guarantees that became ready).

    Each raw name the matcher now matches without a doubt is applied as a review decision would be
    (review.apply_choice: the guarantees, their decisions and the alias, one transaction per name).
    """
    before = _waiting()
    if not before:
        return 0, 0
    matcher = repo.matcher_for(db.session)
    names = 0
    for entity in ENTITIES:
        raw = getattr(Guarantee, f"raw_{entity}_name")
        linked = getattr(Guarantee, f"{entity}_id")
        spellings = db.session.scalars(
            sa.select(raw)
            .where(Guarantee.match_status == "needs_review", linked.is_(None), raw.is_not(None))
            .distinct()
        ).all()
        seen: set[str] = set()
        for spelling in sorted(spellings):
            key = normalise_name(spelling)
            if not key or key in seen:
                continue
            seen.add(key)
            result = matcher.match_one(entity, spelling)
            ready = result.ready and result.entity_id is not None
            if ready and review.apply_choice(entity, spelling, result.entity_id, user=user):
                names += 1
    return names, before - _waiting()


# ----------------------------------------------------------------------------- export


def _export_rows(entity: str) -> tuple[list[str], list[list[str | None]]]:
    known = _load(db.session, entity)
    layout = EXPORT_HEADERS[entity]
    columns = COLUMNS[entity]
    rows = []
    for entry in known.entries.values():
        row: list[str | None] = []
        for name in layout:
            if name == "aliases":
                row.append("; ".join(known.aliases.get(entry.id, [])) or None)
            elif name == "swift_bic":
                row.append(known.swift.get(entry.id))
            else:
                row.append(getattr(entry, columns.get(name, "official_name")))
        rows.append(row)
    return list(layout.values()), rows


def entry_count(entity: str) -> int:
    """How many entries the dictionary holds (what an export of it writes, one row each)."""
    return len(_load(db.session, _entity(entity)).entries)


def export(entity: str, fmt: str = "xlsx") -> bytes:
    """A dictionary in the layout its import reads (an export imported again changes nothing); formula-safe."""
    _entity(entity)
    if fmt not in FORMATS:
        raise ValidationFailed(_("Export as xlsx or csv."), field="format")
    headers, rows = _export_rows(entity)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(headers)
        for row in rows:
            # A cell a spreadsheet would run as a formula gets a leading apostrophe (the import drops it).
            writer.writerow(["" if v is None else (f"'{v}" if is_formula_like(v) else v) for v in row])
        return out.getvalue().encode("utf-8-sig")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Banks" if entity == "bank" else "Suppliers")
    sheet.append([safe_cell(header, sheet) for header in headers])
    for row in rows:
        sheet.append([safe_cell(value, sheet) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ----------------------------------------------------------------------------- uploads kept for the confirmation


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "dictionaries"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_upload(entity: str, data: bytes, filename: str, *, user: str) -> str:
    """Keep an uploaded file until its confirmation (a day at most); its token."""
    folder = _folder()
    limit = time.time() - PENDING_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue
    token = secrets.token_hex(16)
    (folder / f"{token}.bin").write_bytes(data)
    meta = {"entity": entity, "filename": filename, "user": user}
    (folder / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return token


def kept_upload(token: str, entity: str, *, user: str) -> tuple[bytes, str] | None:
    """A kept upload's bytes and file name, if the token is well formed and the upload this user's, of this
    dictionary, and younger than a day."""
    if not _TOKEN.match(token or ""):
        return None
    folder = _folder()
    try:
        if time.time() - (folder / f"{token}.bin").stat().st_mtime > PENDING_SECONDS:
            discard_upload(token)
            return None
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        if meta.get("user") != user or meta.get("entity") != entity:
            return None
        return (folder / f"{token}.bin").read_bytes(), str(meta.get("filename") or "")
    except (OSError, ValueError):
        return None


def discard_upload(token: str) -> None:
    """Forget a kept upload (after its import)."""
    if _TOKEN.match(token or ""):
        for suffix in (".bin", ".json"):
            (_folder() / f"{token}{suffix}").unlink(missing_ok=True)
