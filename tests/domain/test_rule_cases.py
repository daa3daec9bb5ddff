"""One breaking case per registered rule: the document breaks that rule (and only the rules that
necessarily fail with it, listed in ``also``); the test asserts the rule id, path, expected and found.

``test_every_rule_has_a_case`` keeps this table complete when rules are added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal as D
from typing import Any

import pytest

from ledgerlink.domain.documents import (
    Address,
    AllowanceCharge,
    Attachment,
    CardPayment,
    CreditTransfer,
    Delivery,
    DocumentReference,
    Identifier,
    Invoice,
    ItemAttribute,
    Note,
    Party,
    PaymentInstructions,
    Period,
    StatementTransaction,
    TransactionType,
    VatBreakdown,
)
from ledgerlink.domain.rules import RULES, check
from ledgerlink.domain.rules.vat import SPECS, Buyer, Seller
from ledgerlink.domain.violations import Severity
from tests.domain.factories import (
    make_allowance,
    make_buyer,
    make_charge,
    make_credit_note,
    make_invoice,
    make_ledger_update,
    make_line,
    make_seller,
    make_statement,
)
from tests.domain.factories import (
    set_path as sp,
)

NB = "a non-blank value"


@dataclass(frozen=True)
class Case:
    rule: str
    build: Callable[[], Any]
    path: str
    expected: str | None
    found: str | None
    also: tuple[str, ...] = ()


def small_line(**kw: Any) -> Any:
    fields: dict[str, Any] = dict(
        id="2", quantity=D("1"), net_amount=D("0.50"), net_price=D("0.50"), name="Grommet"
    )
    fields.update(kw)
    return make_line(**fields)


def inv() -> Invoice:
    return make_invoice()


def inv_small() -> Invoice:
    return make_invoice(lines=[make_line(), small_line()])


def inv_ac() -> Invoice:
    return make_invoice(
        allowances=[make_allowance(amount=D("0.50"))], charges=[make_charge(amount=D("0.50"))]
    )


def add_totals(doc: Invoice, **deltas: str) -> Invoice:
    """Shift stated totals by the given deltas (keeping the other totals as they were)."""
    totals = doc.totals.model_copy(
        update={k: (getattr(doc.totals, k) or D(0)) + D(v) for k, v in deltas.items()}
    )
    return doc.model_copy(update={"totals": totals})


def shift_tax(doc: Invoice, index: int, delta: str) -> Invoice:
    """Change one breakdown's VAT amount and carry the change through BT-110, BT-112 and BT-115."""
    vb = doc.vat_breakdown[index]
    doc = sp(doc, f"vat_breakdown[{index}].tax_amount", vb.tax_amount + D(delta))
    return add_totals(doc, tax_amount=delta, tax_inclusive_amount=delta, payable_amount=delta)


# --------------------------------------------------------------------------- BR-01 … BR-65

CORE = [
    Case("BR-01", lambda: sp(inv(), "customization_id", None), "customization_id", NB, "absent"),
    Case("BR-02", lambda: sp(inv(), "number", "  "), "number", NB, "blank"),
    Case("BR-04", lambda: sp(inv(), "type_code", ""), "type_code", NB, "blank"),
    Case("BR-05", lambda: sp(inv(), "currency", ""), "currency", NB, "blank"),
    Case("BR-06", lambda: sp(inv(), "seller.name", " "), "seller.name", NB, "blank"),
    Case("BR-07", lambda: sp(inv(), "buyer.name", ""), "buyer.name", NB, "blank"),
    Case("BR-08", lambda: sp(inv(), "seller.address", None), "seller.address", "present", "absent"),
    Case("BR-09", lambda: sp(inv(), "seller.address.country", ""), "seller.address.country", NB, "blank"),
    Case("BR-10", lambda: sp(inv(), "buyer.address", None), "buyer.address", "present", "absent"),
    Case("BR-11", lambda: sp(inv(), "buyer.address.country", " "), "buyer.address.country", NB, "blank"),
    Case("BR-16", lambda: make_invoice(lines=[]), "lines", "at least 1 line", "0 lines", also=("BR-CO-18",)),
    Case("BR-17", lambda: make_invoice(payee=make_seller(name=" ")), "payee.name", NB, "blank"),
    Case(
        "BR-18",
        lambda: make_invoice(
            tax_representative=Party(name="", vat_id="DE999999999", address=Address(country="DE"))
        ),
        "tax_representative.name",
        NB,
        "blank",
    ),
    Case(
        "BR-19",
        lambda: make_invoice(tax_representative=Party(name="Rep", vat_id="DE999999999")),
        "tax_representative.address",
        "present",
        "absent",
    ),
    Case(
        "BR-20",
        lambda: make_invoice(
            tax_representative=Party(name="Rep", vat_id="DE999999999", address=Address(country=""))
        ),
        "tax_representative.address.country",
        NB,
        "blank",
    ),
    Case("BR-21", lambda: sp(inv(), "lines[0].id", " "), "lines[0].id", NB, "blank"),
    Case("BR-23", lambda: sp(inv(), "lines[1].unit_code", ""), "lines[1].unit_code", NB, "blank"),
    Case("BR-25", lambda: sp(inv(), "lines[1].name", ""), "lines[1].name", NB, "blank"),
    Case("BR-27", lambda: sp(inv(), "lines[0].net_price", D("-1.00")), "lines[0].net_price", ">= 0", "-1.00"),
    Case(
        "BR-28",
        lambda: sp(inv(), "lines[0].gross_price", D("-5.00")),
        "lines[0].gross_price",
        ">= 0",
        "-5.00",
    ),
    Case(
        "BR-29",
        lambda: make_invoice(invoicing_period=Period(start=dt.date(2024, 3, 31), end=dt.date(2024, 3, 1))),
        "invoicing_period.end",
        ">= 2024-03-31",
        "2024-03-01",
    ),
    Case(
        "BR-30",
        lambda: sp(inv(), "lines[1].period", Period(start=dt.date(2024, 2, 2), end=dt.date(2024, 2, 1))),
        "lines[1].period.end",
        ">= 2024-02-02",
        "2024-02-01",
    ),
    Case(
        "BR-32",
        lambda: sp(inv_ac(), "allowances[0].vat_category", None),
        "allowances[0].vat_category",
        NB,
        "absent",
    ),
    Case(
        "BR-33",
        lambda: sp(sp(inv_ac(), "allowances[0].reason", None), "allowances[0].reason_code", None),
        "allowances[0].reason",
        "a reason or a reason code",
        "neither",
        also=("BR-CO-21",),
    ),
    Case(
        "BR-37", lambda: sp(inv_ac(), "charges[0].vat_category", " "), "charges[0].vat_category", NB, "blank"
    ),
    Case(
        "BR-38",
        lambda: sp(sp(inv_ac(), "charges[0].reason", " "), "charges[0].reason_code", None),
        "charges[0].reason",
        "a reason or a reason code",
        "neither",
        also=("BR-CO-22",),
    ),
    Case(
        "BR-42",
        lambda: sp(inv(), "lines[0].allowances", (AllowanceCharge(amount=D("1.00")),)),
        "lines[0].allowances[0].reason",
        "a reason or a reason code",
        "neither",
        also=("BR-CO-23",),
    ),
    Case(
        "BR-44",
        lambda: sp(inv(), "lines[1].charges", (AllowanceCharge(amount=D("1.00"), reason=" "),)),
        "lines[1].charges[0].reason",
        "a reason or a reason code",
        "neither",
        also=("BR-CO-24",),
    ),
    Case(
        "BR-47",
        lambda: sp(inv(), "vat_breakdown[0].category", ""),
        "vat_breakdown[0].category",
        NB,
        "blank",
        also=("BR-S-01",),
    ),
    Case(
        "BR-48",
        lambda: sp(category_invoice("Z"), "vat_breakdown[0].rate", None),
        "vat_breakdown[0].rate",
        "present",
        "absent",
    ),
    Case("BR-49", lambda: sp(inv(), "payment.means_code", " "), "payment.means_code", NB, "blank"),
    Case(
        "BR-50",
        lambda: make_invoice(
            payment=PaymentInstructions(means_code="31", credit_transfers=(CreditTransfer(account_id=" "),))
        ),
        "payment.credit_transfers[0].account_id",
        NB,
        "blank",
    ),
    Case(
        "BR-51",
        lambda: sp(inv(), "payment.card", CardPayment(primary_account_number="4111111111111111")),
        "payment.card.primary_account_number",
        "1 to 10 characters",
        "16 characters",
    ),
    Case("BR-52", lambda: make_invoice(attachments=[Attachment(id=" ")]), "attachments[0].id", NB, "blank"),
    Case(
        "BR-53",
        lambda: make_invoice(vat_accounting_currency="SEK"),
        "totals.tax_amount_accounting_currency",
        "present",
        "absent",
    ),
    Case(
        "BR-54",
        lambda: sp(inv(), "lines[0].attributes", (ItemAttribute(name="Colour", value=" "),)),
        "lines[0].attributes[0].value",
        NB,
        "blank",
    ),
    Case(
        "BR-55",
        lambda: make_invoice(preceding_invoices=[DocumentReference(number="")]),
        "preceding_invoices[0].number",
        NB,
        "blank",
    ),
    Case(
        "BR-56",
        lambda: make_invoice(tax_representative=Party(name="Rep", address=Address(country="DE"))),
        "tax_representative.vat_id",
        NB,
        "absent",
    ),
    Case(
        "BR-57",
        lambda: make_invoice(delivery=Delivery(address=Address(country=" "))),
        "delivery.address.country",
        NB,
        "blank",
    ),
    Case(
        "BR-61",
        lambda: sp(inv(), "payment.credit_transfers", ()),
        "payment.credit_transfers",
        "a payment account identifier",
        "none",
    ),
    Case(
        "BR-62",
        lambda: sp(inv(), "seller.electronic_address.scheme", " "),
        "seller.electronic_address.scheme",
        NB,
        "blank",
    ),
    Case(
        "BR-63",
        lambda: sp(inv(), "buyer.electronic_address.scheme", " "),
        "buyer.electronic_address.scheme",
        NB,
        "blank",
    ),
    Case(
        "BR-64",
        lambda: sp(inv(), "lines[0].standard_item_id", Identifier(value="4012345678901")),
        "lines[0].standard_item_id.scheme",
        NB,
        "absent",
    ),
    Case(
        "BR-65",
        lambda: sp(inv(), "lines[0].classifications", (Identifier(value="43211503"),)),
        "lines[0].classifications[0].scheme",
        NB,
        "absent",
    ),
]

# --------------------------------------------------------------------------- BR-CO-*

CALCULATION = [
    Case(
        "BR-CO-03",
        lambda: make_invoice(
            tax_point_date=dt.date(2024, 3, 1),
            invoicing_period=Period(start=dt.date(2024, 2, 1), description_code="3"),
        ),
        "tax_point_date",
        "absent when invoicing_period.description_code is given",
        "2024-03-01",
    ),
    Case(
        "BR-CO-04",
        lambda: sp(inv_small(), "lines[1].vat_category", " "),
        "lines[1].vat_category",
        NB,
        "blank",
    ),
    Case(
        "BR-CO-09",
        lambda: sp(inv(), "seller.vat_id", "123456789"),
        "seller.vat_id",
        "a country code prefix (e.g. DE, FR, EL)",
        "123456789",
    ),
    Case(
        "BR-CO-10",
        lambda: sp(inv(), "lines[0].net_amount", D("200.01")),
        "totals.line_extension_amount",
        "249.91",
        "249.90",
    ),
    Case(
        "BR-CO-11",
        lambda: sp(inv_ac(), "allowances[0].amount", D("0.51")),
        "totals.allowance_total",
        "0.51",
        "0.50",
    ),
    Case(
        "BR-CO-12",
        lambda: sp(inv_ac(), "charges[0].amount", D("0.49")),
        "totals.charge_total",
        "0.49",
        "0.50",
    ),
    Case(
        "BR-CO-13",
        lambda: add_totals(
            inv(), tax_exclusive_amount="0.01", tax_inclusive_amount="0.01", payable_amount="0.01"
        ),
        "totals.tax_exclusive_amount",
        "249.90",
        "249.91",
    ),
    Case(
        "BR-CO-14",
        lambda: add_totals(inv(), tax_amount="0.01", tax_inclusive_amount="0.01", payable_amount="0.01"),
        "totals.tax_amount",
        "47.48",
        "47.49",
    ),
    Case(
        "BR-CO-15",
        lambda: add_totals(inv(), tax_inclusive_amount="0.01", payable_amount="0.01"),
        "totals.tax_inclusive_amount",
        "297.38",
        "297.39",
    ),
    Case(
        "BR-CO-16",
        lambda: add_totals(inv(), payable_amount="-0.01"),
        "totals.payable_amount",
        "297.38",
        "297.37",
    ),
    Case(
        "BR-CO-17",
        lambda: shift_tax(inv(), 0, "1.00"),
        "vat_breakdown[0].tax_amount",
        "47.48",
        "48.48",
        also=("BR-S-09",),
    ),
    Case(
        "BR-CO-18",
        lambda: make_invoice(vat_breakdown=[]),
        "vat_breakdown",
        "at least 1 entry",
        "0 entries",
        also=("BR-S-01",),
    ),
    Case(
        "BR-CO-19",
        lambda: make_invoice(invoicing_period=Period()),
        "invoicing_period",
        "a start date, an end date or both",
        "neither",
    ),
    Case(
        "BR-CO-20",
        lambda: sp(inv(), "lines[0].period", Period()),
        "lines[0].period",
        "a start date, an end date or both",
        "neither",
    ),
    Case(
        "BR-CO-21",
        lambda: sp(sp(inv_ac(), "allowances[0].reason", ""), "allowances[0].reason_code", None),
        "allowances[0].reason",
        "a reason or a reason code",
        "neither",
        also=("BR-33",),
    ),
    Case(
        "BR-CO-22",
        lambda: sp(sp(inv_ac(), "charges[0].reason", None), "charges[0].reason_code", ""),
        "charges[0].reason",
        "a reason or a reason code",
        "neither",
        also=("BR-38",),
    ),
    Case(
        "BR-CO-23",
        lambda: sp(inv(), "lines[1].allowances", (AllowanceCharge(amount=D("2.00")),)),
        "lines[1].allowances[0].reason",
        "a reason or a reason code",
        "neither",
        also=("BR-42",),
    ),
    Case(
        "BR-CO-24",
        lambda: sp(inv(), "lines[0].charges", (AllowanceCharge(amount=D("2.00")),)),
        "lines[0].charges[0].reason",
        "a reason or a reason code",
        "neither",
        also=("BR-44",),
    ),
    Case(
        "BR-CO-25", lambda: make_invoice(due_date=None), "due_date", "a due date or payment terms", "neither"
    ),
    Case(
        "BR-CO-26",
        lambda: make_invoice(
            seller=make_seller(identifiers=(), legal_id=None, vat_id=None, tax_registration_id="12/345/67890")
        ),
        "seller",
        "an identifier, legal registration id or VAT id",
        "none",
    ),
]

# --------------------------------------------------------------------------- VAT categories

RATES: dict[str, D | None] = {
    "S": D("19"),
    "Z": D("0"),
    "E": D("0"),
    "AE": D("0"),
    "K": D("0"),
    "G": D("0"),
    "O": None,
    "L": D("7"),
    "M": D("4"),
}
BAD_RATE: dict[str, D] = {"S": D("0"), "O": D("0"), "L": D("-1"), "M": D("-1")}
EXPECTED_VAT = {"S": "38.10", "L": "14.04", "M": "8.02"}  # 200.50 × rate, half-up
SEVERAL = {"S", "L", "M"}


def category_invoice(cat: str, *, allowance: bool = False, charge: bool = False, **overrides: Any) -> Invoice:
    """A valid invoice whose lines (200.00 + 0.50) all have VAT category ``cat``."""
    rate = RATES[cat]
    fields: dict[str, Any] = dict(
        lines=[make_line(vat_category=cat, vat_rate=rate), small_line(vat_category=cat, vat_rate=rate)]
    )
    if allowance:
        fields["allowances"] = [make_allowance(amount=D("0.50"), vat_category=cat, vat_rate=rate)]
    if charge:
        fields["charges"] = [make_charge(amount=D("0.50"), vat_category=cat, vat_rate=rate)]
    if cat == "O":
        fields["seller"] = make_seller(vat_id=None)
        fields["buyer"] = make_buyer(vat_id=None)
    if cat == "K":
        fields["delivery"] = Delivery(date=dt.date(2024, 2, 28), address=Address(country="FR"))
    fields.update(overrides)
    return make_invoice(**fields)


def _missing_category_breakdown(cat: str) -> Invoice:
    z_line = small_line(id="3", vat_category="Z", vat_rate=D("0"))
    z_breakdown = VatBreakdown(category="Z", rate=D("0"), taxable_amount=D("0.50"), tax_amount=D("0.00"))
    return make_invoice(
        lines=[make_line(vat_category=cat, vat_rate=RATES[cat]), z_line], vat_breakdown=[z_breakdown]
    )


def _vat_cases() -> list[Case]:
    cases = []
    for spec in SPECS:
        c, p = spec.code, spec.prefix
        rate_expected = "absent" if c == "O" else {"S": "> 0", "L": ">= 0", "M": ">= 0"}.get(c, "0")
        bad = BAD_RATE.get(c, D("1"))
        # 01
        if c in SEVERAL:
            cases.append(
                Case(
                    f"{p}-01",
                    lambda c=c: _missing_category_breakdown(c),
                    "vat_breakdown",
                    f"a breakdown with category {c}",
                    "none",
                )
            )
        else:
            cases.append(
                Case(
                    f"{p}-01",
                    lambda c=c: (lambda d: d.model_copy(update={"vat_breakdown": d.vat_breakdown * 2}))(
                        category_invoice(c)
                    ),
                    "vat_breakdown",
                    f"exactly 1 breakdown with category {c}",
                    "2",
                )
            )
        # 02..04: the parties' VAT identification
        if spec.seller is Seller.NO_VAT_IDS:
            ident: tuple[str, str | None, str] = ("seller.vat_id", "absent", "DE123456789")
            broken = {"seller": make_seller()}
        else:
            ident = ("seller.vat_id", spec.seller.value, "absent")
            broken = {"seller": make_seller(vat_id=None, tax_registration_id=None)}
        cases.append(Case(f"{p}-02", lambda c=c, b=broken: category_invoice(c, **b), *ident))
        for number, flag in (("03", "allowance"), ("04", "charge")):
            if spec.buyer is not Buyer.ANY:
                # isolate through the buyer: standard-rated lines, one allowance/charge of the category
                item = (make_allowance if flag == "allowance" else make_charge)(
                    amount=D("0.50"), vat_category=c, vat_rate=D("0")
                )
                extra: dict[str, Any] = {f"{flag}s": [item], "buyer": make_buyer(vat_id=None)}
                if c == "K":
                    extra["delivery"] = Delivery(date=dt.date(2024, 2, 28), address=Address(country="FR"))
                cases.append(
                    Case(
                        f"{p}-{number}",
                        lambda e=extra: make_invoice(**e),
                        "buyer.vat_id",
                        spec.buyer.value.removeprefix(" and "),
                        "absent",
                    )
                )
            else:
                cases.append(
                    Case(
                        f"{p}-{number}",
                        lambda c=c, b=broken, f=flag: category_invoice(c, **{f: True}, **b),
                        *ident,
                        also=(f"{p}-02",),
                    )
                )
        # 05..07: rates
        cases.append(
            Case(
                f"{p}-05",
                lambda c=c, bad=bad: sp(category_invoice(c), "lines[1].vat_rate", bad),
                "lines[1].vat_rate",
                rate_expected,
                str(bad),
            )
        )
        cases.append(
            Case(
                f"{p}-06",
                lambda c=c, bad=bad: sp(category_invoice(c, allowance=True), "allowances[0].vat_rate", bad),
                "allowances[0].vat_rate",
                rate_expected,
                str(bad),
            )
        )
        cases.append(
            Case(
                f"{p}-07",
                lambda c=c, bad=bad: sp(category_invoice(c, charge=True), "charges[0].vat_rate", bad),
                "charges[0].vat_rate",
                rate_expected,
                str(bad),
            )
        )
        # 08: taxable amount
        delta = D("1.00") if c in SEVERAL else D("0.01")
        cases.append(
            Case(
                f"{p}-08",
                lambda c=c, delta=delta: sp(
                    category_invoice(c), "vat_breakdown[0].taxable_amount", D("200.50") + delta
                ),
                "vat_breakdown[0].taxable_amount",
                "200.50",
                str(D("200.50") + delta),
            )
        )
        # 09: tax amount
        if c in SEVERAL:
            found = str(D(EXPECTED_VAT[c]) + 1)
            cases.append(
                Case(
                    f"{p}-09",
                    lambda c=c: shift_tax(category_invoice(c), 0, "1.00"),
                    "vat_breakdown[0].tax_amount",
                    EXPECTED_VAT[c],
                    found,
                    also=("BR-CO-17",),
                )
            )
        else:
            cases.append(
                Case(
                    f"{p}-09",
                    lambda c=c: shift_tax(category_invoice(c), 0, "0.01"),
                    "vat_breakdown[0].tax_amount",
                    "0",
                    "0.01",
                )
            )
        # 10: exemption reason
        if spec.exemption_required:
            cases.append(
                Case(
                    f"{p}-10",
                    lambda c=c: sp(category_invoice(c), "vat_breakdown[0].exemption_reason_code", None),
                    "vat_breakdown[0].exemption_reason_code",
                    "an exemption reason or code",
                    "neither",
                )
            )
        else:
            cases.append(
                Case(
                    f"{p}-10",
                    lambda c=c: sp(
                        category_invoice(c), "vat_breakdown[0].exemption_reason_code", "VATEX-EU-O"
                    ),
                    "vat_breakdown[0].exemption_reason_code",
                    "absent",
                    "VATEX-EU-O",
                )
            )
    return cases


def _o_with_extra_breakdown() -> Invoice:
    doc = category_invoice("O")
    extra = VatBreakdown(category="Z", rate=D("0"), taxable_amount=D("0.00"), tax_amount=D("0.00"))
    return doc.model_copy(update={"vat_breakdown": doc.vat_breakdown + (extra,)})


VAT_EXTRAS = [
    Case(
        "BR-IC-11",
        lambda: category_invoice("K", delivery=Delivery(address=Address(country="FR"))),
        "delivery.date",
        "a delivery date or invoicing period",
        "neither",
    ),
    Case(
        "BR-IC-12",
        lambda: category_invoice("K", delivery=Delivery(date=dt.date(2024, 2, 28))),
        "delivery.address.country",
        "a country code",
        "absent",
    ),
    Case("BR-O-11", _o_with_extra_breakdown, "vat_breakdown[1].category", "O", "Z"),
    Case(
        "BR-O-12",
        lambda: sp(category_invoice("O"), "lines[1].vat_category", "B"),
        "lines[1].vat_category",
        "O",
        "B",
        also=("BR-O-08",),
    ),
    Case(
        "BR-O-13",
        lambda: sp(category_invoice("O", allowance=True), "allowances[0].vat_category", "B"),
        "allowances[0].vat_category",
        "O",
        "B",
        also=("BR-O-08",),
    ),
    Case(
        "BR-O-14",
        lambda: sp(category_invoice("O", charge=True), "charges[0].vat_category", "B"),
        "charges[0].vat_category",
        "O",
        "B",
        also=("BR-O-08",),
    ),
]

# --------------------------------------------------------------------------- BR-DEC-*

AT_MOST_2 = "at most 2 decimals"


def _line_ac(kind: str, **kw: Any) -> Any:
    return (
        AllowanceCharge(amount=D("1.00"), reason="Reason", **{k: v for k, v in kw.items() if k != "amount"})
        if "amount" not in kw
        else AllowanceCharge(reason="Reason", **kw)
    )


DECIMALS = [
    Case(
        "BR-DEC-01",
        lambda: sp(inv_ac(), "allowances[0].amount", D("0.500")),
        "allowances[0].amount",
        AT_MOST_2,
        "0.500",
    ),
    Case(
        "BR-DEC-02",
        lambda: sp(inv_ac(), "allowances[0].base_amount", D("5.001")),
        "allowances[0].base_amount",
        AT_MOST_2,
        "5.001",
    ),
    Case(
        "BR-DEC-05",
        lambda: sp(inv_ac(), "charges[0].amount", D("0.5000")),
        "charges[0].amount",
        AT_MOST_2,
        "0.5000",
    ),
    Case(
        "BR-DEC-06",
        lambda: sp(inv_ac(), "charges[0].base_amount", D("5.001")),
        "charges[0].base_amount",
        AT_MOST_2,
        "5.001",
    ),
    *[
        Case(
            rule_id,
            lambda f=field, v=value: sp(inv_ac(), f"totals.{f}", D(v)),
            f"totals.{field}",
            AT_MOST_2,
            value,
        )
        for rule_id, field, value in (
            ("BR-DEC-09", "line_extension_amount", "249.900"),
            ("BR-DEC-10", "allowance_total", "0.500"),
            ("BR-DEC-11", "charge_total", "0.500"),
            ("BR-DEC-12", "tax_exclusive_amount", "249.900"),
            ("BR-DEC-13", "tax_amount", "47.480"),
            ("BR-DEC-14", "tax_inclusive_amount", "297.380"),
            ("BR-DEC-15", "tax_amount_accounting_currency", "47.480"),
            ("BR-DEC-16", "prepaid_amount", "0.000"),
            ("BR-DEC-17", "rounding_amount", "0.000"),
            ("BR-DEC-18", "payable_amount", "297.380"),
        )
    ],
    Case(
        "BR-DEC-19",
        lambda: sp(inv(), "vat_breakdown[0].taxable_amount", D("249.900")),
        "vat_breakdown[0].taxable_amount",
        AT_MOST_2,
        "249.900",
    ),
    Case(
        "BR-DEC-20",
        lambda: sp(inv(), "vat_breakdown[0].tax_amount", D("47.480")),
        "vat_breakdown[0].tax_amount",
        AT_MOST_2,
        "47.480",
    ),
    Case(
        "BR-DEC-23",
        lambda: sp(inv(), "lines[1].net_amount", D("49.900")),
        "lines[1].net_amount",
        AT_MOST_2,
        "49.900",
    ),
    Case(
        "BR-DEC-24",
        lambda: sp(inv(), "lines[0].allowances", (AllowanceCharge(amount=D("1.005"), reason="R"),)),
        "lines[0].allowances[0].amount",
        AT_MOST_2,
        "1.005",
    ),
    Case(
        "BR-DEC-25",
        lambda: sp(
            inv(),
            "lines[0].allowances",
            (AllowanceCharge(amount=D("1.00"), reason="R", base_amount=D("10.001")),),
        ),
        "lines[0].allowances[0].base_amount",
        AT_MOST_2,
        "10.001",
    ),
    Case(
        "BR-DEC-27",
        lambda: sp(inv(), "lines[0].charges", (AllowanceCharge(amount=D("1.005"), reason="R"),)),
        "lines[0].charges[0].amount",
        AT_MOST_2,
        "1.005",
    ),
    Case(
        "BR-DEC-28",
        lambda: sp(
            inv(),
            "lines[0].charges",
            (AllowanceCharge(amount=D("1.00"), reason="R", base_amount=D("10.001")),),
        ),
        "lines[0].charges[0].base_amount",
        AT_MOST_2,
        "10.001",
    ),
]

# --------------------------------------------------------------------------- BR-CL-*

ICD = "an ISO 6523 ICD code"
CODE_LISTS = [
    Case(
        "BR-CL-01",
        lambda: sp(inv(), "type_code", "999"),
        "type_code",
        "a UNTDID 1001 invoice/credit note code",
        "999",
    ),
    Case("BR-CL-04", lambda: sp(inv(), "currency", "EURO"), "currency", "an ISO 4217 currency code", "EURO"),
    Case(
        "BR-CL-05",
        lambda: add_totals(
            make_invoice(vat_accounting_currency="SKR"), tax_amount_accounting_currency="1.00"
        ),
        "vat_accounting_currency",
        "an ISO 4217 currency code",
        "SKR",
    ),
    Case(
        "BR-CL-06",
        lambda: make_invoice(invoicing_period=Period(start=dt.date(2024, 3, 1), description_code="99")),
        "invoicing_period.description_code",
        "3, 35 or 432",
        "99",
    ),
    Case(
        "BR-CL-07",
        lambda: make_invoice(invoiced_object=Identifier(value="X-1", scheme="ZZ9")),
        "invoiced_object.scheme",
        "a UNTDID 1153 code",
        "ZZ9",
    ),
    Case(
        "BR-CL-08",
        lambda: make_invoice(notes=[Note(text="Hello", subject_code="ZZZZ")]),
        "notes[0].subject_code",
        "a UNTDID 4451 code",
        "ZZZZ",
    ),
    Case(
        "BR-CL-10",
        lambda: sp(inv(), "buyer.identifiers", (Identifier(value="X", scheme="SEPA"),)),
        "buyer.identifiers[0].scheme",
        ICD,
        "SEPA",
    ),
    Case(
        "BR-CL-11",
        lambda: sp(inv(), "seller.legal_id", Identifier(value="HRB 1", scheme="XYZ")),
        "seller.legal_id.scheme",
        ICD,
        "XYZ",
    ),
    Case(
        "BR-CL-13",
        lambda: sp(inv(), "lines[0].classifications", (Identifier(value="1", scheme="ZZ1"),)),
        "lines[0].classifications[0].scheme",
        "a UNTDID 7143 code",
        "ZZ1",
    ),
    Case(
        "BR-CL-14",
        lambda: sp(inv(), "buyer.address.country", "ZZ"),
        "buyer.address.country",
        "an ISO 3166-1 alpha-2 code",
        "ZZ",
    ),
    Case(
        "BR-CL-15",
        lambda: sp(inv(), "lines[1].origin_country", "UK"),
        "lines[1].origin_country",
        "an ISO 3166-1 alpha-2 code",
        "UK",
    ),
    Case(
        "BR-CL-16",
        lambda: sp(inv(), "payment.means_code", "999"),
        "payment.means_code",
        "a UNTDID 4461 code",
        "999",
    ),
    Case(
        "BR-CL-17",
        lambda: sp(inv_ac(), "allowances[0].vat_category", "Q"),
        "allowances[0].vat_category",
        "a UNTDID 5305 code (S, Z, E, AE, K, G, O, L, M, B)",
        "Q",
    ),
    Case(
        "BR-CL-18",
        lambda: sp(inv_small(), "lines[1].vat_category", "Q"),
        "lines[1].vat_category",
        "a UNTDID 5305 code (S, Z, E, AE, K, G, O, L, M, B)",
        "Q",
    ),
    Case(
        "BR-CL-19",
        lambda: sp(inv_ac(), "allowances[0].reason_code", "FC"),
        "allowances[0].reason_code",
        "a UNTDID 5189 code",
        "FC",
    ),
    Case(
        "BR-CL-20",
        lambda: sp(inv_ac(), "charges[0].reason_code", "95"),
        "charges[0].reason_code",
        "a UNTDID 7161 code",
        "95",
    ),
    Case(
        "BR-CL-21",
        lambda: sp(inv(), "lines[0].standard_item_id", Identifier(value="1", scheme="9999")),
        "lines[0].standard_item_id.scheme",
        ICD,
        "9999",
    ),
    Case(
        "BR-CL-22",
        lambda: sp(category_invoice("E"), "vat_breakdown[0].exemption_reason_code", "VATEX-EU-XYZ"),
        "vat_breakdown[0].exemption_reason_code",
        "a VATEX code (e.g. VATEX-EU-AE)",
        "VATEX-EU-XYZ",
    ),
    Case(
        "BR-CL-23",
        lambda: sp(inv(), "lines[0].unit_code", "PCS"),
        "lines[0].unit_code",
        "a UN/ECE Rec 20/21 code",
        "PCS",
    ),
    Case(
        "BR-CL-24",
        lambda: make_invoice(attachments=[Attachment(id="A1", mime_code="application/zip")]),
        "attachments[0].mime_code",
        "application/pdf, image/png, image/jpeg, text/csv, XLSX or ODS",
        "application/zip",
    ),
    Case(
        "BR-CL-25",
        lambda: sp(inv(), "seller.electronic_address.scheme", "1234"),
        "seller.electronic_address.scheme",
        "a CEF EAS code (e.g. 0088, 9930)",
        "1234",
    ),
    Case(
        "BR-CL-26",
        lambda: make_invoice(delivery=Delivery(location_id=Identifier(value="L1", scheme="ZZZ"))),
        "delivery.location_id.scheme",
        ICD,
        "ZZZ",
    ),
]

# --------------------------------------------------------------------------- statements and ledger updates


def _statement_both_sides() -> Any:
    st = make_statement()
    tx = StatementTransaction(
        date=dt.date(2024, 3, 20),
        type=TransactionType.ADJUSTMENT,
        reference="ADJ-1",
        debit=D("5.00"),
        credit=D("5.00"),
    )
    return st.model_copy(update={"transactions": st.transactions + (tx,)})


ACCOUNTS = [
    Case(
        "LL-ST-01",
        lambda: sp(sp(make_statement(), "closing_balance", D("301.00")), "ageing[0].amount", D("201.00")),
        "closing_balance",
        "300.00",
        "301.00",
    ),
    Case(
        "LL-ST-02", lambda: sp(make_statement(), "ageing[1].amount", D("90.00")), "ageing", "300.00", "290.00"
    ),
    Case(
        "LL-ST-03",
        _statement_both_sides,
        "transactions[2]",
        "exactly one of debit/credit non-zero",
        "debit 5.00, credit 5.00",
    ),
    Case("LL-ST-04", lambda: make_statement(currency="EURO"), "currency", "an ISO 4217 code", "EURO"),
    Case(
        "LL-LU-01",
        lambda: sp(make_ledger_update(), "positions[0].balance", D("351.00")),
        "positions[0].balance",
        "350.00",
        "351.00",
    ),
    Case(
        "LL-LU-02",
        lambda: sp(
            sp(make_ledger_update(), "positions[0].open_items[0].outstanding_amount", D("600.00")),
            "positions[0].balance",
            D("750.00"),
        ),
        "positions[0].open_items[0].outstanding_amount",
        "<= 500.00",
        "600.00",
    ),
    Case(
        "LL-LU-03",
        lambda: sp(make_ledger_update(), "positions[1].customer_account", "CUST-0042"),
        "positions[1].customer_account",
        "unique (already at positions[0])",
        "CUST-0042",
    ),
    Case("LL-LU-04", lambda: make_ledger_update(currency="EURO"), "currency", "an ISO 4217 code", "EURO"),
]

HUGE = D("1E+20")
GUARD = [
    Case(
        "LL-RANGE-01",
        lambda: sp(inv(), "lines[1].net_amount", HUGE),
        "lines[1].net_amount",
        "a magnitude below 10^16",
        "100000000000000000000",
    ),
]


def test_out_of_range_amounts_are_reported_alone_for_every_kind() -> None:
    for doc, path in (
        (sp(inv(), "vat_breakdown[0].rate", D("9E+999999")), "vat_breakdown[0].rate"),
        (sp(inv(), "totals.payable_amount", D("-1E+16")), "totals.payable_amount"),
        (sp(make_statement(), "transactions[0].debit", D("9E+999999")), "transactions[0].debit"),
        (
            sp(make_ledger_update(), "positions[1].open_items[0].outstanding_amount", HUGE),
            "positions[1].open_items[0].outstanding_amount",
        ),
    ):
        assert [(v.rule, v.path) for v in check(doc)] == [("LL-RANGE-01", path)]
    assert check(sp(inv(), "totals.payable_amount", D("9999999999999999"))) != []  # below the limit: BR-CO-16


def test_zero_written_with_a_large_exponent_is_in_range() -> None:
    """``0E+20`` is zero: the range guard's quick test (``adjusted()``) flags it, the exact walk clears it."""
    rules_hit = {v.rule for v in check(sp(inv(), "lines[1].net_amount", D("0E+20")))}
    assert "LL-RANGE-01" not in rules_hit
    assert rules_hit  # the arithmetic rules ran (the line total no longer adds up)


CASES = GUARD + CORE + CALCULATION + _vat_cases() + VAT_EXTRAS + DECIMALS + CODE_LISTS + ACCOUNTS


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}" for c in CASES])
def test_rule_is_broken_with_path_expected_and_found(case: Case) -> None:
    violations = check(case.build())
    hits = [v for v in violations if v.rule == case.rule]
    assert hits, f"{case.rule} not reported; got {[(v.rule, v.path) for v in violations]}"
    assert (hits[0].path, hits[0].expected, hits[0].found) == (case.path, case.expected, case.found)
    assert hits[0].message == RULES[case.rule].description
    others = {v.rule for v in violations} - {case.rule} - set(case.also)
    assert not others, f"{case.rule}: unexpected other violations {others}"


def test_every_rule_has_a_case() -> None:
    assert sorted({c.rule for c in CASES}) == sorted(RULES)


def test_only_br_01_is_a_warning() -> None:
    warnings = {rid for rid, r in RULES.items() if r.severity is Severity.WARNING}
    assert warnings == {"BR-01"}
    (found,) = [v for v in check(sp(inv(), "customization_id", None))]
    assert found.severity is Severity.WARNING


@pytest.mark.parametrize("cat", list(RATES))
def test_each_category_base_invoice_is_valid(cat: str) -> None:
    for flags in ({}, {"allowance": True}, {"charge": True}):
        assert check(category_invoice(cat, **flags)) == []


def test_valid_documents_have_no_violations() -> None:
    for doc in (
        make_invoice(),
        make_credit_note(),
        make_statement(),
        make_ledger_update(),
        inv_ac(),
        inv_small(),
    ):
        assert check(doc) == []


def test_seller_and_payee_may_use_the_sepa_scheme() -> None:
    sepa = (Identifier(value="DE98ZZZ09999999999", scheme="SEPA"),)
    doc = make_invoice(
        seller=make_seller(identifiers=sepa), payee=make_seller(name="Factor AG", identifiers=sepa)
    )
    assert check(doc) == []


def test_several_violations_are_all_reported_in_one_pass() -> None:
    doc = sp(sp(add_totals(inv(), payable_amount="1.00"), "currency", "EURO"), "lines[1].unit_code", "PCS")
    assert {v.rule for v in check(doc)} == {"BR-CO-16", "BR-CL-04", "BR-CL-23"}
