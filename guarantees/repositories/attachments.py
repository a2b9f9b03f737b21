"""Reads of attachments: one, a guarantee's, an action's, and every stored file (for `flask attachments verify`)."""

import sqlalchemy as sa

from guarantees.domain.ids import is_id
from guarantees.extensions import db
from guarantees.models import Attachment, GuaranteeAction


def get(attachment_id: int) -> Attachment | None:
    """One attachment by id."""
    return db.session.get(Attachment, attachment_id) if is_id(attachment_id) else None


def for_guarantee(guarantee_id: int, *, include_hidden: bool = True) -> list[Attachment]:
    """A guarantee's attachments, newest first (hidden ones too unless `include_hidden` is False)."""
    query = sa.select(Attachment).where(Attachment.guarantee_id == guarantee_id)
    if not include_hidden:
        query = query.where(Attachment.hidden_at.is_(None))
    return list(db.session.scalars(query.order_by(Attachment.uploaded_at.desc(), Attachment.id.desc())))


def for_action(action_id: int, *, include_hidden: bool = True) -> list[Attachment]:
    """The attachments tied to one action, oldest first (hidden ones too unless `include_hidden` is False)."""
    query = sa.select(Attachment).where(Attachment.action_id == action_id)
    if not include_hidden:
        query = query.where(Attachment.hidden_at.is_(None))
    return list(db.session.scalars(query.order_by(Attachment.uploaded_at, Attachment.id)))


def action_choices(guarantee_id: int) -> list[sa.Row]:
    """A guarantee's actions an attachment may be tied to (id, action_type, action_status, reference,
    new_expiry_date, created_at), newest first."""
    query = (
        sa.select(
            GuaranteeAction.id,
            GuaranteeAction.action_type,
            GuaranteeAction.action_status,
            GuaranteeAction.reference,
            GuaranteeAction.new_expiry_date,
            GuaranteeAction.created_at,
        )
        .where(GuaranteeAction.guarantee_id == guarantee_id)
        .order_by(GuaranteeAction.created_at.desc(), GuaranteeAction.id.desc())
    )
    return list(db.session.execute(query))


def action_guarantee(action_id: int) -> int | None:
    """The guarantee an action belongs to (None: no such action)."""
    return db.session.scalar(sa.select(GuaranteeAction.guarantee_id).where(GuaranteeAction.id == action_id))


def stored_files() -> list[tuple[str, list[int]]]:
    """Every distinct stored file (its SHA-256) with the ids of the attachments that point at it, by hash."""
    files: dict[str, list[int]] = {}
    query = sa.select(Attachment.sha256, Attachment.id).order_by(Attachment.sha256, Attachment.id)
    for sha256, attachment_id in db.session.execute(query):
        files.setdefault(sha256, []).append(attachment_id)
    return list(files.items())
