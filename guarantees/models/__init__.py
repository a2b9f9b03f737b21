"""All models, imported here so that metadata and Alembic see every table."""

from guarantees.models.action import ActionSession, GuaranteeAction, LegacyDaySession, LetterPrint, LetterPrintAction
from guarantees.models.base import Base
from guarantees.models.batch import ImportBatch, ImportBatchItem
from guarantees.models.guarantee import Guarantee, GuaranteeEdit
from guarantees.models.legacy import Bank, ImportedRecord, ImportSession, Supplier
from guarantees.models.matching import DictionaryMerge, MatchDecision, NameAlias
from guarantees.models.user import User

__all__ = [
    "ActionSession", "Bank", "Base", "DictionaryMerge", "Guarantee", "GuaranteeAction", "GuaranteeEdit",
    "ImportBatch", "ImportBatchItem", "ImportSession", "ImportedRecord", "LegacyDaySession", "LetterPrint",
    "LetterPrintAction", "MatchDecision", "NameAlias", "Supplier", "User",
]  # fmt: skip
