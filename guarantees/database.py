"""Database helpers every writing layer shares (services and the dual-write adapter alike)."""

import sqlalchemy as sa
from sqlalchemy.orm import Session


def insert_or_get(session: Session, make, find):
    """Insert `make()` in a savepoint; if a unique index says it exists already, return `find()` instead."""
    try:
        with session.begin_nested():
            obj = make()
            session.add(obj)
            session.flush()
        return obj
    except sa.exc.IntegrityError:
        found = find()
        if found is None:
            raise
        return found
