"""Property tests of the CSV reader: generated exports round-trip; arbitrary input never raises."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerlink.domain import rules
from ledgerlink.domain.documents import CreditNote, Invoice
from ledgerlink.formats.base import Found
from ledgerlink.formats.csvprofiles import load_profile, read_bytes
from tests.formats.test_csv_reader import arithmetic_problems
from tests.formats.test_csv_samples import GENERIC_HEADER, SELLER, table

SAGE_HEADER = load_profile("sage50-audit-trail").format.header
RATES = {"T0": Decimal(0), "T1": Decimal(20), "T2": Decimal(0), "T5": Decimal(5), "T9": Decimal(0)}
CATEGORIES = {"T0": "Z", "T1": "S", "T2": "E", "T5": "S", "T9": "O"}
CENT = Decimal("0.01")

amounts = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c).scaleb(-2))
line = st.tuples(
    amounts, st.sampled_from(sorted(RATES)), st.text("abcdefghij XYZ,;\"'", min_size=1, max_size=20)
)
document = st.tuples(st.sampled_from(["SI", "SC"]), st.lists(line, min_size=1, max_size=6))
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sage_rows(docs: list[tuple[str, list[tuple[Decimal, str, str]]]]) -> list[dict[str, str]]:
    rows = []
    for n, (kind, lines) in enumerate(docs):
        for net, code, details in lines:
            tax = (net * RATES[code] / 100).quantize(CENT, ROUND_HALF_UP)
            rows.append(
                {
                    "Type": kind,
                    "Account Ref": f"A{n % 3}",
                    "Nominal Code": "4000",
                    "Date": "01/02/2026",
                    "Reference": f"R{n}",
                    "Details": details.strip() or "item",
                    "Net Amount": str(net),
                    "Tax Code": code,
                    "Tax Amount": str(tax),
                }
            )
    return rows


@SLOW
@given(st.lists(document, min_size=1, max_size=8))
def test_generated_sage_rows_round_trip(docs):
    result = read_bytes(table(SAGE_HEADER, sage_rows(docs)).encode(), "sage50-audit-trail", defaults=SELLER)
    assert result.violations == []
    assert len(result.documents) == len(docs)
    for found, (kind, lines) in zip(result.documents, docs):
        doc = found.document
        assert isinstance(doc, CreditNote if kind == "SC" else Invoice)
        assert [l.net_amount for l in doc.lines] == [net for net, _, _ in lines]
        assert doc.totals.line_extension_amount == sum(net for net, _, _ in lines)
        expected: dict[tuple[str, Decimal | None], Decimal] = {}
        for net, code, _ in lines:
            key = (CATEGORIES[code], None if code == "T9" else RATES[code])
            expected[key] = expected.get(key, Decimal(0)) + net
        assert {(b.category, b.rate): b.taxable_amount for b in doc.vat_breakdown} == expected
        assert arithmetic_problems(doc) == []
        if not any(code == "T9" for _, code, _ in lines):
            # T9 ("outside the scope", category O) cannot share an invoice with a seller VAT id or
            # other categories (BR-O-*): the rules rightly report those documents
            assert rules.check(doc) == [], rules.check(doc)
        assert type(doc).model_validate(doc.model_dump()) == doc


quantities = st.integers(min_value=1, max_value=100_000).map(lambda q: Decimal(q).scaleb(-3))
prices = st.integers(min_value=0, max_value=1_000_000).map(lambda p: Decimal(p).scaleb(-4))


@SLOW
@given(
    st.lists(st.tuples(quantities, prices, st.sampled_from(["0", "7", "19", "20"])), min_size=1, max_size=5)
)
def test_generic_line_amounts_are_quantity_times_price_rounded_half_up(lines):
    rows = [
        {
            "InvoiceNumber": "P-1",
            "DocumentType": "invoice",
            "IssueDate": "2026-01-31",
            "Currency": "EUR",
            "BuyerName": "B",
            "LineDescription": f"item {i}",
            "Quantity": str(q),
            "UnitPrice": str(p),
            "VatRate": r,
        }
        for i, (q, p, r) in enumerate(lines)
    ]
    header = (*GENERIC_HEADER, "SellerName", "SellerCountry", "BuyerCountry")
    data = table(
        header, [{**r, "SellerName": "S", "SellerCountry": "DE", "BuyerCountry": "DE"} for r in rows]
    )
    result = read_bytes(data.encode(), "generic")
    assert result.violations == []
    (found,) = result.documents
    doc = found.document
    assert [l.net_amount for l in doc.lines] == [(q * p).quantize(CENT, ROUND_HALF_UP) for q, p, _ in lines]
    assert [(l.quantity, l.net_price) for l in doc.lines] == [(q, p) for q, p, _ in lines]
    for b in doc.vat_breakdown:
        assert b.tax_amount == (b.taxable_amount * b.rate / 100).quantize(CENT, ROUND_HALF_UP)
    assert arithmetic_problems(doc) == []


def _check_result(result) -> None:
    for v in result.violations:
        assert v.rule in ("CSV", "CSV-PROFILE") and v.path.startswith("row ") and v.message
    for found in result.documents:
        assert isinstance(found, Found) and found.location.startswith("row")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2_000))
def test_arbitrary_bytes_never_raise(data):
    for name in ("sage50-audit-trail", "generic"):
        _check_result(read_bytes(data, name, defaults=SELLER))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_after_a_valid_header_never_raise(data):
    header = (",".join(SAGE_HEADER) + "\n").encode()
    _check_result(read_bytes(header + data, "sage50-audit-trail", defaults=SELLER))


csv_noise = st.text(alphabet=st.sampled_from(list('SIC,;"\r\n 0123456789./-T\x00é')), max_size=400)


@settings(max_examples=300, deadline=None)
@given(csv_noise)
def test_csv_like_noise_after_a_valid_header_never_raises(text):
    header = ",".join(SAGE_HEADER) + "\n"
    result = read_bytes((header + text).encode(), "sage50-audit-trail", defaults=SELLER)
    _check_result(result)
    for found in result.documents:  # whatever is read is a complete, consistent document
        assert arithmetic_problems(found.document) == []


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.sampled_from(["\n", "\r\n", "\r"]))
def test_block_boundaries_do_not_change_the_result(block, newline):
    """The line source reads in blocks; wherever a block ends (even inside \\r\\n), rows are the same."""
    from ledgerlink.formats.csvprofiles import source
    from tests.formats.test_csv_samples import SAGE50

    text = SAGE50.replace("Consultancy March", '"Consultancy\nMarch"').replace("\n", newline)
    expected = read_bytes(text.encode(), "sage50-audit-trail", defaults=SELLER)
    original = source.Lines.BLOCK
    source.Lines.BLOCK = block
    try:
        result = read_bytes(text.encode(), "sage50-audit-trail", defaults=SELLER)
    finally:
        source.Lines.BLOCK = original
    assert result.violations == expected.violations == []
    assert [(f.location, f.document) for f in result.documents] == [
        (f.location, f.document) for f in expected.documents
    ]
