"""The UBL fast path gives exactly the reference reader's document, or leaves the input to it.

Checked over every Peppol sample, over generated invoices and credit notes written to UBL, and over
damaged documents (values blanked, padded, made invalid, elements removed or repeated): either the fast
path gives up, or its document equals the reference reader's and the reference reader reports nothing.
"""

from __future__ import annotations

import copy
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from ledgerlink.domain import documents as m
from ledgerlink.formats import canonical, ubl, ubl_fast, xml_reader
from ledgerlink.formats.xml_safety import XmlLimits, parse
from tests.formats.test_ubl_cii_properties import commercial_document
from tests.formats.xml_samples import SAMPLES, samples


def root_of(data: bytes) -> etree._Element:
    root, problems = parse(data)
    assert root is not None, problems
    return root


def assert_same(fast: m.AnyDocument, reference: m.AnyDocument) -> None:
    assert type(fast) is type(reference)
    assert fast == reference
    assert canonical.dumps(fast) == canonical.dumps(reference)  # decimals as written, not only equal


@samples
def test_sample_takes_the_fast_path_to_the_same_document(sample: Path) -> None:
    root = root_of(sample.read_bytes())
    fast = ubl_fast.read_document(root)
    assert fast is not None, "a clean official sample must not need the reference reader"
    reference = ubl.read_invoice(root, fast=False)
    assert reference.violations == []
    assert_same(fast, reference.documents[0].document)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commercial_document())
def test_generated_documents_take_the_fast_path_to_the_same_document(doc: m.Invoice | m.CreditNote) -> None:
    root = root_of(ubl.write(doc))
    fast = ubl_fast.read_document(root)
    assert fast is not None
    reference = ubl.read_invoice(root, fast=False)
    assert reference.violations == []
    assert_same(fast, reference.documents[0].document)
    assert_same(fast, doc.model_copy(update={"customization_id": ubl.PEPPOL_CUSTOMIZATION_ID}))


# ----------------------------------------------------------------------------- damaged documents

BAD_VALUES = [
    "", "   ", " padded ", "\u00a0EUR", "EUR\u2003", "1e3", "NaN", "+1.50", ".5", "5.", "1,5", "\u0663",
    "2017-02-30", "13.11.2017", "0000-01-01", "true", "false", "1", "0", "yes", "VAT", " VAT", "SEPA",
    "130", " 130", "50", "NA", "#AAI#", "#AAI# text", "#TOOLONG#x", "a\nb", 'quote " and \\ slash',
    "x" * 40, "VGVzdA==", "not base64 !!",
]
ATTRIBUTES = ["currencyID", "schemeID", "unitCode", "listID", "mimeCode", "filename", "name"]
SEEDS = [p.read_bytes() for p in SAMPLES]
SMALL_LIMITS = XmlLimits(max_field_chars=30)


@st.composite
def damaged(draw: st.DrawFn) -> tuple[etree._Element, XmlLimits]:
    root = copy.deepcopy(root_of(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        elements = list(root.iter())[1:]
        el = draw(st.sampled_from(elements))
        action = draw(st.sampled_from(["text", "text", "attribute", "remove", "repeat", "child"]))
        if action == "text":
            el.text = draw(st.sampled_from(BAD_VALUES))
        elif action == "attribute":
            el.set(draw(st.sampled_from(ATTRIBUTES)), draw(st.sampled_from(BAD_VALUES)))
        elif action == "remove":
            el.getparent().remove(el)
        elif action == "repeat":
            el.addnext(copy.deepcopy(el))
        else:
            etree.SubElement(el, el.tag).text = "inner"
    limits = draw(st.sampled_from([XmlLimits(), SMALL_LIMITS]))
    return root, limits


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_damaged_documents_are_left_to_the_reference_reader_or_read_the_same(
    case: tuple[etree._Element, XmlLimits],
) -> None:
    root, limits = case
    if root.tag not in xml_reader.ROOTS:
        return
    fast = ubl_fast.read_document(root, limits)
    reference = ubl.read_invoice(root, limits, fast=False)
    event("fast path" if fast is not None else "left to the reference reader")
    if fast is not None:
        assert reference.violations == [], "the fast path must leave every reported problem to the reference"
        assert_same(fast, reference.documents[0].document)
    result = ubl.read_invoice(root, limits)  # the public path: same violations, same documents
    assert result.violations == reference.violations
    assert [f.document for f in result.documents] == [f.document for f in reference.documents]


def test_a_second_payment_means_code_is_left_to_the_reference_reader_for_its_warning() -> None:
    data = SAMPLES[0].parent.joinpath("base-example.xml").read_bytes()
    data = data.replace(
        b"<cac:PaymentTerms>",
        b"<cac:PaymentMeans><cbc:PaymentMeansCode>10</cbc:PaymentMeansCode></cac:PaymentMeans><cac:PaymentTerms>",
        1,
    )
    root = root_of(data)
    assert ubl_fast.read_document(root) is None
    assert [v.path for v in xml_reader.read(data).violations] == ["/Invoice/cac:PaymentMeans[2]/cbc:PaymentMeansCode"]


def test_an_element_inside_a_value_is_read_as_the_reference_reads_it() -> None:
    data = SAMPLES[0].parent.joinpath("base-example.xml").read_bytes()
    data = data.replace(b"<cbc:BuyerReference>", b"<cbc:BuyerReference><x/>", 1)
    root = root_of(data)
    fast = ubl_fast.read_document(root)
    reference = ubl.read_invoice(root, fast=False).documents[0].document
    assert fast is not None
    assert_same(fast, reference)
    assert isinstance(fast, m.Invoice) and fast.buyer_reference is None
