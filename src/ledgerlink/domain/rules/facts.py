"""The shared pass: everything several rules need, computed once per invoice or credit note.

One walk over the lines, document-level allowances and charges and the VAT breakdown gives the
sums and sets the calculation and VAT category rules compare the document's stated figures with.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from operator import attrgetter, is_not, methodcaller

from ledgerlink.domain.documents import AllowanceCharge, CommercialDocument, InvoiceLine

ZERO = Decimal("0")

RateKey = tuple[str, Decimal | None]
"""A (VAT category, rate) pair; rates compare numerically (``25 == 25.0``)."""


@dataclass(slots=True)
class Facts:
    """Aggregates of one commercial document, read by the rules; built by :func:`facts_of`."""

    line_net_sum: Decimal
    allowance_sum: Decimal
    charge_sum: Decimal
    breakdown_tax_sum: Decimal
    basis_by_rate: dict[RateKey, Decimal]
    """Taxable basis per (category, rate): line net + document charges - document allowances."""
    basis_by_category: dict[str, Decimal]
    line_rates: set[RateKey]
    allowance_rates: set[RateKey]
    charge_rates: set[RateKey]
    line_categories: set[str]
    allowance_categories: set[str]
    charge_categories: set[str]
    breakdown_categories: dict[str, int]
    """How many VAT breakdown entries each category has."""
    present: set[str]
    """What the document contains, for the rules' ``needs`` (``allowances``, ``cat:S``, ...)."""


def facts_of(doc: CommercialDocument) -> Facts:
    """Walk the document once and collect the :class:`Facts`."""
    present: set[str] = set()
    by_rate: dict[RateKey, Decimal] = {}

    lines = doc.lines
    line_sum = sum(map(_NET_AMOUNT, lines), ZERO)
    keys = set(map(_CATEGORY_RATE, lines))
    if len(keys) == 1:  # the common case, one (category, rate) for every line: no Python-level loop
        by_rate[keys.pop()] = line_sum
    else:
        for line in lines:
            key = (line.vat_category, line.vat_rate)
            by_rate[key] = by_rate.get(key, ZERO) + line.net_amount
    if any(map(any, map(_LINE_EXTRAS, lines))):  # C-level scan; details only when a line has extras
        for line in lines:
            _line_extras(line, present)
    line_rates = set(by_rate)

    allowance_rates: set[RateKey] = set()
    charge_rates: set[RateKey] = set()
    allowance_sum = (
        _allowances_charges(doc.allowances, by_rate, allowance_rates, -1) if doc.allowances else ZERO
    )
    charge_sum = _allowances_charges(doc.charges, by_rate, charge_rates, 1) if doc.charges else ZERO
    by_cat: dict[str, Decimal] = {}
    for (cat, _), amount in by_rate.items():
        by_cat[cat] = by_cat.get(cat, ZERO) + amount

    tax_sum = ZERO
    breakdown: dict[str, int] = {}
    for vb in doc.vat_breakdown:
        tax_sum += vb.tax_amount
        breakdown[vb.category] = breakdown.get(vb.category, 0) + 1

    for cat in by_cat.keys() | breakdown.keys():
        present.add("cat:" + cat)
    for prefix, rates in (
        ("line_cat:", line_rates),
        ("allowance_cat:", allowance_rates),
        ("charge_cat:", charge_rates),
    ):
        for cat, _ in rates:
            present.add(prefix + cat)
    if doc.lines:
        present.add("lines")
    if doc.allowances:
        present.add("allowances")
    if doc.charges:
        present.add("charges")
    if doc.vat_breakdown:
        present.add("vat_breakdown")
    if not all(map(_IS_CENTS, filter(_NOT_NONE, _TOTAL_VALUES(doc.totals)))):
        present.add("total_decimals")  # some total is not written with exactly 2 decimals: BR-DEC-09…18 look
    for name in _OPTIONAL_PARTS:
        if getattr(doc, name):
            present.add(name)
    return Facts(
        line_net_sum=line_sum,
        allowance_sum=allowance_sum,
        charge_sum=charge_sum,
        breakdown_tax_sum=tax_sum,
        basis_by_rate=by_rate,
        basis_by_category=by_cat,
        line_rates=line_rates,
        allowance_rates=allowance_rates,
        charge_rates=charge_rates,
        line_categories={cat for cat, _ in line_rates},
        allowance_categories={cat for cat, _ in allowance_rates},
        charge_categories={cat for cat, _ in charge_rates},
        breakdown_categories=breakdown,
        present=present,
    )


_NET_AMOUNT = attrgetter("net_amount")
_CATEGORY_RATE = attrgetter("vat_category", "vat_rate")
TOTAL_FIELDS = (
    "line_extension_amount",
    "allowance_total",
    "charge_total",
    "tax_exclusive_amount",
    "tax_amount",
    "tax_amount_accounting_currency",
    "tax_inclusive_amount",
    "prepaid_amount",
    "rounding_amount",
    "payable_amount",
)
"""Every amount of the document totals (BG-22)."""
_TOTAL_VALUES = attrgetter(*TOTAL_FIELDS)
_IS_CENTS = methodcaller("same_quantum", Decimal("0.01"))
_NOT_NONE = partial(is_not, None)
_LINE_EXTRAS = attrgetter(
    "allowances",
    "charges",
    "period",
    "attributes",
    "standard_item_id",
    "classifications",
    "origin_country",
    "price_base_unit_code",
    "gross_price",
)
_OPTIONAL_PARTS = (
    "vat_accounting_currency",
    "tax_point_date",
    "invoiced_object",
    "payment",
    "payee",
    "tax_representative",
    "delivery",
    "invoicing_period",
    "attachments",
    "preceding_invoices",
    "notes",
)


def _allowances_charges(
    items: tuple[AllowanceCharge, ...], by_rate: dict[RateKey, Decimal], rates: set[RateKey], sign: int
) -> Decimal:
    total = ZERO
    for ac in items:
        total += ac.amount
        key = (ac.vat_category or "", ac.vat_rate)
        rates.add(key)
        by_rate[key] = by_rate.get(key, ZERO) + (ac.amount if sign > 0 else -ac.amount)
    return total


def _line_extras(line: InvoiceLine, present: set[str]) -> None:
    if line.allowances:
        present.add("line_allowances")
    if line.charges:
        present.add("line_charges")
    if line.period is not None:
        present.add("line_periods")
    if line.attributes:
        present.add("line_attributes")
    if line.standard_item_id is not None or line.classifications:
        present.add("item_ids")
    if line.origin_country is not None or line.price_base_unit_code is not None:
        present.add("line_codes")
    if line.gross_price is not None:
        present.add("gross_prices")
