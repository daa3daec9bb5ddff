"""Canonical invoices and credit notes from parsed CSV rows. Pure; no I/O.

Rules (EN 16931 amounts, ``ROUND_HALF_UP`` to 2 decimals as in :mod:`ledgerlink.domain.money`):

* A line's net amount (BT-131) is the export's when stated, else
  ``round(quantity × unit price × (1 − discount% / 100))``; with tax-inclusive exports it is the
  stated amount minus the line's tax. The net price (BT-146) is the export's unit price, else
  ``net / quantity`` (kept exact, or rounded to 4 decimals when it does not divide). A discount
  becomes a line allowance ``round(quantity × price) − net`` so that BT-131 adds up.
* VAT breakdown (BG-23): one entry per (category, rate) in order of first appearance; taxable
  amount (BT-116) = sum of the lines' net amounts. Its VAT (BT-117) is the sum of the lines' VAT
  *as posted in the books* when the export has a tax amount on every line of the group, else
  ``round(taxable × rate / 100)`` on the group (never per line). Posted VAT can differ from the
  group computation by per-line rounding; BR-CO-17 allows under 1 unit and the rules report more.
* Totals (BG-22): BT-106 = sum of line nets. BT-109, BT-110, BT-112, BT-113, BT-115 are the
  export's where it states them (never recomputed), else BT-109 = BT-106, BT-110 = sum of BT-117,
  BT-112 = BT-109 + BT-110, BT-115 = BT-112 − BT-113.
* Credit notes are written with positive amounts: when the export writes them negative the
  amounts (and the negative quantity or price of each line) are negated once, here.

Objects are built with :func:`make`, a fast ``model_construct``: every value passed has already
been parsed into its model type by the reader, so pydantic validation would only repeat it.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel

from ledgerlink.domain.documents import (
    Address,
    AllowanceCharge,
    Contact,
    CreditNote,
    CreditTransfer,
    DocumentReference,
    Identifier,
    Invoice,
    InvoiceLine,
    Note,
    Party,
    PaymentInstructions,
    Totals,
    VatBreakdown,
)
from ledgerlink.domain.money import ZERO, round_amount, vat_for

M = TypeVar("M", bound=BaseModel)
_TEMPLATES: dict[type, tuple[dict[str, Any], set[str]]] = {}
_set = object.__setattr__
_new = object.__new__
_PRICE_QUANTUM = Decimal("0.0001")
_HUNDRED = Decimal(100)
_ONE = Decimal(1)
_IDS = [str(n) for n in range(1, 1001)]


def _template(cls: type[BaseModel]) -> tuple[dict[str, Any], set[str]]:
    template = {}
    for name, field in cls.model_fields.items():
        template[name] = None if field.is_required() else field.get_default(call_default_factory=True)
    _TEMPLATES[cls] = (template, set(template))
    return _TEMPLATES[cls]


def make(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of a frozen model from already-typed ``values``, without re-validation.

    Like ``cls.model_construct(**values)`` (defaults filled in) at a fraction of the cost; every
    field counts as set. The reader's tests check the result equals full validation.
    """
    template, fields_set = _TEMPLATES[cls] if cls in _TEMPLATES else _template(cls)
    obj = _new(cls)
    _set(obj, "__dict__", {**template, **values})
    _set(obj, "__pydantic_fields_set__", fields_set)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


class LineData(NamedTuple):
    """One row's line values, parsed and typed (a named tuple: built once per row, cheaply)."""

    row: int
    line_id: str | None
    name: str
    description: str | None
    seller_item_id: str | None
    quantity: Decimal
    unit_code: str
    unit_price: Decimal | None
    discount_percent: Decimal | None
    net: Decimal | None
    tax: Decimal | None
    category: str
    rate: Decimal | None
    exemption_reason: str | None
    exemption_reason_code: str | None
    accounting_reference: str | None
    note: str | None


class HeadData(NamedTuple):
    """A document's values, from its first row and the profile's constants."""

    number: str
    credit_note: bool
    issue_date: dt.date
    currency: str
    fields: dict[str, str]  # non-empty PLAIN_TEXT_FIELDS, by model field name
    text: dict[str, str]  # the other non-empty document fields (note, preceding invoice, payment)
    dates: dict[str, dt.date]
    stated: dict[str, Decimal]  # total_net, total_tax, total_gross, total_paid, total_due
    seller: Party
    buyer: Party


def line_net(line: LineData, tax_inclusive: bool) -> Decimal:
    """BT-131 for one row (see the module rules); needs ``net`` or ``unit_price``."""
    if line.net is not None:
        net = line.net
        if tax_inclusive:
            tax = line.tax if line.tax is not None else _tax_in_gross(net, line.rate)
            net = net - tax
        return net
    assert line.unit_price is not None
    gross = line.quantity * line.unit_price
    if line.discount_percent:
        gross = gross * (_HUNDRED - line.discount_percent) / _HUNDRED
    return round_amount(gross)


def _tax_in_gross(gross: Decimal, rate: Decimal | None) -> Decimal:
    if not rate:
        return ZERO
    return round_amount(gross * rate / (_HUNDRED + rate))


def _net_price(net: Decimal, quantity: Decimal) -> Decimal:
    if quantity == _ONE:
        return net
    if not quantity:
        return abs(net)
    price = net / quantity
    if price.as_tuple().exponent < -4:  # type: ignore[operator]
        price = price.quantize(_PRICE_QUANTUM, rounding=ROUND_HALF_UP)
    return price


def build(head: HeadData, lines: list[LineData], tax_inclusive: bool, negate: bool) -> Invoice | CreditNote:
    """The canonical document for one group of rows (rules in the module docstring)."""
    out_lines = []
    groups: dict[tuple[str, Decimal | None], list[Any]] = {}
    line_total = ZERO
    for position, line in enumerate(lines):
        net = line.net if (line.net is not None and not tax_inclusive) else line_net(line, tax_inclusive)
        quantity = line.quantity
        price = line.unit_price
        tax = line.tax
        if negate:
            net = -net
            tax = -tax if tax is not None else None
            if quantity < 0:
                quantity = -quantity
            elif price is not None:
                price = -price
        allowances: tuple[AllowanceCharge, ...] = ()
        if price is None:
            price = _net_price(net, quantity)
        elif line.discount_percent:
            base = round_amount(quantity * price)
            if base != net:
                allowances = (
                    make(
                        AllowanceCharge,
                        {
                            "amount": base - net,
                            "base_amount": base,
                            "percentage": line.discount_percent,
                            "reason": "Discount",
                        },
                    ),
                )
        line_total += net
        values: dict[str, Any] = {
            "id": line.line_id or (_IDS[position] if position < 1000 else str(position + 1)),
            "quantity": quantity,
            "unit_code": line.unit_code,
            "net_amount": net,
            "net_price": price,
            "vat_category": line.category,
            "vat_rate": line.rate,
            "name": line.name,
        }
        if allowances:
            values["allowances"] = allowances
        if line.description:
            values["description"] = line.description
        if line.seller_item_id:
            values["seller_item_id"] = line.seller_item_id
        if line.accounting_reference:
            values["accounting_reference"] = line.accounting_reference
        if line.note:
            values["note"] = line.note
        out_lines.append(make(InvoiceLine, values))
        key = (line.category, line.rate)
        group = groups.get(key)
        if group is None:
            groups[key] = [net, tax, line]
        else:
            group[0] += net
            group[1] = group[1] + tax if (group[1] is not None and tax is not None) else None

    breakdown = []
    tax_sum = ZERO
    for (category, rate), (taxable, posted, first) in groups.items():
        tax_amount = posted if posted is not None else vat_for(taxable, rate or ZERO)
        tax_sum += tax_amount
        values = {"category": category, "rate": rate, "taxable_amount": taxable, "tax_amount": tax_amount}
        if first.exemption_reason:
            values["exemption_reason"] = first.exemption_reason
        if first.exemption_reason_code:
            values["exemption_reason_code"] = first.exemption_reason_code
        breakdown.append(make(VatBreakdown, values))

    stated = head.stated
    if negate:
        stated = {k: -v for k, v in stated.items()}
    tax_exclusive = stated.get("total_net", line_total)
    tax_total = stated.get("total_tax", tax_sum)
    tax_inclusive_amount = stated.get("total_gross", tax_exclusive + tax_total)
    paid = stated.get("total_paid")
    payable = stated.get("total_due", tax_inclusive_amount - (paid or ZERO))
    totals_values: dict[str, Any] = {
        "line_extension_amount": line_total,
        "tax_exclusive_amount": tax_exclusive,
        "tax_amount": tax_total,
        "tax_inclusive_amount": tax_inclusive_amount,
        "payable_amount": payable,
    }
    if paid:
        totals_values["prepaid_amount"] = paid
    return _document(head, make(Totals, totals_values), tuple(breakdown), tuple(out_lines))


PARTY_PARTS = (
    "name",
    "vat_id",
    "legal_id",
    "country",
    "address_line1",
    "address_line2",
    "address_line3",
    "city",
    "postal_code",
    "subdivision",
    "email",
)
"""The ``seller_*`` / ``buyer_*`` fields of a party, in the order :func:`party` takes them."""


def party(parts: tuple[str | None, ...]) -> Party:
    """A party from its values in :data:`PARTY_PARTS` order (``None`` or empty = absent)."""
    name, vat_id, legal, country, line1, line2, line3, city, postal_code, subdivision, email = parts
    values: dict[str, Any] = {"name": name or ""}
    if vat_id:
        values["vat_id"] = vat_id
    if legal:
        values["legal_id"] = make(Identifier, {"value": legal})
    if country:
        address: dict[str, Any] = {"country": country}
        lines = tuple(v for v in (line1, line2, line3) if v)
        if lines:
            address["lines"] = lines
        if city:
            address["city"] = city
        if postal_code:
            address["postal_code"] = postal_code
        if subdivision:
            address["subdivision"] = subdivision
        values["address"] = make(Address, address)
    if email:
        values["contact"] = make(Contact, {"email": email})
    return make(Party, values)


EN16931 = "urn:cen.eu:en16931:2017"
"""BT-24 of every CSV document: the content is EN 16931 core; syntax writers may narrow it."""

PLAIN_TEXT_FIELDS = frozenset(
    {
        "customer_account",
        "buyer_reference",
        "order_reference",
        "project_reference",
        "contract_reference",
        "payment_terms",
    }
)
"""Document fields copied as they are into the model field of the same name."""


def _document(
    head: HeadData, totals: Totals, breakdown: tuple[VatBreakdown, ...], lines: tuple[InvoiceLine, ...]
) -> Invoice | CreditNote:
    text = head.text
    values: dict[str, Any] = {
        "number": head.number,
        "issue_date": head.issue_date,
        "currency": head.currency,
        "seller": head.seller,
        "buyer": head.buyer,
        "totals": totals,
        "vat_breakdown": breakdown,
        "lines": lines,
        "customization_id": EN16931,
        **head.fields,
        **head.dates,
    }
    if not text:
        return _invoice_or_credit_note(head.credit_note, values)
    note = text.get("note")
    if note:
        values["notes"] = (make(Note, {"text": note}),)
    preceding = text.get("preceding_invoice")
    if preceding and head.credit_note:
        values["preceding_invoices"] = (make(DocumentReference, {"number": preceding}),)
    iban = text.get("payment_iban")
    means = text.get("payment_means_code")
    if iban or means:
        payment: dict[str, Any] = {"means_code": means or "30"}
        if iban:
            transfer: dict[str, Any] = {"account_id": iban}
            if text.get("payment_bic"):
                transfer["bic"] = text["payment_bic"]
            payment["credit_transfers"] = (make(CreditTransfer, transfer),)
        values["payment"] = make(PaymentInstructions, payment)
    return _invoice_or_credit_note(head.credit_note, values)


def _invoice_or_credit_note(credit_note: bool, values: dict[str, Any]) -> Invoice | CreditNote:
    """A credit note or an invoice from ``values`` (one ``make`` per class, so each keeps its type)."""
    if credit_note:
        return make(CreditNote, values)
    return make(Invoice, values)
