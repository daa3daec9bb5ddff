"""EN 16931 VAT category rules: BR-S-*, BR-Z-*, BR-E-*, BR-AE-*, BR-IC-* (category K), BR-G-*, BR-O-*,
BR-AF-* (IGIC, L) and BR-AG-* (IPSI, M).

Every category has the same ten rules, parametrised by a :class:`CategorySpec`:

* ``-01`` the VAT breakdown has the category (at least once for S/L/M, exactly once otherwise);
* ``-02``/``-03``/``-04`` a line / document allowance / document charge of the category needs the
  seller's (and for AE and K the buyer's) VAT identification;
* ``-05``/``-06``/``-07`` the rate on lines / allowances / charges (> 0 for S, 0 for Z, E, AE, K, G,
  absent for O, >= 0 for L and M);
* ``-08`` the breakdown's taxable amount equals lines + charges - allowances of the category
  (per rate, within less than 1, for S, L and M; exactly for the others);
* ``-09`` the breakdown's VAT is taxable × rate (within less than 1) or exactly 0;
* ``-10`` an exemption reason is required (E, AE, K, G, O) or forbidden (S, Z, L, M).

Plus BR-IC-11/12 (delivery facts of intra-community supplies) and BR-O-11…14 (a "not subject to
VAT" document has nothing else). Each rule only runs when its category occurs in the document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from operator import attrgetter

from ledgerlink.domain.codes import VAT_CATEGORY_NAMES
from ledgerlink.domain.documents import AllowanceCharge, CommercialDocument, InvoiceLine
from ledgerlink.domain.money import ZERO, vat_for, within
from ledgerlink.domain.rules.core import blank
from ledgerlink.domain.rules.facts import Facts
from ledgerlink.domain.rules.registry import OK, rule, violation
from ledgerlink.domain.violations import Violation


class RateRule(Enum):
    POSITIVE = "> 0"
    ZERO = "0"
    ABSENT = "absent"
    NON_NEGATIVE = ">= 0"


class Seller(Enum):
    VAT_OR_TAX_REGISTRATION = (
        "the seller's VAT id (BT-31), tax registration id (BT-32) or tax representative VAT id (BT-63)"
    )
    VAT = "the seller's VAT id (BT-31) or tax representative VAT id (BT-63)"
    NO_VAT_IDS = "no VAT id for seller (BT-31), tax representative (BT-63) or buyer (BT-48)"


class Buyer(Enum):
    ANY = ""
    VAT_OR_LEGAL = " and the buyer's VAT id (BT-48) or legal registration id (BT-47)"
    VAT = " and the buyer's VAT id (BT-48)"


@dataclass(frozen=True, slots=True)
class CategorySpec:
    code: str
    prefix: str
    several_breakdowns: bool  # S, L, M: one breakdown per rate
    seller: Seller
    buyer: Buyer
    rate: RateRule
    exemption_required: bool

    @property
    def label(self) -> str:
        return f'"{VAT_CATEGORY_NAMES[self.code]}" ({self.code})'


SPECS = (
    CategorySpec("S", "BR-S", True, Seller.VAT_OR_TAX_REGISTRATION, Buyer.ANY, RateRule.POSITIVE, False),
    CategorySpec("Z", "BR-Z", False, Seller.VAT_OR_TAX_REGISTRATION, Buyer.ANY, RateRule.ZERO, False),
    CategorySpec("E", "BR-E", False, Seller.VAT_OR_TAX_REGISTRATION, Buyer.ANY, RateRule.ZERO, True),
    CategorySpec(
        "AE", "BR-AE", False, Seller.VAT_OR_TAX_REGISTRATION, Buyer.VAT_OR_LEGAL, RateRule.ZERO, True
    ),
    CategorySpec("K", "BR-IC", False, Seller.VAT, Buyer.VAT, RateRule.ZERO, True),
    CategorySpec("G", "BR-G", False, Seller.VAT, Buyer.ANY, RateRule.ZERO, True),
    CategorySpec("O", "BR-O", False, Seller.NO_VAT_IDS, Buyer.ANY, RateRule.ABSENT, True),
    CategorySpec("L", "BR-AF", True, Seller.VAT_OR_TAX_REGISTRATION, Buyer.ANY, RateRule.NON_NEGATIVE, False),
    CategorySpec("M", "BR-AG", True, Seller.VAT_OR_TAX_REGISTRATION, Buyer.ANY, RateRule.NON_NEGATIVE, False),
)

Check = Callable[[CommercialDocument, Facts], Sequence[Violation]]
_SINGULAR = {"lines": "line", "allowances": "allowance", "charges": "charge"}


def _identification_problem(spec: CategorySpec, doc: CommercialDocument) -> tuple[str, str, str] | None:
    """``(path, expected, found)`` when the parties lack the VAT identification the category needs."""
    seller, buyer, rep = doc.seller, doc.buyer, doc.tax_representative
    rep_vat = rep.vat_id if rep is not None and not blank(rep.vat_id) else None
    if spec.seller is Seller.NO_VAT_IDS:
        for path, value in (
            ("seller.vat_id", seller.vat_id),
            ("tax_representative.vat_id", rep_vat),
            ("buyer.vat_id", buyer.vat_id),
        ):
            if not blank(value):
                return path, "absent", str(value)
        return None
    seller_ok = not blank(seller.vat_id) or rep_vat is not None
    if spec.seller is Seller.VAT_OR_TAX_REGISTRATION:
        seller_ok = seller_ok or not blank(seller.tax_registration_id)
    if not seller_ok:
        return "seller.vat_id", spec.seller.value, "absent"
    if spec.buyer is Buyer.VAT_OR_LEGAL and blank(buyer.vat_id) and buyer.legal_id is None:
        return "buyer.vat_id", spec.buyer.value.removeprefix(" and "), "absent"
    if spec.buyer is Buyer.VAT and blank(buyer.vat_id):
        return "buyer.vat_id", spec.buyer.value.removeprefix(" and "), "absent"
    return None


def _rate_ok(spec: CategorySpec, rate: Decimal | None) -> bool:
    if spec.rate is RateRule.ABSENT:
        return rate is None
    if rate is None:
        return False
    if spec.rate is RateRule.POSITIVE:
        return rate > ZERO
    if spec.rate is RateRule.ZERO:
        return rate == ZERO
    return rate >= ZERO


def _register(spec: CategorySpec) -> None:
    code, p, label = spec.code, spec.prefix, spec.label
    needs = f"cat:{code}"

    # ---- 01: presence of the category in the VAT breakdown
    if spec.several_breakdowns:
        text01 = (
            f"A line, document allowance or charge with VAT category {label} requires at least one VAT "
            f"breakdown with that category, and a breakdown with it requires such an item."
        )
    else:
        text01 = (
            f"A document using VAT category {label} on a line, allowance, charge or breakdown shall have "
            f"exactly one VAT breakdown with that category."
        )

    def r01(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
        count = f.breakdown_categories.get(code, 0)
        used = code in f.line_categories or code in f.allowance_categories or code in f.charge_categories
        if spec.several_breakdowns:
            if used and count == 0:
                return (violation(f"{p}-01", "vat_breakdown", f"a breakdown with category {code}", "none"),)
            if not used and count:
                return (
                    violation(
                        f"{p}-01",
                        "vat_breakdown",
                        f"no breakdown with category {code} (no item uses it)",
                        f"{count}",
                    ),
                )
            return OK
        if count != 1:
            return (
                violation(
                    f"{p}-01", "vat_breakdown", f"exactly 1 breakdown with category {code}", f"{count}"
                ),
            )
        return OK

    rule(f"{p}-01", text01, needs=needs)(r01)

    # ---- 02..04: VAT identification of the parties
    requirement = spec.seller.value + spec.buyer.value
    for number, where, field in (
        ("02", "a line", "lines"),
        ("03", "a document level allowance", "allowances"),
        ("04", "a document level charge", "charges"),
    ):
        text = f"A document with {where} of VAT category {label} shall have {requirement}."
        item_needs = f"{_SINGULAR[field]}_cat:{code}"
        rule(f"{p}-{number}", text, needs=item_needs)(_identification_check(spec, f"{p}-{number}", field))

    # ---- 05..07: rates on lines, allowances, charges
    for number, where, field in (
        ("05", "line", "lines"),
        ("06", "document level allowance", "allowances"),
        ("07", "document level charge", "charges"),
    ):
        if spec.rate is RateRule.ABSENT:
            text = f"A {where} with VAT category {label} shall not have a VAT rate."
        else:
            text = f"A {where} with VAT category {label} shall have a VAT rate {spec.rate.value}."
        rule(f"{p}-{number}", text, needs=f"{_SINGULAR[field]}_cat:{code}")(
            _rate_check(spec, f"{p}-{number}", field)
        )

    # ---- 08: taxable amount
    if spec.several_breakdowns:
        text08 = (
            f"For each rate, the taxable amount of a VAT breakdown with category {label} "
            f"shall equal the line "
            f"net amounts plus document charges minus document allowances with that category and rate "
            f"(within less than 1)."
        )
    else:
        text08 = (
            f"The taxable amount of the VAT breakdown with category {label} shall equal the line net amounts "
            f"plus document charges minus document allowances with that category."
        )

    def r08(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
        out = []
        for i, vb in enumerate(doc.vat_breakdown):
            if vb.category != code:
                continue
            path = f"vat_breakdown[{i}].taxable_amount"
            if spec.several_breakdowns:
                key = (code, vb.rate)
                if key not in f.basis_by_rate:
                    out.append(
                        violation(
                            f"{p}-08", path, f"an item with category {code} at rate {vb.rate}", "no such item"
                        )
                    )
                elif not within(vb.taxable_amount, f.basis_by_rate[key]):
                    out.append(violation(f"{p}-08", path, f.basis_by_rate[key], vb.taxable_amount))
            else:
                basis = f.basis_by_category.get(code, ZERO)
                if vb.taxable_amount != basis:
                    out.append(violation(f"{p}-08", path, basis, vb.taxable_amount))
        return out

    rule(f"{p}-08", text08, needs=needs)(r08)

    # ---- 09: tax amount
    if spec.several_breakdowns:
        text09 = (
            f"The VAT amount of a breakdown with category {label} shall equal its taxable amount times its "
            f"rate / 100, rounded to 2 decimals (within less than 1)."
        )
    else:
        text09 = f"The VAT amount of the breakdown with category {label} shall be 0."

    def r09(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
        out = []
        for i, vb in enumerate(doc.vat_breakdown):
            if vb.category != code:
                continue
            path = f"vat_breakdown[{i}].tax_amount"
            if not spec.several_breakdowns:
                if vb.tax_amount != ZERO:
                    out.append(violation(f"{p}-09", path, "0", vb.tax_amount))
            elif vb.rate is not None:
                expected = vat_for(abs(vb.taxable_amount), vb.rate)
                if not within(abs(vb.tax_amount), expected):
                    out.append(
                        violation(
                            f"{p}-09",
                            path,
                            expected if vb.taxable_amount >= ZERO else -expected,
                            vb.tax_amount,
                        )
                    )
        return out

    rule(f"{p}-09", text09, needs=needs)(r09)

    # ---- 10: exemption reason
    if spec.exemption_required:
        text10 = (
            f"A VAT breakdown with category {label} shall have an exemption reason code (BT-121) or an "
            f"exemption reason text (BT-120)."
        )
    else:
        text10 = (
            f"A VAT breakdown with category {label} shall have neither an exemption reason code (BT-121) "
            f"nor an exemption reason text (BT-120)."
        )

    def r10(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
        out = []
        for i, vb in enumerate(doc.vat_breakdown):
            if vb.category != code:
                continue
            has_reason = not blank(vb.exemption_reason) or not blank(vb.exemption_reason_code)
            if spec.exemption_required and not has_reason:
                out.append(
                    violation(
                        f"{p}-10",
                        f"vat_breakdown[{i}].exemption_reason_code",
                        "an exemption reason or code",
                        "neither",
                    )
                )
            elif not spec.exemption_required and has_reason:
                field = "exemption_reason_code" if not blank(vb.exemption_reason_code) else "exemption_reason"
                out.append(
                    violation(
                        f"{p}-10",
                        f"vat_breakdown[{i}].{field}",
                        "absent",
                        vb.exemption_reason_code or vb.exemption_reason,
                    )
                )
        return out

    rule(f"{p}-10", text10, needs=needs)(r10)


def _identification_check(spec: CategorySpec, rule_id: str, field: str) -> Check:
    code = spec.code

    used = attrgetter(_SINGULAR[field] + "_categories")

    def check(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
        if code not in used(f):
            return OK
        problem = _identification_problem(spec, doc)
        return OK if problem is None else (violation(rule_id, *problem),)

    return check


def _rate_check(spec: CategorySpec, rule_id: str, field: str) -> Check:
    code = spec.code

    rates_used = attrgetter(_SINGULAR[field] + "_rates")

    def check(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
        if all(_rate_ok(spec, rate) for cat, rate in rates_used(f) if cat == code):
            return OK
        items: Sequence[InvoiceLine | AllowanceCharge] = getattr(doc, field)
        out = []
        for i, item in enumerate(items):
            if item.vat_category == code and not _rate_ok(spec, item.vat_rate):
                rate = item.vat_rate
                out.append(
                    violation(
                        rule_id, f"{field}[{i}].vat_rate", spec.rate.value, "absent" if rate is None else rate
                    )
                )
        return out

    return check


for _spec in SPECS:
    _register(_spec)


# --------------------------------------------------------------------------- intra-community supply extras


@rule(
    "BR-IC-11",
    'A document with a VAT breakdown of category "Intra-community supply" (K) '
    "shall give the actual delivery date "
    "(BT-72) or the invoicing period (BG-14).",
    needs="cat:K",
)
def br_ic_11(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if not f.breakdown_categories.get("K"):
        return OK
    delivered = doc.delivery is not None and doc.delivery.date is not None
    p = doc.invoicing_period
    period = p is not None and (p.start is not None or p.end is not None or not blank(p.description_code))
    return (
        OK
        if delivered or period
        else (violation("BR-IC-11", "delivery.date", "a delivery date or invoicing period", "neither"),)
    )


@rule(
    "BR-IC-12",
    'A document with a VAT breakdown of category "Intra-community supply" (K) '
    "shall give the deliver-to country "
    "code (BT-80).",
    needs="cat:K",
)
def br_ic_12(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if not f.breakdown_categories.get("K"):
        return OK
    address = doc.delivery.address if doc.delivery else None
    if address is None or blank(address.country):
        return (violation("BR-IC-12", "delivery.address.country", "a country code", "absent"),)
    return OK


# --------------------------------------------------------------------------- not subject to VAT extras


@rule(
    "BR-O-11",
    'A document with a VAT breakdown of category "Not subject to VAT" (O) shall have no other VAT breakdown.',
    needs="cat:O",
)
def br_o_11(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
    if not f.breakdown_categories.get("O"):
        return OK
    return [
        violation("BR-O-11", f"vat_breakdown[{i}].category", "O", vb.category)
        for i, vb in enumerate(doc.vat_breakdown)
        if vb.category != "O"
    ]


def _only_o(rule_id: str, field: str) -> Check:
    def check(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
        if not f.breakdown_categories.get("O"):
            return OK
        return [
            violation(rule_id, f"{field}[{i}].vat_category", "O", item.vat_category)
            for i, item in enumerate(getattr(doc, field))
            if item.vat_category != "O"
        ]

    return check


rule(
    "BR-O-12",
    'A document with a VAT breakdown of category "Not subject to VAT" (O) shall have only lines of '
    "category O.",
    needs="cat:O",
)(_only_o("BR-O-12", "lines"))
rule(
    "BR-O-13",
    'A document with a VAT breakdown of category "Not subject to VAT" (O) shall have only document '
    "level allowances of category O.",
    needs="cat:O",
)(_only_o("BR-O-13", "allowances"))
rule(
    "BR-O-14",
    'A document with a VAT breakdown of category "Not subject to VAT" (O) shall have only document '
    "level charges of category O.",
    needs="cat:O",
)(_only_o("BR-O-14", "charges"))
