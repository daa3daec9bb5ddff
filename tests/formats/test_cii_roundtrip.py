"""CII (Factur-X EN 16931): every Peppol sample goes UBL → model → CII → model unchanged, schema-valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerlink.domain import rules
from ledgerlink.domain.documents import CreditNote
from ledgerlink.domain.violations import errors_only
from ledgerlink.formats import cii, ubl, xml_reader
from ledgerlink.formats.xml_common import WriteError
from tests.domain.factories import make_invoice, make_line
from tests.formats.test_ubl_samples import read_one
from tests.formats.xml_samples import assert_cii_schema_valid, samples


@samples
def test_sample_round_trips_through_cii(sample: Path) -> None:
    doc = read_one(sample.read_bytes())
    written = cii.write(doc)
    assert_cii_schema_valid(written)
    again = read_one(written)
    assert again == doc
    assert isinstance(again, CreditNote) == isinstance(doc, CreditNote)
    assert errors_only(rules.check(again)) == []


@samples
def test_ubl_and_cii_of_a_sample_read_to_the_same_document(sample: Path) -> None:
    doc = read_one(sample.read_bytes())
    assert read_one(ubl.write(doc)) == read_one(cii.write(doc))


def test_guideline_defaults_to_factur_x_en16931() -> None:
    doc = make_invoice(customization_id=None)
    written = cii.write(doc)
    assert b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>" in written
    assert read_one(written).customization_id == cii.EN16931_GUIDELINE


def test_guideline_override_is_written() -> None:
    written = cii.write(
        make_invoice(), guideline="urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
    )
    assert read_one(written).customization_id.endswith("xrechnung_3.0")


def test_dates_are_format_102() -> None:
    written = cii.write(make_invoice())
    assert b'<udt:DateTimeString format="102">20240301</udt:DateTimeString>' in written


def test_credit_note_type_code_gives_a_credit_note() -> None:
    doc = make_invoice(type_code="381")
    again = read_one(cii.write(doc))
    assert isinstance(again, CreditNote)


def test_unexpressible_terms_are_refused_not_dropped() -> None:
    doc = make_invoice(lines=(make_line(price_discount=make_line().net_price),))
    with pytest.raises(WriteError) as info:
        cii.write(doc)
    assert info.value.violations[0].path == "lines[0].price_discount"


def test_writer_refuses_statements() -> None:
    from tests.domain.factories import make_statement

    with pytest.raises(WriteError):
        cii.write(make_statement())
    with pytest.raises(WriteError):
        ubl.write(make_statement())


def test_cii_reader_reports_xpath_of_missing_total() -> None:
    written = cii.write(make_invoice())
    broken = written.replace(b"<ram:DuePayableAmount>", b"<ram:Ignored>").replace(
        b"</ram:DuePayableAmount>", b"</ram:Ignored>"
    )
    result = xml_reader.read(broken)
    assert result.documents == []
    paths = [v.path for v in result.violations]
    assert (
        "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
        "/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount"
    ) in paths


def test_cii_reader_refuses_other_date_formats() -> None:
    written = cii.write(make_invoice()).replace(b'format="102">20240301', b'format="610">202403', 1)
    result = xml_reader.read(written)
    assert result.documents == []
    assert result.violations[0].rule == "XML"
    assert result.violations[0].path.endswith("ram:IssueDateTime/udt:DateTimeString/@format")
    assert result.violations[0].expected == "102"
