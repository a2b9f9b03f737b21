"""One transaction per service call: commit once at the end, roll back everything on any error."""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from guarantees.extensions import db
from guarantees.services.errors import Conflict

# PostgreSQL's answers for a transaction that lost to a concurrent one: a deadlock, a serialization failure, a lock
# not available within lock_timeout. Each is safe to retry; none is the user's or the code's fault.
BUSY_STATES = {"40P01", "40001", "55P03"}


def _sqlstate(error: sa.exc.DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)


def _lost_race(error: sa.exc.IntegrityError) -> bool:
    """A unique constraint refused a row another transaction wrote first: the rules were checked before, so the
    only way here is a concurrent writer (a CHECK or trigger refusal stays an error: that is a bug)."""
    return _sqlstate(error) == "23505" or "UNIQUE constraint failed" in str(error.orig)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Yield the session; commit when the block ends, roll back when it raises."""
    session = db.session()
    if session.get_bind().dialect.name == "sqlite":
        # SQLite: take the write lock up front (BEGIN IMMEDIATE) so concurrent writers queue on the busy
        # timeout instead of failing when a read transaction would have to upgrade. Reads done before this
        # unit of work (the signed-in user, say) belong to no write and are simply ended.
        if session.in_transaction():
            session.rollback()
        session.connection(execution_options={"sqlite_immediate": True})
    try:
        yield session
        session.commit()
    except StaleDataError as error:
        session.rollback()
        raise Conflict(_("Somebody else changed this guarantee in the meantime. Reload it and try again.")) from error
    except sa.exc.IntegrityError as error:
        session.rollback()
        if _lost_race(error):
            message = _("Somebody else made this change at the same moment. Reload the page and check.")
            raise Conflict(message) from error
        raise
    except sa.exc.OperationalError as error:
        session.rollback()
        if "locked" in str(error.orig).lower() or _sqlstate(error) in BUSY_STATES:
            raise Conflict(_("The register is busy with another change. Try again in a moment.")) from error
        raise
    except BaseException:
        session.rollback()
        raise
