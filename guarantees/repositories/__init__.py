"""Read-only queries for the pages: repositories never write (services do)."""
