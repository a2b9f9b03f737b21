"""Attachments: files on a guarantee (or one of its actions), kept under ATTACHMENTS_DIR by their SHA-256.

A file is received into a temporary file beside the store (hashed and counted as it arrives, refused as soon as it
passes ATTACHMENT_MAX_BYTES), its type read from its bytes, then linked into `ab/cd/<sha256>`: a link never
replaces a file already there, so a stored file is never overwritten, and the same content is stored once. The file
is in place before its row is committed: a failed commit leaves a file no row names (harmless, and reused by the
next upload of the same content), never a row without its file.
"""

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from guarantees.domain import file_types
from guarantees.domain.ids import is_id
from guarantees.domain.text import clean_text
from guarantees.models import Attachment, Guarantee, GuaranteeAction
from guarantees.models.base import utcnow
from guarantees.repositories import attachments as repo
from guarantees.services.errors import NotFound, RuleViolation, ValidationFailed
from guarantees.services.transaction import unit_of_work

CHUNK = 1024 * 1024
REASON_MAX = 500  # characters of a reason for hiding


def max_bytes() -> int:
    """The largest attachment accepted (ATTACHMENT_MAX_BYTES)."""
    return int(current_app.config["ATTACHMENT_MAX_BYTES"])


def folder() -> Path:
    """Where the files are kept (ATTACHMENTS_DIR)."""
    return Path(current_app.config["ATTACHMENTS_DIR"])


def stored_path(sha256: str) -> Path:
    """Where the file of this hash is kept: ab/cd/<sha256> under ATTACHMENTS_DIR."""
    return folder() / sha256[:2] / sha256[2:4] / sha256


def size_text(size: int) -> str:
    """A size as people say it: 20 MB, 1.5 MB, 300 KB, 12 bytes."""
    if size >= 1024 * 1024:
        return _("%(num)s MB", num=f"{size / (1024 * 1024):.1f}".removesuffix(".0"))
    if size >= 1024:
        return _("%(num)s KB", num=f"{size / 1024:.0f}")
    return _("%(num)s bytes", num=size)


def too_large_message() -> str:
    """What a file over the limit is told."""
    return _("This file is too large: an attachment may be up to %(max)s.", max=size_text(max_bytes()))


@dataclass
class _Received:
    path: Path
    sha256: str
    size: int
    kind: file_types.FileType | None = None


def _receive(stream: BinaryIO) -> _Received:
    """The stream copied into a temporary file of the store, hashed and counted; refused when over the limit."""
    limit = max_bytes()
    incoming = folder() / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    handle = tempfile.NamedTemporaryFile(dir=incoming, prefix="upload-", delete=False)  # noqa: SIM115
    path = Path(handle.name)
    try:
        with handle:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ValidationFailed(too_large_message(), field="file")
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if size == 0:
            raise ValidationFailed(_("This file is empty."), field="file")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return _Received(path, digest.hexdigest(), size)


def _kind(received: _Received) -> file_types.FileType:
    with received.path.open("rb") as handle:
        kind = file_types.sniff(handle)
        if kind is None:
            if file_types.is_program(handle):
                raise ValidationFailed(
                    _("This file is a program, not a document: it cannot be attached, whatever its name says."),
                    field="file",
                )
            raise ValidationFailed(
                _("Only PDF, PNG, JPEG, Excel (.xlsx) and Word (.docx) files can be attached; this file is none of "
                  "these, whatever its name says."),
                field="file",
            )  # fmt: skip
    return kind


def _store(received: _Received) -> None:
    """Put the received file in its place, read-only; when that hash is stored already, keep the stored one."""
    target = stored_path(received.sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(received.path, 0o444)
    try:
        os.link(received.path, target)  # fails when the target exists: nothing is ever overwritten
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links: a rename, only when nothing is there
        if not target.exists():
            os.rename(received.path, target)


def _check_target(session, guarantee_id: int, action_id: int | None) -> None:
    if not is_id(guarantee_id) or session.get(Guarantee, guarantee_id) is None:
        raise NotFound(_("No such guarantee."))
    if action_id is not None:
        query = sa.select(GuaranteeAction.guarantee_id).where(GuaranteeAction.id == action_id)
        owner = session.scalar(query) if is_id(action_id) else None
        if owner != guarantee_id:
            raise ValidationFailed(_("That action is not one of this guarantee's."), field="action_id")


@contextmanager
def received(stream: BinaryIO) -> Iterator[_Received]:
    """The stream received into the store's temporary folder, counted, hashed and its type read from its bytes
    (ValidationFailed when empty, too large or of a kind not accepted); the temporary file goes afterwards."""
    file = _receive(stream)
    try:
        file.kind = _kind(file)
        yield file
    finally:
        file.path.unlink(missing_ok=True)


def attach(
    session, file: _Received, *, guarantee_id: int, filename: str, user: str, action_id: int | None = None
) -> Attachment:
    """Write the attachment's row for a received file in the caller's transaction (its file put in place first),
    so that a row another write needs is committed or rolled back with it."""
    _check_target(session, guarantee_id, action_id)
    _store(file)
    attachment = Attachment(
        guarantee_id=guarantee_id,
        action_id=action_id,
        original_name=file_types.display_name(filename, file.kind),
        size_bytes=file.size,
        content_type=file.kind.content_type,
        sha256=file.sha256,
        uploaded_by=user,
        uploaded_at=utcnow(),
    )
    session.add(attachment)
    session.flush()
    return attachment


def add(*, guarantee_id: int, filename: str, stream: BinaryIO, user: str, action_id: int | None = None) -> Attachment:
    """Attach the file `stream` holds to a guarantee (and optionally one of its actions), in any state of it.

    ValidationFailed when the file is empty, too large or of a type not accepted (read from its bytes, not its
    name); NotFound for no such guarantee. Nothing is stored or written then."""
    with received(stream) as file, unit_of_work() as session:
        return attach(session, file, guarantee_id=guarantee_id, filename=filename, user=user, action_id=action_id)


def hide(attachment_id: int, *, reason: str, user: str) -> Attachment:
    """Hide an attachment, once, giving the reason (it stays stored and listed as hidden to editors)."""
    reason = clean_text(reason)
    if not reason:
        raise ValidationFailed(_("Give the reason for hiding this attachment."), field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(_("The reason may be up to %(max)d characters.", max=REASON_MAX), field="reason")
    with unit_of_work() as session:
        attachment = session.get(Attachment, attachment_id) if is_id(attachment_id) else None
        if attachment is None:
            raise NotFound(_("No such attachment."))
        hidden = session.execute(
            sa.update(Attachment)
            .where(Attachment.id == attachment_id, Attachment.hidden_at.is_(None))
            .values(hidden_by=user, hidden_at=utcnow(), hidden_reason=reason)
        )
        if hidden.rowcount != 1:
            raise RuleViolation(_("This attachment is hidden already."))
        session.refresh(attachment)
    return attachment


def kind_of(attachment: Attachment) -> file_types.FileType:
    """The attachment's detected kind."""
    return file_types.BY_CONTENT_TYPE[attachment.content_type]


def readable(attachment: Attachment, *, may_see_hidden: bool) -> Path:
    """The stored file of an attachment the user may open; NotFound for a hidden one (unless `may_see_hidden`) or
    a file missing from the store."""
    if attachment.is_hidden and not may_see_hidden:
        raise NotFound(_("No such attachment."))
    path = stored_path(attachment.sha256)
    if not path.is_file():
        raise NotFound(_("The file of this attachment is missing from the store."))
    return path


@dataclass
class BadFile:
    """A stored file that is missing or no longer matches its hash, and the attachments that point at it."""

    sha256: str
    path: str
    problem: str  # missing | altered
    attachment_ids: list[int] = field(default_factory=list)


@dataclass
class Verification:
    """What `verify` found."""

    files: int
    attachments: int
    bad: list[BadFile]

    def as_json(self) -> dict:
        return {
            "files": self.files,
            "attachments": self.attachments,
            "ok": not self.bad,
            "bad": [vars(item) for item in self.bad],
        }


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(progress=None) -> Verification:
    """Check every stored file against its hash: present, and its SHA-256 the one its name and rows say."""
    files = repo.stored_files()
    bad, count = [], 0
    for number, (sha256, ids) in enumerate(files, 1):
        count += len(ids)
        path = stored_path(sha256)
        if not path.is_file():
            bad.append(BadFile(sha256, str(path), "missing", ids))
        elif _hash(path) != sha256:
            bad.append(BadFile(sha256, str(path), "altered", ids))
        if progress is not None:
            progress(number, len(files))
    return Verification(len(files), count, bad)
