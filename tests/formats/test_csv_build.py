"""The document builder of the CSV reader: fast construction equals validation; rounding rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ledgerlink.domain.documents import Invoice, InvoiceLine, Party
from ledgerlink.formats.csvprofiles import build

D = Decimal


def head(**stated: Decimal) -> build.HeadData:
    party = build.party(("Seller Ltd", "GB123456789", None, "GB", None, None, None, None, None, None, None))
    buyer = build.party(
        ("Buyer Ltd", None, None, "GB", "1 Road", None, None, "Leeds", "LS1 1AA", None, "b@x.example")
    )
    return build.HeadData("INV-1", False, dt.date(2026, 1, 31), "GBP", {}, {}, {}, stated, party, buyer)


def line(
    net: str | None,
    tax: str | None = None,
    rate: str = "20",
    category: str = "S",
    quantity: str = "1",
    price: str | None = None,
    discount: str | None = None,
) -> build.LineData:
    return build.LineData(
        2,
        None,
        "item",
        None,
        None,
        D(quantity),
        "C62",
        D(price) if price else None,
        D(discount) if discount else None,
        D(net) if net else None,
        D(tax) if tax else None,
        category,
        D(rate),
        None,
        None,
        None,
        None,
    )


def test_make_equals_validation_and_keeps_defaults():
    values = {
        "id": "1",
        "quantity": D("2"),
        "unit_code": "C62",
        "net_amount": D("10.00"),
        "net_price": D("5.00"),
        "vat_category": "S",
        "vat_rate": D("20"),
        "name": "x",
    }
    made = build.make(InvoiceLine, values)
    assert made == InvoiceLine(**values)
    assert made.allowances == () and made.note is None
    assert made.model_dump() == InvoiceLine(**values).model_dump()


def test_shared_fields_set_is_not_changed_by_copies():
    a = build.make(Party, {"name": "A"})
    b = build.make(Party, {"name": "B"})
    before = set(b.model_fields_set)
    a.model_copy(update={"vat_id": "GB1"})
    assert b.model_fields_set == before


def test_vat_is_computed_per_group_not_per_line_when_no_tax_is_posted():
    # three lines of 0.025 at 20 %: rounding per line would give 3 × round(0.005) = 0.03;
    # EN 16931 rounds once per group: round(0.075 × 0.2 = 0.015) = 0.02
    lines = [line("0.025"), line("0.025"), line("0.025")]
    doc = build.build(head(), lines, tax_inclusive=False, negate=False)
    (vat,) = doc.vat_breakdown
    assert vat.taxable_amount == D("0.075") and vat.tax_amount == D("0.02")  # round_half_up(0.015)
    assert doc.totals.tax_amount == D("0.02") and doc.totals.payable_amount == D("0.095")


def test_posted_vat_is_kept_when_every_line_has_it():
    doc = build.build(head(), [line("0.10", "0.02"), line("0.10", "0.02")], tax_inclusive=False, negate=False)
    assert doc.vat_breakdown[0].tax_amount == D("0.04")


def test_posted_vat_missing_on_one_line_falls_back_to_the_group_computation():
    doc = build.build(head(), [line("10.00", "2.00"), line("10.00")], tax_inclusive=False, negate=False)
    assert doc.vat_breakdown[0].tax_amount == D("4.00")


def test_stated_totals_win_over_computed_ones():
    doc = build.build(
        head(total_gross=D("1.00"), total_tax=D("0.50"), total_paid=D("0.25")),
        [line("10.00", "2.00")],
        tax_inclusive=False,
        negate=False,
    )
    t = doc.totals
    assert (t.tax_exclusive_amount, t.tax_amount, t.tax_inclusive_amount) == (
        D("10.00"),
        D("0.50"),
        D("1.00"),
    )
    assert (t.prepaid_amount, t.payable_amount) == (D("0.25"), D("0.75"))


def test_quantity_price_discount_and_allowance():
    doc = build.build(
        head(), [line(None, quantity="3", price="9.99", discount="10")], tax_inclusive=False, negate=False
    )
    (l,) = doc.lines
    assert l.net_amount == D("26.97")  # round_half_up(29.97 × 0.9 = 26.973)
    assert l.allowances[0].amount == D("3.00") and l.allowances[0].base_amount == D("29.97")


def test_net_price_derived_from_amount_and_quantity():
    doc = build.build(head(), [line("10.00", quantity="3")], tax_inclusive=False, negate=False)
    assert doc.lines[0].net_price == D("3.3333")


def test_category_o_has_no_rate_and_kind_is_invoice():
    doc = build.build(
        head(),
        [
            build.LineData(
                2,
                "A1",
                "x",
                None,
                None,
                D(1),
                "C62",
                None,
                None,
                D("5.00"),
                None,
                "O",
                None,
                "Not subject to VAT",
                "VATEX-EU-O",
                None,
                None,
            )
        ],
        tax_inclusive=False,
        negate=False,
    )
    assert isinstance(doc, Invoice) and doc.lines[0].id == "A1"
    assert doc.vat_breakdown[0].rate is None and doc.vat_breakdown[0].exemption_reason_code == "VATEX-EU-O"
    assert doc.customization_id == build.EN16931
