"""The small interface every export target implements, and the errors it raises.

A target is a real ledger (a beancount file, an hledger journal, a folder of DATEV EXTF files, later a
SaaS API). The export engine only talks to this protocol, so adding a target never touches the stages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Protocol, runtime_checkable

from ledgerlink.export.ledger import AttachmentFile, Entry, PostingStatus


class TargetError(Exception):
    """Base of every target failure; ``reason_type`` is the export failure reason type it maps to."""

    reason_type: ClassVar[str] = "unexpected_failure"

    def __init__(self, message: str, *, key: str | None = None, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key  # the entry key concerned, when there is one
        self.path = path  # field path inside the entry / config, when there is one

    def __str__(self) -> str:
        where = " ".join(part for part in (f"[{self.key}]" if self.key else "", self.path or "") if part)
        return f"{where}: {self.message}" if where else self.message


class TargetUnreachable(TargetError):
    """The ledger cannot be read or written (missing file/folder, permissions, disk)."""

    reason_type = "accounting_system_unreachable"


class TargetMisconfigured(TargetError):
    """The target configuration (or the ledger's own set-up) cannot work."""

    reason_type = "invalid_configuration"


class TargetRejected(TargetError):
    """The ledger's own rules refuse the entry (unbalanced, unknown/closed account, locked period, ...)."""

    reason_type = "accounting_system_validation_failure"


@dataclass(frozen=True)
class LedgerAccount:
    """An account of the target's chart: ``name`` as the ledger spells it, ``code`` from its metadata."""

    name: str
    code: str | None
    currency: str | None
    opened: date | None


@runtime_checkable
class Target(Protocol):
    kind: str

    def check(self) -> None:
        """Raise ``TargetUnreachable`` / ``TargetMisconfigured`` when the target cannot be used."""

    def chart(self) -> list[LedgerAccount]:
        """The chart of accounts read from the target itself."""

    def find_account(self, code_or_name: str) -> LedgerAccount | None:
        """The account whose name equals ``code_or_name``, else the one whose ``code`` equals it."""

    def lock_date(self) -> date | None:
        """Entries dated on or before this date are refused by the target (its own lock)."""

    def exists(self, key: str) -> str | None:
        """External id of the entry already posted with this key, else ``None``."""

    def post(self, entries: Sequence[Entry], status: PostingStatus) -> list[str]:
        """Write all entries or none; keys already present are skipped; returns one external id per entry."""

    def attach(self, key: str, files: Sequence[AttachmentFile]) -> list[str]:
        """Attach files to the posted entry ``key``; a sha256 already attached is never attached twice."""

    def render(self, entries: Sequence[Entry], status: PostingStatus) -> str:
        """Exactly the text ``post()`` would write now (dry-run preview); writes nothing."""
