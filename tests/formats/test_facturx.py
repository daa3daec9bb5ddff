"""Factur-X PDF: samples through a real PDF/A-3 and back, and broken or hostile PDFs as violations."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from ledgerlink.domain import rules
from ledgerlink.domain.violations import errors_only
from ledgerlink.formats import cii, facturx
from ledgerlink.formats.xml_common import WriteError
from tests.domain.factories import make_credit_note, make_invoice, make_statement
from tests.formats.test_ubl_samples import read_one
from tests.formats.xml_samples import assert_cii_schema_valid, samples


def factur_x_view(doc):  # type: ignore[no-untyped-def]
    """A Factur-X PDF always states the EN 16931 profile as BT-24 (documented normalisation)."""
    return doc.model_copy(update={"customization_id": cii.EN16931_GUIDELINE})


def pdf_with(name: str, xml: bytes) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_attachment(name, xml)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@samples
def test_sample_round_trips_through_factur_x(sample: Path) -> None:
    doc = read_one(sample.read_bytes())
    pdf = facturx.write(doc)
    result = facturx.read(pdf)
    assert result.violations == []
    (found,) = result.documents
    assert found.location == "factur-x.xml:/rsm:CrossIndustryInvoice"
    assert found.document == factur_x_view(doc)


def test_written_pdf_is_pdf_a3_with_the_cii_attached() -> None:
    doc = make_invoice()
    pdf = facturx.write(doc)
    reader = PdfReader(io.BytesIO(pdf))
    assert list(reader.attachments) == ["factur-x.xml"]
    xml = reader.attachments["factur-x.xml"][0]
    assert_cii_schema_valid(xml)
    xmp = reader.xmp_metadata
    assert xmp is not None
    raw = xmp.stream.get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in raw
    assert b"EN 16931" in raw
    catalog = reader.trailer["/Root"]
    af = catalog["/AF"][0].get_object()
    assert af["/AFRelationship"] == "/Data"
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert fonts, "the visual page has text"
    for font in fonts.values():
        assert "/FontFile2" in font.get_object()["/FontDescriptor"], "fonts must be embedded for PDF/A"
    assert "INV-2024-0001" in reader.pages[0].extract_text()


def test_written_pdf_has_the_pdf_a_srgb_output_intent_with_its_icc_profile() -> None:
    from PIL import ImageCms

    catalog = PdfReader(io.BytesIO(facturx.write(make_invoice()))).trailer["/Root"]
    [intent] = [ref.get_object() for ref in catalog["/OutputIntents"]]
    assert (intent["/Type"], intent["/S"]) == ("/OutputIntent", "/GTS_PDFA1")
    assert intent["/OutputConditionIdentifier"] == facturx.SRGB_CONDITION
    stream = intent["/DestOutputProfile"].get_object()
    assert stream["/N"] == 3  # three colour components: RGB
    profile = ImageCms.ImageCmsProfile(io.BytesIO(stream.get_data()))
    assert profile.profile.xcolor_space.strip() == "RGB"
    assert "sRGB" in ImageCms.getProfileDescription(profile)


@pytest.mark.parametrize("make", [make_invoice, make_credit_note])
def test_written_documents_pass_the_rules(make) -> None:  # type: ignore[no-untyped-def]
    doc = make()
    read_back = facturx.read(facturx.write(doc)).documents[0].document
    assert read_back == factur_x_view(doc)
    assert errors_only(rules.check(read_back)) == []


def test_statement_cannot_be_written() -> None:
    with pytest.raises(WriteError):
        facturx.write(make_statement())


@pytest.mark.parametrize("data", [b"", b"not a pdf", b"<Invoice/>"])
def test_non_pdf_input(data: bytes) -> None:
    result = facturx.read(data)
    assert [v.rule for v in result.violations] == ["PDF"]


def test_pdf_without_invoice_attachment() -> None:
    pdf = facturx.render(make_invoice())
    (v,) = facturx.read(pdf).violations
    assert (v.rule, v.path, v.found) == ("PDF", "/EmbeddedFiles", "no attachments")


def test_truncated_pdf() -> None:
    pdf = facturx.write(make_invoice())
    result = facturx.read(pdf[: len(pdf) // 3])
    assert result.documents == []
    assert result.violations and result.violations[0].rule == "PDF"


def test_hostile_xml_inside_a_pdf_is_refused() -> None:
    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    result = facturx.read(pdf_with("factur-x.xml", xxe))
    assert [v.rule for v in result.violations] == ["XML-SECURITY"]


def test_zugferd_attachment_name_is_accepted() -> None:
    xml = cii.write(make_invoice())
    result = facturx.read(pdf_with("zugferd-invoice.xml", xml))
    assert result.violations == []
    assert result.documents[0].location.startswith("zugferd-invoice.xml:")


def test_wrong_root_inside_a_pdf() -> None:
    result = facturx.read(pdf_with("factur-x.xml", b"<Order/>"))
    assert [v.rule for v in result.violations] == ["XML-ROOT"]
