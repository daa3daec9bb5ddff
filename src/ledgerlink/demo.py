"""Sample documents for a newcomer: a small wholesaler's invoices, credit notes, ledger and statement.

The content is fixed (dates are relative to a fixed day), so loading the demo twice stores
everything once: the second load is acknowledged as duplicates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from ledgerlink.domain.documents import (
    Address,
    AgeingBucket,
    AnyDocument,
    Contact,
    CreditNote,
    CreditTransfer,
    DebtorPosition,
    DocumentReference,
    ElectronicAddress,
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

CENT = Decimal("0.01")
DAY_ZERO = dt.date(2026, 9, 1)

SELLER = Party(
    name="Northwind Wholesale B.V.",
    vat_id="NL123456789B01",
    legal_id=None,
    address=Address(lines=("Keizersgracht 1",), city="Amsterdam", postal_code="1015 CJ", country="NL"),
    contact=Contact(name="Accounts receivable", email="ar@northwind.example"),
    electronic_address=ElectronicAddress(value="NL123456789B01", scheme="9944"),
)

CUSTOMERS = (
    ("C1001", Party(name="Alfreds Futterkiste GmbH", vat_id="DE123456789",
                    address=Address(lines=("Obere Str. 57",), city="Berlin", postal_code="12209", country="DE"),
                    contact=Contact(email="buchhaltung@alfreds.example"),
                    electronic_address=ElectronicAddress(value="DE123456789", scheme="9930"))),
    ("C1002", Party(name="Bon App' SARL", vat_id="FR61123456789",
                    address=Address(lines=("12 rue des Bouchers",), city="Marseille", postal_code="13008",
                                    country="FR"),
                    contact=Contact(email="compta@bonapp.example"),
                    electronic_address=ElectronicAddress(value="FR61123456789", scheme="9957"))),
    ("C1003", Party(name="Consolidated Holdings Ltd", vat_id="NL987654321B01",
                    address=Address(lines=("Damrak 70",), city="Amsterdam", postal_code="1012 LM", country="NL"),
                    contact=Contact(email="payables@consolidated.example"),
                    electronic_address=ElectronicAddress(value="NL987654321B01", scheme="9944"))),
)

PRODUCTS = (
    ("Chai tea, 24 boxes", Decimal("18.00")),
    ("Aniseed syrup, 12 bottles", Decimal("10.00")),
    ("Cajun seasoning, 48 jars", Decimal("22.00")),
    ("Olive oil, 36 bottles", Decimal("21.35")),
)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _lines(seed: int, reverse_charge: bool) -> tuple[InvoiceLine, ...]:
    lines = []
    for i in range(1 + seed % 3):
        name, price = PRODUCTS[(seed + i) % len(PRODUCTS)]
        quantity = Decimal(1 + (seed * 7 + i * 3) % 9)
        lines.append(
            InvoiceLine(
                id=str(i + 1), quantity=quantity, unit_code="C62", net_price=price,
                net_amount=_money(quantity * price), name=name,
                vat_category="AE" if reverse_charge else "S",
                vat_rate=Decimal("0") if reverse_charge else Decimal("21"),
            )
        )
    return tuple(lines)


def _commercial(kind: type[Invoice] | type[CreditNote], number: str, issued: dt.date, account: str, buyer: Party,
                lines: tuple[InvoiceLine, ...], **extra: object) -> Invoice | CreditNote:
    """Totals and VAT breakdown from the lines: VAT rounded once per (category, rate), as EN 16931 does."""
    groups: dict[tuple[str, Decimal | None], Decimal] = defaultdict(Decimal)
    for line in lines:
        groups[(line.vat_category, line.vat_rate)] += line.net_amount
    breakdown = []
    for (category, rate), taxable in groups.items():
        breakdown.append(
            VatBreakdown(
                category=category, rate=rate, taxable_amount=taxable,
                tax_amount=_money(taxable * (rate or Decimal(0)) / 100),
                exemption_reason="Reverse charge" if category == "AE" else None,
                exemption_reason_code="VATEX-EU-AE" if category == "AE" else None,
            )
        )
    net = sum((line.net_amount for line in lines), Decimal("0"))
    vat = sum((b.tax_amount for b in breakdown), Decimal("0"))
    return kind(
        number=number, issue_date=issued, currency="EUR", customer_account=account,
        buyer_reference=f"PO-{number}", seller=SELLER, buyer=buyer, lines=lines,
        vat_breakdown=tuple(breakdown),
        totals=Totals(line_extension_amount=net, tax_exclusive_amount=net, tax_amount=vat,
                      tax_inclusive_amount=net + vat, payable_amount=net + vat),
        payment=PaymentInstructions(means_code="58", remittance_information=number,
                                    credit_transfers=(CreditTransfer(account_id="NL91ABNA0417164300",
                                                                     account_name="Northwind Wholesale B.V.",
                                                                     bic="ABNANL2A"),)),
        payment_terms="30 days net",
        **extra,
    )


def demo_documents() -> list[AnyDocument]:
    """Twelve invoices, two credit notes, one ledger update and one statement."""
    out: list[AnyDocument] = []
    invoices: list[Invoice] = []
    for n in range(12):
        account, buyer = CUSTOMERS[n % len(CUSTOMERS)]
        issued = DAY_ZERO + dt.timedelta(days=6 * n)
        reverse = buyer.address is not None and buyer.address.country != "NL"
        invoice = _commercial(Invoice, f"INV-2026-{1001 + n}", issued, account, buyer, _lines(n, reverse),
                              due_date=issued + dt.timedelta(days=30))
        assert isinstance(invoice, Invoice)
        invoices.append(invoice)
    out.extend(invoices)
    for n, original in enumerate(invoices[:2]):
        account = original.customer_account or ""
        credit = _commercial(CreditNote, f"CN-2026-{501 + n}", original.issue_date + dt.timedelta(days=10), account,
                             original.buyer, original.lines[:1],
                             preceding_invoices=(DocumentReference(number=original.number,
                                                                   issue_date=original.issue_date),))
        out.append(credit)
    out.append(_ledger_update(invoices))
    out.append(_statement(invoices))
    return out


def _ledger_update(invoices: list[Invoice]) -> LedgerUpdate:
    """The accounting system's view after the first six invoices, the first of which is paid."""
    as_of = DAY_ZERO + dt.timedelta(days=40)
    positions = []
    for account, party in CUSTOMERS:
        items = tuple(
            OpenItem(document_number=inv.number, issue_date=inv.issue_date, due_date=inv.due_date,
                     original_amount=inv.totals.payable_amount, outstanding_amount=inv.totals.payable_amount)
            for inv in invoices[1:6]
            if inv.customer_account == account
        )
        positions.append(
            DebtorPosition(customer_account=account, name=party.name,
                           email=party.contact.email if party.contact else None,
                           balance=sum((i.outstanding_amount for i in items), Decimal("0")),
                           credit_limit=Decimal("5000.00"), open_items=items)
        )
    return LedgerUpdate(number=f"LEDGER-{as_of.isoformat()}", as_of=as_of, currency="EUR", positions=tuple(positions))


def _statement(invoices: list[Invoice]) -> Statement:
    account, party = CUSTOMERS[0]
    mine = [inv for inv in invoices if inv.customer_account == account][:3]
    paid = mine[0].totals.payable_amount
    transactions = [
        StatementTransaction(date=inv.issue_date, type=TransactionType.INVOICE, reference=inv.number,
                             due_date=inv.due_date, debit=inv.totals.payable_amount)
        for inv in mine
    ]
    transactions.append(StatementTransaction(date=mine[0].issue_date + dt.timedelta(days=20),
                                             type=TransactionType.PAYMENT, reference="BANK-7781", credit=paid))
    closing = sum((t.debit - t.credit for t in transactions), Decimal("0"))
    statement_date = DAY_ZERO + dt.timedelta(days=45)
    ageing = []
    current = Decimal("0")
    overdue = Decimal("0")
    for inv in mine[1:]:
        if inv.due_date and inv.due_date < statement_date:
            overdue += inv.totals.payable_amount
        else:
            current += inv.totals.payable_amount
    ageing = [AgeingBucket(label="current", from_days=0, to_days=0, amount=current),
              AgeingBucket(label="1-30", from_days=1, to_days=30, amount=overdue)]
    return Statement(number=f"ST-{account}-{statement_date.isoformat()}", statement_date=statement_date,
                     currency="EUR", seller=SELLER, customer=party, customer_account=account,
                     opening_balance=Decimal("0.00"), transactions=tuple(transactions), closing_balance=closing,
                     ageing=tuple(ageing))
