"""The legacy migration path: load, migrate, verify, rollback."""
