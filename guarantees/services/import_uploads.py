"""Uploaded workbooks waiting for their confirmation, kept on disk between the preview and the commit.

An upload is kept under UPLOAD_FOLDER/pending/<token>.xlsx (the token is random hex; the user's file
name is display text only) beside a small JSON file with its name, uploader, sheet and mapping. The
preview is computed again on each page from the file and the register as they are now; nothing is
written to the register before the confirmation. A pending upload belongs to its uploader and expires
after a day.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from guarantees.services import imports
from guarantees.services.imports import ImportPreview, ImportResult

TOKEN = re.compile(r"[0-9a-f]{32}\Z")
PENDING_SECONDS = 24 * 3600


@dataclass
class Upload:
    """An uploaded workbook waiting for its confirmation."""

    token: str
    folder: Path
    meta: dict

    @property
    def path(self) -> Path:
        return self.folder / f"{self.token}.xlsx"

    @property
    def meta_path(self) -> Path:
        return self.folder / f"{self.token}.json"

    @property
    def filename(self) -> str:
        return self.meta["filename"]

    @property
    def sheet(self) -> str | None:
        return self.meta.get("sheet")

    @property
    def overrides(self) -> dict | None:
        return self.meta.get("overrides") or None

    def save(self) -> None:
        partial = self.meta_path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.meta, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, self.meta_path)

    def discard(self) -> None:
        """Forget the upload: nothing of it is imported."""
        for path in (self.path, self.meta_path):
            path.unlink(missing_ok=True)

    def evaluate(self) -> ImportPreview:
        """The preview with the upload's sheet and mapping, against the register as it is now."""
        return imports.evaluate(self.path, self.filename, sheet=self.sheet, overrides=self.overrides)

    def remap(self, sheet: str | None, overrides: dict[str, str | None]) -> None:
        """Keep another sheet or mapping, once the file reads with it (BadWorkbook otherwise, nothing kept)."""
        imports.evaluate(self.path, self.filename, sheet=sheet, overrides=overrides or None)
        self.meta.update(sheet=sheet, overrides=overrides)
        self.save()

    def commit(self, *, user: str | None, confirm_duplicate: bool) -> ImportResult:
        """Import the upload as one batch (imports.commit), then forget it."""
        result = imports.commit(
            self.path,
            self.filename,
            sheet=self.sheet,
            overrides=self.overrides,
            user=user,
            confirm_duplicate=confirm_duplicate,
        )
        self.discard()
        return result


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "pending"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    """Forget uploads nobody confirmed within a day."""
    limit = time.time() - PENDING_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def receive(data: bytes, filename: str, *, user: str, sheet: str | None = None) -> Upload:
    """Keep an uploaded workbook for its preview, once it reads and maps (BadWorkbook otherwise, nothing kept)."""
    imports.evaluate(data, filename, sheet=sheet)
    folder = _folder()
    _sweep(folder)
    upload = Upload(secrets.token_hex(16), folder, {"filename": filename, "user": user, "sheet": sheet})
    upload.path.write_bytes(data)
    upload.save()
    return upload


def find(token: str, *, user: str) -> Upload | None:
    """The pending upload of this token, if it is well formed, still there, young enough and the user's own."""
    if not TOKEN.match(token):
        return None
    found = Upload(token, _folder(), {})
    try:
        if time.time() - found.path.stat().st_mtime > PENDING_SECONDS:
            found.discard()
            return None
        found.meta = json.loads(found.meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if found.meta.get("user") == user else None
