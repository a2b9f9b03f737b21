"""Which letters wait for the bank's answer, and for how long: the one definition the worklist, the list's filter
and the digest use (its SQL twin is `repositories.bank_answers.awaiting`, tested equal on both databases).

Every extension, reduction and release the register issued waits for the bank's letter confirming it, until that
answer is recorded or the action is voided. A void has no bank letter; migrated legacy actions are history the
legacy system closed, and wait for nothing.
"""

from datetime import date

ANSWERED_TYPES = ("extension", "reduction", "release")
# The digest's default: letters unanswered for longer than this many days are named in it.
DEFAULT_WAIT_DAYS = 14
MAX_WAIT_DAYS = 365


def awaits_answer(*, action_type: str, action_status: str, origin: str, answered: bool, voided: bool) -> bool:
    """Whether an action's letter still waits for the bank's answer."""
    return (
        action_type in ANSWERED_TYPES and action_status == "issued" and origin == "app" and not answered and not voided
    )


def days_waiting(issued_on: date, today: date) -> int:
    """Whole days since the letter was issued (0 on the day itself)."""
    return (today - issued_on).days


def overdue(issued_on: date, today: date, wait_days: int) -> bool:
    """Whether a letter has waited longer than `wait_days`."""
    return days_waiting(issued_on, today) > wait_days
