"""The UBL fast path gives exactly the reference reader's document, or leaves the input to it.

Checked over every Peppol sample, over generated invoices and credit notes written to UBL, and over
damaged documents (values blanked, padded, made invalid, elements removed, repeated or moved): either
the fast path gives up, or its document equals the reference reader's and the reference reader reports
nothing. The fast path builds its parts without pydantic validation; every document it gives is
validated again here and must come out equal.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from ledgerlink.domain import documents as m
from ledgerlink.formats import canonical, ubl, ubl_fast, xml_reader
from ledgerlink.formats.xml_common import _DECIMAL
from ledgerlink.formats.xml_safety import XmlLimits, parse
from tests.formats.test_ubl_cii_properties import commercial_document
from tests.formats.xml_samples import SAMPLES, samples


def root_of(data: bytes) -> etree._Element:
    root, problems = parse(data)
    assert root is not None, problems
    return root


def assert_valid_as_built(fast: m.AnyDocument) -> None:
    """The parts built without validation are what full pydantic validation makes of the same values."""
    validated = type(fast).model_validate(fast.model_dump())
    assert validated == fast
    assert canonical.dumps(validated) == canonical.dumps(fast)
    assert canonical.document_from_obj(canonical.loads(canonical.dumps(fast))) == fast


def assert_same(fast: m.AnyDocument, reference: m.AnyDocument) -> None:
    assert type(fast) is type(reference)
    assert fast == reference
    assert canonical.dumps(fast) == canonical.dumps(reference)  # decimals as written, not only equal
    assert_valid_as_built(fast)


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
        action = draw(st.sampled_from(["text", "text", "attribute", "remove", "repeat", "move", "child"]))
        if action == "text":
            el.text = draw(st.sampled_from(BAD_VALUES))
        elif action == "attribute":
            el.set(draw(st.sampled_from(ATTRIBUTES)), draw(st.sampled_from(BAD_VALUES)))
        elif action == "remove":
            el.getparent().remove(el)
        elif action == "repeat":
            el.addnext(copy.deepcopy(el))
        elif action == "move":  # to the end of its parent: readers must not depend on the order
            el.getparent().append(el)
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


def test_a_moved_currency_code_still_checks_every_amount() -> None:
    data = SAMPLES[0].parent.joinpath("base-example.xml").read_bytes()
    data = data.replace(b'<cbc:PayableAmount currencyID="EUR">', b'<cbc:PayableAmount currencyID="SEK">', 1)
    root = root_of(data)
    code = root.find("{*}DocumentCurrencyCode")
    assert code is not None
    root.append(code)  # BT-5 after the amounts
    assert ubl_fast.read_document(root) is None
    assert [v.rule for v in xml_reader.read_root(root).violations] == ["PEPPOL-EN16931-R051"]


def test_a_second_item_is_left_to_the_reference_reader() -> None:
    root = root_of(SAMPLES[0].parent.joinpath("base-example.xml").read_bytes())
    item = root.find("{*}InvoiceLine/{*}Item")
    assert item is not None
    second = copy.deepcopy(item)
    for name in second.findall("{*}Description"):
        second.remove(name)
    item.addnext(second)
    assert ubl_fast.read_document(root) is None
    reference = ubl.read_invoice(root, fast=False)
    assert reference.violations == [] and ubl.read_invoice(root).documents == reference.documents


def test_copying_a_document_read_fast_leaves_the_others_alone() -> None:
    """Parts share one fields-set per model class; pydantic copies it before changing it."""
    first = ubl_fast.read_document(root_of(SAMPLES[0].read_bytes()))
    second = ubl_fast.read_document(root_of(SAMPLES[1].read_bytes()))
    assert first is not None and second is not None
    changed = first.model_copy(update={"buyer_reference": "changed"})
    assert changed.buyer_reference == "changed" and "buyer_reference" in changed.model_fields_set
    assert first.model_fields_set == second.model_fields_set == set(type(first).model_fields)
    assert first.model_dump(exclude_unset=True) == first.model_dump()


DECIMAL_ALPHABET = "0123456789+-.eE_ xa\u0663\u00b2\u00a0"


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=DECIMAL_ALPHABET, min_size=1, max_size=8))
def test_xs_decimal_is_the_reference_pattern(text: str) -> None:
    accepted = _DECIMAL.match(text) is not None
    if accepted:
        assert ubl_fast.xs_decimal(text) == Decimal(text)
        assert str(ubl_fast.xs_decimal(text)) == str(Decimal(text))
    else:
        try:
            ubl_fast.xs_decimal(text)
        except ubl_fast.Unusual:
            pass
        else:
            raise AssertionError(f"{text!r} accepted, but not an xs:decimal")


@pytest.mark.parametrize("text", ["1", "-1", "+1.50", ".5", "5.", "\u0663", "0001.000"])
def test_xs_decimal_keeps_the_digits_as_written(text: str) -> None:
    assert _DECIMAL.match(text)
    assert ubl_fast.xs_decimal(text).as_tuple() == Decimal(text).as_tuple()


DECIMAL_SPELLINGS = [
    "7", "+1.50", "-1.50", ".5", "-.5", "5.", "0001.000", "\u0663", " 12.5 ",  # xs:decimal
    "+", "-", ".", "1e3", "1E3", "1.2.3", "--1", "+-1", "1_000", "NaN", "Infinity", "1,5", "\u00b2",
]
DECIMAL_TAGS = ("Percent", "MultiplierFactorNumeric", "InvoicedQuantity", "BaseQuantity")


@pytest.mark.parametrize("text", DECIMAL_SPELLINGS)
def test_every_amount_and_decimal_is_read_as_the_reference_reads_it(text: str) -> None:
    """Amounts and decimals are read inside the table walk: each spelling, in each such element of a
    sample, gives the reference reader's document or none (the reader then takes the reference path)."""
    seed = root_of(SAMPLES[0].parent.joinpath("Allowance-example.xml").read_bytes())
    targets = [
        i
        for i, el in enumerate(seed.iter())
        if el.get("currencyID") is not None or etree.QName(el).localname in DECIMAL_TAGS
    ]
    assert len(targets) > 20
    read_fast = 0
    for index in targets:
        root = copy.deepcopy(seed)
        list(root.iter())[index].text = text
        fast = ubl_fast.read_document(root)
        reference = ubl.read_invoice(root, fast=False)
        if fast is not None:
            read_fast += 1
            assert reference.violations == []
            assert_same(fast, reference.documents[0].document)
    if _DECIMAL.match(text.strip()) is None:
        assert read_fast == 0, "not an xs:decimal: the reference reader reports it"
    elif not text.strip().startswith("-"):
        assert read_fast > len(targets) // 2, "a valid decimal is read on the fast path"


def test_a_part_built_without_validation_has_the_state_pydantic_gives_it() -> None:
    built = ubl_fast.construct(m.Identifier, {"value": "0088", "scheme": "GLN"})
    validated = m.Identifier(value="0088", scheme="GLN")
    for slot in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"):
        assert getattr(built, slot) == getattr(validated, slot), slot
    assert built == validated and hash(built) == hash(validated)
