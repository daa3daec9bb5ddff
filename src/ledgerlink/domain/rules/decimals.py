"""EN 16931 BR-DEC-*: the amounts EN 16931 lists may have at most 2 decimals.

The canonical model keeps decimals as written (``1.500`` stays three places), so this checks
what the source stated. Prices and quantities are not limited.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from operator import attrgetter, is_not, methodcaller

from ledgerlink.domain.documents import CommercialDocument
from ledgerlink.domain.money import decimal_places
from ledgerlink.domain.rules.facts import Facts
from ledgerlink.domain.rules.registry import OK, rule, violation
from ledgerlink.domain.violations import Violation

MAX_PLACES = 2
EXPECTED = "at most 2 decimals"


_CENTS = Decimal("0.01")
_IS_CENTS = methodcaller("same_quantum", _CENTS)
_NOT_NONE = partial(is_not, None)


def _too_precise(value: Decimal | None) -> bool:
    # same_quantum: the common "written with exactly 2 decimals" case without computing places
    return value is not None and not value.same_quantum(_CENTS) and decimal_places(value) > MAX_PLACES


def _totals_rule(rule_id: str, field: str, term: str) -> None:
    value_of = attrgetter(field)

    def check(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
        value = value_of(doc.totals)
        if value is None or value.same_quantum(_CENTS) or not _too_precise(value):
            return OK
        return (violation(rule_id, f"totals.{field}", EXPECTED, value),)

    rule(rule_id, f"The {term} shall have at most 2 decimals.", needs="total_decimals")(check)


def _group_rule(rule_id: str, group: str, field: str, term: str, needs: str) -> None:
    values = attrgetter(field)

    def check(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
        items = getattr(doc, group)
        if all(map(_IS_CENTS, filter(_NOT_NONE, map(values, items)))) or not any(
            map(_too_precise, map(values, items))
        ):
            return OK
        return [
            violation(rule_id, f"{group}[{i}].{field}", EXPECTED, values(item))
            for i, item in enumerate(items)
            if _too_precise(values(item))
        ]

    rule(rule_id, f"The {term} shall have at most 2 decimals.", needs=needs)(check)


def _line_group_rule(rule_id: str, group: str, field: str, term: str) -> None:
    def check(doc: CommercialDocument, f: Facts) -> Sequence[Violation]:
        out = []
        for i, ln in enumerate(doc.lines):
            for j, item in enumerate(getattr(ln, group)):
                value = getattr(item, field)
                if _too_precise(value):
                    out.append(violation(rule_id, f"lines[{i}].{group}[{j}].{field}", EXPECTED, value))
        return out

    rule(rule_id, f"The {term} shall have at most 2 decimals.", needs=f"line_{group}")(check)


_group_rule("BR-DEC-01", "allowances", "amount", "document level allowance amount (BT-92)", "allowances")
_group_rule(
    "BR-DEC-02", "allowances", "base_amount", "document level allowance base amount (BT-93)", "allowances"
)
_group_rule("BR-DEC-05", "charges", "amount", "document level charge amount (BT-99)", "charges")
_group_rule("BR-DEC-06", "charges", "base_amount", "document level charge base amount (BT-100)", "charges")
_totals_rule("BR-DEC-09", "line_extension_amount", "sum of line net amounts (BT-106)")
_totals_rule("BR-DEC-10", "allowance_total", "sum of document level allowances (BT-107)")
_totals_rule("BR-DEC-11", "charge_total", "sum of document level charges (BT-108)")
_totals_rule("BR-DEC-12", "tax_exclusive_amount", "total without VAT (BT-109)")
_totals_rule("BR-DEC-13", "tax_amount", "total VAT amount (BT-110)")
_totals_rule("BR-DEC-14", "tax_inclusive_amount", "total with VAT (BT-112)")
_totals_rule("BR-DEC-15", "tax_amount_accounting_currency", "total VAT in accounting currency (BT-111)")
_totals_rule("BR-DEC-16", "prepaid_amount", "paid amount (BT-113)")
_totals_rule("BR-DEC-17", "rounding_amount", "rounding amount (BT-114)")
_totals_rule("BR-DEC-18", "payable_amount", "amount due for payment (BT-115)")
_group_rule(
    "BR-DEC-19", "vat_breakdown", "taxable_amount", "VAT category taxable amount (BT-116)", "vat_breakdown"
)
_group_rule("BR-DEC-20", "vat_breakdown", "tax_amount", "VAT category tax amount (BT-117)", "vat_breakdown")
_group_rule("BR-DEC-23", "lines", "net_amount", "line net amount (BT-131)", "lines")
_line_group_rule("BR-DEC-24", "allowances", "amount", "line allowance amount (BT-136)")
_line_group_rule("BR-DEC-25", "allowances", "base_amount", "line allowance base amount (BT-137)")
_line_group_rule("BR-DEC-27", "charges", "amount", "line charge amount (BT-141)")
_line_group_rule("BR-DEC-28", "charges", "base_amount", "line charge base amount (BT-142)")
