"""`flask legacy ...` commands."""

from flask.cli import AppGroup

legacy = AppGroup("legacy", help="Load, migrate, verify and roll back legacy data.")
