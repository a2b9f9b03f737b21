"""One transaction per service call: commit once at the end, roll back everything on any error."""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from guarantees.extensions import db
from guarantees.services.errors import Conflict


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
    except sa.exc.OperationalError as error:
        session.rollback()
        if "locked" in str(error.orig).lower():
            raise Conflict(_("The register is busy with another change. Try again in a moment.")) from error
        raise
    except BaseException:
        session.rollback()
        raise
