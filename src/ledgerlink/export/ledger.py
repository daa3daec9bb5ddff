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
from collections.abc import Sequence
from dataclasses import dataclass
import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import NoReturn

import msgspec


_ZERO = Decimal(0)


class PostingStatus(StrEnum):
    """How final a posted entry is; each target maps it to its nearest state (see docs/export-targets.md)."""

    DRAFT = "draft"
    FINALISED = "finalised"


class EntryKind(StrEnum):
    JOURNAL = "journal"
    BILL = "bill"
    PAYMENT = "payment"


class Posting(msgspec.Struct, frozen=True, gc=False):
    """One leg of an entry. ``account`` is the ledger account name exactly as in the target's chart.

    Immutable. A msgspec struct, like :class:`Entry`: the engine builds tens of thousands per job, and a
    struct is built in C (about a fifth of a dataclass's time) and kept out of the cyclic garbage
    collector's lists (``gc=False``: a posting holds strings, a ``Decimal`` and tuples of them, never a
    reference cycle)."""

    account: str
    amount: Decimal  # debit positive, credit negative, in `currency`
    currency: str
    tags: tuple[tuple[str, str], ...] = ()  # dimensions of this posting (group, value)
    memo: str | None = None

    def __post_init__(self) -> None:
        amount = self.amount
        if not (isinstance(amount, Decimal) and amount.is_finite()):
            _refuse_amount(amount)


def _refuse_amount(amount: object) -> NoReturn:
    if not isinstance(amount, Decimal):
        raise TypeError(f"Posting.amount must be Decimal, found {type(amount).__name__}")
    raise ValueError(f"Posting.amount must be finite, found {amount}")


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


class Entry(msgspec.Struct, frozen=True, gc=False):
    """One balanced ledger transaction to post (immutable; a msgspec struct for the reasons given at
    :class:`Posting`: it holds strings, a date, tuples of postings and of attachment files, no cycle)."""

    key: str
    item_id: str
    kind: EntryKind
    date: dt.date
    description: str  # "supplier — note"
    postings: tuple[Posting, ...]
    metadata: tuple[tuple[str, str], ...] = ()  # item_id, reconciliation_id, service period, ...
    tags: tuple[tuple[str, str], ...] = ()  # entry-level dimensions
    attachments: tuple[AttachmentFile, ...] = ()

    def imbalance(self) -> dict[str, Decimal]:
        """Currency → non-zero sum of the postings in it; empty when the entry balances exactly."""
        return imbalance_of(self.postings)


def imbalance_of(postings: Sequence[Posting]) -> dict[str, Decimal]:
    """Currency → non-zero sum (exact Decimal addition, no rounding; each sum starts from ``Decimal(0)``)."""
    currency: str | None = None
    total = _ZERO
    for posting in postings:  # the usual case: one currency
        if posting.currency != currency:
            if currency is not None:
                return _imbalance_per_currency(postings)
            currency = posting.currency
        total += posting.amount
    return {currency: total} if currency is not None and total else {}


def _imbalance_per_currency(postings: Sequence[Posting]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for posting in postings:
        sums[posting.currency] = sums.get(posting.currency, _ZERO) + posting.amount
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
