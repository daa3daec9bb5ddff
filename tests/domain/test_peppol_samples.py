"""The official Peppol BIS 3 examples are valid: the rules must report no errors on them.

Two angles: the examples as read by the UBL reader (every file), and the canonical form of two
of them built by hand here, so the arithmetic rules are checked against real figures even if the
reader changes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from ledgerlink.domain.documents import (
    Address,
    AllowanceCharge,
    CreditTransfer,
    Identifier,
    Invoice,
    InvoiceLine,
    Party,
    PaymentInstructions,
    Totals,
    VatBreakdown,
)
from ledgerlink.domain.rules import check
from ledgerlink.domain.violations import errors_only
from tests.domain.factories import set_path

SAMPLES = (Path(__file__).parents[2] / "../shared/samples/peppol-bis3").resolve()
SAMPLE_FILES = sorted(SAMPLES.glob("*.xml"))


def test_the_samples_are_there() -> None:
    assert len(SAMPLE_FILES) == 12


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[p.name for p in SAMPLE_FILES])
def test_sample_read_by_the_ubl_reader_has_no_errors(path: Path) -> None:
    xml_reader = pytest.importorskip("ledgerlink.formats.xml_reader")
    result = xml_reader.read(path.read_bytes())
    assert result.violations == [] and len(result.documents) == 1
    doc = result.documents[0].document
    assert errors_only(check(doc)) == []
    # the rules did look at this document: a wrong amount due is caught
    broken = set_path(doc, "totals.payable_amount", doc.totals.payable_amount + D("0.01"))
    assert [v.rule for v in check(broken)] == ["BR-CO-16"]


def _party(name: str, vat_id: str | None, country: str, **kw: object) -> Party:
    return Party(name=name, vat_id=vat_id, address=Address(country=country), **kw)  # type: ignore[arg-type]


def base_example() -> Invoice:
    """``base-example.xml``: 2800 − 1500 + 25 insurance charge, 25 % VAT = 331.25."""
    line = dict(unit_code="DAY", vat_category="S", vat_rate=D("25.0"), period=None)
    return Invoice(
        number="Snippet1",
        issue_date=dt.date(2017, 11, 13),
        due_date=dt.date(2017, 12, 1),
        type_code="380",
        currency="EUR",
        customization_id="urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
        seller=_party(
            "SupplierOfficialName Ltd",
            "GB1232434",
            "GB",
            identifiers=(Identifier(value="99887766"),),
            legal_id=Identifier(value="GB983294"),
        ),
        buyer=_party(
            "Buyer Official Name",
            "SE4598375937",
            "SE",
            legal_id=Identifier(value="39937423947", scheme="0183"),
        ),
        payment=PaymentInstructions(
            means_code="30",
            remittance_information="Snippet1",
            credit_transfers=(CreditTransfer(account_id="IBAN32423940", bic="BIC324098"),),
        ),
        payment_terms="Payment within 10 days, 2% discount",
        charges=(AllowanceCharge(amount=D("25"), vat_category="S", vat_rate=D("25.0"), reason="Insurance"),),
        totals=Totals(
            line_extension_amount=D("1300"),
            charge_total=D("25"),
            tax_exclusive_amount=D("1325"),
            tax_amount=D("331.25"),
            tax_inclusive_amount=D("1656.25"),
            payable_amount=D("1656.25"),
        ),
        vat_breakdown=(
            VatBreakdown(category="S", rate=D("25.0"), taxable_amount=D("1325"), tax_amount=D("331.25")),
        ),
        lines=(
            InvoiceLine(
                id="1",
                quantity=D("7"),
                net_amount=D("2800"),
                net_price=D("400"),
                name="item name",
                origin_country="NO",
                classifications=(Identifier(value="09348023", scheme="SRV"),),
                standard_item_id=Identifier(value="21382183120983", scheme="0088"),
                **line,
            ),
            InvoiceLine(
                id="2",
                quantity=D("-3"),
                net_amount=D("-1500"),
                net_price=D("500"),
                name="item name 2",
                origin_country="NO",
                classifications=(Identifier(value="09348023", scheme="SRV"),),
                standard_item_id=Identifier(value="21382183120983", scheme="0088"),
                **line,
            ),
        ),
    )


def allowance_example() -> Invoice:
    """``Allowance-example.xml``: S and E lines, document and line allowances/charges, a prepaid amount."""
    s, e = dict(vat_category="S", vat_rate=D("25.0")), dict(vat_category="E", vat_rate=D("0.0"))
    line_ac = dict(
        charges=(
            AllowanceCharge(
                amount=D("1"), base_amount=D("100"), percentage=D("1"), reason="Cleaning", reason_code="CG"
            ),
        ),
        allowances=(AllowanceCharge(amount=D("101"), reason="Discount", reason_code="95"),),
    )
    return Invoice(
        number="Snippet1",
        issue_date=dt.date(2017, 11, 13),
        due_date=dt.date(2017, 12, 1),
        currency="EUR",
        vat_accounting_currency="SEK",
        customization_id="urn:cen.eu:en16931:2017",
        seller=_party("SupplierOfficialName Ltd", "GB1232434", "GB", legal_id=Identifier(value="GB983294")),
        buyer=_party("Buyer Official Name", "SE4598375937", "SE"),
        payment=PaymentInstructions(
            means_code="30", credit_transfers=(CreditTransfer(account_id="IBAN32423940"),)
        ),
        charges=(
            AllowanceCharge(
                amount=D("200"),
                base_amount=D("1000"),
                percentage=D("20"),
                reason="Cleaning",
                reason_code="CG",
                vat_category="S",
                vat_rate=D("25"),
            ),
        ),
        allowances=(
            AllowanceCharge(
                amount=D("200"), reason="Discount", reason_code="95", vat_category="S", vat_rate=D("25")
            ),
        ),
        totals=Totals(
            line_extension_amount=D("5900"),
            allowance_total=D("200"),
            charge_total=D("200"),
            tax_exclusive_amount=D("5900"),
            tax_amount=D("1225.00"),
            tax_amount_accounting_currency=D("9324.00"),
            tax_inclusive_amount=D("7125"),
            prepaid_amount=D("1000"),
            payable_amount=D("6125.00"),
        ),
        vat_breakdown=(
            VatBreakdown(category="S", rate=D("25"), taxable_amount=D("4900.0"), tax_amount=D("1225")),
            VatBreakdown(
                category="E",
                rate=D("0"),
                taxable_amount=D("1000.0"),
                tax_amount=D("0"),
                exemption_reason="Reason for tax exempt",
            ),
        ),
        lines=(
            InvoiceLine(
                id="1",
                quantity=D("10"),
                unit_code="C62",
                net_amount=D("4000.00"),
                net_price=D("410"),
                price_base_quantity=D("1"),
                price_base_unit_code="C62",
                name="item name",
                **s,
                **line_ac,
            ),
            InvoiceLine(
                id="2",
                quantity=D("10"),
                unit_code="C62",
                net_amount=D("1000.00"),
                net_price=D("200"),
                price_base_quantity=D("2"),
                price_base_unit_code="C62",
                name="item name",
                **e,
            ),
            InvoiceLine(
                id="3",
                quantity=D("10"),
                unit_code="C62",
                net_amount=D("900.00"),
                net_price=D("100"),
                name="item name",
                **s,
                **line_ac,
            ),
        ),
    )


@pytest.mark.parametrize("build", [base_example, allowance_example])
def test_hand_built_samples_are_valid(build: object) -> None:
    assert check(build()) == []  # type: ignore[operator]


def test_real_figures_catch_real_mistakes() -> None:
    doc = allowance_example()
    # a breakdown VAT a few cents off (e.g. summed per line) is within BR-CO-17's tolerance, but the total
    # VAT no longer equals the breakdown's sum
    cents_off = set_path(doc, "vat_breakdown[0].tax_amount", D("1225.40"))
    assert {v.rule for v in check(cents_off)} == {"BR-CO-14"}
    wrong_rate = set_path(doc, "vat_breakdown[0].tax_amount", D("1176.00"))  # 24 % instead of 25 %
    rules = {v.rule for v in check(wrong_rate)}
    assert {"BR-CO-17", "BR-S-09", "BR-CO-14"} <= rules
    no_prepaid = set_path(doc, "totals.prepaid_amount", None)
    (v,) = check(no_prepaid)
    assert (v.rule, v.path, v.expected, v.found) == (
        "BR-CO-16",
        "totals.payable_amount",
        "7125.00",
        "6125.00",
    )
