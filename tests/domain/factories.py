"""Valid canonical documents for tests: ``make_invoice``, ``make_credit_note``, ``make_statement``,
``make_ledger_update``, ``make_line`` (each takes keyword overrides of top-level fields).

``make_invoice``/``make_credit_note`` derive the totals and the VAT breakdown from the lines,
allowances and charges unless ``totals`` or ``vat_breakdown`` are overridden, so
``make_invoice(lines=[make_line(net_amount=Decimal("10.00"), ...)])`` is still a valid invoice.
``set_path(doc, "lines[0].vat_rate", None)`` replaces one nested field (no validation), to break
exactly one thing.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from ledgerlink.domain.documents import (
    Address,
    AgeingBucket,
    AllowanceCharge,
    CommercialDocument,
    CreditNote,
    CreditTransfer,
    DebtorPosition,
    ElectronicAddress,
    Identifier,
    Invoice,
    InvoiceLine,
    LedgerUpdate,
    OpenItem,
    Party,
    PaymentInstructions,
    Statement,
    StatementTransaction,
    Totals,
    TransactionType,
    VatBreakdown,
)
from ledgerlink.domain.money import round_amount, vat_for

D = Decimal
M = TypeVar("M", bound=BaseModel)

EXEMPTION_CODES = {
    "E": "VATEX-EU-132",
    "AE": "VATEX-EU-AE",
    "K": "VATEX-EU-IC",
    "G": "VATEX-EU-G",
    "O": "VATEX-EU-O",
}
"""Exemption reason code the factories give a breakdown of each category that needs one."""


def make_seller(**overrides: Any) -> Party:
    fields: dict[str, Any] = dict(
        name="Muster Maschinenbau GmbH",
        identifiers=(Identifier(value="4000001123452", scheme="0088"),),
        legal_id=Identifier(value="HRB 12345"),
        vat_id="DE123456789",
        address=Address(lines=("Hauptstrasse 1",), city="Berlin", postal_code="10115", country="DE"),
        electronic_address=ElectronicAddress(value="DE123456789", scheme="9930"),
    )
    fields.update(overrides)
    return Party(**fields)


def make_buyer(**overrides: Any) -> Party:
    fields: dict[str, Any] = dict(
        name="Acheteur Industriel SA",
        identifiers=(Identifier(value="CUST-0042"),),
        vat_id="FR32123456789",
        address=Address(lines=("1 rue de la Paix",), city="Paris", postal_code="75002", country="FR"),
        electronic_address=ElectronicAddress(value="12345678900017", scheme="0009"),
    )
    fields.update(overrides)
    return Party(**fields)


def make_line(**overrides: Any) -> InvoiceLine:
    """A standard-rated (S, 19 %) line: 2 × 100.00 = 200.00."""
    fields: dict[str, Any] = dict(
        id="1",
        quantity=D("2"),
        unit_code="C62",
        net_amount=D("200.00"),
        net_price=D("100.00"),
        vat_category="S",
        vat_rate=D("19"),
        name="Hydraulic pump",
    )
    fields.update(overrides)
    return InvoiceLine(**fields)


def make_allowance(**overrides: Any) -> AllowanceCharge:
    fields: dict[str, Any] = dict(
        amount=D("10.00"), vat_category="S", vat_rate=D("19"), reason="Discount", reason_code="95"
    )
    fields.update(overrides)
    return AllowanceCharge(**fields)


def make_charge(**overrides: Any) -> AllowanceCharge:
    fields: dict[str, Any] = dict(
        amount=D("5.00"), vat_category="S", vat_rate=D("19"), reason="Freight", reason_code="FC"
    )
    fields.update(overrides)
    return AllowanceCharge(**fields)


def vat_breakdown_for(
    lines: tuple[InvoiceLine, ...],
    allowances: tuple[AllowanceCharge, ...] = (),
    charges: tuple[AllowanceCharge, ...] = (),
) -> tuple[VatBreakdown, ...]:
    """One breakdown per (category, rate) with EN 16931 arithmetic (VAT = taxable × rate, half-up)."""
    basis: dict[tuple[str, Decimal | None], Decimal] = {}
    for ln in lines:
        basis[(ln.vat_category, ln.vat_rate)] = (
            basis.get((ln.vat_category, ln.vat_rate), D(0)) + ln.net_amount
        )
    for sign, items in ((-1, allowances), (1, charges)):
        for ac in items:
            key = (ac.vat_category or "S", ac.vat_rate)
            basis[key] = basis.get(key, D(0)) + sign * ac.amount
    out = []
    for (category, rate), taxable in basis.items():
        tax = vat_for(taxable, rate) if category in ("S", "L", "M") and rate is not None else D("0.00")
        out.append(
            VatBreakdown(
                category=category,
                rate=rate,
                taxable_amount=round_amount(taxable),
                tax_amount=tax,
                exemption_reason_code=EXEMPTION_CODES.get(category),
            )
        )
    return tuple(out)


def totals_for(
    lines: tuple[InvoiceLine, ...],
    allowances: tuple[AllowanceCharge, ...],
    charges: tuple[AllowanceCharge, ...],
    breakdown: tuple[VatBreakdown, ...],
    prepaid: Decimal | None = None,
) -> Totals:
    """Document totals consistent with BR-CO-10 … BR-CO-16."""
    line_total = round_amount(sum((ln.net_amount for ln in lines), D(0)))
    allowance_total = round_amount(sum((a.amount for a in allowances), D(0))) if allowances else None
    charge_total = round_amount(sum((c.amount for c in charges), D(0))) if charges else None
    exclusive = line_total - (allowance_total or 0) + (charge_total or 0)
    tax = round_amount(sum((vb.tax_amount for vb in breakdown), D(0)))
    inclusive = exclusive + tax
    return Totals(
        line_extension_amount=line_total,
        allowance_total=allowance_total,
        charge_total=charge_total,
        tax_exclusive_amount=exclusive,
        tax_amount=tax,
        tax_inclusive_amount=inclusive,
        prepaid_amount=prepaid,
        payable_amount=inclusive - (prepaid or 0),
    )


def _commercial(cls: type[CommercialDocument], defaults: dict[str, Any], overrides: dict[str, Any]) -> Any:
    fields: dict[str, Any] = dict(
        number="INV-2024-0001",
        issue_date=dt.date(2024, 3, 1),
        due_date=dt.date(2024, 3, 31),
        currency="EUR",
        customization_id="urn:cen.eu:en16931:2017",
        buyer_reference="PO-778",
        seller=make_seller(),
        buyer=make_buyer(),
        payment=PaymentInstructions(
            means_code="58",
            remittance_information="INV-2024-0001",
            credit_transfers=(CreditTransfer(account_id="DE89370400440532013000", bic="COBADEFFXXX"),),
        ),
        lines=(
            make_line(),
            make_line(id="2", quantity=D("1"), net_amount=D("49.90"), net_price=D("49.90"), name="Seal kit"),
        ),
    )
    fields.update(defaults)
    fields.update(overrides)
    for group in ("lines", "allowances", "charges", "vat_breakdown"):
        if group in fields:
            fields[group] = tuple(fields[group])
    lines, allowances, charges = fields["lines"], fields.get("allowances", ()), fields.get("charges", ())
    if "vat_breakdown" not in overrides:
        fields["vat_breakdown"] = vat_breakdown_for(lines, allowances, charges)
    if "totals" not in overrides:
        fields["totals"] = totals_for(lines, allowances, charges, fields["vat_breakdown"])
    return cls(**fields)


def make_invoice(**overrides: Any) -> Invoice:
    """A valid EN 16931 invoice: seller in DE, buyer in FR, two standard-rated lines, SEPA transfer."""
    return _commercial(Invoice, {}, overrides)  # type: ignore[no-any-return]


def make_credit_note(**overrides: Any) -> CreditNote:
    """A valid credit note (type 381) crediting one line of :func:`make_invoice`."""
    defaults: dict[str, Any] = dict(
        number="CN-2024-0001", lines=(make_line(quantity=D("1"), net_amount=D("100.00")),)
    )
    return _commercial(CreditNote, defaults, overrides)  # type: ignore[no-any-return]


def make_statement(**overrides: Any) -> Statement:
    """A balanced statement: 100.00 + 500.00 − 300.00 = 300.00, aged 200.00 current + 100.00 overdue."""
    fields: dict[str, Any] = dict(
        number="ST-2024-03",
        statement_date=dt.date(2024, 3, 31),
        currency="EUR",
        seller=make_seller(),
        customer=make_buyer(),
        customer_account="CUST-0042",
        opening_balance=D("100.00"),
        transactions=(
            StatementTransaction(
                date=dt.date(2024, 3, 1),
                type=TransactionType.INVOICE,
                reference="INV-2024-0001",
                due_date=dt.date(2024, 3, 31),
                debit=D("500.00"),
            ),
            StatementTransaction(
                date=dt.date(2024, 3, 15),
                type=TransactionType.PAYMENT,
                reference="PAY-88",
                credit=D("300.00"),
            ),
        ),
        closing_balance=D("300.00"),
        ageing=(
            AgeingBucket(label="current", from_days=0, to_days=0, amount=D("200.00")),
            AgeingBucket(label="1-30", from_days=1, to_days=30, amount=D("100.00")),
            AgeingBucket(label="31+", from_days=31, amount=D("0.00")),
        ),
    )
    fields.update(overrides)
    return Statement(**fields)


def make_ledger_update(**overrides: Any) -> LedgerUpdate:
    """Two debtor positions whose balances equal their open items' outstanding amounts."""
    fields: dict[str, Any] = dict(
        number="LU-2024-03-31",
        as_of=dt.date(2024, 3, 31),
        currency="EUR",
        positions=(
            DebtorPosition(
                customer_account="CUST-0042",
                name="Acheteur Industriel SA",
                balance=D("350.00"),
                open_items=(
                    OpenItem(
                        document_number="INV-2024-0001",
                        issue_date=dt.date(2024, 3, 1),
                        original_amount=D("500.00"),
                        outstanding_amount=D("200.00"),
                    ),
                    OpenItem(
                        document_number="INV-2024-0007",
                        issue_date=dt.date(2024, 3, 20),
                        original_amount=D("150.00"),
                        outstanding_amount=D("150.00"),
                    ),
                ),
            ),
            DebtorPosition(
                customer_account="CUST-0077",
                balance=D("-20.00"),
                open_items=(
                    OpenItem(
                        document_number="CN-2024-0002",
                        document_kind=TransactionType.CREDIT_NOTE,
                        issue_date=dt.date(2024, 3, 5),
                        original_amount=D("-20.00"),
                        outstanding_amount=D("-20.00"),
                    ),
                ),
            ),
        ),
    )
    fields.update(overrides)
    return LedgerUpdate(**fields)


_STEP = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")


def set_path(model: M, path: str, value: Any) -> M:
    """A copy of ``model`` with the field at ``path`` (``lines[0].vat_rate``, ``seller.address.country``)
    replaced by ``value``; no validation, so tests can build exactly the broken document they need."""
    head, _, rest = path.partition(".")
    match = _STEP.fullmatch(head)
    if match is None:
        raise ValueError(f"bad path step {head!r}")
    name, index = match.group(1), match.group(2)
    current = getattr(model, name)
    if index is not None:
        items = list(current)
        items[int(index)] = set_path(items[int(index)], rest, value) if rest else value
        new: Any = tuple(items)
    else:
        new = set_path(current, rest, value) if rest else value
    return model.model_copy(update={name: new})
