"""Small, valid canonical documents for collector tests (JSON bytes as an export would drop them)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from ledgerlink.domain.documents import Address, Invoice, InvoiceLine, Party, Totals, VatBreakdown
from ledgerlink.formats import canonical


def invoice(number: str, *, net: str = "100.00", rate: str = "20") -> Invoice:
    """A one-line standard-rated invoice whose totals add up (VAT rounded half-up to cents)."""
    net_amount = Decimal(net)
    tax = (net_amount * Decimal(rate) / 100).quantize(Decimal("0.01"))
    seller = Party(name="Acme Supplies Ltd", vat_id="GB123456789", address=Address(country="GB", city="Leeds"))
    buyer = Party(name="Buyer Co", address=Address(country="GB", city="York"))
    return Invoice(
        number=number, issue_date=dt.date(2026, 1, 15), due_date=dt.date(2026, 2, 14), currency="GBP",
        customization_id="urn:cen.eu:en16931:2017", seller=seller, buyer=buyer,
        customer_account="BUY001",
        lines=(InvoiceLine(id="1", quantity=Decimal("1"), unit_code="C62", net_amount=net_amount,
                           net_price=net_amount, vat_category="S", vat_rate=Decimal(rate), name="Widgets"),),
        vat_breakdown=(VatBreakdown(category="S", rate=Decimal(rate), taxable_amount=net_amount, tax_amount=tax),),
        totals=Totals(line_extension_amount=net_amount, tax_exclusive_amount=net_amount, tax_amount=tax,
                      tax_inclusive_amount=net_amount + tax, payable_amount=net_amount + tax),
    )


def invoice_json(number: str, **kwargs: Any) -> bytes:
    return canonical.dumps(invoice(number, **kwargs))


def batch_json(numbers: list[str]) -> bytes:
    return json.dumps({"documents": [canonical.to_obj(invoice(n)) for n in numbers]}).encode()


def broken_invoice_json(number: str) -> bytes:
    """An invoice without its currency (BT-5): refused by the centre with rule SCHEMA at ``currency``."""
    obj = canonical.to_obj(invoice(number))
    del obj["currency"]
    return json.dumps(obj).encode()
