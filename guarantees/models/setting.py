"""Settings kept in the database and edited by an admin: the letterhead, the signatory, the logo."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from guarantees.models.base import Base, utcnow


class Setting(Base):
    """One setting: a text value, or bytes (the logo) with their media type as the value."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(sa.Text)
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    updated_by: Mapped[str | None] = mapped_column(sa.String(80))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, onupdate=utcnow)
