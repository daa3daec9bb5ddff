"""Checks every target runs on a batch before writing anything (pure).

A batch is refused as a whole (``TargetRejected``) when any entry: has fewer than two postings, does not
balance exactly per currency, repeats a key of the batch, is dated on/before the target's lock date,
uses an account missing from the chart, not yet opened on the entry date or closed before it, uses a
currency the account does not allow, or carries an attachment whose sha256 does not match its bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from ledgerlink.export.ledger import Entry
from ledgerlink.export.targets.base import TargetRejected

CURRENCY = re.compile(r"^[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]$")


@dataclass(frozen=True)
class AccountRule:
    """What the ledger allows on one account."""

    name: str
    opened: date | None = None
    closed: date | None = None  # last day postings are allowed
    currencies: frozenset[str] | None = None  # None: any currency


def validate_batch(
    entries: Sequence[Entry],
    accounts: Mapping[str, AccountRule],
    lock: date | None,
    *,
    key_pattern: re.Pattern[str] | None = None,
    key_rule: str = "",
) -> None:
    """Raise ``TargetRejected`` for the first entry the ledger would refuse (see module docstring). An
    account is checked once per currency and day in a batch; an entry's balance is its own
    :meth:`~ledgerlink.export.ledger.Entry.imbalance`."""
    seen: dict[str, int] = {}
    passed: set[tuple[str, str, date]] = set()  # (account, currency, day) checked and allowed in this batch
    fits = key_pattern.fullmatch if key_pattern is not None else None
    for index, entry in enumerate(entries):
        key = entry.key
        if not key or (not key.isprintable() and ("\n" in key or "\r" in key or "\t" in key)):
            raise TargetRejected("key must be non-empty, without line breaks or tabs", key=key,
                                 path=f"entries[{index}].key")
        if fits is not None and not fits(key):
            raise TargetRejected(f"key {key!r} does not fit this target: {key_rule}", key=key,
                                 path=f"entries[{index}].key")
        if key in seen:
            raise TargetRejected(f"key repeated in the batch (first at entries[{seen[key]}])", key=key,
                                 path=f"entries[{index}].key")
        seen[key] = index
        postings = entry.postings
        if len(postings) < 2:
            raise TargetRejected(f"an entry needs at least two postings, found {len(postings)}",
                                 key=key, path=f"entries[{index}].postings")
        off = entry.imbalance()
        if off:
            found = ", ".join(f"{total:+f} {currency}" for currency, total in sorted(off.items()))
            raise TargetRejected(f"entry does not balance: expected 0 per currency, found {found}",
                                 key=key, path=f"entries[{index}].postings")
        day = entry.date
        if lock is not None and day <= lock:
            raise TargetRejected(f"date {day} is in the period locked up to {lock}", key=key,
                                 path=f"entries[{index}].date")
        for posting in postings:
            use = (posting.account, posting.currency, day)
            if use not in passed:  # else this account took this currency on this day already in the batch
                number = postings.index(posting)  # (an equal posting before it would be in ``passed``)
                _check_posting(entry, f"entries[{index}]", number, posting.account, posting.currency, accounts)
                passed.add(use)
        if entry.attachments:
            for number, attachment in enumerate(entry.attachments):
                if not attachment.digest_matches():
                    raise TargetRejected(f"sha256 {attachment.sha256} does not match the file's content",
                                         key=key, path=f"entries[{index}].attachments[{number}].sha256")


def _check_posting(entry: Entry, where: str, number: int, account: str, currency: str,
                   accounts: Mapping[str, AccountRule]) -> None:
    path = f"{where}.postings[{number}]"
    if not CURRENCY.fullmatch(currency):
        raise TargetRejected(f"currency {currency!r} is not a valid commodity code", key=entry.key,
                             path=f"{path}.currency")
    rule = accounts.get(account)
    if rule is None:
        raise TargetRejected(f"account {account!r} is not in the ledger's chart", key=entry.key,
                             path=f"{path}.account")
    if rule.opened is not None and entry.date < rule.opened:
        raise TargetRejected(f"account {account!r} opens on {rule.opened}, after the entry date {entry.date}",
                             key=entry.key, path=f"{path}.account")
    if rule.closed is not None and entry.date > rule.closed:
        raise TargetRejected(f"account {account!r} was closed on {rule.closed}", key=entry.key,
                             path=f"{path}.account")
    if rule.currencies is not None and currency not in rule.currencies:
        allowed = ", ".join(sorted(rule.currencies))
        raise TargetRejected(f"account {account!r} allows {allowed}, found {currency}", key=entry.key,
                             path=f"{path}.currency")
