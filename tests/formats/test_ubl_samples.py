"""The official Peppol BIS 3 examples: read without violation, written back as schema-valid UBL, read
again to an equal document."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledgerlink.domain import rules
from ledgerlink.domain.documents import CreditNote, Invoice
from ledgerlink.domain.violations import errors_only
from ledgerlink.formats import ubl, xml_reader
from tests.formats.xml_samples import SAMPLES, assert_ubl_schema_valid, samples


def read_one(data: bytes) -> Invoice | CreditNote:
    result = xml_reader.read(data)
    assert result.violations == []
    assert len(result.documents) == 1
    doc = result.documents[0].document
    assert isinstance(doc, (Invoice, CreditNote))
    return doc


def test_the_samples_are_there() -> None:
    assert len(SAMPLES) >= 12, f"Peppol samples missing from {SAMPLES}"


@samples
def test_sample_reads_without_violation(sample: Path) -> None:
    doc = read_one(sample.read_bytes())
    assert doc.number and doc.lines
    assert doc.totals.payable_amount is not None


@samples
def test_sample_round_trips_through_ubl(sample: Path) -> None:
    doc = read_one(sample.read_bytes())
    written = ubl.write(doc)
    assert_ubl_schema_valid(written, isinstance(doc, CreditNote))
    assert read_one(written) == doc


@samples
def test_sample_and_its_rewrite_pass_en16931_rules(sample: Path) -> None:
    doc = read_one(sample.read_bytes())
    assert errors_only(rules.check(doc)) == []
    assert errors_only(rules.check(read_one(ubl.write(doc)))) == []


def test_credit_note_sample_is_a_credit_note() -> None:
    doc = read_one((SAMPLES[0].parent / "base-creditnote-correction.xml").read_bytes())
    assert isinstance(doc, CreditNote)
    assert doc.type_code == "381"
    assert b"<CreditNote" in ubl.write(doc)


def test_sample_terms_are_mapped_exactly() -> None:
    """Spot checks of terms across the model (Norwegian example): decimals as given, bytes kept as bytes."""
    doc = read_one((SAMPLES[0].parent / "Norwegian-example-1.xml").read_bytes())
    assert str(doc.totals.line_extension_amount) == "1436.5"
    assert str(doc.totals.payable_amount) == "802.00"
    assert str(doc.totals.rounding_amount) == "0.22"
    assert doc.seller.tax_registration_id == "Foretaksregisteret"
    assert doc.seller.vat_id == "NO123456785MVA"
    assert doc.seller.legal_id is not None and doc.seller.legal_id.scheme == "0192"
    assert doc.payee is not None and doc.payee.name == "Ebeneser Scrooge AS"
    assert doc.tax_representative is not None and doc.tax_representative.vat_id == "NO999999999MVA"
    embedded = [a for a in doc.attachments if a.content is not None]
    assert embedded[0].content == b"Test base 64 encoding"
    assert embedded[0].filename == "Hours-spent.csv" and embedded[0].mime_code == "application/pdf"
    first = doc.lines[0]
    assert (first.gross_price, first.price_discount, first.net_price) == (1500, 227, 1273)
    assert [c.scheme for c in first.classifications] == ["MP", "STI"]
    assert first.attributes[0].name == "Color"
    assert str(doc.lines[1].quantity) == "-1"


def test_allowance_example_maps_invoiced_object_and_percentages() -> None:
    doc = read_one((SAMPLES[0].parent / "Allowance-example.xml").read_bytes())
    assert doc.invoiced_object is not None
    assert (doc.invoiced_object.value, doc.invoiced_object.scheme) == ("DR35141", "ABT")
    assert [a.id for a in doc.attachments] == ["ts12345"]
    assert doc.charges[0].percentage == 20 and doc.charges[0].base_amount == 1000
    assert doc.vat_accounting_currency == "SEK"
    assert str(doc.totals.tax_amount_accounting_currency) == "9324.00"
    assert doc.tax_point_date is not None
    line = doc.lines[1]
    assert line.period is not None and line.order_line_reference == "124"


@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
def test_writer_states_peppol_ids_and_schema_order(kind: str) -> None:
    from tests.domain.factories import make_credit_note, make_invoice

    doc = make_invoice() if kind == "invoice" else make_credit_note()
    written = ubl.write(doc)
    assert_ubl_schema_valid(written, kind == "credit_note")
    assert ubl.PEPPOL_CUSTOMIZATION_ID.encode() in written
    again = read_one(written)
    # BT-24 is the writer's: a UBL from ledgerlink always claims Peppol BIS 3.0 (documented normalisation).
    assert again.customization_id == ubl.PEPPOL_CUSTOMIZATION_ID
    assert again == doc.model_copy(
        update={"customization_id": ubl.PEPPOL_CUSTOMIZATION_ID, "profile_id": ubl.PEPPOL_PROFILE_ID}
    )
    assert errors_only(rules.check(again)) == []
