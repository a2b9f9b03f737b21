"""Services: every write of the register, each one transaction."""
