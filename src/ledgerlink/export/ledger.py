"""The ledger-neutral entry model the export engine hands to a target (pure, no I/O).

Rules:
- Money is ``Decimal`` only; a posting's amount is debit-positive / credit-negative in its own currency.
- An entry balances exactly per currency (no tolerance, no rounding here: the engine rounds before
  building postings, each target writes the amounts as given).
- ``key`` is the target-side idempotency key: the item id for a journal entry,
  ``f"{item_id}/bill"`` / ``f"{item_id}/payment"`` for the two entries of an accounts-payable item.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
import datetime as dt
from decimal import Decimal
from enum import StrEnum


class PostingStatus(StrEnum):
    """How final a posted entry is; each target maps it to its nearest state (see docs/export-targets.md)."""

    DRAFT = "draft"
    FINALISED = "finalised"


class EntryKind(StrEnum):
    JOURNAL = "journal"
    BILL = "bill"
    PAYMENT = "payment"


@dataclass(frozen=True, slots=True, init=False)
class Posting:
    """One leg of an entry. ``account`` is the ledger account name exactly as in the target's chart.

    Immutable like any frozen dataclass; ``__init__`` is written out (setting the slots directly) only
    because the engine builds tens of thousands per job and the generated one costs twice as much."""

    account: str
    amount: Decimal  # debit positive, credit negative, in `currency`
    currency: str
    tags: tuple[tuple[str, str], ...] = ()  # dimensions of this posting (group, value)
    memo: str | None = None

    def __init__(self, account: str, amount: Decimal, currency: str, tags: tuple[tuple[str, str], ...] = (),
                 memo: str | None = None) -> None:
        if not isinstance(amount, Decimal):
            raise TypeError(f"Posting.amount must be Decimal, found {type(amount).__name__}")
        if not amount.is_finite():
            raise ValueError(f"Posting.amount must be finite, found {amount}")
        slots = _POSTING_SLOTS
        slots[0](self, account)
        slots[1](self, amount)
        slots[2](self, currency)
        slots[3](self, tags)
        slots[4](self, memo)


_POSTING_SLOTS = tuple(getattr(Posting, name).__set__ for name in ("account", "amount", "currency", "tags", "memo"))


@dataclass(frozen=True)
class AttachmentFile:
    """A receipt or invoice file; ``sha256`` (hex of ``content``) makes attaching idempotent."""

    name: str
    content: bytes
    media_type: str
    sha256: str

    @classmethod
    def of(cls, name: str, content: bytes, media_type: str) -> AttachmentFile:
        """Build one with the digest computed from the content."""
        return cls(name, content, media_type, hashlib.sha256(content).hexdigest())

    def digest_matches(self) -> bool:
        return hashlib.sha256(self.content).hexdigest() == self.sha256.lower()


@dataclass(frozen=True, slots=True, init=False)
class Entry:
    """One balanced ledger transaction to post (immutable; ``__init__`` written out as for :class:`Posting`)."""

    key: str
    item_id: str
    kind: EntryKind
    date: dt.date
    description: str  # "supplier — note"
    postings: tuple[Posting, ...]
    metadata: tuple[tuple[str, str], ...] = ()  # item_id, reconciliation_id, service period, ...
    tags: tuple[tuple[str, str], ...] = ()  # entry-level dimensions
    attachments: tuple[AttachmentFile, ...] = ()

    def __init__(self, key: str, item_id: str, kind: EntryKind, date: dt.date, description: str,
                 postings: tuple[Posting, ...], metadata: tuple[tuple[str, str], ...] = (),
                 tags: tuple[tuple[str, str], ...] = (), attachments: tuple[AttachmentFile, ...] = ()) -> None:
        slots = _ENTRY_SLOTS
        slots[0](self, key)
        slots[1](self, item_id)
        slots[2](self, kind)
        slots[3](self, date)
        slots[4](self, description)
        slots[5](self, postings)
        slots[6](self, metadata)
        slots[7](self, tags)
        slots[8](self, attachments)

    def imbalance(self) -> dict[str, Decimal]:
        """Currency → non-zero sum of the postings in it; empty when the entry balances exactly."""
        return imbalance_of(self.postings)


_ENTRY_SLOTS = tuple(getattr(Entry, name).__set__ for name in (
    "key", "item_id", "kind", "date", "description", "postings", "metadata", "tags", "attachments"))


def imbalance_of(postings: Iterable[Posting]) -> dict[str, Decimal]:
    """Currency → non-zero sum (exact Decimal addition; one pass, no rounding)."""
    currency: str | None = None
    total = Decimal(0)
    sums: dict[str, Decimal] | None = None
    for posting in postings:
        if sums is not None:
            sums[posting.currency] = sums.get(posting.currency, Decimal(0)) + posting.amount
        elif currency is None or posting.currency == currency:  # the usual case: one currency
            currency, total = posting.currency, total + posting.amount
        else:
            sums = {currency: total, posting.currency: posting.amount}
    if sums is None:
        return {currency: total} if currency is not None and total else {}
    return {name: value for name, value in sums.items() if value}


DESCRIPTION_SEPARATOR = " — "


def split_description(description: str) -> tuple[str | None, str]:
    """``"supplier — note"`` → ``("supplier", "note")``; without the separator → ``(None, description)``."""
    head, sep, tail = description.partition(DESCRIPTION_SEPARATOR)
    if not sep:
        return None, description
    return head, tail


def plain_number(amount: Decimal) -> str:
    """A Decimal as written in a ledger: ``-12.50`` — all its digits, never an exponent."""
    text = str(amount)
    return format(amount, "f") if "E" in text else text
