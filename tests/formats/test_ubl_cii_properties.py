"""Property tests: generated valid invoices survive UBL and CII unchanged, and both read to the same document.

The strategy builds on ``tests.domain.factories.make_invoice`` (totals and VAT breakdown derived, so the
documents are valid) and varies every business term the model holds. It stays inside what both syntaxes
carry identically; the deliberate normalisations (docs/architecture/xml-formats.md) are the constraints:
BT-24/BT-23 are Peppol's, identifiers of one party are all with or all without a scheme, at most three
address lines, gross price and price discount together, no ``SEPA`` identifier scheme on parties.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerlink.domain import documents as m
from ledgerlink.formats import cii, ubl, xml_reader
from tests.domain.factories import make_credit_note, make_invoice
from tests.formats.xml_samples import assert_cii_schema_valid, assert_ubl_schema_valid

XML_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp"))
text = (
    st.text(XML_CHARS, min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
    .filter(lambda s: not s.startswith("#"))
)
code = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=4)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
money = st.decimals(
    min_value=Decimal("-100000"), max_value=Decimal("100000"), places=2, allow_nan=False, allow_infinity=False
)
positive = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000"), places=2)
quantity = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=3)
rate = st.sampled_from([Decimal("25"), Decimal("19"), Decimal("7.5"), Decimal("0"), Decimal("12.00")])
country = st.sampled_from(["DE", "FR", "NO", "SE", "GB", "IT"])
scheme = st.sampled_from(["0088", "0192", "0002", "9930", "0184"])


def opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


identifier_with_scheme = st.builds(m.Identifier, value=text, scheme=scheme)
identifier_without_scheme = st.builds(m.Identifier, value=text)
identifier = identifier_with_scheme | identifier_without_scheme

address = st.builds(
    m.Address,
    lines=st.lists(text, max_size=3).map(tuple),
    city=opt(text),
    postal_code=opt(text),
    subdivision=opt(text),
    country=country,
)
contact = st.builds(m.Contact, name=opt(text), phone=opt(text), email=opt(text)).filter(
    lambda c: any((c.name, c.phone, c.email))
)


@st.composite
def party(draw: st.DrawFn) -> m.Party:
    ids = draw(st.lists(identifier_with_scheme, max_size=2) | st.lists(identifier_without_scheme, max_size=2))
    return m.Party(
        name=draw(text),
        trading_name=draw(opt(text)),
        identifiers=tuple(ids),
        legal_id=draw(opt(identifier)),
        legal_form=draw(opt(text)),
        vat_id=draw(opt(text)),
        tax_registration_id=draw(opt(text)),
        address=draw(opt(address)),
        contact=draw(opt(contact)),
        electronic_address=draw(opt(st.builds(m.ElectronicAddress, value=text, scheme=scheme))),
    )


period = st.builds(m.Period, start=opt(dates), end=opt(dates)).filter(lambda p: p.start or p.end)


@st.composite
def delivery(draw: st.DrawFn) -> m.Delivery:
    name = draw(opt(text))
    d = m.Delivery(
        party_name=name,
        location_id=draw(opt(identifier)),
        date=draw(opt(dates)),
        address=draw(opt(address)) if name else None,
    )
    return d if any((d.party_name, d.location_id, d.date, d.address)) else m.Delivery(date=draw(dates))


@st.composite
def payment(draw: st.DrawFn) -> m.PaymentInstructions:
    debit = draw(
        opt(
            st.builds(
                m.DirectDebit,
                mandate_reference=opt(text),
                creditor_id=opt(text),
                debited_account_id=opt(text),
            )
        )
    )
    if debit is not None and not any((debit.mandate_reference, debit.creditor_id, debit.debited_account_id)):
        debit = None
    return m.PaymentInstructions(
        means_code=draw(st.sampled_from(["30", "31", "42", "48", "49", "58", "59"])),
        means_text=draw(opt(text)),
        remittance_information=draw(opt(text)),
        credit_transfers=tuple(
            draw(
                st.lists(
                    st.builds(
                        m.CreditTransfer,
                        account_id=st.sampled_from(["DE89370400440532013000", "12345678", "NO9386011117947"]),
                        account_name=opt(text),
                        bic=opt(text),
                    ),
                    max_size=2,
                )
            )
        ),
        card=draw(
            opt(
                st.builds(
                    m.CardPayment,
                    primary_account_number=st.sampled_from(["1234", "567890"]),
                    holder_name=opt(text),
                )
            )
        ),
        direct_debit=debit,
    )


doc_allowance = st.builds(
    m.AllowanceCharge,
    amount=positive,
    base_amount=opt(positive),
    percentage=opt(rate),
    vat_category=st.just("S"),
    vat_rate=st.just(Decimal("19")),
    reason=opt(text),
    reason_code=opt(st.sampled_from(["95", "100", "FC", "ABL"])),
)
line_allowance = st.builds(
    m.AllowanceCharge,
    amount=positive,
    base_amount=opt(positive),
    percentage=opt(rate),
    reason=opt(text),
    reason_code=opt(st.sampled_from(["95", "FC"])),
)
attachment = st.one_of(
    st.builds(m.Attachment, id=text, description=opt(text), uri=opt(text)),
    st.builds(
        m.Attachment,
        id=text,
        description=opt(text),
        filename=text,
        mime_code=st.sampled_from(["application/pdf", "text/csv", "image/png"]),
        content=st.binary(min_size=1, max_size=64),
    ),
)
note = st.builds(m.Note, text=text, subject_code=opt(st.sampled_from(["AAI", "AAB", "REG", "TXD"])))


@st.composite
def line(draw: st.DrawFn, index: int) -> m.InvoiceLine:
    category = draw(st.sampled_from(["S", "S", "Z", "E", "O"]))
    gross = draw(opt(positive))
    base_qty = draw(opt(st.sampled_from([Decimal("1"), Decimal("100"), Decimal("0.5")])))
    return m.InvoiceLine(
        id=str(index + 1),
        note=draw(opt(text)),
        object_id=draw(opt(identifier)),
        quantity=draw(quantity),
        unit_code=draw(st.sampled_from(["C62", "HUR", "KGM", "EA"])),
        net_amount=draw(money),
        order_line_reference=draw(opt(text)),
        accounting_reference=draw(opt(text)),
        period=draw(opt(period)),
        allowances=tuple(draw(st.lists(line_allowance, max_size=2))),
        charges=tuple(draw(st.lists(line_allowance, max_size=1))),
        net_price=draw(positive),
        price_discount=draw(positive) if gross is not None else None,
        gross_price=gross,
        price_base_quantity=base_qty,
        price_base_unit_code=draw(opt(st.just("C62"))) if base_qty is not None else None,
        vat_category=category,
        vat_rate=None if category == "O" else (draw(rate) if category == "S" else Decimal("0")),
        name=draw(text),
        description=draw(opt(text)),
        seller_item_id=draw(opt(text)),
        buyer_item_id=draw(opt(text)),
        standard_item_id=draw(opt(identifier_with_scheme)),
        classifications=tuple(
            draw(st.lists(st.builds(m.Identifier, value=text, scheme=opt(code)), max_size=2))
        ),
        origin_country=draw(opt(country)),
        attributes=tuple(draw(st.lists(st.builds(m.ItemAttribute, name=text, value=text), max_size=2))),
    )


@st.composite
def commercial_document(draw: st.DrawFn) -> m.Invoice | m.CreditNote:
    credit = draw(st.booleans())
    n_lines = draw(st.integers(min_value=1, max_value=3))
    lines = tuple(draw(line(i)) for i in range(n_lines))
    payment_given = draw(opt(payment()))
    tax_point = draw(opt(dates))
    inv_period = draw(
        opt(
            st.builds(
                m.Period,
                start=opt(dates),
                end=opt(dates),
                description_code=st.none() if tax_point else opt(st.sampled_from(["3", "35", "432"])),
            ).filter(lambda p: p.start or p.end or p.description_code)
        )
    )
    accounting = draw(st.booleans())
    fields: dict[str, Any] = dict(
        number=draw(text),
        issue_date=draw(dates),
        type_code=draw(st.sampled_from(["381", "396"] if credit else ["380", "383", "384", "389", "751"])),
        currency=draw(st.sampled_from(["EUR", "NOK", "GBP"])),
        vat_accounting_currency="SEK" if accounting else None,
        tax_point_date=tax_point,
        due_date=draw(opt(dates)) if (payment_given is not None or not credit) else None,
        buyer_reference=draw(opt(text)),
        project_reference=draw(opt(text)),
        contract_reference=draw(opt(text)),
        order_reference=draw(opt(text.filter(lambda s: s != "NA"))),
        sales_order_reference=draw(opt(text)),
        receiving_advice_reference=draw(opt(text)),
        despatch_advice_reference=draw(opt(text)),
        tender_reference=draw(opt(text)),
        invoiced_object=draw(opt(identifier)),
        accounting_reference=draw(opt(text)),
        payment_terms=draw(opt(text)),
        notes=tuple(draw(st.lists(note, max_size=2))),
        profile_id=ubl.PEPPOL_PROFILE_ID,
        customization_id=ubl.PEPPOL_CUSTOMIZATION_ID,
        preceding_invoices=tuple(
            draw(st.lists(st.builds(m.DocumentReference, number=text, issue_date=opt(dates)), max_size=2))
        ),
        seller=draw(party()),
        buyer=draw(party()),
        payee=draw(opt(party())),
        tax_representative=draw(opt(party())),
        delivery=draw(opt(delivery())),
        invoicing_period=inv_period,
        payment=payment_given,
        allowances=tuple(draw(st.lists(doc_allowance, max_size=2))),
        charges=tuple(draw(st.lists(doc_allowance, max_size=2))),
        attachments=tuple(draw(st.lists(attachment, max_size=2))),
        lines=lines,
    )
    doc = make_credit_note(**fields) if credit else make_invoice(**fields)
    if accounting:
        doc = doc.model_copy(
            update={"totals": doc.totals.model_copy(update={"tax_amount_accounting_currency": draw(money)})}
        )
    prepaid = draw(opt(money))
    rounding = draw(opt(st.sampled_from([Decimal("0.01"), Decimal("-0.02")])))
    if prepaid is not None or rounding is not None:
        doc = doc.model_copy(
            update={
                "totals": doc.totals.model_copy(
                    update={"prepaid_amount": prepaid, "rounding_amount": rounding}
                )
            }
        )
    return doc


def read_back(data: bytes) -> m.AnyDocument:
    result = xml_reader.read(data)
    assert result.violations == []
    (found,) = result.documents
    return found.document


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(commercial_document())
def test_ubl_round_trip_is_lossless_and_schema_valid(doc: m.Invoice | m.CreditNote) -> None:
    written = ubl.write(doc)
    assert_ubl_schema_valid(written, isinstance(doc, m.CreditNote))
    assert read_back(written) == doc


@PROPERTY
@given(commercial_document())
def test_cii_round_trip_is_lossless_and_schema_valid(doc: m.Invoice | m.CreditNote) -> None:
    written = cii.write(doc)
    assert_cii_schema_valid(written)
    assert read_back(written) == doc


@PROPERTY
@given(commercial_document())
def test_ubl_and_cii_of_one_invoice_read_the_same(doc: m.Invoice | m.CreditNote) -> None:
    from_ubl, from_cii = read_back(ubl.write(doc)), read_back(cii.write(doc))
    assert from_ubl == from_cii
    assert type(from_ubl) is type(doc)
