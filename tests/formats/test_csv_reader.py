"""The CSV reader on each built-in layout: documents, amounts, totals, and the rules' verdict."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ledgerlink.domain import rules
from ledgerlink.domain.documents import CreditNote, Invoice
from ledgerlink.domain.money import within
from ledgerlink.formats import canonical
from ledgerlink.formats.base import Found
from ledgerlink.formats.csvprofiles import iter_documents, load_profile, read_bytes
from tests.formats.test_csv_samples import GENERIC, QUICKBOOKS, SAGE50, SAGE200, SELLER, XERO

D = Decimal


def arithmetic_problems(doc: Invoice | CreditNote) -> list[str]:
    """The EN 16931 sums (BR-CO-10/13/14/15/16, BR-CO-17 tolerance) checked independently of the rules."""
    t = doc.totals
    out = []
    if sum((line.net_amount for line in doc.lines), D(0)) != t.line_extension_amount:
        out.append("BR-CO-10")
    if t.tax_exclusive_amount != t.line_extension_amount - (t.allowance_total or 0) + (t.charge_total or 0):
        out.append("BR-CO-13")
    if sum((b.tax_amount for b in doc.vat_breakdown), D(0)) != t.tax_amount:
        out.append("BR-CO-14")
    if t.tax_inclusive_amount != t.tax_exclusive_amount + (t.tax_amount or 0):
        out.append("BR-CO-15")
    if t.payable_amount != t.tax_inclusive_amount - (t.prepaid_amount or 0) + (t.rounding_amount or 0):
        out.append("BR-CO-16")
    for b in doc.vat_breakdown:
        taxable = sum(
            (
                line.net_amount
                for line in doc.lines
                if (line.vat_category, line.vat_rate) == (b.category, b.rate)
            ),
            D(0),
        )
        if taxable != b.taxable_amount:
            out.append("BR-CO-18")
        if not within(b.tax_amount, (b.taxable_amount * (b.rate or 0) / 100).quantize(D("0.01"))):
            out.append("BR-CO-17")
    return out


def assert_valid(doc: Invoice | CreditNote) -> None:
    assert arithmetic_problems(doc) == []
    assert rules.check(doc) == []
    # the fast construction equals full pydantic validation of the same content
    assert type(doc).model_validate(doc.model_dump()) == doc
    assert canonical.document_from_obj(canonical.loads(canonical.dumps(doc))) == doc


def read(data: str | bytes, profile: str, **defaults: str):
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return read_bytes(raw, profile, defaults={**SELLER, **defaults})


def test_sage50_audit_trail_invoices_and_credit_notes():
    result = read(SAGE50, "sage50-audit-trail")
    assert result.violations == []
    locations = [f.location for f in result.documents]
    assert locations == ["rows 2-4", "row 6", "row 7"]  # the receipt on row 5 is skipped
    first, second, credit = (f.document for f in result.documents)

    assert isinstance(first, Invoice) and first.type_code == "380"
    assert first.number == "10234" and first.issue_date == dt.date(2026, 3, 15)
    assert first.due_date == dt.date(2026, 4, 14)  # terms.due_days = 30
    assert first.customer_account == "BRO001" and first.buyer.name == "BRO001"
    assert first.seller.name == "Acme Widgets Ltd" and first.seller.vat_id == "GB980780684"
    assert first.seller.address is not None and first.seller.address.country == "GB"
    assert [
        (l.name, l.net_amount, l.vat_category, l.vat_rate, l.accounting_reference) for l in first.lines
    ] == [
        ("Consultancy March", D("1250.00"), "S", D("20"), "4000"),
        ("Printed manuals", D("80.00"), "Z", D("0"), "4010"),
        ("Training venue", D("33.33"), "S", D("20"), "4020"),
    ]
    assert [(b.category, b.rate, b.taxable_amount, b.tax_amount) for b in first.vat_breakdown] == [
        ("S", D("20"), D("1283.33"), D("256.67")),  # posted VAT 250.00 + 6.67
        ("Z", D("0"), D("80.00"), D("0.00")),
    ]
    assert first.totals.line_extension_amount == D("1363.33")
    assert first.totals.tax_amount == D("256.67")
    assert first.totals.payable_amount == D("1620.00")
    assert second.project_reference == "PRJ7" and second.lines[0].vat_rate == D("5")

    assert isinstance(credit, CreditNote) and credit.type_code == "381"
    assert credit.totals.payable_amount == D("120.00") and credit.lines[0].net_amount == D("100.00")
    for found in result.documents:
        assert_valid(found.document)


def test_xero_lines_grouped_by_invoice_number_with_stated_totals():
    result = read(XERO, "xero-sales-invoices")
    assert result.violations == []
    invoice, credit = (f.document for f in result.documents)
    assert [f.location for f in result.documents] == ["rows 2-4", "row 5"]
    assert invoice.number == "INV-0042" and invoice.buyer.name == "Bright Ideas Ltd"
    assert invoice.buyer.contact is not None and invoice.buyer.contact.email == "ap@brightideas.example"
    assert invoice.buyer.address is not None and invoice.buyer.address.city == "Leeds"
    assert invoice.due_date == dt.date(2026, 5, 2) and invoice.buyer_reference == "PO 9"
    gadget = invoice.lines[1]
    assert gadget.quantity == D("2") and gadget.net_price == D("40.00") and gadget.net_amount == D("60.00")
    assert gadget.allowances[0].amount == D("20.00") and gadget.allowances[0].percentage == D("25")
    assert invoice.totals.tax_inclusive_amount == D("312.00") and invoice.totals.tax_amount == D("52.00")
    assert invoice.lines[0].seller_item_id == "W-1"
    assert isinstance(credit, CreditNote)
    assert credit.lines[0].quantity == D("1") and credit.lines[0].net_amount == D("50.00")
    assert credit.totals.payable_amount == D("60.00")
    for doc in (invoice, credit):
        assert_valid(doc)


def test_stated_totals_are_kept_and_left_to_the_rules():
    wrong = XERO.replace("312.00,52.00", "999.00,52.00")
    result = read(wrong, "xero-sales-invoices")
    invoice = result.documents[0].document
    assert invoice.totals.tax_inclusive_amount == D("999.00")  # as stated, not recomputed
    assert invoice.totals.tax_exclusive_amount == D("260.00")
    assert "BR-CO-15" in {v.rule for v in rules.check(invoice)}


def test_quickbooks_thousands_separator_and_negative_invoice_as_credit_note():
    result = read(QUICKBOOKS, "quickbooks-invoices")
    assert result.violations == []
    invoice, credit = (f.document for f in result.documents)
    assert invoice.lines[0].net_price == D("1200.00") and invoice.lines[0].net_amount == D("3600.00")
    assert invoice.payment_terms == "Net 30" and invoice.notes[0].text == "Thanks for your business"
    assert invoice.totals.payable_amount == D("4335.00")
    assert isinstance(credit, CreditNote)
    assert credit.lines[0].net_price == D("120.00") and credit.totals.payable_amount == D("144.00")
    for doc in (invoice, credit):
        assert_valid(doc)


def test_sage200_one_document_per_transaction():
    result = read(SAGE200, "sage200-customer-transactions")
    assert result.violations == []
    invoice, credit = (f.document for f in result.documents)
    assert [f.location for f in result.documents] == ["row 2", "row 4"]
    assert invoice.buyer.name == "Abbey Retail plc" and invoice.customer_account == "ABB001"
    assert invoice.lines[0].name == "April service" and invoice.totals.tax_inclusive_amount == D("1200.00")
    assert isinstance(credit, CreditNote) and credit.lines[0].name == "Goods and services"
    assert credit.totals.tax_inclusive_amount == D("60.00") and credit.totals.tax_exclusive_amount == D(
        "50.00"
    )
    for doc in (invoice, credit):
        assert_valid(doc)


def test_generic_layout_with_rates_and_categories():
    result = read_bytes(GENERIC.encode("utf-8"), "generic")
    assert result.violations == []
    (found,) = result.documents
    doc = found.document
    assert doc.seller.name == "Verkäufer AG" and doc.buyer.name == "Käufer GmbH" and doc.currency == "EUR"
    assert [(l.vat_category, l.vat_rate, l.quantity, l.net_price) for l in doc.lines] == [
        ("S", D("19"), D("2.5"), D("80")),
        ("S", D("7"), D("1"), D("30.00")),
    ]
    assert [(b.rate, b.tax_amount) for b in doc.vat_breakdown] == [(D("19"), D("38.00")), (D("7"), D("2.10"))]
    assert_valid(doc)


def test_user_profile_extends_builtin_with_semicolon_decimal_comma_and_windows_1252(tmp_path):
    profile = tmp_path / "my-sage.toml"
    profile.write_text(
        'extends = "sage50-audit-trail"\nname = "my-sage"\n'
        '[format]\ndelimiter = ";"\ndecimal_separator = ","\nthousands_separator = "."\nencoding = "auto"\n'
        '[defaults]\nseller_name = "Café Ltd"\nseller_vat_id = "GB111222333"\n',
        encoding="utf-8",
    )
    text = SAGE50.replace(",", ";").replace("1250.00", "1.250,00").replace(".00", ",00").replace(".67", ",67")
    text = text.replace("33.33", "33,33").replace("99.99", "99,99").replace("Printed manuals", "Crème brûlée")
    data = text.encode("cp1252")
    result = read_bytes(data, str(profile))
    assert result.violations == []
    first = result.documents[0].document
    assert first.seller.name == "Café Ltd"
    assert first.lines[0].net_amount == D("1250.00") and first.lines[1].name == "Crème brûlée"
    assert_valid(first)


def test_utf8_bom_and_crlf_are_read():
    data = b"\xef\xbb\xbf" + SAGE50.replace("\n", "\r\n").encode("utf-8")
    result = read(data, "sage50-audit-trail")
    assert result.violations == [] and len(result.documents) == 3


def test_header_matching_ignores_case_spaces_and_template_stars():
    header, rest = QUICKBOOKS.split("\r\n", 1)
    starred = (
        header.replace("InvoiceNo", "*InvoiceNo")
        .replace("ServiceDate", "Service Date")
        .replace("Customer", "*customer")
    )
    result = read(starred + "\r\n" + rest, "quickbooks-invoices")
    assert result.violations == [] and len(result.documents) == 2


def test_streaming_yields_each_document_before_the_file_is_read():
    profile = load_profile("sage50-audit-trail", {"defaults": SELLER})
    header = SAGE50.splitlines(keepends=True)[0]
    rows = [
        f"SI,ACC{i % 7},4000,0,01/04/2026,R{i:06d},Item {i},10.00,T1,2.00,1.00,,U,,\n" for i in range(50_000)
    ]

    class Tracking:
        def __init__(self, data: bytes):
            self.data, self.pos = data, 0

        def read(self, n: int = -1) -> bytes:
            n = len(self.data) - self.pos if n < 0 else n
            chunk = self.data[self.pos : self.pos + n]
            self.pos += len(chunk)
            return chunk

    stream = Tracking((header + "".join(rows)).encode())
    items = iter_documents(stream, profile)
    first = next(items)
    assert isinstance(first, Found) and first.location == "row 2"
    assert stream.pos <= 2 * 1024 * 1024 < len(stream.data)  # only the first 1 MiB blocks were read
    rest = list(items)
    assert len(rest) == 49_999 and all(isinstance(i, Found) for i in rest)
    assert rest[-1].location == "row 50001"


def test_location_of_multiline_quoted_cell_counts_records():
    text = SAGE50.replace("Consultancy March", '"Consultancy\nMarch"')
    result = read(text, "sage50-audit-trail")
    assert result.violations == []
    assert result.documents[0].document.lines[0].name == "Consultancy\nMarch"
    assert [f.location for f in result.documents] == ["rows 2-4", "row 6", "row 7"]


def test_rates_of_tax_codes_come_from_the_profile(tmp_path):
    profile = tmp_path / "rates.toml"
    profile.write_text(
        'extends = "sage50-audit-trail"\n[tax_codes]\nT1 = { category = "S", rate = "17.5" }\n'
    )
    text = SAGE50.replace("250.00", "218.75")
    result = read_bytes(text.encode(), str(profile), defaults=SELLER)
    first = result.documents[0].document
    assert first.lines[0].vat_rate == D("17.5")


@pytest.mark.parametrize(
    "name",
    [
        "sage50-audit-trail",
        "xero-sales-invoices",
        "quickbooks-invoices",
        "sage200-customer-transactions",
        "generic",
    ],
)
def test_header_only_file_gives_no_documents_and_no_errors(name):
    header = ",".join(load_profile(name).format.header) + "\n"
    result = read(header, name)
    assert result.documents == [] and result.violations == []


def test_text_streams_are_refused_with_a_clear_error():
    profile = load_profile("sage50-audit-trail", {"defaults": SELLER})
    import io

    with pytest.raises(TypeError, match="binary stream"):
        list(iter_documents(io.StringIO(SAGE50), profile))


def test_skipped_types_match_without_case():
    result = read(SAGE50.replace("SR,BRO001", "sr,BRO001"), "sage50-audit-trail")
    assert result.violations == [] and len(result.documents) == 3


def test_tax_inclusive_amounts_negative_credit_notes_payment_and_preceding_invoice(tmp_path):
    from tests.formats.test_csv_samples import GENERIC_HEADER, table

    profile = tmp_path / "gross.toml"
    profile.write_text(
        'extends = "generic"\nname = "gross"\n'
        "[amounts]\nline_amounts_include_tax = true\n"
        '[document_type]\ncredit_note_amounts = "negative"\n'
        '[defaults]\nseller_name = "S GmbH"\nseller_vat_id = "DE123456789"\n'
        'seller_country = "DE"\nbuyer_country = "DE"\n'
        'payment_iban = "DE89370400440532013000"\npayment_bic = "COBADEFFXXX"\n'
    )
    header = (*GENERIC_HEADER, "PrecedingInvoice", "Note", "DueDate")
    rows = [
        {
            "InvoiceNumber": "I-1",
            "DocumentType": "invoice",
            "IssueDate": "2026-06-01",
            "DueDate": "2026-06-30",
            "Currency": "EUR",
            "BuyerName": "B",
            "LineDescription": "Gross priced",
            "Quantity": "1",
            "LineNetAmount": "119.00",
            "VatRate": "19",
            "Note": "Danke",
        },
        {
            "InvoiceNumber": "C-1",
            "DocumentType": "credit_note",
            "IssueDate": "2026-06-02",
            "DueDate": "2026-06-02",
            "Currency": "EUR",
            "BuyerName": "B",
            "LineDescription": "Refund",
            "Quantity": "-1",
            "LineNetAmount": "-119.00",
            "VatRate": "19",
            "PrecedingInvoice": "I-1",
        },
    ]
    result = read_bytes(table(header, rows).encode(), str(profile))
    assert result.violations == []
    invoice, credit = (f.document for f in result.documents)
    assert invoice.lines[0].net_amount == D("100.00") and invoice.totals.tax_amount == D("19.00")
    assert invoice.totals.payable_amount == D("119.00") and invoice.notes[0].text == "Danke"
    assert invoice.payment is not None and invoice.payment.means_code == "30"
    assert invoice.payment.credit_transfers[0].account_id == "DE89370400440532013000"
    assert invoice.payment.credit_transfers[0].bic == "COBADEFFXXX"
    assert isinstance(credit, CreditNote) and credit.lines[0].quantity == D("1")
    assert credit.lines[0].net_amount == D("100.00") and credit.totals.payable_amount == D("119.00")
    assert credit.preceding_invoices[0].number == "I-1"
    for doc in (invoice, credit):
        assert_valid(doc)


def test_utf16_with_bom_is_detected():
    result = read(SAGE50.encode("utf-16"), "sage50-audit-trail")
    assert result.violations == [] and len(result.documents) == 3


def test_semicolon_delimiter_is_detected_for_auto_profiles():
    text = SAGE200.replace(",", ";").replace("1;000.00", "1,000.00").replace("1;200.00", "1,200.00")
    result = read(text, "sage200-customer-transactions")
    assert result.violations == []
    assert result.documents[0].document.totals.tax_inclusive_amount == D("1200.00")
