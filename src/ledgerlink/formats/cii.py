"""UN/CEFACT CII ``CrossIndustryInvoice`` (D16B, Factur-X EN 16931 profile / XRechnung) to and from the model.

Mapping rules (differences from UBL are listed in docs/architecture/xml-formats.md):

* Dates are ``udt:DateTimeString format="102"`` (``YYYYMMDD``); other formats are refused.
* The document is a credit note when ``ExchangedDocument/TypeCode`` is a credit note code (381, 396, ...).
* BT-7 (tax point date) and BT-8 (VAT point date code) are stated on every header ``ApplicableTradeTax``;
  the reader takes the first one given. BT-8 lands in ``invoicing_period.description_code``.
* Party identifiers without a scheme are ``ram:ID``, with a scheme ``ram:GlobalID`` (schema order: IDs first).
* BT-17 is an ``AdditionalReferencedDocument`` with TypeCode 50, BT-18 one with TypeCode 130 (scheme in
  ``ReferenceTypeCode``); every other one (TypeCode 916) is a BG-24 attachment.
* The writer states BT-24 as the document's EN 16931 specification id when it has one, else
  ``urn:cen.eu:en16931:2017`` (Factur-X EN 16931); Factur-X output always uses the latter.
"""

from __future__ import annotations

import base64
import re
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
from ledgerlink.formats.xml_safety import DEFAULT_LIMITS, XmlLimits

NS_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
NS_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NS_QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"

EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
CREDIT_NOTE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"})
ATTACHMENT_TYPE, TENDER_TYPE, INVOICED_OBJECT_TYPE = "916", "50", "130"
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}\Z")

rsm = tag_factory(NS_RSM, "rsm")
ram = tag_factory(NS_RAM, "ram")
udt = tag_factory(NS_UDT, "udt")
qdt = tag_factory(NS_QDT, "qdt")

ID, NAME = ram("ID"), ram("Name")
DATE_TIME_STRING = udt("DateTimeString")
QDT_DATE_TIME_STRING = qdt("DateTimeString")
DATE_STRING = udt("DateString")
ROOT_PATH = "/rsm:CrossIndustryInvoice"


# =========================================================================== reading


def read_invoice(root: etree._Element, limits: XmlLimits = DEFAULT_LIMITS) -> ReadResult:
    """One ``rsm:CrossIndustryInvoice`` element → a result with the document or the violations."""
    src = Source(limits)
    fields, credit = _Reader(src).document(root, ROOT_PATH)
    result = ReadResult(violations=src.violations)
    if fields is not None:
        doc = finish(src, m.CreditNote if credit else m.Invoice, ROOT_PATH, fields)
        if doc is not None:
            result.documents.append(Found(doc, ROOT_PATH))
    return result


class _Reader:
    def __init__(self, src: Source):
        self.src = src

    def child(
        self, parent: etree._Element, tag: Tag, path: str, *, required: bool = False
    ) -> tuple[etree._Element | None, str]:
        el = self.src.first(parent, tag)
        sub = f"{path}/{tag.name}"
        if el is None and required:
            self.src.missing(sub, tag.name)
        return el, sub

    def date(
        self,
        parent: etree._Element | None,
        tag: Tag,
        path: str,
        *,
        string: Tag = DATE_TIME_STRING,
        required: bool = False,
    ) -> Any:
        if parent is None:
            return None
        el, p = self.child(parent, tag, path, required=required)
        if el is None:
            return None
        s_el, sp = self.child(el, string, p, required=True)
        if s_el is None:
            return None
        text = self.src.value(s_el, sp, required=True)
        return None if text is None else self.src.parse_date_102(text, s_el.get("format"), sp)

    # ------------------------------------------------------------------ document

    def document(self, root: etree._Element, p: str) -> tuple[dict[str, Any] | None, bool]:
        s = self.src
        ctx, cp = self.child(root, rsm("ExchangedDocumentContext"), p, required=True)
        doc, dp = self.child(root, rsm("ExchangedDocument"), p, required=True)
        tx, tp = self.child(root, rsm("SupplyChainTradeTransaction"), p, required=True)
        if ctx is None or doc is None or tx is None:
            return None, False
        agreement, ap = self.child(tx, ram("ApplicableHeaderTradeAgreement"), tp, required=True)
        delivery, delp = self.child(tx, ram("ApplicableHeaderTradeDelivery"), tp)
        settlement, sp = self.child(tx, ram("ApplicableHeaderTradeSettlement"), tp, required=True)
        if agreement is None or settlement is None:
            return None, False
        currency = s.text(settlement, ram("InvoiceCurrencyCode"), sp, required=True)
        s.currency = currency
        type_code = s.text(doc, ram("TypeCode"), dp, required=True)
        f: dict[str, Any] = {
            "number": s.text(doc, ID, dp, required=True),
            "type_code": type_code,
            "issue_date": self.date(doc, ram("IssueDateTime"), dp, required=True),
            "notes": tuple(self.notes(doc, dp)),
            "currency": currency,
            "vat_accounting_currency": s.text(settlement, ram("TaxCurrencyCode"), sp),
        }
        for key, tag in (
            ("profile_id", "BusinessProcessSpecifiedDocumentContextParameter"),
            ("customization_id", "GuidelineSpecifiedDocumentContextParameter"),
        ):
            el, ep = self.child(ctx, ram(tag), cp, required=key == "customization_id")
            if el is not None:
                f[key] = s.text(el, ID, ep, required=True)
        self.agreement(agreement, ap, f)
        if delivery is not None:
            self.delivery(delivery, delp, f)
        self.settlement(settlement, sp, f)
        lines = []
        for i, el in enumerate(self.src.all(tx, ram("IncludedSupplyChainTradeLineItem")), 1):
            line = self.line(el, f"{tp}/ram:IncludedSupplyChainTradeLineItem[{i}]")
            if line is not None:
                lines.append(line)
        if self.src.first(tx, ram("IncludedSupplyChainTradeLineItem")) is None:
            s.missing(f"{tp}/ram:IncludedSupplyChainTradeLineItem", "at least one invoice line (BG-25)")
        f["lines"] = tuple(lines)
        return f, type_code in CREDIT_NOTE_CODES

    def notes(self, doc: etree._Element, p: str) -> list[m.Note]:
        out = []
        for i, el in enumerate(self.src.all(doc, ram("IncludedNote")), 1):
            np_ = f"{p}/ram:IncludedNote[{i}]"
            text = self.src.text(el, ram("Content"), np_, required=True)
            if text is not None:
                out.append(m.Note(text=text, subject_code=self.src.text(el, ram("SubjectCode"), np_)))
        return out

    def agreement(self, el: etree._Element, p: str, f: dict[str, Any]) -> None:
        s = self.src
        f["buyer_reference"] = s.text(el, ram("BuyerReference"), p)
        for key, tag in (
            ("seller", "SellerTradeParty"),
            ("buyer", "BuyerTradeParty"),
            ("tax_representative", "SellerTaxRepresentativeTradeParty"),
        ):
            party, pp = self.child(el, ram(tag), p, required=key != "tax_representative")
            if party is not None:
                f[key] = self.party(party, pp)
        for key, tag in (
            ("sales_order_reference", "SellerOrderReferencedDocument"),
            ("order_reference", "BuyerOrderReferencedDocument"),
            ("contract_reference", "ContractReferencedDocument"),
        ):
            ref, rp = self.child(el, ram(tag), p)
            if ref is not None:
                f[key] = s.text(ref, ram("IssuerAssignedID"), rp, required=True)
        attachments = []
        for i, ref in enumerate(self.src.all(el, ram("AdditionalReferencedDocument")), 1):
            rp = f"{p}/ram:AdditionalReferencedDocument[{i}]"
            code = s.text(ref, ram("TypeCode"), rp, required=True)
            if code == TENDER_TYPE:
                f["tender_reference"] = s.text(ref, ram("IssuerAssignedID"), rp, required=True)
            elif code == INVOICED_OBJECT_TYPE:
                value = s.text(ref, ram("IssuerAssignedID"), rp, required=True)
                if value is not None:
                    f["invoiced_object"] = m.Identifier(
                        value=value, scheme=s.text(ref, ram("ReferenceTypeCode"), rp)
                    )
            else:
                attachments.append(self.attachment(ref, rp))
        f["attachments"] = tuple(a for a in attachments if a is not None)
        project, pp = self.child(el, ram("SpecifiedProcuringProject"), p)
        if project is not None:
            f["project_reference"] = s.text(project, ID, pp, required=True)

    def attachment(self, el: etree._Element, p: str) -> m.Attachment | None:
        s = self.src
        fields: dict[str, Any] = {
            "id": s.text(el, ram("IssuerAssignedID"), p, required=True),
            "uri": s.text(el, ram("URIID"), p),
            "description": s.text(el, NAME, p),
        }
        obj, op = self.child(el, ram("AttachmentBinaryObject"), p)
        if obj is not None:
            fields["content"] = s.binary(obj, op)
            fields["mime_code"] = s.attr(obj, "mimeCode", op)
            fields["filename"] = s.attr(obj, "filename", op)
        if fields["id"] is None:
            return None
        return s.build(m.Attachment, p, **fields)

    def identifier(self, el: etree._Element, p: str, scheme_attr: str = "schemeID") -> m.Identifier | None:
        value = self.src.value(el, p, required=True)
        if value is None:
            return None
        return m.Identifier(value=value, scheme=self.src.attr(el, scheme_attr, p))

    def party(self, el: etree._Element, p: str) -> m.Party | None:
        s = self.src
        f: dict[str, Any] = {
            "name": s.text(el, NAME, p, required=True),
            "legal_form": s.text(el, ram("Description"), p),
        }
        idents = []
        for tag in (ID, ram("GlobalID")):
            for i, ident in enumerate(self.src.all(el, tag), 1):
                found = self.identifier(ident, f"{p}/{tag.name}[{i}]")
                if found is not None:
                    idents.append(found)
        f["identifiers"] = tuple(idents)
        legal, lp = self.child(el, ram("SpecifiedLegalOrganization"), p)
        if legal is not None:
            lid, lidp = self.child(legal, ID, lp)
            if lid is not None:
                f["legal_id"] = self.identifier(lid, lidp)
            f["trading_name"] = s.text(legal, ram("TradingBusinessName"), lp)
        contact, ctp = self.child(el, ram("DefinedTradeContact"), p)
        if contact is not None:
            phone, php = self.child(contact, ram("TelephoneUniversalCommunication"), ctp)
            email, emp = self.child(contact, ram("EmailURIUniversalCommunication"), ctp)
            f["contact"] = m.Contact(
                name=s.text(contact, ram("PersonName"), ctp),
                phone=s.text(phone, ram("CompleteNumber"), php) if phone is not None else None,
                email=s.text(email, ram("URIID"), emp) if email is not None else None,
            )
        addr, adp = self.child(el, ram("PostalTradeAddress"), p)
        if addr is not None:
            f["address"] = self.address(addr, adp)
        uri, up = self.child(el, ram("URIUniversalCommunication"), p)
        if uri is not None:
            ep_el, epp = self.child(uri, ram("URIID"), up, required=True)
            if ep_el is not None:
                value = s.value(ep_el, epp, required=True)
                scheme = s.attr(ep_el, "schemeID", epp)
                if scheme is None:
                    s.missing(f"{epp}/@schemeID", "electronic address scheme (BT-34-1 / BT-49-1)")
                elif value is not None:
                    f["electronic_address"] = m.ElectronicAddress(value=value, scheme=scheme)
        for i, reg in enumerate(self.src.all(el, ram("SpecifiedTaxRegistration")), 1):
            rp = f"{p}/ram:SpecifiedTaxRegistration[{i}]"
            reg_id, rip = self.child(reg, ID, rp, required=True)
            if reg_id is None:
                continue
            value = s.value(reg_id, rip, required=True)
            scheme = s.attr(reg_id, "schemeID", rip)
            if scheme == "VA":
                f["vat_id"] = value
            elif scheme == "FC":
                f["tax_registration_id"] = value
            else:
                s.error(
                    "XML",
                    f"{rip}/@schemeID",
                    "unknown tax registration scheme",
                    expected="VA or FC",
                    found=scheme,
                )
        if f["name"] is None:
            return None
        return s.build(m.Party, p, **f)

    def address(self, el: etree._Element, p: str) -> m.Address | None:
        s = self.src
        lines = [s.text(el, ram(tag), p) for tag in ("LineOne", "LineTwo", "LineThree")]
        country = s.text(el, ram("CountryID"), p, required=True)
        if country is None:
            return None
        return m.Address(
            lines=tuple(x for x in lines if x is not None),
            city=s.text(el, ram("CityName"), p),
            postal_code=s.text(el, ram("PostcodeCode"), p),
            subdivision=s.text(el, ram("CountrySubDivisionName"), p),
            country=country,
        )

    def delivery(self, el: etree._Element, p: str, f: dict[str, Any]) -> None:
        s = self.src
        d: dict[str, Any] = {"date": None}
        ship, shp = self.child(el, ram("ShipToTradeParty"), p)
        if ship is not None:
            d["party_name"] = s.text(ship, NAME, shp)
            for id_tag in (ID, ram("GlobalID")):
                ident, ip = self.child(ship, id_tag, shp)
                if ident is not None:
                    d["location_id"] = self.identifier(ident, ip)
                    break
            addr, adp = self.child(ship, ram("PostalTradeAddress"), shp)
            if addr is not None:
                d["address"] = self.address(addr, adp)
        event, ep = self.child(el, ram("ActualDeliverySupplyChainEvent"), p)
        if event is not None:
            d["date"] = self.date(event, ram("OccurrenceDateTime"), ep)
        for key, tag in (
            ("despatch_advice_reference", "DespatchAdviceReferencedDocument"),
            ("receiving_advice_reference", "ReceivingAdviceReferencedDocument"),
        ):
            ref, rp = self.child(el, ram(tag), p)
            if ref is not None:
                f[key] = s.text(ref, ram("IssuerAssignedID"), rp, required=True)
        if any(v is not None for v in d.values()):
            f["delivery"] = m.Delivery(**d)

    # ------------------------------------------------------------------ settlement

    def settlement(self, el: etree._Element, p: str, f: dict[str, Any]) -> None:
        s = self.src
        creditor = s.text(el, ram("CreditorReferenceID"), p)
        remittance = s.text(el, ram("PaymentReference"), p)
        payee, pp = self.child(el, ram("PayeeTradeParty"), p)
        if payee is not None:
            f["payee"] = self.party(payee, pp)
        breakdown, tax_point, due_code = [], None, None
        for i, tax in enumerate(self.src.all(el, ram("ApplicableTradeTax")), 1):
            tp = f"{p}/ram:ApplicableTradeTax[{i}]"
            b = self.vat_breakdown(tax, tp)
            if b is not None:
                breakdown.append(b)
            tp_date, tpp = self.child(tax, ram("TaxPointDate"), tp)
            if tp_date is not None and tax_point is None:
                tax_point = self.date(tax, ram("TaxPointDate"), tp, string=DATE_STRING)
            due_code = due_code or s.text(tax, ram("DueDateTypeCode"), tp)
        f["vat_breakdown"] = tuple(breakdown)
        f["tax_point_date"] = tax_point
        period_el, prp = self.child(el, ram("BillingSpecifiedPeriod"), p)
        if period_el is not None or due_code is not None:
            start = self.date(period_el, ram("StartDateTime"), prp)
            end = self.date(period_el, ram("EndDateTime"), prp)
            f["invoicing_period"] = m.Period(start=start, end=end, description_code=due_code)
        f["allowances"], f["charges"] = self.allowance_charges(el, p, document_level=True)
        terms, termp = self.child(el, ram("SpecifiedTradePaymentTerms"), p)
        mandate = None
        if terms is not None:
            f["payment_terms"] = s.text(terms, ram("Description"), termp)
            f["due_date"] = self.date(terms, ram("DueDateDateTime"), termp)
            mandate = s.text(terms, ram("DirectDebitMandateID"), termp)
        f["payment"] = self.payment(el, p, creditor, remittance, mandate)
        f["totals"] = self.totals(el, p, f)
        refs = []
        for i, ref in enumerate(self.src.all(el, ram("InvoiceReferencedDocument")), 1):
            rp = f"{p}/ram:InvoiceReferencedDocument[{i}]"
            number = s.text(ref, ram("IssuerAssignedID"), rp, required=True)
            issued = self.date(ref, ram("FormattedIssueDateTime"), rp, string=QDT_DATE_TIME_STRING)
            if number is not None:
                refs.append(m.DocumentReference(number=number, issue_date=issued))
        f["preceding_invoices"] = tuple(refs)
        acct, acp = self.child(el, ram("ReceivableSpecifiedTradeAccountingAccount"), p)
        if acct is not None:
            f["accounting_reference"] = s.text(acct, ID, acp, required=True)

    def vat_breakdown(self, el: etree._Element, p: str) -> m.VatBreakdown | None:
        s = self.src
        calculated = s.decimal(el, ram("CalculatedAmount"), p, required=True, amount=True)
        basis = s.decimal(el, ram("BasisAmount"), p, required=True, amount=True)
        category = s.text(el, ram("CategoryCode"), p, required=True)
        if calculated is None or basis is None or category is None:
            return None
        return m.VatBreakdown(
            category=category,
            rate=s.decimal(el, ram("RateApplicablePercent"), p),
            taxable_amount=basis,
            tax_amount=calculated,
            exemption_reason=s.text(el, ram("ExemptionReason"), p),
            exemption_reason_code=s.text(el, ram("ExemptionReasonCode"), p),
        )

    def payment(
        self, el: etree._Element, p: str, creditor: str | None, remittance: str | None, mandate: str | None
    ) -> m.PaymentInstructions | None:
        s = self.src
        means = self.src.all(el, ram("SpecifiedTradeSettlementPaymentMeans"))
        debit: dict[str, Any] = {"creditor_id": creditor, "mandate_reference": mandate}
        if not means:
            if creditor or mandate or remittance:
                s.error(
                    "SCHEMA",
                    f"{p}/ram:SpecifiedTradeSettlementPaymentMeans",
                    "payment details given without a payment means code (BT-81)",
                    expected="ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode",
                    found="nothing",
                )
            return None
        fp = f"{p}/ram:SpecifiedTradeSettlementPaymentMeans[1]"
        code = s.text(means[0], ram("TypeCode"), fp, required=True)
        f: dict[str, Any] = {
            "means_code": code,
            "means_text": s.text(means[0], ram("Information"), fp),
            "remittance_information": remittance,
        }
        transfers = []
        for i, pm in enumerate(means, 1):
            mp = f"{p}/ram:SpecifiedTradeSettlementPaymentMeans[{i}]"
            if i > 1:
                other = s.text(pm, ram("TypeCode"), mp)
                if other != code:
                    s.warning(
                        f"{mp}/ram:TypeCode",
                        "EN 16931 holds one payment means code (BT-81); this one is not kept",
                        found=other,
                    )
            card, cp = self.child(pm, ram("ApplicableTradeSettlementFinancialCard"), mp)
            if card is not None and "card" not in f:
                pan = s.text(card, ID, cp, required=True)
                if pan is not None:
                    f["card"] = m.CardPayment(
                        primary_account_number=pan, holder_name=s.text(card, ram("CardholderName"), cp)
                    )
            payer, pyp = self.child(pm, ram("PayerPartyDebtorFinancialAccount"), mp)
            if payer is not None and debit.get("debited_account_id") is None:
                debit["debited_account_id"] = s.text(payer, ram("IBANID"), pyp, required=True)
            acct, ap = self.child(pm, ram("PayeePartyCreditorFinancialAccount"), mp)
            if acct is not None:
                account_id = s.text(acct, ram("IBANID"), ap) or s.text(acct, ram("ProprietaryID"), ap)
                if account_id is None:
                    s.missing(f"{ap}/ram:IBANID", "payment account identifier (BT-84)")
                    continue
                bank, bp = self.child(pm, ram("PayeeSpecifiedCreditorFinancialInstitution"), mp)
                transfers.append(
                    m.CreditTransfer(
                        account_id=account_id,
                        account_name=s.text(acct, ram("AccountName"), ap),
                        bic=s.text(bank, ram("BICID"), bp) if bank is not None else None,
                    )
                )
        f["credit_transfers"] = tuple(transfers)
        if any(v is not None for v in debit.values()):
            f["direct_debit"] = m.DirectDebit(**debit)
        if code is None:
            return None
        return s.build(m.PaymentInstructions, fp, **f)

    def allowance_charges(
        self, parent: etree._Element, p: str, *, document_level: bool
    ) -> tuple[tuple[m.AllowanceCharge, ...], tuple[m.AllowanceCharge, ...]]:
        s = self.src
        allowances: list[m.AllowanceCharge] = []
        charges: list[m.AllowanceCharge] = []
        for i, el in enumerate(self.src.all(parent, ram("SpecifiedTradeAllowanceCharge")), 1):
            ap = f"{p}/ram:SpecifiedTradeAllowanceCharge[{i}]"
            ind, ip = self.child(el, ram("ChargeIndicator"), ap, required=True)
            is_charge = None
            if ind is not None:
                is_charge = s.indicator(self.src.first(ind, udt("Indicator")), f"{ip}/udt:Indicator")
            f: dict[str, Any] = {
                "amount": s.decimal(el, ram("ActualAmount"), ap, required=True, amount=True),
                "base_amount": s.decimal(el, ram("BasisAmount"), ap, amount=True),
                "percentage": s.decimal(el, ram("CalculationPercent"), ap),
                "reason": s.text(el, ram("Reason"), ap),
                "reason_code": s.text(el, ram("ReasonCode"), ap),
            }
            if document_level:
                cat, catp = self.child(el, ram("CategoryTradeTax"), ap, required=True)
                if cat is not None:
                    f["vat_category"] = s.text(cat, ram("CategoryCode"), catp, required=True)
                    f["vat_rate"] = s.decimal(cat, ram("RateApplicablePercent"), catp)
            if is_charge is None or f["amount"] is None:
                continue
            item = s.build(m.AllowanceCharge, ap, **f)
            if item is not None:
                (charges if is_charge else allowances).append(item)
        return tuple(allowances), tuple(charges)

    def totals(self, el: etree._Element, p: str, f: dict[str, Any]) -> m.Totals | None:
        s = self.src
        sums, tp = self.child(el, ram("SpecifiedTradeSettlementHeaderMonetarySummation"), p, required=True)
        if sums is None:
            return None
        tax_amount = tax_accounting = None
        accounting_currency = f.get("vat_accounting_currency")
        for i, tax in enumerate(self.src.all(sums, ram("TaxTotalAmount")), 1):
            path = f"{tp}/ram:TaxTotalAmount[{i}]"
            cur = (tax.get("currencyID") or "").strip()
            if accounting_currency and cur == accounting_currency and cur != s.currency:
                tax_accounting = s.decimal_of(tax, path, required=True)
            elif tax_amount is None:
                tax_amount = s.decimal_of(tax, path, required=True, amount=True)
            else:
                s.error(
                    "XML",
                    path,
                    "more than one VAT total in the document currency",
                    expected="one (BT-110)",
                    found=cur or "no currencyID",
                )
        t: dict[str, Any] = {
            "line_extension_amount": s.decimal(sums, ram("LineTotalAmount"), tp, required=True, amount=True),
            "charge_total": s.decimal(sums, ram("ChargeTotalAmount"), tp, amount=True),
            "allowance_total": s.decimal(sums, ram("AllowanceTotalAmount"), tp, amount=True),
            "tax_exclusive_amount": s.decimal(
                sums, ram("TaxBasisTotalAmount"), tp, required=True, amount=True
            ),
            "tax_amount": tax_amount,
            "tax_amount_accounting_currency": tax_accounting,
            "rounding_amount": s.decimal(sums, ram("RoundingAmount"), tp, amount=True),
            "tax_inclusive_amount": s.decimal(sums, ram("GrandTotalAmount"), tp, required=True, amount=True),
            "prepaid_amount": s.decimal(sums, ram("TotalPrepaidAmount"), tp, amount=True),
            "payable_amount": s.decimal(sums, ram("DuePayableAmount"), tp, required=True, amount=True),
        }
        return totals_or_none(t)

    # ------------------------------------------------------------------ lines

    def line(self, el: etree._Element, p: str) -> m.InvoiceLine | None:
        s = self.src
        f: dict[str, Any] = {}
        doc, dp = self.child(el, ram("AssociatedDocumentLineDocument"), p, required=True)
        if doc is not None:
            f["id"] = s.text(doc, ram("LineID"), dp, required=True)
            note, np_ = self.child(doc, ram("IncludedNote"), dp)
            if note is not None:
                f["note"] = s.text(note, ram("Content"), np_)
        product, pp = self.child(el, ram("SpecifiedTradeProduct"), p, required=True)
        if product is not None:
            self.product(product, pp, f)
        agreement, ap = self.child(el, ram("SpecifiedLineTradeAgreement"), p, required=True)
        if agreement is not None:
            self.line_agreement(agreement, ap, f)
        delivery, delp = self.child(el, ram("SpecifiedLineTradeDelivery"), p, required=True)
        if delivery is not None:
            qty, qp = self.child(delivery, ram("BilledQuantity"), delp, required=True)
            if qty is not None:
                f["quantity"] = s.decimal_of(qty, qp, required=True)
                f["unit_code"] = s.attr(qty, "unitCode", qp)
                if f["unit_code"] is None:
                    s.missing(f"{qp}/@unitCode", "unit of measure (BT-130)")
        settlement, sp = self.child(el, ram("SpecifiedLineTradeSettlement"), p, required=True)
        if settlement is not None:
            self.line_settlement(settlement, sp, f)
        required = ("id", "quantity", "unit_code", "net_amount", "net_price", "vat_category", "name")
        if any(f.get(k) is None for k in required):
            return None
        return s.build(m.InvoiceLine, p, **f)

    def product(self, el: etree._Element, p: str, f: dict[str, Any]) -> None:
        s = self.src
        gid, gp = self.child(el, ram("GlobalID"), p)
        if gid is not None:
            f["standard_item_id"] = self.identifier(gid, gp)
        f["seller_item_id"] = s.text(el, ram("SellerAssignedID"), p)
        f["buyer_item_id"] = s.text(el, ram("BuyerAssignedID"), p)
        f["name"] = s.text(el, NAME, p, required=True)
        f["description"] = s.text(el, ram("Description"), p)
        attrs = []
        for i, ch in enumerate(self.src.all(el, ram("ApplicableProductCharacteristic")), 1):
            cp = f"{p}/ram:ApplicableProductCharacteristic[{i}]"
            name, value = (
                s.text(ch, ram("Description"), cp, required=True),
                s.text(ch, ram("Value"), cp, required=True),
            )
            if name is not None and value is not None:
                attrs.append(m.ItemAttribute(name=name, value=value))
        f["attributes"] = tuple(attrs)
        classes = []
        for i, cl in enumerate(self.src.all(el, ram("DesignatedProductClassification")), 1):
            code, cp = self.child(
                cl, ram("ClassCode"), f"{p}/ram:DesignatedProductClassification[{i}]", required=True
            )
            if code is not None:
                ident = self.identifier(code, cp, "listID")
                if ident is not None:
                    classes.append(ident)
        f["classifications"] = tuple(classes)
        origin, op = self.child(el, ram("OriginTradeCountry"), p)
        if origin is not None:
            f["origin_country"] = s.text(origin, ID, op, required=True)

    def line_agreement(self, el: etree._Element, p: str, f: dict[str, Any]) -> None:
        s = self.src
        order, op = self.child(el, ram("BuyerOrderReferencedDocument"), p)
        if order is not None:
            f["order_line_reference"] = s.text(order, ram("LineID"), op, required=True)
        gross, gp = self.child(el, ram("GrossPriceProductTradePrice"), p)
        if gross is not None:
            f["gross_price"] = s.decimal(gross, ram("ChargeAmount"), gp, required=True, amount=True)
            disc, dp = self.child(gross, ram("AppliedTradeAllowanceCharge"), gp)
            if disc is not None:
                ind, ip = self.child(disc, ram("ChargeIndicator"), dp, required=True)
                if (
                    ind is not None
                    and s.indicator(self.src.first(ind, udt("Indicator")), f"{ip}/udt:Indicator") is True
                ):
                    s.error(
                        "XML",
                        f"{ip}/udt:Indicator",
                        "a price can only carry a discount",
                        expected="false",
                        found="true",
                    )
                f["price_discount"] = s.decimal(disc, ram("ActualAmount"), dp, required=True, amount=True)
        net, np_ = self.child(el, ram("NetPriceProductTradePrice"), p, required=True)
        if net is not None:
            f["net_price"] = s.decimal(net, ram("ChargeAmount"), np_, required=True, amount=True)
            base, bp = self.child(net, ram("BasisQuantity"), np_)
            if base is not None:
                f["price_base_quantity"] = s.decimal_of(base, bp)
                f["price_base_unit_code"] = s.attr(base, "unitCode", bp)

    def line_settlement(self, el: etree._Element, p: str, f: dict[str, Any]) -> None:
        s = self.src
        tax, tp = self.child(el, ram("ApplicableTradeTax"), p, required=True)
        if tax is not None:
            f["vat_category"] = s.text(tax, ram("CategoryCode"), tp, required=True)
            f["vat_rate"] = s.decimal(tax, ram("RateApplicablePercent"), tp)
        period, pp = self.child(el, ram("BillingSpecifiedPeriod"), p)
        if period is not None:
            f["period"] = m.Period(
                start=self.date(period, ram("StartDateTime"), pp),
                end=self.date(period, ram("EndDateTime"), pp),
            )
        f["allowances"], f["charges"] = self.allowance_charges(el, p, document_level=False)
        sums, sp = self.child(el, ram("SpecifiedTradeSettlementLineMonetarySummation"), p, required=True)
        if sums is not None:
            f["net_amount"] = s.decimal(sums, ram("LineTotalAmount"), sp, required=True, amount=True)
        ref, rp = self.child(el, ram("AdditionalReferencedDocument"), p)
        if ref is not None:
            value = s.text(ref, ram("IssuerAssignedID"), rp, required=True)
            if value is not None:
                f["object_id"] = m.Identifier(value=value, scheme=s.text(ref, ram("ReferenceTypeCode"), rp))
        acct, acp = self.child(el, ram("ReceivableSpecifiedTradeAccountingAccount"), p)
        if acct is not None:
            f["accounting_reference"] = s.text(acct, ID, acp, required=True)


# =========================================================================== writing


def write(doc: m.AnyDocument, *, guideline: str | None = None) -> bytes:
    """The invoice or credit note as CII bytes (UTF-8). ``guideline`` overrides BT-24."""
    doc = commercial_only(doc, "CII")
    if guideline is None:
        given = doc.customization_id
        guideline = given if given and given.startswith(EN16931_GUIDELINE) else EN16931_GUIDELINE
    root = _Writer(doc).document(guideline)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return data


class _Writer(ElementWriter):
    doc: m.Invoice | m.CreditNote

    def amount(
        self, parent: etree._Element, tag: Tag, value: Decimal | None, currency: str | None = None
    ) -> None:
        if value is not None:
            self.el(parent, tag, decimal_text(value), currencyID=currency)

    def date(self, parent: etree._Element, tag: Tag, value: Any, string: Tag = DATE_TIME_STRING) -> None:
        if value is not None:
            self.el(self.el(parent, tag), string, value.strftime("%Y%m%d"), format="102")

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Violation("SCHEMA", path, message))

    def document(self, guideline: str) -> etree._Element:
        d = self.doc
        root = etree.Element(
            rsm("CrossIndustryInvoice").clark,
            nsmap={"rsm": NS_RSM, "ram": NS_RAM, "udt": NS_UDT, "qdt": NS_QDT},
        )
        ctx = self.el(root, rsm("ExchangedDocumentContext"))
        if d.profile_id is not None:
            self.el(self.el(ctx, ram("BusinessProcessSpecifiedDocumentContextParameter")), ID, d.profile_id)
        self.el(self.el(ctx, ram("GuidelineSpecifiedDocumentContextParameter")), ID, guideline)
        ex = self.el(root, rsm("ExchangedDocument"))
        self.el(ex, ID, d.number)
        self.el(ex, ram("TypeCode"), d.type_code)
        self.date(ex, ram("IssueDateTime"), d.issue_date)
        for note in d.notes:
            n = self.el(ex, ram("IncludedNote"))
            self.el(n, ram("Content"), note.text)
            self.opt(n, ram("SubjectCode"), note.subject_code)
        tx = self.el(root, rsm("SupplyChainTradeTransaction"))
        for i, line in enumerate(d.lines):
            self.line(tx, line, i)
        self.agreement(self.el(tx, ram("ApplicableHeaderTradeAgreement")))
        self.delivery(self.el(tx, ram("ApplicableHeaderTradeDelivery")))
        self.settlement(self.el(tx, ram("ApplicableHeaderTradeSettlement")))
        if self.problems:
            raise WriteError(self.problems)
        return root

    def agreement(self, el: etree._Element) -> None:
        d = self.doc
        self.opt(el, ram("BuyerReference"), d.buyer_reference)
        self.party(self.el(el, ram("SellerTradeParty")), d.seller, "seller")
        self.party(self.el(el, ram("BuyerTradeParty")), d.buyer, "buyer")
        if d.tax_representative is not None:
            self.party(
                self.el(el, ram("SellerTaxRepresentativeTradeParty")),
                d.tax_representative,
                "tax_representative",
            )
        for value, tag in (
            (d.sales_order_reference, "SellerOrderReferencedDocument"),
            (d.order_reference, "BuyerOrderReferencedDocument"),
            (d.contract_reference, "ContractReferencedDocument"),
        ):
            if value is not None:
                self.el(self.el(el, ram(tag)), ram("IssuerAssignedID"), value)
        for att in d.attachments:
            ref = self.el(el, ram("AdditionalReferencedDocument"))
            self.el(ref, ram("IssuerAssignedID"), att.id)
            self.opt(ref, ram("URIID"), att.uri)
            self.el(ref, ram("TypeCode"), ATTACHMENT_TYPE)
            self.opt(ref, NAME, att.description)
            if att.content is not None:
                self.el(
                    ref,
                    ram("AttachmentBinaryObject"),
                    base64.b64encode(att.content).decode("ascii"),
                    mimeCode=att.mime_code,
                    filename=att.filename,
                )
        if d.tender_reference is not None:
            ref = self.el(el, ram("AdditionalReferencedDocument"))
            self.el(ref, ram("IssuerAssignedID"), d.tender_reference)
            self.el(ref, ram("TypeCode"), TENDER_TYPE)
        if d.invoiced_object is not None:
            ref = self.el(el, ram("AdditionalReferencedDocument"))
            self.el(ref, ram("IssuerAssignedID"), d.invoiced_object.value)
            self.el(ref, ram("TypeCode"), INVOICED_OBJECT_TYPE)
            self.opt(ref, ram("ReferenceTypeCode"), d.invoiced_object.scheme)
        if d.project_reference is not None:
            project = self.el(el, ram("SpecifiedProcuringProject"))
            self.el(project, ID, d.project_reference)
            # ram:Name is mandatory in CII; EN 16931 has no project name, so the id is repeated.
            self.el(project, NAME, d.project_reference)

    def party(self, el: etree._Element, party: m.Party, path: str) -> None:
        for ident in party.identifiers:
            if ident.scheme is None:
                self.el(el, ID, ident.value)
        for ident in party.identifiers:
            if ident.scheme is not None:
                self.el(el, ram("GlobalID"), ident.value, schemeID=ident.scheme)
        self.el(el, NAME, party.name)
        self.opt(el, ram("Description"), party.legal_form)
        if party.legal_id is not None or party.trading_name is not None:
            legal = self.el(el, ram("SpecifiedLegalOrganization"))
            if party.legal_id is not None:
                self.el(legal, ID, party.legal_id.value, schemeID=party.legal_id.scheme)
            self.opt(legal, ram("TradingBusinessName"), party.trading_name)
        c = party.contact
        if c is not None and any((c.name, c.phone, c.email)):
            contact = self.el(el, ram("DefinedTradeContact"))
            self.opt(contact, ram("PersonName"), c.name)
            if c.phone is not None:
                self.el(
                    self.el(contact, ram("TelephoneUniversalCommunication")), ram("CompleteNumber"), c.phone
                )
            if c.email is not None:
                self.el(self.el(contact, ram("EmailURIUniversalCommunication")), ram("URIID"), c.email)
        if party.address is not None:
            self.address(el, party.address, f"{path}.address")
        if party.electronic_address is not None:
            self.el(
                self.el(el, ram("URIUniversalCommunication")),
                ram("URIID"),
                party.electronic_address.value,
                schemeID=party.electronic_address.scheme,
            )
        for value, scheme in ((party.vat_id, "VA"), (party.tax_registration_id, "FC")):
            if value is not None:
                self.el(self.el(el, ram("SpecifiedTaxRegistration")), ID, value, schemeID=scheme)

    def address(self, parent: etree._Element, address: m.Address, path: str) -> None:
        el = self.el(parent, ram("PostalTradeAddress"))
        if len(address.lines) > 3:
            self.problems.append(
                Violation(
                    "SCHEMA",
                    f"{path}.lines",
                    "CII carries at most three address lines",
                    expected="<= 3",
                    found=str(len(address.lines)),
                )
            )
        self.opt(el, ram("PostcodeCode"), address.postal_code)
        for tag, line in zip(("LineOne", "LineTwo", "LineThree"), address.lines[:3], strict=False):
            self.el(el, ram(tag), line)
        self.opt(el, ram("CityName"), address.city)
        self.el(el, ram("CountryID"), address.country)
        self.opt(el, ram("CountrySubDivisionName"), address.subdivision)

    def delivery(self, el: etree._Element) -> None:
        d = self.doc
        dl = d.delivery
        if dl is not None:
            if dl.party_name is not None or dl.location_id is not None or dl.address is not None:
                ship = self.el(el, ram("ShipToTradeParty"))
                if dl.location_id is not None:
                    if dl.location_id.scheme is None:
                        self.el(ship, ID, dl.location_id.value)
                    else:
                        self.el(ship, ram("GlobalID"), dl.location_id.value, schemeID=dl.location_id.scheme)
                if dl.party_name is not None:
                    self.el(ship, NAME, dl.party_name)
                elif dl.address is not None:
                    self.problem(
                        "delivery.party_name", "CII needs the deliver-to party name (BT-70) with an address"
                    )
                if dl.address is not None:
                    self.address(ship, dl.address, "delivery.address")
            if dl.date is not None:
                self.date(
                    self.el(el, ram("ActualDeliverySupplyChainEvent")), ram("OccurrenceDateTime"), dl.date
                )
        for value, tag in (
            (d.despatch_advice_reference, "DespatchAdviceReferencedDocument"),
            (d.receiving_advice_reference, "ReceivingAdviceReferencedDocument"),
        ):
            if value is not None:
                self.el(self.el(el, ram(tag)), ram("IssuerAssignedID"), value)

    def settlement(self, el: etree._Element) -> None:
        d = self.doc
        pay = d.payment
        dd = pay.direct_debit if pay is not None else None
        self.opt(el, ram("CreditorReferenceID"), dd.creditor_id if dd else None)
        self.opt(el, ram("PaymentReference"), pay.remittance_information if pay else None)
        self.opt(el, ram("TaxCurrencyCode"), d.vat_accounting_currency)
        self.el(el, ram("InvoiceCurrencyCode"), d.currency)
        if d.payee is not None:
            self.party(self.el(el, ram("PayeeTradeParty")), d.payee, "payee")
        if pay is not None:
            self.payment_means(el, pay)
        period = d.invoicing_period
        due_code = period.description_code if period is not None else None
        if (d.tax_point_date is not None or due_code is not None) and not d.vat_breakdown:
            self.problem("tax_point_date", "CII states BT-7/BT-8 on the VAT breakdown, and there is none")
        for b in d.vat_breakdown:
            tax = self.el(el, ram("ApplicableTradeTax"))
            self.amount(tax, ram("CalculatedAmount"), b.tax_amount)
            self.el(tax, ram("TypeCode"), "VAT")
            self.opt(tax, ram("ExemptionReason"), b.exemption_reason)
            self.amount(tax, ram("BasisAmount"), b.taxable_amount)
            self.el(tax, ram("CategoryCode"), b.category)
            self.opt(tax, ram("ExemptionReasonCode"), b.exemption_reason_code)
            self.date(tax, ram("TaxPointDate"), d.tax_point_date, DATE_STRING)
            self.opt(tax, ram("DueDateTypeCode"), due_code)
            if b.rate is not None:
                self.el(tax, ram("RateApplicablePercent"), decimal_text(b.rate))
        if period is not None and (period.start is not None or period.end is not None):
            per = self.el(el, ram("BillingSpecifiedPeriod"))
            self.date(per, ram("StartDateTime"), period.start)
            self.date(per, ram("EndDateTime"), period.end)
        for item in d.charges:
            self.allowance_charge(el, item, True, document_level=True)
        for item in d.allowances:
            self.allowance_charge(el, item, False, document_level=True)
        mandate = dd.mandate_reference if dd else None
        if d.payment_terms is not None or d.due_date is not None or mandate is not None:
            terms = self.el(el, ram("SpecifiedTradePaymentTerms"))
            self.opt(terms, ram("Description"), d.payment_terms)
            self.date(terms, ram("DueDateDateTime"), d.due_date)
            self.opt(terms, ram("DirectDebitMandateID"), mandate)
        self.totals(el)
        for prec in d.preceding_invoices:
            ref = self.el(el, ram("InvoiceReferencedDocument"))
            self.el(ref, ram("IssuerAssignedID"), prec.number)
            self.date(ref, ram("FormattedIssueDateTime"), prec.issue_date, QDT_DATE_TIME_STRING)
        if d.accounting_reference is not None:
            self.el(self.el(el, ram("ReceivableSpecifiedTradeAccountingAccount")), ID, d.accounting_reference)

    def payment_means(self, el: etree._Element, pay: m.PaymentInstructions) -> None:
        accounts: list[m.CreditTransfer | None] = list(pay.credit_transfers) or [None]
        dd = pay.direct_debit
        for i, account in enumerate(accounts):
            pm = self.el(el, ram("SpecifiedTradeSettlementPaymentMeans"))
            self.el(pm, ram("TypeCode"), pay.means_code)
            self.opt(pm, ram("Information"), pay.means_text)
            if i == 0 and pay.card is not None:
                card = self.el(pm, ram("ApplicableTradeSettlementFinancialCard"))
                self.el(card, ID, pay.card.primary_account_number)
                self.opt(card, ram("CardholderName"), pay.card.holder_name)
            if i == 0 and dd is not None and dd.debited_account_id is not None:
                self.el(
                    self.el(pm, ram("PayerPartyDebtorFinancialAccount")), ram("IBANID"), dd.debited_account_id
                )
            if account is not None:
                acct = self.el(pm, ram("PayeePartyCreditorFinancialAccount"))
                is_iban = _IBAN.match(account.account_id) is not None
                if is_iban:
                    self.el(acct, ram("IBANID"), account.account_id)
                self.opt(acct, ram("AccountName"), account.account_name)
                if not is_iban:
                    self.el(acct, ram("ProprietaryID"), account.account_id)
                if account.bic is not None:
                    self.el(
                        self.el(pm, ram("PayeeSpecifiedCreditorFinancialInstitution")),
                        ram("BICID"),
                        account.bic,
                    )

    def allowance_charge(
        self, parent: etree._Element, item: m.AllowanceCharge, charge: bool, *, document_level: bool
    ) -> None:
        check_allowance(item, document_level, self.problems)
        el = self.el(parent, ram("SpecifiedTradeAllowanceCharge"))
        self.el(self.el(el, ram("ChargeIndicator")), udt("Indicator"), "true" if charge else "false")
        if item.percentage is not None:
            self.el(el, ram("CalculationPercent"), decimal_text(item.percentage))
        self.amount(el, ram("BasisAmount"), item.base_amount)
        self.amount(el, ram("ActualAmount"), item.amount)
        self.opt(el, ram("ReasonCode"), item.reason_code)
        self.opt(el, ram("Reason"), item.reason)
        if document_level:
            tax = self.el(el, ram("CategoryTradeTax"))
            self.el(tax, ram("TypeCode"), "VAT")
            self.el(tax, ram("CategoryCode"), item.vat_category or "")
            if item.vat_rate is not None:
                self.el(tax, ram("RateApplicablePercent"), decimal_text(item.vat_rate))

    def totals(self, el: etree._Element) -> None:
        d = self.doc
        t = d.totals
        sums = self.el(el, ram("SpecifiedTradeSettlementHeaderMonetarySummation"))
        self.amount(sums, ram("LineTotalAmount"), t.line_extension_amount)
        self.amount(sums, ram("ChargeTotalAmount"), t.charge_total)
        self.amount(sums, ram("AllowanceTotalAmount"), t.allowance_total)
        self.amount(sums, ram("TaxBasisTotalAmount"), t.tax_exclusive_amount)
        self.amount(sums, ram("TaxTotalAmount"), t.tax_amount, d.currency)
        if t.tax_amount_accounting_currency is not None:
            if d.vat_accounting_currency is None or d.vat_accounting_currency == d.currency:
                self.problem(
                    "totals.tax_amount_accounting_currency",
                    "BT-111 needs a VAT accounting currency (BT-6) different from BT-5",
                )
            self.amount(
                sums, ram("TaxTotalAmount"), t.tax_amount_accounting_currency, d.vat_accounting_currency
            )
        self.amount(sums, ram("RoundingAmount"), t.rounding_amount)
        self.amount(sums, ram("GrandTotalAmount"), t.tax_inclusive_amount)
        self.amount(sums, ram("TotalPrepaidAmount"), t.prepaid_amount)
        self.amount(sums, ram("DuePayableAmount"), t.payable_amount)

    def line(self, tx: etree._Element, line: m.InvoiceLine, index: int) -> None:
        path = f"lines[{index}]"
        item = self.el(tx, ram("IncludedSupplyChainTradeLineItem"))
        doc = self.el(item, ram("AssociatedDocumentLineDocument"))
        self.el(doc, ram("LineID"), line.id)
        if line.note is not None:
            self.el(self.el(doc, ram("IncludedNote")), ram("Content"), line.note)
        product = self.el(item, ram("SpecifiedTradeProduct"))
        if line.standard_item_id is not None:
            self.el(
                product, ram("GlobalID"), line.standard_item_id.value, schemeID=line.standard_item_id.scheme
            )
        self.opt(product, ram("SellerAssignedID"), line.seller_item_id)
        self.opt(product, ram("BuyerAssignedID"), line.buyer_item_id)
        self.el(product, NAME, line.name)
        self.opt(product, ram("Description"), line.description)
        for attr in line.attributes:
            ch = self.el(product, ram("ApplicableProductCharacteristic"))
            self.el(ch, ram("Description"), attr.name)
            self.el(ch, ram("Value"), attr.value)
        for cls in line.classifications:
            self.el(
                self.el(product, ram("DesignatedProductClassification")),
                ram("ClassCode"),
                cls.value,
                listID=cls.scheme,
            )
        if line.origin_country is not None:
            self.el(self.el(product, ram("OriginTradeCountry")), ID, line.origin_country)
        agreement = self.el(item, ram("SpecifiedLineTradeAgreement"))
        if line.order_line_reference is not None:
            self.el(
                self.el(agreement, ram("BuyerOrderReferencedDocument")),
                ram("LineID"),
                line.order_line_reference,
            )
        if line.gross_price is not None:
            gross = self.el(agreement, ram("GrossPriceProductTradePrice"))
            self.amount(gross, ram("ChargeAmount"), line.gross_price)
            self.base_quantity(gross, line)
            if line.price_discount is not None:
                disc = self.el(gross, ram("AppliedTradeAllowanceCharge"))
                self.el(self.el(disc, ram("ChargeIndicator")), udt("Indicator"), "false")
                self.amount(disc, ram("ActualAmount"), line.price_discount)
        elif line.price_discount is not None:
            self.problem(
                f"{path}.price_discount",
                "CII states a price discount (BT-147) only with the gross price (BT-148)",
            )
        net = self.el(agreement, ram("NetPriceProductTradePrice"))
        self.amount(net, ram("ChargeAmount"), line.net_price)
        self.base_quantity(net, line)
        delivery = self.el(item, ram("SpecifiedLineTradeDelivery"))
        self.el(delivery, ram("BilledQuantity"), decimal_text(line.quantity), unitCode=line.unit_code)
        settlement = self.el(item, ram("SpecifiedLineTradeSettlement"))
        tax = self.el(settlement, ram("ApplicableTradeTax"))
        self.el(tax, ram("TypeCode"), "VAT")
        self.el(tax, ram("CategoryCode"), line.vat_category)
        if line.vat_rate is not None:
            self.el(tax, ram("RateApplicablePercent"), decimal_text(line.vat_rate))
        if line.period is not None:
            if line.period.description_code is not None:
                self.problem(f"{path}.period.description_code", "CII has no VAT point date code on a line")
            per = self.el(settlement, ram("BillingSpecifiedPeriod"))
            self.date(per, ram("StartDateTime"), line.period.start)
            self.date(per, ram("EndDateTime"), line.period.end)
        for ac in line.charges:
            self.allowance_charge(settlement, ac, True, document_level=False)
        for ac in line.allowances:
            self.allowance_charge(settlement, ac, False, document_level=False)
        sums = self.el(settlement, ram("SpecifiedTradeSettlementLineMonetarySummation"))
        self.amount(sums, ram("LineTotalAmount"), line.net_amount)
        if line.object_id is not None:
            ref = self.el(settlement, ram("AdditionalReferencedDocument"))
            self.el(ref, ram("IssuerAssignedID"), line.object_id.value)
            self.el(ref, ram("TypeCode"), INVOICED_OBJECT_TYPE)
            self.opt(ref, ram("ReferenceTypeCode"), line.object_id.scheme)
        if line.accounting_reference is not None:
            self.el(
                self.el(settlement, ram("ReceivableSpecifiedTradeAccountingAccount")),
                ID,
                line.accounting_reference,
            )

    def base_quantity(self, price: etree._Element, line: m.InvoiceLine) -> None:
        if line.price_base_quantity is not None:
            self.el(
                price,
                ram("BasisQuantity"),
                decimal_text(line.price_base_quantity),
                unitCode=line.price_base_unit_code,
            )
