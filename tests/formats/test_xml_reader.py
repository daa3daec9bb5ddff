"""The XML reader's errors: wrong roots, missing and malformed elements, each with its XPath; never
a raise."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgerlink.domain.violations import Severity
from ledgerlink.formats import cii, ubl, xml_reader
from tests.domain.factories import make_invoice
from tests.formats.xml_samples import SAMPLES_DIR

BASE = (SAMPLES_DIR / "base-example.xml").read_bytes()
TOTAL = "/Invoice/cac:LegalMonetaryTotal"


def violations(data: bytes) -> list[tuple[str, str]]:
    result = xml_reader.read(data)
    assert result.documents == [], "a document with errors must not be returned"
    return [(v.rule, v.path) for v in result.violations]


def test_found_location_is_the_root() -> None:
    result = xml_reader.read(BASE)
    assert result.documents[0].location == "/Invoice"


@pytest.mark.parametrize(
    "data, found",
    [
        (b"<Order xmlns='urn:oasis:names:specification:ubl:schema:xsd:Order-2'/>", "Order in namespace"),
        (b"<Invoice/>", "Invoice (no namespace)"),
        (b"<html><body/></html>", "html (no namespace)"),
    ],
)
def test_wrong_root(data: bytes, found: str) -> None:
    result = xml_reader.read(data)
    assert [v.rule for v in result.violations] == ["XML-ROOT"]
    assert result.violations[0].found is not None and result.violations[0].found.startswith(found)
    assert result.violations[0].expected == xml_reader.EXPECTED_ROOTS


def test_missing_payable_amount_names_its_xpath() -> None:
    data = BASE.replace(b"<cbc:PayableAmount", b"<cbc:Ignored").replace(
        b"</cbc:PayableAmount>", b"</cbc:Ignored>"
    )
    assert violations(data) == [("SCHEMA", f"{TOTAL}/cbc:PayableAmount")]


def test_malformed_amount_is_reported_with_expected_and_found() -> None:
    result = xml_reader.read(
        BASE.replace(b'<cbc:PayableAmount currencyID="EUR">', b'<cbc:PayableAmount currencyID="EUR">1,5', 1)
    )
    (v,) = result.violations
    assert (v.rule, v.path) == ("XML", f"{TOTAL}/cbc:PayableAmount")
    assert v.expected is not None and "decimal" in v.expected
    assert v.found is not None and v.found.startswith("1,5")


@pytest.mark.parametrize("bad", [b"1e3", b"NaN", b"Infinity", b"0x10", b"12.5.1", b"--1"])
def test_non_xsd_decimals_are_refused(bad: bytes) -> None:
    data = BASE.replace(b'<cbc:PayableAmount currencyID="EUR">', b'<cbc:PayableAmount currencyID="EUR">X', 1)
    data = data.replace(b">X", b">" + bad + b"<!--", 1).replace(
        b"</cbc:PayableAmount>", b"--></cbc:PayableAmount>", 1
    )
    assert violations(data) == [("XML", f"{TOTAL}/cbc:PayableAmount")]


def test_decimals_are_exact() -> None:
    data = BASE.replace(
        b'<cbc:LineExtensionAmount currencyID="EUR">',
        b'<cbc:LineExtensionAmount currencyID="EUR">0.1000000000000000055511151231257827',
        1,
    )
    data = data.replace(
        b"0.1000000000000000055511151231257827", b"0.1000000000000000055511151231257827<!--", 1
    )
    data = data.replace(b"</cbc:LineExtensionAmount>", b"--></cbc:LineExtensionAmount>", 1)
    doc = xml_reader.read(data).documents[0].document
    assert doc.totals.line_extension_amount == Decimal("0.1000000000000000055511151231257827")  # type: ignore[union-attr]


def test_bad_date() -> None:
    data = BASE.replace(
        b"<cbc:IssueDate>2017-11-13</cbc:IssueDate>", b"<cbc:IssueDate>13.11.2017</cbc:IssueDate>"
    )
    result = xml_reader.read(data)
    (v,) = result.violations
    assert (v.rule, v.path, v.expected, v.found) == (
        "XML",
        "/Invoice/cbc:IssueDate",
        "YYYY-MM-DD",
        "13.11.2017",
    )


def test_impossible_date() -> None:
    data = BASE.replace(
        b"<cbc:IssueDate>2017-11-13</cbc:IssueDate>", b"<cbc:IssueDate>2017-02-30</cbc:IssueDate>"
    )
    assert violations(data) == [("XML", "/Invoice/cbc:IssueDate")]


def test_mixed_currency_is_refused() -> None:
    data = BASE.replace(b'<cbc:PayableAmount currencyID="EUR">', b'<cbc:PayableAmount currencyID="USD">', 1)
    assert violations(data) == [("PEPPOL-EN16931-R051", f"{TOTAL}/cbc:PayableAmount/@currencyID")]


def test_line_errors_carry_the_line_index() -> None:
    data = BASE.replace(b"<cbc:InvoicedQuantity", b"<cbc:Ignored", 2).replace(
        b"</cbc:InvoicedQuantity>", b"</cbc:Ignored>", 2
    )
    assert violations(data) == [
        ("SCHEMA", "/Invoice/cac:InvoiceLine[1]/cbc:InvoicedQuantity"),
        ("SCHEMA", "/Invoice/cac:InvoiceLine[2]/cbc:InvoicedQuantity"),
    ]


def test_missing_seller_and_no_lines() -> None:
    start, end = BASE.index(b"<cac:AccountingSupplierParty>"), BASE.index(b"</cac:AccountingSupplierParty>")
    data = BASE[:start] + BASE[end + len(b"</cac:AccountingSupplierParty>") :]
    assert ("SCHEMA", "/Invoice/cac:AccountingSupplierParty") in violations(data)


def test_bad_boolean_indicator() -> None:
    data = (
        (SAMPLES_DIR / "Allowance-example.xml")
        .read_bytes()
        .replace(
            b"<cbc:ChargeIndicator>true</cbc:ChargeIndicator>",
            b"<cbc:ChargeIndicator>yes</cbc:ChargeIndicator>",
            1,
        )
    )
    assert violations(data) == [("XML", "/Invoice/cac:AllowanceCharge[1]/cbc:ChargeIndicator")]


def test_bad_base64_attachment() -> None:
    data = (
        (SAMPLES_DIR / "Norwegian-example-1.xml")
        .read_bytes()
        .replace(b"VGVzdCBiYXNlIDY0IGVuY29kaW5n", b"not base64 !!")
    )
    ((rule, path),) = violations(data)
    assert rule == "XML" and path.endswith("cac:Attachment/cbc:EmbeddedDocumentBinaryObject")


def test_model_level_errors_become_schema_violations() -> None:
    data = BASE.replace(b'<cbc:EndpointID schemeID="0088">', b"<cbc:EndpointID>", 1)
    ((rule, path),) = violations(data)
    assert rule == "SCHEMA" and path.endswith("cbc:EndpointID/@schemeID")


def test_second_payment_means_code_is_a_warning_not_a_silent_drop() -> None:
    doc = make_invoice()
    data = ubl.write(doc)
    extra = (
        b"<cac:PaymentMeans><cbc:PaymentMeansCode>10</cbc:PaymentMeansCode></cac:PaymentMeans>"
        b"<cac:PaymentTerms>"
    )
    data = (
        data.replace(b"<cac:PaymentTerms>", extra, 1)
        if b"<cac:PaymentTerms>" in data
        else data.replace(b"<cac:TaxTotal>", extra.replace(b"<cac:PaymentTerms>", b"") + b"<cac:TaxTotal>", 1)
    )
    result = xml_reader.read(data)
    assert len(result.documents) == 1
    (v,) = result.violations
    assert v.severity is Severity.WARNING and v.path == "/Invoice/cac:PaymentMeans[2]/cbc:PaymentMeansCode"


def test_cii_wrong_root_child_order_is_reported_not_raised() -> None:
    data = cii.write(make_invoice()).replace(b"rsm:ExchangedDocumentContext", b"rsm:Context")
    assert ("SCHEMA", "/rsm:CrossIndustryInvoice/rsm:ExchangedDocumentContext") in violations(data)


def test_deeply_nested_garbage_does_not_raise() -> None:
    depth = 300
    inner = b"<x>" * depth + b"</x>" * depth
    data = BASE.replace(b"<cbc:Note>", b"<cbc:Note>" + inner.replace(b"<x>", b"<x>", 1), 1)
    result = xml_reader.read(data)
    assert isinstance(result.violations, list)
