"""UBL 2.1 Invoice and CreditNote (Peppol BIS Billing 3.0 syntax) to and from the canonical model.

Mapping rules (where the model and UBL differ, see docs/architecture/xml-formats.md):

* BT-21 note subject codes use the Peppol convention ``#CODE#text`` inside ``cbc:Note``.
* BT-18 (invoiced object) is an ``AdditionalDocumentReference`` with ``DocumentTypeCode`` 130; in a credit
  note BT-11 (project) is one with ``DocumentTypeCode`` 50. Every other one is a BG-24 attachment.
* BT-90 (SEPA creditor id) is a ``PartyIdentification`` with ``schemeID="SEPA"`` on the payee, or on the
  seller when there is no payee; the reader moves it to ``payment.direct_debit.creditor_id``.
* BG-16 holds one payment means code with many accounts; UBL repeats ``PaymentMeans`` per account.
* BT-9 of a credit note is ``PaymentMeans/PaymentDueDate`` (UBL 2.1 CreditNote has no ``DueDate``).
* BT-147/148 live in ``Price/AllowanceCharge``; Peppol needs its ``Amount``, so a gross price without a
  discount is written with a discount of 0.
* The writer always states the Peppol BIS 3.0 CustomizationID; ProfileID is the document's or Peppol's
  billing profile. Elements follow the UBL 2.1 schema sequence.
"""

from __future__ import annotations

import base64

from decimal import Decimal
from typing import Any

from lxml import etree

from ledgerlink.domain import documents as m
from ledgerlink.domain.violations import Violation
from ledgerlink.formats.base import Found, ReadResult
from ledgerlink.formats.xml_common import (
    commercial_only,
    totals_or_none,
    ElementWriter,
    Source,
    Tag,
    WriteError,
    check_allowance,
    decimal_text,
    finish,
    tag_factory,
)
from ledgerlink.formats.ubl_fast import DOCUMENT_REFERENCES
from ledgerlink.formats.ubl_fast import SUBJECT_NOTE as _SUBJECT_NOTE
from ledgerlink.formats.ubl_fast import read_document as _read_fast
from ledgerlink.formats.xml_safety import DEFAULT_LIMITS, XmlLimits

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

PEPPOL_CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"

cac = tag_factory(NS_CAC, "cac")
cbc = tag_factory(NS_CBC, "cbc")

INVOICED_OBJECT_TYPE = "130"
PROJECT_TYPE = "50"
SEPA = "SEPA"

# Tags used by the reader, built once.
ID, NAME, NOTE, AMOUNT = cbc("ID"), cbc("Name"), cbc("Note"), cbc("Amount")
PARTY = cac("Party")
SCHEME_ID = "schemeID"


# =========================================================================== reading


def read_invoice(root: etree._Element, limits: XmlLimits = DEFAULT_LIMITS, *, fast: bool = True) -> ReadResult:
    """One UBL Invoice or CreditNote element → a result with the document or the violations.

    A document the fast path (:mod:`ledgerlink.formats.ubl_fast`) reads without anything to report is
    taken from it; anything else is read here, which gives every violation with its XPath. ``fast=False``
    always reads here (the reference the fast path is tested against).
    """
    if fast:
        doc = _read_fast(root, limits)
        if doc is not None:
            where = "/CreditNote" if doc.kind == "credit_note" else "/Invoice"
            return ReadResult(documents=[Found(doc, where)])
    local = etree.QName(root).localname
    credit = local == "CreditNote"
    src = Source(limits)
    path = f"/{local}"
    fields = _Reader(src, credit).document(root, path)
    result = ReadResult(violations=src.violations)
    if fields is not None:
        document = finish(src, m.CreditNote if credit else m.Invoice, path, fields)
        if document is not None:
            result.documents.append(Found(document, path))
    return result


class _Reader:
    def __init__(self, src: Source, credit: bool):
        self.src = src
        self.credit = credit
        self.line_tag = cac("CreditNoteLine" if credit else "InvoiceLine")
        self.qty_tag = cbc("CreditedQuantity" if credit else "InvoicedQuantity")
        self.type_tag = cbc("CreditNoteTypeCode" if credit else "InvoiceTypeCode")
        self.divert_sepa = False

    # ------------------------------------------------------------------ document

    def document(self, root: etree._Element, p: str) -> dict[str, Any] | None:
        s = self.src
        currency = s.text(root, cbc("DocumentCurrencyCode"), p, required=True)
        s.currency = currency
        f: dict[str, Any] = {
            "customization_id": s.text(root, cbc("CustomizationID"), p),
            "profile_id": s.text(root, cbc("ProfileID"), p),
            "number": s.text(root, ID, p, required=True),
            "issue_date": s.iso_date(root, cbc("IssueDate"), p, required=True),
            "type_code": s.text(root, self.type_tag, p, required=True),
            "currency": currency,
            "vat_accounting_currency": s.text(root, cbc("TaxCurrencyCode"), p),
            "tax_point_date": s.iso_date(root, cbc("TaxPointDate"), p),
            "due_date": s.iso_date(root, cbc("DueDate"), p),
            "buyer_reference": s.text(root, cbc("BuyerReference"), p),
            "accounting_reference": s.text(root, cbc("AccountingCost"), p),
            "notes": tuple(self.notes(root, p)),
        }
        el = self.src.first(root, cac("InvoicePeriod"))
        if el is not None:
            f["invoicing_period"] = self.period(el, f"{p}/cac:InvoicePeriod")
        el = self.src.first(root, cac("OrderReference"))
        if el is not None:
            op = f"{p}/cac:OrderReference"
            order = s.text(el, ID, op, required=True)
            sales = s.text(el, cbc("SalesOrderID"), op)
            f["order_reference"] = None if order == "NA" and sales else order
            f["sales_order_reference"] = sales
        f["preceding_invoices"] = tuple(self.billing_references(root, p))
        for key, tag in DOCUMENT_REFERENCES:
            el = self.src.first(root, cac(tag))
            if el is not None:
                f[key] = s.text(el, ID, f"{p}/cac:{tag}", required=True)
        attachments = []
        for i, el in enumerate(self.src.all(root, cac("AdditionalDocumentReference")), 1):
            ap = f"{p}/cac:AdditionalDocumentReference[{i}]"
            code = s.text(el, cbc("DocumentTypeCode"), ap)
            if code == INVOICED_OBJECT_TYPE:
                f["invoiced_object"] = self.identifier(self.src.first(el, ID), f"{ap}/cbc:ID", required=True)
            elif code == PROJECT_TYPE and self.credit:
                f["project_reference"] = s.text(el, ID, ap, required=True)
            else:
                attachments.append(self.attachment(el, ap))
        f["attachments"] = tuple(a for a in attachments if a is not None)

        # BT-90 sits among party identifiers (schemeID SEPA); taken out only when a BG-16 can hold it.
        self.divert_sepa = self.src.first(root, cac("PaymentMeans")) is not None
        sepa: list[str] = []
        seller_el = self.src.first(root, cac("AccountingSupplierParty"))
        if seller_el is None:
            s.missing(f"{p}/cac:AccountingSupplierParty", "seller (BG-4)")
        else:
            f["seller"] = self.party(seller_el, f"{p}/cac:AccountingSupplierParty", "seller", sepa)
        buyer_el = self.src.first(root, cac("AccountingCustomerParty"))
        if buyer_el is None:
            s.missing(f"{p}/cac:AccountingCustomerParty", "buyer (BG-7)")
        else:
            f["buyer"] = self.party(buyer_el, f"{p}/cac:AccountingCustomerParty", "buyer", [])
        el = self.src.first(root, cac("PayeeParty"))
        if el is not None:
            payee_sepa: list[str] = []
            f["payee"] = self.party_fields(el, f"{p}/cac:PayeeParty", "payee", payee_sepa)
            sepa = payee_sepa or sepa
        el = self.src.first(root, cac("TaxRepresentativeParty"))
        if el is not None:
            f["tax_representative"] = self.party_fields(el, f"{p}/cac:TaxRepresentativeParty", "taxrep", [])
        deliveries = self.src.all(root, cac("Delivery"))
        if deliveries:
            f["delivery"] = self.delivery(deliveries[0], f"{p}/cac:Delivery")
            if len(deliveries) > 1:
                s.warning(f"{p}/cac:Delivery[2]", "only the first Delivery is kept (EN 16931 has one BG-13)")
        payment, due = self.payment(root, p, sepa)
        if payment is not None:
            f["payment"] = payment
        if due is not None and self.credit:
            f["due_date"] = due
        terms = self.src.first(root, cac("PaymentTerms"))
        if terms is not None:
            f["payment_terms"] = s.text(terms, NOTE, f"{p}/cac:PaymentTerms")
        allowances, charges = self.allowance_charges(root, p, document_level=True)
        f["allowances"], f["charges"] = allowances, charges
        self.tax_totals(root, p, f)
        f["totals"] = self.totals(root, p, f)
        f["lines"] = tuple(self.lines(root, p))
        if self.src.first(root, self.line_tag) is None:
            s.missing(f"{p}/{self.line_tag.name}", "at least one invoice line (BG-25)")
        return f

    def notes(self, root: etree._Element, p: str) -> list[m.Note]:
        out = []
        for text in self.src.texts(root, NOTE, p):
            match = _SUBJECT_NOTE.match(text)
            if match:
                out.append(m.Note(text=match.group(2).strip(), subject_code=match.group(1)))
            else:
                out.append(m.Note(text=text))
        return out

    def billing_references(self, root: etree._Element, p: str) -> list[m.DocumentReference]:
        s = self.src
        out = []
        for i, el in enumerate(self.src.all(root, cac("BillingReference")), 1):
            bp = f"{p}/cac:BillingReference[{i}]"
            ref = self.src.first(el, cac("InvoiceDocumentReference"))
            if ref is None:
                s.missing(f"{bp}/cac:InvoiceDocumentReference", "preceding invoice reference (BG-3)")
                continue
            rp = f"{bp}/cac:InvoiceDocumentReference"
            number = s.text(ref, ID, rp, required=True)
            issued = s.iso_date(ref, cbc("IssueDate"), rp)
            if number is not None:
                out.append(m.DocumentReference(number=number, issue_date=issued))
        return out

    def attachment(self, el: etree._Element, p: str) -> m.Attachment | None:
        s = self.src
        fields: dict[str, Any] = {
            "id": s.text(el, ID, p, required=True),
            "description": s.text(el, cbc("DocumentDescription"), p),
        }
        att = self.src.first(el, cac("Attachment"))
        if att is not None:
            ap = f"{p}/cac:Attachment"
            obj = self.src.first(att, cbc("EmbeddedDocumentBinaryObject"))
            if obj is not None:
                op = f"{ap}/cbc:EmbeddedDocumentBinaryObject"
                fields["content"] = s.binary(obj, op)
                fields["mime_code"] = s.attr(obj, "mimeCode", op)
                fields["filename"] = s.attr(obj, "filename", op)
            ext = self.src.first(att, cac("ExternalReference"))
            if ext is not None:
                fields["uri"] = s.text(ext, cbc("URI"), f"{ap}/cac:ExternalReference")
        if fields["id"] is None:
            return None
        return s.build(m.Attachment, p, **fields)

    # ------------------------------------------------------------------ parties

    def identifier(self, el: etree._Element | None, p: str, *, required: bool = False) -> m.Identifier | None:
        if el is None:
            if required:
                self.src.missing(p, "identifier")
            return None
        value = self.src.value(el, p, required=required)
        if value is None:
            return None
        return m.Identifier(value=value, scheme=self.src.attr(el, SCHEME_ID, p))

    def party(self, wrapper: etree._Element, p: str, role: str, sepa: list[str]) -> m.Party | None:
        el = self.src.first(wrapper, PARTY)
        if el is None:
            self.src.missing(f"{p}/cac:Party", "party")
            return None
        return self.party_fields(el, f"{p}/cac:Party", role, sepa)

    def party_fields(self, el: etree._Element, p: str, role: str, sepa: list[str]) -> m.Party | None:
        s = self.src
        f: dict[str, Any] = {}
        endpoint = self.src.first(el, cbc("EndpointID"))
        if endpoint is not None:
            ep = f"{p}/cbc:EndpointID"
            value = s.value(endpoint, ep, required=True)
            scheme = s.attr(endpoint, SCHEME_ID, ep)
            if scheme is None:
                s.missing(f"{ep}/@schemeID", "electronic address scheme (BT-34-1 / BT-49-1)")
            elif value is not None:
                f["electronic_address"] = m.ElectronicAddress(value=value, scheme=scheme)
        identifiers = []
        for i, pid in enumerate(self.src.all(el, cac("PartyIdentification")), 1):
            ident = self.identifier(
                self.src.first(pid, ID), f"{p}/cac:PartyIdentification[{i}]/cbc:ID", required=True
            )
            if ident is None:
                continue
            if ident.scheme == SEPA and role in ("seller", "payee") and self.divert_sepa:
                sepa.append(ident.value)
            else:
                identifiers.append(ident)
        f["identifiers"] = tuple(identifiers)
        party_name = None
        pn = self.src.first(el, cac("PartyName"))
        if pn is not None:
            party_name = s.text(pn, NAME, f"{p}/cac:PartyName", required=True)
        addr = self.src.first(el, cac("PostalAddress"))
        if addr is not None:
            f["address"] = self.address(addr, f"{p}/cac:PostalAddress")
        for i, ts in enumerate(self.src.all(el, cac("PartyTaxScheme")), 1):
            tp = f"{p}/cac:PartyTaxScheme[{i}]"
            company = s.text(ts, cbc("CompanyID"), tp, required=True)
            scheme_el = self.src.first(ts, cac("TaxScheme"))
            scheme = s.text(scheme_el, ID, f"{tp}/cac:TaxScheme") if scheme_el is not None else None
            if scheme == "VAT":
                f["vat_id"] = company
            else:
                f["tax_registration_id"] = company
        legal_name = None
        le = self.src.first(el, cac("PartyLegalEntity"))
        if le is not None:
            lp = f"{p}/cac:PartyLegalEntity"
            legal_name = s.text(le, cbc("RegistrationName"), lp)
            f["legal_id"] = self.identifier(self.src.first(le, cbc("CompanyID")), f"{lp}/cbc:CompanyID")
            f["legal_form"] = s.text(le, cbc("CompanyLegalForm"), lp)
        contact = self.src.first(el, cac("Contact"))
        if contact is not None:
            cp = f"{p}/cac:Contact"
            f["contact"] = m.Contact(
                name=s.text(contact, NAME, cp),
                phone=s.text(contact, cbc("Telephone"), cp),
                email=s.text(contact, cbc("ElectronicMail"), cp),
            )
        if role in ("seller", "buyer"):
            # Without a registration name the party name is the only name given: it is taken as BT-27/BT-44.
            f["name"], f["trading_name"] = (
                (legal_name, party_name) if legal_name is not None else (party_name, None)
            )
            if f["name"] is None:
                s.missing(f"{p}/cac:PartyLegalEntity/cbc:RegistrationName", "legal name (BT-27 / BT-44)")
                return None
        else:
            f["name"] = party_name
            if legal_name is not None:
                f["trading_name"] = legal_name
            if party_name is None:
                s.missing(f"{p}/cac:PartyName/cbc:Name", "name (BT-59 / BT-62)")
                return None
        return s.build(m.Party, p, **f)

    def address(self, el: etree._Element, p: str) -> m.Address | None:
        s = self.src
        lines = [s.text(el, cbc("StreetName"), p), s.text(el, cbc("AdditionalStreetName"), p)]
        line = self.src.first(el, cac("AddressLine"))
        if line is not None:
            lines.append(s.text(line, cbc("Line"), f"{p}/cac:AddressLine"))
        country_el = self.src.first(el, cac("Country"))
        country = None
        if country_el is not None:
            country = s.text(country_el, cbc("IdentificationCode"), f"{p}/cac:Country", required=True)
        else:
            s.missing(f"{p}/cac:Country/cbc:IdentificationCode", "country code (BT-40)")
        if country is None:
            return None
        return m.Address(
            lines=tuple(x for x in lines if x is not None),
            city=s.text(el, cbc("CityName"), p),
            postal_code=s.text(el, cbc("PostalZone"), p),
            subdivision=s.text(el, cbc("CountrySubentity"), p),
            country=country,
        )

    # ------------------------------------------------------------------ delivery, period, payment

    def period(self, el: etree._Element, p: str) -> m.Period:
        s = self.src
        return m.Period(
            start=s.iso_date(el, cbc("StartDate"), p),
            end=s.iso_date(el, cbc("EndDate"), p),
            description_code=s.text(el, cbc("DescriptionCode"), p),
        )

    def delivery(self, el: etree._Element, p: str) -> m.Delivery:
        s = self.src
        f: dict[str, Any] = {"date": s.iso_date(el, cbc("ActualDeliveryDate"), p)}
        loc = self.src.first(el, cac("DeliveryLocation"))
        if loc is not None:
            lp = f"{p}/cac:DeliveryLocation"
            f["location_id"] = self.identifier(self.src.first(loc, ID), f"{lp}/cbc:ID")
            addr = self.src.first(loc, cac("Address"))
            if addr is not None:
                f["address"] = self.address(addr, f"{lp}/cac:Address")
        party = self.src.first(el, cac("DeliveryParty"))
        if party is not None:
            pn = self.src.first(party, cac("PartyName"))
            if pn is not None:
                f["party_name"] = s.text(pn, NAME, f"{p}/cac:DeliveryParty/cac:PartyName")
        return m.Delivery(**f)

    def payment(
        self, root: etree._Element, p: str, sepa: list[str]
    ) -> tuple[m.PaymentInstructions | None, Any]:
        s = self.src
        means = self.src.all(root, cac("PaymentMeans"))
        if not means:
            return None, None
        first = means[0]
        fp = f"{p}/cac:PaymentMeans[1]"
        code_el = self.src.first(first, cbc("PaymentMeansCode"))
        if code_el is None:
            s.missing(f"{fp}/cbc:PaymentMeansCode", "payment means code (BT-81)")
            return None, None
        code = s.value(code_el, f"{fp}/cbc:PaymentMeansCode", required=True)
        f: dict[str, Any] = {
            "means_code": code,
            "means_text": s.attr(code_el, "name", f"{fp}/cbc:PaymentMeansCode"),
            "remittance_information": s.text(first, cbc("PaymentID"), fp),
        }
        due = s.iso_date(first, cbc("PaymentDueDate"), fp)
        transfers = []
        for i, pm in enumerate(means, 1):
            pp = f"{p}/cac:PaymentMeans[{i}]"
            if i > 1:
                other = s.text(pm, cbc("PaymentMeansCode"), pp)
                if other != code:
                    s.warning(
                        f"{pp}/cbc:PaymentMeansCode",
                        "EN 16931 holds one payment means code (BT-81); this one is not kept",
                        found=other,
                    )
            acct = self.src.first(pm, cac("PayeeFinancialAccount"))
            if acct is not None:
                ap = f"{pp}/cac:PayeeFinancialAccount"
                account_id = s.text(acct, ID, ap, required=True)
                branch = self.src.first(acct, cac("FinancialInstitutionBranch"))
                bic = (
                    s.text(branch, ID, f"{ap}/cac:FinancialInstitutionBranch") if branch is not None else None
                )
                if account_id is not None:
                    transfers.append(
                        m.CreditTransfer(account_id=account_id, account_name=s.text(acct, NAME, ap), bic=bic)
                    )
        f["credit_transfers"] = tuple(transfers)
        card = self.src.first(first, cac("CardAccount"))
        if card is not None:
            cp = f"{fp}/cac:CardAccount"
            pan = s.text(card, cbc("PrimaryAccountNumberID"), cp, required=True)
            if pan is not None:
                f["card"] = m.CardPayment(
                    primary_account_number=pan, holder_name=s.text(card, cbc("HolderName"), cp)
                )
        mandate = self.src.first(first, cac("PaymentMandate"))
        debit: dict[str, Any] = {}
        if mandate is not None:
            mp = f"{fp}/cac:PaymentMandate"
            debit["mandate_reference"] = s.text(mandate, ID, mp)
            payer = self.src.first(mandate, cac("PayerFinancialAccount"))
            if payer is not None:
                debit["debited_account_id"] = s.text(payer, ID, f"{mp}/cac:PayerFinancialAccount")
        if sepa:
            debit["creditor_id"] = sepa[0]
        if any(v is not None for v in debit.values()):
            f["direct_debit"] = m.DirectDebit(**debit)
        if code is None:
            return None, due
        return s.build(m.PaymentInstructions, fp, **f), due

    # ------------------------------------------------------------------ allowances, tax, totals

    def allowance_charges(
        self, parent: etree._Element, p: str, *, document_level: bool
    ) -> tuple[tuple[m.AllowanceCharge, ...], tuple[m.AllowanceCharge, ...]]:
        s = self.src
        allowances: list[m.AllowanceCharge] = []
        charges: list[m.AllowanceCharge] = []
        for i, el in enumerate(self.src.all(parent, cac("AllowanceCharge")), 1):
            ap = f"{p}/cac:AllowanceCharge[{i}]"
            is_charge = s.indicator(self.src.first(el, cbc("ChargeIndicator")), f"{ap}/cbc:ChargeIndicator")
            f: dict[str, Any] = {
                "amount": s.decimal(el, AMOUNT, ap, required=True, amount=True),
                "base_amount": s.decimal(el, cbc("BaseAmount"), ap, amount=True),
                "percentage": s.decimal(el, cbc("MultiplierFactorNumeric"), ap),
                "reason": s.text(el, cbc("AllowanceChargeReason"), ap),
                "reason_code": s.text(el, cbc("AllowanceChargeReasonCode"), ap),
            }
            if document_level:
                cat = self.src.first(el, cac("TaxCategory"))
                if cat is None:
                    s.missing(
                        f"{ap}/cac:TaxCategory", "VAT category of a document allowance/charge (BT-95/BT-102)"
                    )
                else:
                    cp = f"{ap}/cac:TaxCategory"
                    f["vat_category"] = s.text(cat, ID, cp, required=True)
                    f["vat_rate"] = s.decimal(cat, cbc("Percent"), cp)
            if is_charge is None or f["amount"] is None:
                continue
            item = s.build(m.AllowanceCharge, ap, **f)
            if item is not None:
                (charges if is_charge else allowances).append(item)
        return tuple(allowances), tuple(charges)

    def tax_totals(self, root: etree._Element, p: str, f: dict[str, Any]) -> None:
        s = self.src
        breakdown = []
        document_total = accounting_total = None
        for i, tt in enumerate(self.src.all(root, cac("TaxTotal")), 1):
            tp = f"{p}/cac:TaxTotal[{i}]"
            amount_el = self.src.first(tt, cbc("TaxAmount"))
            if amount_el is None:
                s.missing(f"{tp}/cbc:TaxAmount", "tax total amount (BT-110)")
                continue
            cur = (amount_el.get("currencyID") or "").strip()
            subtotals = self.src.all(tt, cac("TaxSubtotal"))
            accounting = (
                not subtotals
                and f.get("vat_accounting_currency") is not None
                and cur == f["vat_accounting_currency"]
                and cur != s.currency
            )
            amount = s.decimal_of(amount_el, f"{tp}/cbc:TaxAmount", required=True, amount=not accounting)
            if accounting:
                accounting_total = amount
            else:
                if document_total is not None:
                    s.error(
                        "XML",
                        tp,
                        "more than one TaxTotal in the document currency",
                        expected="one (BT-110)",
                        found=f"{i}",
                    )
                document_total = amount
            for j, st in enumerate(subtotals, 1):
                breakdown.append(self.subtotal(st, f"{tp}/cac:TaxSubtotal[{j}]"))
        f["vat_breakdown"] = tuple(b for b in breakdown if b is not None)
        f["_tax_amount"] = document_total
        f["_tax_amount_accounting"] = accounting_total

    def subtotal(self, el: etree._Element, p: str) -> m.VatBreakdown | None:
        s = self.src
        taxable = s.decimal(el, cbc("TaxableAmount"), p, required=True, amount=True)
        tax = s.decimal(el, cbc("TaxAmount"), p, required=True, amount=True)
        cat = self.src.first(el, cac("TaxCategory"))
        if cat is None:
            s.missing(f"{p}/cac:TaxCategory", "VAT category (BT-118)")
            return None
        cp = f"{p}/cac:TaxCategory"
        category = s.text(cat, ID, cp, required=True)
        if taxable is None or tax is None or category is None:
            return None
        return m.VatBreakdown(
            category=category,
            rate=s.decimal(cat, cbc("Percent"), cp),
            taxable_amount=taxable,
            tax_amount=tax,
            exemption_reason=s.text(cat, cbc("TaxExemptionReason"), cp),
            exemption_reason_code=s.text(cat, cbc("TaxExemptionReasonCode"), cp),
        )

    def totals(self, root: etree._Element, p: str, f: dict[str, Any]) -> m.Totals | None:
        s = self.src
        tax_amount = f.pop("_tax_amount")
        tax_accounting = f.pop("_tax_amount_accounting")
        el = self.src.first(root, cac("LegalMonetaryTotal"))
        tp = f"{p}/cac:LegalMonetaryTotal"
        if el is None:
            s.missing(tp, "document totals (BG-22)")
            return None
        t: dict[str, Any] = {
            "line_extension_amount": s.decimal(
                el, cbc("LineExtensionAmount"), tp, required=True, amount=True
            ),
            "tax_exclusive_amount": s.decimal(el, cbc("TaxExclusiveAmount"), tp, required=True, amount=True),
            "tax_inclusive_amount": s.decimal(el, cbc("TaxInclusiveAmount"), tp, required=True, amount=True),
            "allowance_total": s.decimal(el, cbc("AllowanceTotalAmount"), tp, amount=True),
            "charge_total": s.decimal(el, cbc("ChargeTotalAmount"), tp, amount=True),
            "prepaid_amount": s.decimal(el, cbc("PrepaidAmount"), tp, amount=True),
            "rounding_amount": s.decimal(el, cbc("PayableRoundingAmount"), tp, amount=True),
            "payable_amount": s.decimal(el, cbc("PayableAmount"), tp, required=True, amount=True),
            "tax_amount": tax_amount,
            "tax_amount_accounting_currency": tax_accounting,
        }
        return totals_or_none(t)

    # ------------------------------------------------------------------ lines

    def lines(self, root: etree._Element, p: str) -> list[m.InvoiceLine]:
        out = []
        for i, el in enumerate(self.src.all(root, self.line_tag), 1):
            line = self.line(el, f"{p}/{self.line_tag.name}[{i}]")
            if line is not None:
                out.append(line)
        return out

    def line(self, el: etree._Element, p: str) -> m.InvoiceLine | None:
        s = self.src
        f: dict[str, Any] = {
            "id": s.text(el, ID, p, required=True),
            "note": s.text(el, NOTE, p),
            "net_amount": s.decimal(el, cbc("LineExtensionAmount"), p, required=True, amount=True),
            "accounting_reference": s.text(el, cbc("AccountingCost"), p),
        }
        qty = self.src.first(el, self.qty_tag)
        qp = f"{p}/{self.qty_tag.name}"
        if qty is None:
            s.missing(qp, "invoiced quantity (BT-129)")
        else:
            f["quantity"] = s.decimal_of(qty, qp, required=True)
            f["unit_code"] = s.attr(qty, "unitCode", qp)
            if f["unit_code"] is None:
                s.missing(f"{qp}/@unitCode", "unit of measure (BT-130)")
        period = self.src.first(el, cac("InvoicePeriod"))
        if period is not None:
            f["period"] = self.period(period, f"{p}/cac:InvoicePeriod")
        olr = self.src.first(el, cac("OrderLineReference"))
        if olr is not None:
            f["order_line_reference"] = s.text(
                olr, cbc("LineID"), f"{p}/cac:OrderLineReference", required=True
            )
        ref = self.src.first(el, cac("DocumentReference"))
        if ref is not None:
            f["object_id"] = self.identifier(
                self.src.first(ref, ID), f"{p}/cac:DocumentReference/cbc:ID", required=True
            )
        f["allowances"], f["charges"] = self.allowance_charges(el, p, document_level=False)
        self.item(el, p, f)
        self.price(el, p, f)
        required = ("id", "quantity", "unit_code", "net_amount", "net_price", "vat_category", "name")
        if any(f.get(k) is None for k in required):
            return None
        return s.build(m.InvoiceLine, p, **f)

    def item(self, line: etree._Element, p: str, f: dict[str, Any]) -> None:
        s = self.src
        el = self.src.first(line, cac("Item"))
        ip = f"{p}/cac:Item"
        if el is None:
            s.missing(ip, "item (BG-31)")
            return
        f["name"] = s.text(el, NAME, ip, required=True)
        f["description"] = s.text(el, cbc("Description"), ip)
        for key, tag in (
            ("buyer_item_id", "BuyersItemIdentification"),
            ("seller_item_id", "SellersItemIdentification"),
        ):
            sub = self.src.first(el, cac(tag))
            if sub is not None:
                f[key] = s.text(sub, ID, f"{ip}/cac:{tag}", required=True)
        std = self.src.first(el, cac("StandardItemIdentification"))
        if std is not None:
            f["standard_item_id"] = self.identifier(
                self.src.first(std, ID), f"{ip}/cac:StandardItemIdentification/cbc:ID", required=True
            )
        origin = self.src.first(el, cac("OriginCountry"))
        if origin is not None:
            f["origin_country"] = s.text(
                origin, cbc("IdentificationCode"), f"{ip}/cac:OriginCountry", required=True
            )
        classes = []
        for i, cc in enumerate(self.src.all(el, cac("CommodityClassification")), 1):
            cp = f"{ip}/cac:CommodityClassification[{i}]/cbc:ItemClassificationCode"
            code = self.src.first(cc, cbc("ItemClassificationCode"))
            if code is None:
                s.missing(cp, "item classification code (BT-158)")
                continue
            value = s.value(code, cp, required=True)
            if value is not None:
                classes.append(m.Identifier(value=value, scheme=s.attr(code, "listID", cp)))
        f["classifications"] = tuple(classes)
        cat = self.src.first(el, cac("ClassifiedTaxCategory"))
        if cat is None:
            s.missing(f"{ip}/cac:ClassifiedTaxCategory", "line VAT category (BT-151)")
        else:
            cp = f"{ip}/cac:ClassifiedTaxCategory"
            f["vat_category"] = s.text(cat, ID, cp, required=True)
            f["vat_rate"] = s.decimal(cat, cbc("Percent"), cp)
        attrs = []
        for i, prop in enumerate(self.src.all(el, cac("AdditionalItemProperty")), 1):
            pp = f"{ip}/cac:AdditionalItemProperty[{i}]"
            name, value = s.text(prop, NAME, pp, required=True), s.text(prop, cbc("Value"), pp, required=True)
            if name is not None and value is not None:
                attrs.append(m.ItemAttribute(name=name, value=value))
        f["attributes"] = tuple(attrs)

    def price(self, line: etree._Element, p: str, f: dict[str, Any]) -> None:
        s = self.src
        el = self.src.first(line, cac("Price"))
        pp = f"{p}/cac:Price"
        if el is None:
            s.missing(pp, "price details (BG-29)")
            return
        f["net_price"] = s.decimal(el, cbc("PriceAmount"), pp, required=True, amount=True)
        base = self.src.first(el, cbc("BaseQuantity"))
        if base is not None:
            bp = f"{pp}/cbc:BaseQuantity"
            f["price_base_quantity"] = s.decimal_of(base, bp)
            f["price_base_unit_code"] = s.attr(base, "unitCode", bp)
        ac = self.src.first(el, cac("AllowanceCharge"))
        if ac is not None:
            ap = f"{pp}/cac:AllowanceCharge"
            if s.indicator(self.src.first(ac, cbc("ChargeIndicator")), f"{ap}/cbc:ChargeIndicator") is True:
                s.error(
                    "XML",
                    f"{ap}/cbc:ChargeIndicator",
                    "a price can only carry a discount",
                    expected="false",
                    found="true",
                )
            f["price_discount"] = s.decimal(ac, AMOUNT, ap, required=True, amount=True)
            f["gross_price"] = s.decimal(ac, cbc("BaseAmount"), ap, amount=True)


# =========================================================================== writing


def write(doc: m.AnyDocument) -> bytes:
    """The invoice or credit note as Peppol BIS 3.0 UBL 2.1 bytes (UTF-8, with declaration)."""
    doc = commercial_only(doc, "UBL")
    root = _Writer(doc).document()
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data


class _Writer(ElementWriter):
    doc: m.Invoice | m.CreditNote

    def __init__(self, doc: m.Invoice | m.CreditNote):
        super().__init__(doc)
        self.credit = isinstance(doc, m.CreditNote)

    def amount(
        self, parent: etree._Element, tag: Tag, value: Decimal | None, currency: str | None = None
    ) -> None:
        if value is not None:
            self.el(parent, tag, decimal_text(value), currencyID=currency or self.doc.currency)

    def document(self) -> etree._Element:
        d = self.doc
        ns = NS_CREDIT_NOTE if self.credit else NS_INVOICE
        root = etree.Element(
            f"{{{ns}}}{'CreditNote' if self.credit else 'Invoice'}",
            nsmap={None: ns, "cac": NS_CAC, "cbc": NS_CBC},
        )
        self.el(root, cbc("CustomizationID"), PEPPOL_CUSTOMIZATION_ID)
        self.el(root, cbc("ProfileID"), d.profile_id or PEPPOL_PROFILE_ID)
        self.el(root, ID, d.number)
        self.el(root, cbc("IssueDate"), d.issue_date.isoformat())
        if self.credit:
            self.opt(root, cbc("TaxPointDate"), _date(d.tax_point_date))
            self.el(root, cbc("CreditNoteTypeCode"), d.type_code)
        else:
            self.opt(root, cbc("DueDate"), _date(d.due_date))
            self.el(root, cbc("InvoiceTypeCode"), d.type_code)
        for note in d.notes:
            self.el(root, NOTE, f"#{note.subject_code}#{note.text}" if note.subject_code else note.text)
        if not self.credit:
            self.opt(root, cbc("TaxPointDate"), _date(d.tax_point_date))
        self.el(root, cbc("DocumentCurrencyCode"), d.currency)
        self.opt(root, cbc("TaxCurrencyCode"), d.vat_accounting_currency)
        self.opt(root, cbc("AccountingCost"), d.accounting_reference)
        self.opt(root, cbc("BuyerReference"), d.buyer_reference)
        if d.invoicing_period is not None:
            self.period(root, d.invoicing_period)
        if d.order_reference or d.sales_order_reference:
            ref = self.el(root, cac("OrderReference"))
            self.el(ref, ID, d.order_reference or "NA")
            self.opt(ref, cbc("SalesOrderID"), d.sales_order_reference)
        for prec in d.preceding_invoices:
            ref = self.el(self.el(root, cac("BillingReference")), cac("InvoiceDocumentReference"))
            self.el(ref, ID, prec.number)
            self.opt(ref, cbc("IssueDate"), _date(prec.issue_date))
        self.reference(root, "DespatchDocumentReference", d.despatch_advice_reference)
        self.reference(root, "ReceiptDocumentReference", d.receiving_advice_reference)
        if not self.credit:
            self.reference(root, "OriginatorDocumentReference", d.tender_reference)
        self.reference(root, "ContractDocumentReference", d.contract_reference)
        if self.credit:
            self.additional(root, d)
            self.reference(root, "OriginatorDocumentReference", d.tender_reference)
        else:
            self.additional(root, d)
            self.reference(root, "ProjectReference", d.project_reference)
        payee_has_sepa = d.payee is not None
        creditor = d.payment.direct_debit.creditor_id if d.payment and d.payment.direct_debit else None
        self.party(
            self.el(root, cac("AccountingSupplierParty")),
            d.seller,
            "seller",
            None if payee_has_sepa else creditor,
            wrap=True,
        )
        self.party(self.el(root, cac("AccountingCustomerParty")), d.buyer, "buyer", None, wrap=True)
        if d.payee is not None:
            self.party(self.el(root, cac("PayeeParty")), d.payee, "payee", creditor, wrap=False)
        if d.tax_representative is not None:
            self.party(
                self.el(root, cac("TaxRepresentativeParty")), d.tax_representative, "taxrep", None, wrap=False
            )
        if d.delivery is not None:
            self.delivery(root, d.delivery)
        self.payment_means(root, d)
        if d.payment_terms is not None:
            self.el(self.el(root, cac("PaymentTerms")), NOTE, d.payment_terms)
        for item in d.charges:
            self.allowance_charge(root, item, True, document_level=True)
        for item in d.allowances:
            self.allowance_charge(root, item, False, document_level=True)
        self.tax_total(root, d)
        self.monetary_total(root, d.totals)
        for i, line in enumerate(d.lines):
            self.line(root, line, i)
        if self.problems:
            raise WriteError(self.problems)
        return root

    def reference(self, root: etree._Element, tag: str, value: str | None) -> None:
        if value is not None:
            self.el(self.el(root, cac(tag)), ID, value)

    def additional(self, root: etree._Element, d: m.Invoice | m.CreditNote) -> None:
        for att in d.attachments:
            ref = self.el(root, cac("AdditionalDocumentReference"))
            self.el(ref, ID, att.id)
            self.opt(ref, cbc("DocumentDescription"), att.description)
            if att.content is not None or att.uri is not None:
                holder = self.el(ref, cac("Attachment"))
                if att.content is not None:
                    self.el(
                        holder,
                        cbc("EmbeddedDocumentBinaryObject"),
                        base64.b64encode(att.content).decode("ascii"),
                        mimeCode=att.mime_code,
                        filename=att.filename,
                    )
                if att.uri is not None:
                    self.el(self.el(holder, cac("ExternalReference")), cbc("URI"), att.uri)
        if d.invoiced_object is not None:
            ref = self.el(root, cac("AdditionalDocumentReference"))
            self.el(ref, ID, d.invoiced_object.value, schemeID=d.invoiced_object.scheme)
            self.el(ref, cbc("DocumentTypeCode"), INVOICED_OBJECT_TYPE)
        if self.credit and d.project_reference is not None:
            ref = self.el(root, cac("AdditionalDocumentReference"))
            self.el(ref, ID, d.project_reference)
            self.el(ref, cbc("DocumentTypeCode"), PROJECT_TYPE)

    def period(self, parent: etree._Element, period: m.Period) -> None:
        el = self.el(parent, cac("InvoicePeriod"))
        self.opt(el, cbc("StartDate"), _date(period.start))
        self.opt(el, cbc("EndDate"), _date(period.end))
        self.opt(el, cbc("DescriptionCode"), period.description_code)

    def party(
        self, parent: etree._Element, party: m.Party, role: str, sepa: str | None, *, wrap: bool
    ) -> None:
        el = self.el(parent, PARTY) if wrap else parent
        if party.electronic_address is not None:
            self.el(
                el,
                cbc("EndpointID"),
                party.electronic_address.value,
                schemeID=party.electronic_address.scheme,
            )
        for ident in party.identifiers:
            self.el(self.el(el, cac("PartyIdentification")), ID, ident.value, schemeID=ident.scheme)
        if sepa is not None:
            self.el(self.el(el, cac("PartyIdentification")), ID, sepa, schemeID=SEPA)
        legal_name = party.name if role in ("seller", "buyer") else party.trading_name
        party_name = party.trading_name if role in ("seller", "buyer") else party.name
        if party_name is not None:
            self.el(self.el(el, cac("PartyName")), NAME, party_name)
        if party.address is not None:
            self.address(el, cac("PostalAddress"), party.address)
        for value, scheme in ((party.vat_id, "VAT"), (party.tax_registration_id, "TAX")):
            if value is not None:
                ts = self.el(el, cac("PartyTaxScheme"))
                self.el(ts, cbc("CompanyID"), value)
                self.el(self.el(ts, cac("TaxScheme")), ID, scheme)
        if legal_name is not None or party.legal_id is not None or party.legal_form is not None:
            le = self.el(el, cac("PartyLegalEntity"))
            self.opt(le, cbc("RegistrationName"), legal_name)
            if party.legal_id is not None:
                self.el(le, cbc("CompanyID"), party.legal_id.value, schemeID=party.legal_id.scheme)
            self.opt(le, cbc("CompanyLegalForm"), party.legal_form)
        if party.contact is not None and any((party.contact.name, party.contact.phone, party.contact.email)):
            c = self.el(el, cac("Contact"))
            self.opt(c, NAME, party.contact.name)
            self.opt(c, cbc("Telephone"), party.contact.phone)
            self.opt(c, cbc("ElectronicMail"), party.contact.email)

    def address(self, parent: etree._Element, tag: Tag, address: m.Address) -> None:
        el = self.el(parent, tag)
        lines = address.lines
        if len(lines) > 3:
            self.problems.append(
                Violation(
                    "SCHEMA",
                    "address.lines",
                    "UBL carries at most three address lines",
                    expected="<= 3",
                    found=str(len(lines)),
                )
            )
        self.opt(el, cbc("StreetName"), lines[0] if len(lines) > 0 else None)
        self.opt(el, cbc("AdditionalStreetName"), lines[1] if len(lines) > 1 else None)
        self.opt(el, cbc("CityName"), address.city)
        self.opt(el, cbc("PostalZone"), address.postal_code)
        self.opt(el, cbc("CountrySubentity"), address.subdivision)
        if len(lines) > 2:
            self.el(self.el(el, cac("AddressLine")), cbc("Line"), lines[2])
        self.el(self.el(el, cac("Country")), cbc("IdentificationCode"), address.country)

    def delivery(self, root: etree._Element, delivery: m.Delivery) -> None:
        el = self.el(root, cac("Delivery"))
        self.opt(el, cbc("ActualDeliveryDate"), _date(delivery.date))
        if delivery.location_id is not None or delivery.address is not None:
            loc = self.el(el, cac("DeliveryLocation"))
            if delivery.location_id is not None:
                self.el(loc, ID, delivery.location_id.value, schemeID=delivery.location_id.scheme)
            if delivery.address is not None:
                self.address(loc, cac("Address"), delivery.address)
        if delivery.party_name is not None:
            self.el(self.el(self.el(el, cac("DeliveryParty")), cac("PartyName")), NAME, delivery.party_name)

    def payment_means(self, root: etree._Element, d: m.Invoice | m.CreditNote) -> None:
        pay = d.payment
        if pay is None:
            if self.credit and d.due_date is not None:
                self.problems.append(
                    Violation(
                        "SCHEMA",
                        "due_date",
                        "a UBL credit note states BT-9 in PaymentMeans",
                        expected="payment instructions (BG-16)",
                        found="none",
                    )
                )
            return
        accounts: list[m.CreditTransfer | None] = list(pay.credit_transfers) or [None]
        for i, account in enumerate(accounts):
            el = self.el(root, cac("PaymentMeans"))
            self.el(el, cbc("PaymentMeansCode"), pay.means_code, name=pay.means_text)
            if self.credit:
                self.opt(el, cbc("PaymentDueDate"), _date(d.due_date))
            self.opt(el, cbc("PaymentID"), pay.remittance_information)
            if i == 0 and pay.card is not None:
                card = self.el(el, cac("CardAccount"))
                self.el(card, cbc("PrimaryAccountNumberID"), pay.card.primary_account_number)
                # NetworkID is mandatory in UBL but not an EN 16931 term; "NA" states it is not given.
                self.el(card, cbc("NetworkID"), "NA")
                self.opt(card, cbc("HolderName"), pay.card.holder_name)
            if account is not None:
                acct = self.el(el, cac("PayeeFinancialAccount"))
                self.el(acct, ID, account.account_id)
                self.opt(acct, NAME, account.account_name)
                if account.bic is not None:
                    self.el(self.el(acct, cac("FinancialInstitutionBranch")), ID, account.bic)
            dd = pay.direct_debit
            if i == 0 and dd is not None and (dd.mandate_reference or dd.debited_account_id):
                mandate = self.el(el, cac("PaymentMandate"))
                self.opt(mandate, ID, dd.mandate_reference)
                if dd.debited_account_id is not None:
                    self.el(self.el(mandate, cac("PayerFinancialAccount")), ID, dd.debited_account_id)

    def allowance_charge(
        self, parent: etree._Element, item: m.AllowanceCharge, charge: bool, *, document_level: bool
    ) -> None:
        check_allowance(item, document_level, self.problems)
        el = self.el(parent, cac("AllowanceCharge"))
        self.el(el, cbc("ChargeIndicator"), "true" if charge else "false")
        self.opt(el, cbc("AllowanceChargeReasonCode"), item.reason_code)
        self.opt(el, cbc("AllowanceChargeReason"), item.reason)
        if item.percentage is not None:
            self.el(el, cbc("MultiplierFactorNumeric"), decimal_text(item.percentage))
        self.amount(el, AMOUNT, item.amount)
        self.amount(el, cbc("BaseAmount"), item.base_amount)
        if document_level:
            self.tax_category(el, cac("TaxCategory"), item.vat_category or "", item.vat_rate)

    def tax_category(
        self,
        parent: etree._Element,
        tag: Tag,
        category: str,
        rate: Decimal | None,
        reason: str | None = None,
        reason_code: str | None = None,
    ) -> None:
        el = self.el(parent, tag)
        self.el(el, ID, category)
        if rate is not None:
            self.el(el, cbc("Percent"), decimal_text(rate))
        self.opt(el, cbc("TaxExemptionReasonCode"), reason_code)
        self.opt(el, cbc("TaxExemptionReason"), reason)
        self.el(self.el(el, cac("TaxScheme")), ID, "VAT")

    def tax_total(self, root: etree._Element, d: m.Invoice | m.CreditNote) -> None:
        t = d.totals
        if t.tax_amount is None and d.vat_breakdown:
            self.problems.append(
                Violation(
                    "SCHEMA",
                    "totals.tax_amount",
                    "UBL needs the VAT total with a breakdown",
                    expected="BT-110",
                    found="none",
                )
            )
        if t.tax_amount is not None:
            tt = self.el(root, cac("TaxTotal"))
            self.amount(tt, cbc("TaxAmount"), t.tax_amount)
            for b in d.vat_breakdown:
                st = self.el(tt, cac("TaxSubtotal"))
                self.amount(st, cbc("TaxableAmount"), b.taxable_amount)
                self.amount(st, cbc("TaxAmount"), b.tax_amount)
                self.tax_category(
                    st, cac("TaxCategory"), b.category, b.rate, b.exemption_reason, b.exemption_reason_code
                )
        if t.tax_amount_accounting_currency is not None:
            tt = self.el(root, cac("TaxTotal"))
            self.amount(
                tt,
                cbc("TaxAmount"),
                t.tax_amount_accounting_currency,
                d.vat_accounting_currency or d.currency,
            )

    def monetary_total(self, root: etree._Element, t: m.Totals) -> None:
        el = self.el(root, cac("LegalMonetaryTotal"))
        self.amount(el, cbc("LineExtensionAmount"), t.line_extension_amount)
        self.amount(el, cbc("TaxExclusiveAmount"), t.tax_exclusive_amount)
        self.amount(el, cbc("TaxInclusiveAmount"), t.tax_inclusive_amount)
        self.amount(el, cbc("AllowanceTotalAmount"), t.allowance_total)
        self.amount(el, cbc("ChargeTotalAmount"), t.charge_total)
        self.amount(el, cbc("PrepaidAmount"), t.prepaid_amount)
        self.amount(el, cbc("PayableRoundingAmount"), t.rounding_amount)
        self.amount(el, cbc("PayableAmount"), t.payable_amount)

    def line(self, root: etree._Element, line: m.InvoiceLine, index: int) -> None:
        el = self.el(root, cac("CreditNoteLine" if self.credit else "InvoiceLine"))
        self.el(el, ID, line.id)
        self.opt(el, NOTE, line.note)
        self.el(
            el,
            cbc("CreditedQuantity" if self.credit else "InvoicedQuantity"),
            decimal_text(line.quantity),
            unitCode=line.unit_code,
        )
        self.amount(el, cbc("LineExtensionAmount"), line.net_amount)
        self.opt(el, cbc("AccountingCost"), line.accounting_reference)
        if line.period is not None:
            self.period(el, line.period)
        if line.order_line_reference is not None:
            self.el(self.el(el, cac("OrderLineReference")), cbc("LineID"), line.order_line_reference)
        if line.object_id is not None:
            ref = self.el(el, cac("DocumentReference"))
            self.el(ref, ID, line.object_id.value, schemeID=line.object_id.scheme)
            self.el(ref, cbc("DocumentTypeCode"), INVOICED_OBJECT_TYPE)
        for item in line.charges:
            self.allowance_charge(el, item, True, document_level=False)
        for item in line.allowances:
            self.allowance_charge(el, item, False, document_level=False)
        it = self.el(el, cac("Item"))
        self.opt(it, cbc("Description"), line.description)
        self.el(it, NAME, line.name)
        if line.buyer_item_id is not None:
            self.el(self.el(it, cac("BuyersItemIdentification")), ID, line.buyer_item_id)
        if line.seller_item_id is not None:
            self.el(self.el(it, cac("SellersItemIdentification")), ID, line.seller_item_id)
        if line.standard_item_id is not None:
            self.el(
                self.el(it, cac("StandardItemIdentification")),
                ID,
                line.standard_item_id.value,
                schemeID=line.standard_item_id.scheme,
            )
        if line.origin_country is not None:
            self.el(self.el(it, cac("OriginCountry")), cbc("IdentificationCode"), line.origin_country)
        for cls in line.classifications:
            self.el(
                self.el(it, cac("CommodityClassification")),
                cbc("ItemClassificationCode"),
                cls.value,
                listID=cls.scheme,
            )
        self.tax_category(it, cac("ClassifiedTaxCategory"), line.vat_category, line.vat_rate)
        for attr in line.attributes:
            prop = self.el(it, cac("AdditionalItemProperty"))
            self.el(prop, NAME, attr.name)
            self.el(prop, cbc("Value"), attr.value)
        price = self.el(el, cac("Price"))
        self.amount(price, cbc("PriceAmount"), line.net_price)
        if line.price_base_quantity is not None:
            self.el(
                price,
                cbc("BaseQuantity"),
                decimal_text(line.price_base_quantity),
                unitCode=line.price_base_unit_code,
            )
        if line.price_discount is not None or line.gross_price is not None:
            ac = self.el(price, cac("AllowanceCharge"))
            self.el(ac, cbc("ChargeIndicator"), "false")
            self.amount(ac, AMOUNT, line.price_discount if line.price_discount is not None else Decimal("0"))
            self.amount(ac, cbc("BaseAmount"), line.gross_price)


def _date(value: Any) -> str | None:
    return None if value is None else value.isoformat()
