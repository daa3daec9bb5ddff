"""EN 16931 conditions and calculations BR-CO-03 … BR-CO-26.

The document's stated totals are compared with sums of its own parts; nothing is recomputed in
the document. Sums are rounded half-up to 2 decimals before the comparison, as the official
validators do (``round(sum × 100) div 100``); BR-CO-17 allows the official tolerance of strictly
less than 1 between the stated VAT and taxable × rate / 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from ledgerlink.domain.codes import is_country
from ledgerlink.domain.documents import CommercialDocument
from ledgerlink.domain.money import ZERO, round_amount, vat_for, within
from ledgerlink.domain.rules.core import NON_BLANK, blank, line_missing_reason, missing_reason
from ledgerlink.domain.rules.facts import Facts
from ledgerlink.domain.rules.registry import OK, rule, violation
from ledgerlink.domain.violations import Violation

ABSENT = "absent"


def _compare(rule_id: str, path: str, expected: Decimal, found: Decimal | None) -> Sequence[Violation]:
    if found is None:
        return (violation(rule_id, path, expected, ABSENT),)
    return OK if found == expected else (violation(rule_id, path, expected, found),)


@rule(
    "BR-CO-03",
    "The VAT point date (BT-7) and the VAT point date code (BT-8) shall not both be given.",
    needs="tax_point_date",
)
def br_co_03(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    period = doc.invoicing_period
    if doc.tax_point_date is not None and period is not None and not blank(period.description_code):
        return (
            violation(
                "BR-CO-03",
                "tax_point_date",
                "absent when invoicing_period.description_code is given",
                doc.tax_point_date,
            ),
        )
    return OK


@rule("BR-CO-04", "Each line shall have an invoiced item VAT category code (BT-151).", needs="lines")
def br_co_04(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if all(map(str.strip, f.line_categories)):
        return OK
    return [
        violation("BR-CO-04", f"lines[{i}].vat_category", NON_BLANK, "blank")
        for i, ln in enumerate(doc.lines)
        if blank(ln.vat_category)
    ]


@rule(
    "BR-CO-09",
    "VAT identifiers of seller (BT-31), buyer (BT-48) and seller tax representative (BT-63) "
    "shall start with an "
    "ISO 3166-1 alpha-2 country prefix (Greece may use EL).",
)
def br_co_09(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    out = []
    for role, party in (
        ("seller", doc.seller),
        ("buyer", doc.buyer),
        ("tax_representative", doc.tax_representative),
    ):
        vat_id = party.vat_id if party is not None else None
        if vat_id is None:
            continue
        prefix = vat_id[:2]
        if not (is_country(prefix) or prefix == "EL"):
            out.append(
                violation("BR-CO-09", f"{role}.vat_id", "a country code prefix (e.g. DE, FR, EL)", vat_id)
            )
    return out


@rule(
    "BR-CO-10",
    "The sum of line net amounts (BT-106) shall equal the sum of every line's net amount (BT-131).",
)
def br_co_10(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return _compare(
        "BR-CO-10",
        "totals.line_extension_amount",
        round_amount(f.line_net_sum),
        doc.totals.line_extension_amount,
    )


@rule(
    "BR-CO-11", "The sum of document level allowances (BT-107) shall equal the sum of their amounts (BT-92)."
)
def br_co_11(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    stated = doc.totals.allowance_total
    if stated is None and not doc.allowances:
        return OK
    return _compare("BR-CO-11", "totals.allowance_total", round_amount(f.allowance_sum), stated)


@rule("BR-CO-12", "The sum of document level charges (BT-108) shall equal the sum of their amounts (BT-99).")
def br_co_12(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    stated = doc.totals.charge_total
    if stated is None and not doc.charges:
        return OK
    return _compare("BR-CO-12", "totals.charge_total", round_amount(f.charge_sum), stated)


@rule(
    "BR-CO-13",
    "The total without VAT (BT-109) shall equal the sum of line net amounts (BT-106) "
    "minus the allowances total "
    "(BT-107) plus the charges total (BT-108).",
)
def br_co_13(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    t = doc.totals
    expected = round_amount(t.line_extension_amount - (t.allowance_total or ZERO) + (t.charge_total or ZERO))
    return _compare("BR-CO-13", "totals.tax_exclusive_amount", expected, t.tax_exclusive_amount)


@rule(
    "BR-CO-14", "The total VAT amount (BT-110) shall equal the sum of the VAT breakdown tax amounts (BT-117)."
)
def br_co_14(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if not doc.vat_breakdown:
        return OK
    expected = round_amount(f.breakdown_tax_sum)
    stated = doc.totals.tax_amount
    if stated is None and expected == ZERO:
        return OK
    return _compare("BR-CO-14", "totals.tax_amount", expected, stated)


@rule(
    "BR-CO-15",
    "The total with VAT (BT-112) shall equal the total without VAT (BT-109) plus the total VAT (BT-110).",
)
def br_co_15(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    t = doc.totals
    expected = round_amount(t.tax_exclusive_amount + (t.tax_amount or ZERO))
    return _compare("BR-CO-15", "totals.tax_inclusive_amount", expected, t.tax_inclusive_amount)


@rule(
    "BR-CO-16",
    "The amount due (BT-115) shall equal the total with VAT (BT-112) minus the paid amount (BT-113) plus the "
    "rounding amount (BT-114).",
)
def br_co_16(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    t = doc.totals
    expected = round_amount(t.tax_inclusive_amount - (t.prepaid_amount or ZERO) + (t.rounding_amount or ZERO))
    return _compare("BR-CO-16", "totals.payable_amount", expected, t.payable_amount)


@rule(
    "BR-CO-17",
    "A VAT breakdown's tax amount (BT-117) shall equal its taxable amount (BT-116) "
    "times its rate (BT-119) / 100, "
    "rounded to 2 decimals, within less than 1 unit.",
    needs="vat_breakdown",
)
def br_co_17(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    out = []
    for i, vb in enumerate(doc.vat_breakdown):
        rate = vb.rate
        if rate is None or rate.to_integral_value(ROUND_HALF_UP) == ZERO:
            # zero (or absent) rate: the tax amount shall round to 0
            if vb.tax_amount.to_integral_value(ROUND_HALF_UP) != ZERO:
                out.append(violation("BR-CO-17", f"vat_breakdown[{i}].tax_amount", "0", vb.tax_amount))
            continue
        expected = vat_for(abs(vb.taxable_amount), rate)
        if not within(abs(vb.tax_amount), expected):
            signed = expected if vb.taxable_amount >= ZERO else -expected
            out.append(violation("BR-CO-17", f"vat_breakdown[{i}].tax_amount", signed, vb.tax_amount))
    return out


@rule("BR-CO-18", "The document shall have at least one VAT breakdown (BG-23).")
def br_co_18(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return (
        OK
        if doc.vat_breakdown
        else (violation("BR-CO-18", "vat_breakdown", "at least 1 entry", "0 entries"),)
    )


@rule(
    "BR-CO-19",
    "An invoicing period (BG-14), when given, shall have a start date (BT-73), an end date (BT-74) or both "
    "(or only a VAT point date code).",
    needs="invoicing_period",
)
def br_co_19(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    p = doc.invoicing_period
    if p is None or p.start is not None or p.end is not None or not blank(p.description_code):
        return OK
    return (violation("BR-CO-19", "invoicing_period", "a start date, an end date or both", "neither"),)


@rule(
    "BR-CO-20",
    "A line period (BG-26), when given, shall have a start date (BT-134), an end date (BT-135) or both.",
    needs="line_periods",
)
def br_co_20(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return [
        violation("BR-CO-20", f"lines[{i}].period", "a start date, an end date or both", "neither")
        for i, ln in enumerate(doc.lines)
        if ln.period is not None and ln.period.start is None and ln.period.end is None
    ]


@rule(
    "BR-CO-21",
    "Each document level allowance shall have a reason, a reason code, or both.",
    needs="allowances",
)
def br_co_21(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return missing_reason("BR-CO-21", "allowances", doc.allowances)


@rule("BR-CO-22", "Each document level charge shall have a reason, a reason code, or both.", needs="charges")
def br_co_22(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return missing_reason("BR-CO-22", "charges", doc.charges)


@rule("BR-CO-23", "Each line allowance shall have a reason, a reason code, or both.", needs="line_allowances")
def br_co_23(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return line_missing_reason("BR-CO-23", doc, charges=False)


@rule("BR-CO-24", "Each line charge shall have a reason, a reason code, or both.", needs="line_charges")
def br_co_24(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    return line_missing_reason("BR-CO-24", doc, charges=True)


@rule(
    "BR-CO-25",
    "When the amount due (BT-115) is positive, a payment due date (BT-9) or payment terms (BT-20) "
    "shall be given.",
)
def br_co_25(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if doc.totals.payable_amount > ZERO and doc.due_date is None and blank(doc.payment_terms):
        return (violation("BR-CO-25", "due_date", "a due date or payment terms", "neither"),)
    return OK


@rule(
    "BR-CO-26",
    "The seller shall be identifiable: a seller identifier (BT-29), legal registration identifier "
    "(BT-30) or VAT "
    "identifier (BT-31) shall be given.",
)
def br_co_26(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    s = doc.seller
    if s.identifiers or s.legal_id is not None or not blank(s.vat_id):
        return OK
    return (violation("BR-CO-26", "seller", "an identifier, legal registration id or VAT id", "none"),)
