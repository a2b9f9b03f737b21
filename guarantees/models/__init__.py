"""The register's models, imported here so that metadata and Alembic see every table.

The legacy tables' models are loaded for the metadata but not re-exported: code that reads them imports
`guarantees.models.legacy` by name (the adapter, the legacy migration and the history), so the rule that
nothing else touches them can be seen and tested.
"""

from guarantees.models import legacy as _legacy  # noqa: F401 - registers the legacy tables on the metadata
from guarantees.models.action import ActionSession, GuaranteeAction, LegacyDaySession, LetterPrint, LetterPrintAction
from guarantees.models.alert import AlertAnnouncement, AlertRun, Notification
from guarantees.models.attachment import Attachment
from guarantees.models.audit import SecurityEvent
from guarantees.models.bank_answer import BankAnswer
from guarantees.models.base import Base
from guarantees.models.batch import ImportBatch, ImportBatchItem
from guarantees.models.dictionary import Bank, Supplier
from guarantees.models.guarantee import Guarantee, GuaranteeEdit
from guarantees.models.job import Job
from guarantees.models.legacy_archive import LegacyArchive, LegacyArchiveRecord
from guarantees.models.matching import DictionaryMerge, MatchDecision, NameAlias
from guarantees.models.note import Note
from guarantees.models.session import SignInAttempt, UserSession
from guarantees.models.setting import Setting
from guarantees.models.user import User

__all__ = [
    "ActionSession", "AlertAnnouncement", "AlertRun", "Attachment", "Bank", "BankAnswer", "Base", "DictionaryMerge",
    "Guarantee",
    "GuaranteeAction", "GuaranteeEdit",
    "LegacyArchive", "LegacyArchiveRecord",
    "ImportBatch", "ImportBatchItem", "Job", "LegacyDaySession", "LetterPrint", "LetterPrintAction", "MatchDecision",
    "NameAlias", "Note", "Notification", "SecurityEvent", "Setting", "SignInAttempt", "Supplier", "User", "UserSession",
]  # fmt: skip
