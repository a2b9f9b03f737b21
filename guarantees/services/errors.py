"""Domain errors: raised before anything is written, shown to the user as they are."""


class DomainError(Exception):
    """A request the register refuses, with a message meant for the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The thing asked for does not exist."""


class ValidationFailed(DomainError):
    """A value the user typed or uploaded is not acceptable."""


class RuleViolation(DomainError):
    """A business rule of DESIGN §3 forbids this."""


class LockedField(RuleViolation):
    """The field is protected on a locked guarantee."""


class Conflict(DomainError):
    """Somebody else changed the record first (optimistic concurrency)."""

    def __init__(self, message: str, *, current: dict | None = None) -> None:
        super().__init__(message)
        self.current = current or {}


class DuplicateNumber(DomainError):
    """A guarantee with this number exists already."""

    def __init__(self, message: str, *, guarantee_id: int) -> None:
        super().__init__(message, field="guarantee_number")
        self.guarantee_id = guarantee_id
