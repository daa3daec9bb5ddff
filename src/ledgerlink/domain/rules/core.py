"""EN 16931 mandatory-content rules BR-01 … BR-65 that the canonical model does not already enforce.

Rules whose only condition is "field present" for a field the model makes mandatory (BR-03 issue
date, BR-12…BR-15 totals, BR-22 quantity, BR-24 line net amount, BR-26 net price, BR-31/36/41/43
amounts, BR-45/46 breakdown amounts) cannot fail on a model instance: a reader reports them as
``SCHEMA`` violations when the field is missing. Text fields are checked for being blank.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from operator import attrgetter

from ledgerlink.domain.codes import CREDIT_TRANSFER_MEANS
from ledgerlink.domain.documents import AllowanceCharge, CommercialDocument, Party, Period
from ledgerlink.domain.money import ZERO
from ledgerlink.domain.rules.facts import Facts
from ledgerlink.domain.rules.registry import OK, rule, violation
from ledgerlink.domain.violations import Severity, Violation

PRESENT = "present"
NON_BLANK = "a non-blank value"


def blank(text: str | None) -> bool:
    """True for ``None``, ``""`` and whitespace only."""
    return not (text and text.strip())


def _blank_field(rule_id: str, path: str, text: str | None) -> Sequence[Violation]:
    if text and text.strip():
        return OK
    return _blank_field_violation(rule_id, path, "blank" if text is not None else "absent")


@cache
def _blank_field_violation(rule_id: str, path: str, found: str) -> tuple[Violation]:
    """One shared answer per (rule, field, blank or absent): violations are immutable, and BR-01 (no
    specification identifier) meets nearly every canonical JSON document."""
    return (violation(rule_id, path, NON_BLANK, found),)


# --------------------------------------------------------------------------- document


@rule(
    "BR-01",
    "The document shall state its specification identifier (BT-24); writers add it when they emit a syntax.",
    severity=Severity.WARNING,
)
def br_01(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _blank_field("BR-01", "customization_id", doc.customization_id)


@rule("BR-02", "The document shall have a number (BT-1).")
def br_02(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _blank_field("BR-02", "number", doc.number)


@rule("BR-04", "The document shall have a type code (BT-3).")
def br_04(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _blank_field("BR-04", "type_code", doc.type_code)


@rule("BR-05", "The document shall have a currency code (BT-5).")
def br_05(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _blank_field("BR-05", "currency", doc.currency)


@rule("BR-06", "The seller's name shall be given (BT-27).")
def br_06(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _blank_field("BR-06", "seller.name", doc.seller.name)


@rule("BR-07", "The buyer's name shall be given (BT-44).")
def br_07(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _blank_field("BR-07", "buyer.name", doc.buyer.name)


@rule("BR-08", "The seller's postal address shall be given (BG-5).")
def br_08(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return (violation("BR-08", "seller.address", PRESENT, "absent"),) if doc.seller.address is None else OK


@rule("BR-09", "The seller's postal address shall have a country code (BT-40).")
def br_09(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    address = doc.seller.address
    return OK if address is None else _blank_field("BR-09", "seller.address.country", address.country)


@rule("BR-10", "The buyer's postal address shall be given (BG-8).")
def br_10(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return (violation("BR-10", "buyer.address", PRESENT, "absent"),) if doc.buyer.address is None else OK


@rule("BR-11", "The buyer's postal address shall have a country code (BT-55).")
def br_11(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    address = doc.buyer.address
    return OK if address is None else _blank_field("BR-11", "buyer.address.country", address.country)


@rule("BR-16", "The document shall have at least one line (BG-25).")
def br_16(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return OK if doc.lines else (violation("BR-16", "lines", "at least 1 line", "0 lines"),)


@rule("BR-17", "A payee other than the seller shall have a name (BT-59).", needs="payee")
def br_17(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _blank_field("BR-17", "payee.name", doc.payee.name) if doc.payee else OK


@rule("BR-18", "A seller tax representative shall have a name (BT-62).", needs="tax_representative")
def br_18(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    rep = doc.tax_representative
    return _blank_field("BR-18", "tax_representative.name", rep.name) if rep else OK


@rule("BR-19", "A seller tax representative shall have a postal address (BG-12).", needs="tax_representative")
def br_19(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    rep = doc.tax_representative
    if rep is not None and rep.address is None:
        return (violation("BR-19", "tax_representative.address", PRESENT, "absent"),)
    return OK


@rule(
    "BR-20",
    "The seller tax representative's postal address shall have a country code (BT-69).",
    needs="tax_representative",
)
def br_20(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    rep = doc.tax_representative
    if rep is None or rep.address is None:
        return OK
    return _blank_field("BR-20", "tax_representative.address.country", rep.address.country)


# --------------------------------------------------------------------------- lines

_ID, _UNIT_CODE, _NAME, _NET_PRICE = (attrgetter(n) for n in ("id", "unit_code", "name", "net_price"))


@rule("BR-21", "Each line shall have a line identifier (BT-126).", needs="lines")
def br_21(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if all(map(str.strip, map(_ID, doc.lines))):
        return OK
    return [
        violation("BR-21", f"lines[{i}].id", NON_BLANK, "blank")
        for i, ln in enumerate(doc.lines)
        if blank(ln.id)
    ]


@rule("BR-23", "Each invoiced quantity shall have a unit of measure code (BT-130).", needs="lines")
def br_23(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if all(map(str.strip, map(_UNIT_CODE, doc.lines))):
        return OK
    return [
        violation("BR-23", f"lines[{i}].unit_code", NON_BLANK, "blank")
        for i, ln in enumerate(doc.lines)
        if blank(ln.unit_code)
    ]


@rule("BR-25", "Each line shall have an item name (BT-153).", needs="lines")
def br_25(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if all(map(str.strip, map(_NAME, doc.lines))):
        return OK
    return [
        violation("BR-25", f"lines[{i}].name", NON_BLANK, "blank")
        for i, ln in enumerate(doc.lines)
        if blank(ln.name)
    ]


@rule("BR-27", "An item net price shall not be negative (BT-146).", needs="lines")
def br_27(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if min(map(_NET_PRICE, doc.lines)) >= ZERO:
        return OK
    return [
        violation("BR-27", f"lines[{i}].net_price", ">= 0", ln.net_price)
        for i, ln in enumerate(doc.lines)
        if ln.net_price < ZERO
    ]


@rule("BR-28", "An item gross price shall not be negative (BT-148).", needs="gross_prices")
def br_28(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return [
        violation("BR-28", f"lines[{i}].gross_price", ">= 0", ln.gross_price)
        for i, ln in enumerate(doc.lines)
        if ln.gross_price is not None and ln.gross_price < ZERO
    ]


def _period_reversed(period: Period | None) -> bool:
    return (
        period is not None
        and period.start is not None
        and period.end is not None
        and period.end < period.start
    )


@rule(
    "BR-29",
    "When the invoicing period has both dates, its end (BT-74) shall not be before its start (BT-73).",
    needs="invoicing_period",
)
def br_29(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    period = doc.invoicing_period
    if period is not None and _period_reversed(period):
        return (violation("BR-29", "invoicing_period.end", f">= {period.start}", period.end),)
    return OK


@rule(
    "BR-30",
    "When a line period has both dates, its end (BT-135) shall not be before its start (BT-134).",
    needs="line_periods",
)
def br_30(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return [
        violation("BR-30", f"lines[{i}].period.end", f">= {ln.period.start}", ln.period.end)
        for i, ln in enumerate(doc.lines)
        if ln.period is not None and _period_reversed(ln.period)
    ]


# --------------------------------------------------------------------------- allowances and charges


def _no_reason(ac: AllowanceCharge) -> bool:
    return blank(ac.reason) and blank(ac.reason_code)


def _missing_category(rule_id: str, group: str, items: tuple[AllowanceCharge, ...]) -> list[Violation]:
    return [
        violation(
            rule_id, f"{group}[{i}].vat_category", NON_BLANK, "absent" if ac.vat_category is None else "blank"
        )
        for i, ac in enumerate(items)
        if blank(ac.vat_category)
    ]


def missing_reason(rule_id: str, group: str, items: tuple[AllowanceCharge, ...]) -> list[Violation]:
    return [
        violation(rule_id, f"{group}[{i}].reason", "a reason or a reason code", "neither")
        for i, ac in enumerate(items)
        if _no_reason(ac)
    ]


def line_missing_reason(rule_id: str, doc: CommercialDocument, charges: bool) -> list[Violation]:
    out = []
    for i, ln in enumerate(doc.lines):
        items = ln.charges if charges else ln.allowances
        group = "charges" if charges else "allowances"
        out += missing_reason(rule_id, f"lines[{i}].{group}", items)
    return out


@rule("BR-32", "Each document level allowance shall have a VAT category code (BT-95).", needs="allowances")
def br_32(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _missing_category("BR-32", "allowances", doc.allowances)


@rule(
    "BR-33",
    "Each document level allowance shall have a reason (BT-97) or a reason code (BT-98).",
    needs="allowances",
)
def br_33(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return missing_reason("BR-33", "allowances", doc.allowances)


@rule("BR-37", "Each document level charge shall have a VAT category code (BT-102).", needs="charges")
def br_37(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _missing_category("BR-37", "charges", doc.charges)


@rule(
    "BR-38",
    "Each document level charge shall have a reason (BT-104) or a reason code (BT-105).",
    needs="charges",
)
def br_38(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return missing_reason("BR-38", "charges", doc.charges)


@rule(
    "BR-42",
    "Each line allowance shall have a reason (BT-139) or a reason code (BT-140).",
    needs="line_allowances",
)
def br_42(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return line_missing_reason("BR-42", doc, charges=False)


@rule(
    "BR-44", "Each line charge shall have a reason (BT-144) or a reason code (BT-145).", needs="line_charges"
)
def br_44(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return line_missing_reason("BR-44", doc, charges=True)


# --------------------------------------------------------------------------- VAT breakdown


@rule("BR-47", "Each VAT breakdown shall have a VAT category code (BT-118).", needs="vat_breakdown")
def br_47(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return [
        violation("BR-47", f"vat_breakdown[{i}].category", NON_BLANK, "blank")
        for i, vb in enumerate(doc.vat_breakdown)
        if blank(vb.category)
    ]


@rule(
    "BR-48",
    "Each VAT breakdown shall have a VAT rate (BT-119) unless its category is 'not subject to VAT' (O).",
    needs="vat_breakdown",
)
def br_48(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return [
        violation("BR-48", f"vat_breakdown[{i}].rate", PRESENT, "absent")
        for i, vb in enumerate(doc.vat_breakdown)
        if vb.rate is None and vb.category != "O"
    ]


# --------------------------------------------------------------------------- payment


@rule("BR-49", "Payment instructions shall have a payment means type code (BT-81).", needs="payment")
def br_49(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _blank_field("BR-49", "payment.means_code", doc.payment.means_code) if doc.payment else OK


@rule("BR-50", "Each credit transfer shall have a payment account identifier (BT-84).", needs="payment")
def br_50(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if doc.payment is None:
        return OK
    return [
        violation("BR-50", f"payment.credit_transfers[{i}].account_id", NON_BLANK, "blank")
        for i, ct in enumerate(doc.payment.credit_transfers)
        if blank(ct.account_id)
    ]


@rule(
    "BR-51",
    "Card payment information shall carry the last 4 to 6 digits of the card number (BT-87), "
    "never the full number.",
    needs="payment",
)
def br_51(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    card = doc.payment.card if doc.payment else None
    if card is None:
        return OK
    pan = card.primary_account_number.strip()
    if not pan or len(pan) > 10:
        return (
            violation(
                "BR-51", "payment.card.primary_account_number", "1 to 10 characters", f"{len(pan)} characters"
            ),
        )
    return OK


@rule(
    "BR-61",
    "With payment means credit transfer (30) or SEPA credit transfer (58) "
    "a payment account identifier (BT-84) "
    "shall be given.",
    needs="payment",
)
def br_61(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    payment = doc.payment
    if payment is None or payment.means_code.strip() not in CREDIT_TRANSFER_MEANS:
        return OK
    if any(not blank(ct.account_id) for ct in payment.credit_transfers):
        return OK
    return (violation("BR-61", "payment.credit_transfers", "a payment account identifier", "none"),)


# --------------------------------------------------------------------------- other groups


@rule("BR-52", "Each additional supporting document shall have an identifier (BT-122).", needs="attachments")
def br_52(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return [
        violation("BR-52", f"attachments[{i}].id", NON_BLANK, "blank")
        for i, att in enumerate(doc.attachments)
        if blank(att.id)
    ]


@rule(
    "BR-53",
    "When a VAT accounting currency (BT-6) is given, the total VAT in that currency (BT-111) shall be given.",
    needs="vat_accounting_currency",
)
def br_53(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if not blank(doc.vat_accounting_currency) and doc.totals.tax_amount_accounting_currency is None:
        return (violation("BR-53", "totals.tax_amount_accounting_currency", PRESENT, "absent"),)
    return OK


@rule(
    "BR-54", "Each item attribute shall have a name (BT-160) and a value (BT-161).", needs="line_attributes"
)
def br_54(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    out = []
    for i, ln in enumerate(doc.lines):
        for j, attr in enumerate(ln.attributes):
            for name in ("name", "value"):
                if blank(getattr(attr, name)):
                    out.append(violation("BR-54", f"lines[{i}].attributes[{j}].{name}", NON_BLANK, "blank"))
    return out


@rule(
    "BR-55",
    "Each preceding invoice reference shall have the preceding invoice number (BT-25).",
    needs="preceding_invoices",
)
def br_55(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return [
        violation("BR-55", f"preceding_invoices[{i}].number", NON_BLANK, "blank")
        for i, ref in enumerate(doc.preceding_invoices)
        if blank(ref.number)
    ]


@rule("BR-56", "A seller tax representative shall have a VAT identifier (BT-63).", needs="tax_representative")
def br_56(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    rep = doc.tax_representative
    return _blank_field("BR-56", "tax_representative.vat_id", rep.vat_id) if rep else OK


@rule("BR-57", "A deliver-to address shall have a country code (BT-80).", needs="delivery")
def br_57(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    address = doc.delivery.address if doc.delivery else None
    return OK if address is None else _blank_field("BR-57", "delivery.address.country", address.country)


def _electronic_address_scheme(rule_id: str, role: str, party: Party) -> Sequence[Violation]:
    address = party.electronic_address
    return (
        OK if address is None else _blank_field(rule_id, f"{role}.electronic_address.scheme", address.scheme)
    )


@rule("BR-62", "The seller's electronic address (BT-34) shall have a scheme identifier.")
def br_62(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _electronic_address_scheme("BR-62", "seller", doc.seller)


@rule("BR-63", "The buyer's electronic address (BT-49) shall have a scheme identifier.")
def br_63(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _electronic_address_scheme("BR-63", "buyer", doc.buyer)


@rule("BR-64", "An item standard identifier (BT-157) shall have a scheme identifier.", needs="item_ids")
def br_64(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return [
        violation("BR-64", f"lines[{i}].standard_item_id.scheme", NON_BLANK, "absent")
        for i, ln in enumerate(doc.lines)
        if ln.standard_item_id is not None and blank(ln.standard_item_id.scheme)
    ]


@rule("BR-65", "An item classification identifier (BT-158) shall have a scheme identifier.", needs="item_ids")
def br_65(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    out = []
    for i, ln in enumerate(doc.lines):
        for j, cls in enumerate(ln.classifications):
            if blank(cls.scheme):
                out.append(violation("BR-65", f"lines[{i}].classifications[{j}].scheme", NON_BLANK, "absent"))
    return out
