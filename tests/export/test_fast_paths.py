"""The engine's faster paths give exactly what the reference paths give.

Each fast path (the one-currency sum of an entry's imbalance,
the hledger key test, beancount's metadata lines, the batch validation's per-day memo, the cached
dimension lines) is compared with the reference it replaces on generated inputs (hypothesis).
"""

from __future__ import annotations

import copy
import pickle
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerlink.export.ledger import Entry, EntryKind, Posting, imbalance_of
from ledgerlink.export.targets import beancount, hledger
from ledgerlink.export.targets._validate import AccountRule, validate_batch
from ledgerlink.export.targets.base import TargetRejected

TEXT = st.text(st.sampled_from(list("ab_- ,()\"\\:;—é\t\n") + ["\u00a0", "\u2028", "\x85"]), max_size=6)
NAMES = st.sampled_from(["item_type", "reconciliation_id", "dept", "Dept", "memo", "sha256", "item-id",
                         "ledgerlink_key", "attachment", "Cost Centre", "9lives", ""])
PAIRS = st.lists(st.tuples(NAMES, TEXT), max_size=4).map(tuple)
AMOUNTS = st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6, max_value=10**6)
CURRENCIES = st.sampled_from(["EUR", "USD", "CHF"])
POSTINGS = st.lists(st.builds(Posting, st.sampled_from(["A", "B:C", "Expenses:Travel"]), AMOUNTS, CURRENCIES,
                              PAIRS, st.none() | TEXT), max_size=5).map(tuple)


def _reference_imbalance(postings: Sequence[Posting]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for posting in postings:
        sums[posting.currency] = sums.get(posting.currency, Decimal(0)) + posting.amount
    return {currency: total for currency, total in sums.items() if total}


@settings(max_examples=200, deadline=None)
@given(postings=POSTINGS, metadata=PAIRS, tags=PAIRS, day=st.dates())
def test_an_entry_s_imbalance_is_the_exact_sum_per_currency(
        postings: tuple[Posting, ...], metadata: tuple[tuple[str, str], ...], tags: tuple[tuple[str, str], ...],
        day: date) -> None:
    entry = Entry("k", "i", EntryKind.BILL, day, "d", postings, metadata, tags)
    expected = _reference_imbalance(postings)
    assert imbalance_of(postings) == expected
    for built in (entry, copy.copy(entry), pickle.loads(pickle.dumps(entry)), msgspec.structs.replace(entry, key="z")):
        assert built.postings == postings and built.imbalance() == expected
        built.imbalance().clear()  # the answer is a new dict: clearing it changes nothing
        assert built.imbalance() == expected
    assert entry == Entry("k", "i", EntryKind.BILL, day, "d", postings, metadata, tags)
    assert hash(entry) == hash(Entry("k", "i", EntryKind.BILL, day, "d", postings, metadata, tags))
    with pytest.raises(AttributeError):
        entry.key = "other"  # type: ignore[misc]


@settings(max_examples=500, deadline=None)
@given(key=TEXT)
def test_hledger_key_test_is_the_documented_pattern(key: str) -> None:
    assert hledger.key_fits(key) == bool(hledger._KEY_OK.fullmatch(key))


def _reference_metadata_lines(metadata: tuple[tuple[str, str], ...],
                              tags: tuple[tuple[str, str], ...]) -> str | tuple[str, str]:
    """beancount's metadata block as it was written pair by pair: (message, path) for a refusal."""
    meta: dict[str, str] = {}
    lines = []
    for field, pairs in (("metadata", metadata), ("tags", tags)):
        for number, (name, value) in enumerate(pairs):
            name = beancount.meta_key(name)
            if name in beancount.RESERVED_META:
                return f"metadata name {name!r} is reserved by the beancount target", f"{field}[{number}]"
            if name in meta:
                if meta[name] != value:
                    return (f"metadata {name!r} given twice with different values ({meta[name]!r}, {value!r})",
                            f"{field}[{number}]")
                continue
            meta[name] = value
            lines.append(f"  {name}: {beancount.quote(value)}\n")
    return "".join(lines)


@settings(max_examples=500, deadline=None)
@given(metadata=PAIRS, tags=PAIRS)
def test_beancount_metadata_lines_are_the_pair_by_pair_ones(metadata: tuple[tuple[str, str], ...],
                                                              tags: tuple[tuple[str, str], ...]) -> None:
    found = beancount.metadata_lines(metadata, tags)
    expected = _reference_metadata_lines(metadata, tags)
    assert (tuple(found) if isinstance(found, beancount.Refusal) else found) == expected


@settings(max_examples=300, deadline=None)
@given(tags=PAIRS, memo=st.none() | TEXT)
def test_cached_dimension_lines_are_the_uncached_ones(tags: tuple[tuple[str, str], ...],
                                                      memo: str | None) -> None:
    assert beancount.posting_metadata_lines(tags, memo) == beancount._posting_metadata_lines(tags, memo)

    def tag(name: str, value: str) -> str:  # hledger's tag, as it was written inline
        if "," in value or not value.isprintable():
            value = " ".join(value.replace(",", ";").splitlines())
        return f"        ; {hledger.tag_name(name)}: {value.strip()}\n"

    expected = "".join(tag(name, value) for name, value in tags) + (tag("memo", memo) if memo else "")
    assert hledger.posting_tag_lines(tags, memo) == expected


def _reference_validate(entries: Sequence[Entry], accounts: Mapping[str, AccountRule],
                        lock: date | None) -> None:
    """The batch checks of ``_validate.validate_batch`` written entry by entry, posting by posting."""
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        key = entry.key
        if not key or "\n" in key or "\r" in key or "\t" in key:
            raise TargetRejected("key must be non-empty, without line breaks or tabs", key=key,
                                 path=f"entries[{index}].key")
        if key in seen:
            raise TargetRejected(f"key repeated in the batch (first at entries[{seen[key]}])", key=key,
                                 path=f"entries[{index}].key")
        seen[key] = index
        if len(entry.postings) < 2:
            raise TargetRejected(f"an entry needs at least two postings, found {len(entry.postings)}",
                                 key=key, path=f"entries[{index}].postings")
        off = _reference_imbalance(entry.postings)
        if off:
            found = ", ".join(f"{total:+f} {currency}" for currency, total in sorted(off.items()))
            raise TargetRejected(f"entry does not balance: expected 0 per currency, found {found}",
                                 key=key, path=f"entries[{index}].postings")
        if lock is not None and entry.date <= lock:
            raise TargetRejected(f"date {entry.date} is in the period locked up to {lock}", key=key,
                                 path=f"entries[{index}].date")
        for number, posting in enumerate(entry.postings):
            path = f"entries[{index}].postings[{number}]"
            rule = accounts.get(posting.account)
            if rule is None:
                raise TargetRejected(f"account {posting.account!r} is not in the ledger's chart", key=key,
                                     path=f"{path}.account")
            if rule.opened is not None and entry.date < rule.opened:
                raise TargetRejected(f"account {posting.account!r} opens on {rule.opened}, after the entry date "
                                     f"{entry.date}", key=key, path=f"{path}.account")
            if rule.closed is not None and entry.date > rule.closed:
                raise TargetRejected(f"account {posting.account!r} was closed on {rule.closed}", key=key,
                                     path=f"{path}.account")
            if rule.currencies is not None and posting.currency not in rule.currencies:
                allowed = ", ".join(sorted(rule.currencies))
                raise TargetRejected(f"account {posting.account!r} allows {allowed}, found {posting.currency}",
                                     key=key, path=f"{path}.currency")


DAY = date(2026, 3, 1)
RULES = {
    "A": AccountRule("A"),
    "B:C": AccountRule("B:C", DAY, DAY + timedelta(days=3), frozenset({"EUR"})),
    "Expenses:Travel": AccountRule("Expenses:Travel", DAY + timedelta(days=2), None, frozenset({"EUR", "USD"})),
}


def _balanced(account: str, other: str, amount: Decimal, currency: str) -> tuple[Posting, ...]:
    return Posting(account, amount, currency), Posting(other, -amount, currency)


@st.composite
def batches(draw: st.DrawFn) -> list[Entry]:
    """Mostly acceptable entries (so that later ones get checked too), now and then a refusable one."""
    entries = []
    for number in range(draw(st.integers(0, 8))):
        key = draw(st.sampled_from([f"k{number}"] * 8 + ["k0", "", "x\ty"]))
        account = draw(st.sampled_from(list(RULES) * 4 + ["Z"]))
        postings = _balanced(account, "A", draw(AMOUNTS), draw(st.sampled_from(["EUR"] * 4 + ["USD"])))
        if draw(st.integers(0, 9)) == 0:
            postings += (Posting("A", Decimal("0.01"), "EUR"),)
        day = DAY + timedelta(days=draw(st.integers(-1, 5)))
        entries.append(Entry(key, key, EntryKind.JOURNAL, day, "d", postings))
    return entries


@settings(max_examples=600, deadline=None)
@given(entries=batches(), lock=st.none() | st.just(DAY - timedelta(days=2)) | st.just(DAY))
def test_validate_batch_refuses_exactly_what_the_entry_by_entry_checks_refuse(
        entries: list[Entry], lock: date | None) -> None:
    outcomes = []
    for check in (validate_batch, _reference_validate):
        try:
            check(entries, RULES, lock)
            outcomes.append(None)
        except TargetRejected as exc:
            outcomes.append((str(exc), exc.key, exc.path))
    assert outcomes[0] == outcomes[1]
