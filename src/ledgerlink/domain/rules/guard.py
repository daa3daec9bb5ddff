"""LL-RANGE-01: amounts and rates must be small enough to be checked exactly.

The model accepts any finite decimal, but ``1E+999999`` would overflow the arithmetic of the
calculation rules. :func:`check` runs this guard first; when it fails, only its violations are
reported (the arithmetic rules would be meaningless). The limit, 10^16, is far beyond any real
document and keeps every sum and product exact within Python's 28-digit decimal context.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import partial
from itertools import chain
from operator import attrgetter, is_not
from typing import cast

from ledgerlink.domain.documents import AnyDocument, CommercialDocument, LedgerUpdate, Statement
from ledgerlink.domain.rules.facts import TOTAL_FIELDS
from ledgerlink.domain.rules.registry import OK, Applies, rule, violation
from ledgerlink.domain.violations import Violation

MAX_ADJUSTED = 15
"""Largest allowed power of ten (``Decimal.adjusted()``): magnitudes below 10^16."""

_ADJUSTED = Decimal.adjusted
_NOT_NONE = partial(is_not, None)
_NET, _RATE, _AMOUNT = attrgetter("net_amount"), attrgetter("vat_rate"), attrgetter("amount")
_TOTALS = TOTAL_FIELDS


_TOTAL_VALUES = attrgetter(*_TOTALS)
_BREAKDOWN_VALUES = attrgetter("taxable_amount", "tax_amount", "rate")


def _values(doc: AnyDocument) -> Iterable[Decimal | None]:
    if isinstance(doc, CommercialDocument):  # C-level iterators only: this runs on every document
        return chain(
            _TOTAL_VALUES(doc.totals),
            map(_NET, doc.lines),
            map(_RATE, doc.lines),
            map(_AMOUNT, doc.allowances),
            map(_RATE, doc.allowances),
            map(_AMOUNT, doc.charges),
            map(_RATE, doc.charges),
            chain.from_iterable(map(_BREAKDOWN_VALUES, doc.vat_breakdown)),
        )
    if isinstance(doc, Statement):
        return chain(
            (doc.opening_balance, doc.closing_balance),
            (x for tx in doc.transactions for x in (tx.debit, tx.credit)),
            map(_AMOUNT, doc.ageing),
        )
    return chain(
        (p.balance for p in doc.positions),
        (
            x
            for p in doc.positions
            for item in p.open_items
            for x in (item.original_amount, item.outstanding_amount)
        ),
    )


def _located(doc: AnyDocument) -> Iterator[tuple[str, Decimal | None]]:
    if isinstance(doc, CommercialDocument):
        for name in _TOTALS:
            yield f"totals.{name}", getattr(doc.totals, name)
        for i, line in enumerate(doc.lines):
            yield f"lines[{i}].net_amount", line.net_amount
            yield f"lines[{i}].vat_rate", line.vat_rate
        for group in ("allowances", "charges"):
            for i, ac in enumerate(getattr(doc, group)):
                yield f"{group}[{i}].amount", ac.amount
                yield f"{group}[{i}].vat_rate", ac.vat_rate
        for i, vb in enumerate(doc.vat_breakdown):
            yield f"vat_breakdown[{i}].taxable_amount", vb.taxable_amount
            yield f"vat_breakdown[{i}].tax_amount", vb.tax_amount
            yield f"vat_breakdown[{i}].rate", vb.rate
    elif isinstance(doc, Statement):
        yield "opening_balance", doc.opening_balance
        yield "closing_balance", doc.closing_balance
        for i, tx in enumerate(doc.transactions):
            yield f"transactions[{i}].debit", tx.debit
            yield f"transactions[{i}].credit", tx.credit
        for i, bucket in enumerate(doc.ageing):
            yield f"ageing[{i}].amount", bucket.amount
    elif isinstance(doc, LedgerUpdate):
        for i, pos in enumerate(doc.positions):
            yield f"positions[{i}].balance", pos.balance
            for j, item in enumerate(pos.open_items):
                yield f"positions[{i}].open_items[{j}].original_amount", item.original_amount
                yield f"positions[{i}].open_items[{j}].outstanding_amount", item.outstanding_amount


@rule(
    "LL-RANGE-01",
    "Amounts and VAT rates shall be smaller than 10^16 in magnitude "
    "so that the rules can check them exactly.",
    applies=Applies.ANY,
)
def ll_range_01(doc: AnyDocument, f: None) -> tuple[Violation, ...] | list[Violation]:
    # |x| < 10^16 ⇔ x.adjusted() <= 15 for any non-zero x; a zero written with a large exponent
    # ("0E+20") fails this quick test but is in range, so the exact walk below clears it.
    present = cast("Iterator[Decimal]", filter(_NOT_NONE, _values(doc)))
    if max(map(_ADJUSTED, present), default=0) <= MAX_ADJUSTED:  # C-level only
        return OK
    return [
        violation("LL-RANGE-01", path, "a magnitude below 10^16", value)
        for path, value in _located(doc)
        if value is not None and value and value.adjusted() > MAX_ADJUSTED
    ]
