"""Fast path of the UBL reader: the same mapping as :mod:`ledgerlink.formats.ubl`, without error reporting.

The Python reader in :mod:`ledgerlink.formats.ubl` is the reference and the only source of violations.
This module reads a document the lean way — each element's children indexed once, no XPath strings
built, every part gathered into one nested dict that pydantic validates in one call — and gives up
(``None``) wherever the reference reader would report anything.

Rules:

* Every value is taken exactly as the reference reader takes it: the element's text, stripped, empty
  counts as absent, capped at :class:`~ledgerlink.formats.xml_safety.XmlLimits`; decimals through the
  same ``xs:decimal`` pattern and ``Decimal(text)`` (never float); dates through the same ``YYYY-MM-DD``
  pattern and ``date.fromisoformat``; embedded objects through the same base64 decoding.
* Wherever the reference reader records a violation — error or warning — this one raises
  :class:`Unusual`, and :func:`read_document` returns ``None``: the caller then runs the reference
  reader on the same parsed tree (no second parse) to get the precise violations with their XPaths.
  The same happens on a model validation error.
* So a document read here equals the one the reference reader gives; ``tests/formats/test_ubl_fast.py``
  checks it over every Peppol sample, generated invoices and credit notes, and damaged documents.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from decimal import Decimal
from typing import Any

from lxml import etree
from pydantic import ValidationError

from ledgerlink.domain import documents as m
from ledgerlink.formats.xml_common import _DECIMAL, _ISO_DATE, _WHITESPACE
from ledgerlink.formats.xml_safety import DEFAULT_LIMITS, XmlLimits

_NS_CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
_NS_CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
CREDIT_NOTE_TAG = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
INVOICE_TAG = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"

DOCUMENT_REFERENCES = (
    ("despatch_advice_reference", "DespatchDocumentReference"),
    ("receiving_advice_reference", "ReceiptDocumentReference"),
    ("tender_reference", "OriginatorDocumentReference"),
    ("contract_reference", "ContractDocumentReference"),
    ("project_reference", "ProjectReference"),
)
"""Model field and UBL element of the simple document references (BT-16, BT-15, BT-17, BT-12, BT-11)."""

SUBJECT_NOTE = re.compile(r"#([A-Za-z0-9]{1,3})#(.*)\Z", re.DOTALL)
"""BT-21 in UBL (Peppol convention): ``#CODE#text``; shared with the reference reader."""


class Unusual(Exception):
    """The reference reader would report something here: leave this document to it."""


_UNUSUAL = Unusual()


def _tags() -> dict[str, str]:
    cbc = (
        "ID Name Note Amount BaseAmount DocumentCurrencyCode CustomizationID ProfileID IssueDate "
        "InvoiceTypeCode CreditNoteTypeCode TaxCurrencyCode TaxPointDate DueDate BuyerReference AccountingCost "
        "StartDate EndDate DescriptionCode SalesOrderID DocumentTypeCode DocumentDescription "
        "EmbeddedDocumentBinaryObject URI EndpointID CompanyID RegistrationName CompanyLegalForm Telephone "
        "ElectronicMail StreetName AdditionalStreetName Line IdentificationCode CityName PostalZone "
        "CountrySubentity ActualDeliveryDate PaymentMeansCode PaymentID PaymentDueDate PrimaryAccountNumberID "
        "HolderName ChargeIndicator MultiplierFactorNumeric AllowanceChargeReason AllowanceChargeReasonCode "
        "Percent TaxAmount TaxableAmount TaxExemptionReason TaxExemptionReasonCode LineExtensionAmount "
        "TaxExclusiveAmount TaxInclusiveAmount AllowanceTotalAmount ChargeTotalAmount PrepaidAmount "
        "PayableRoundingAmount PayableAmount InvoicedQuantity CreditedQuantity LineID Description "
        "ItemClassificationCode Value PriceAmount BaseQuantity"
    )
    cac = (
        "InvoicePeriod OrderReference BillingReference InvoiceDocumentReference DespatchDocumentReference "
        "ReceiptDocumentReference OriginatorDocumentReference ContractDocumentReference ProjectReference "
        "AdditionalDocumentReference Attachment ExternalReference AccountingSupplierParty "
        "AccountingCustomerParty PayeeParty TaxRepresentativeParty Party PartyIdentification PartyName "
        "PostalAddress PartyTaxScheme TaxScheme PartyLegalEntity Contact AddressLine Country Delivery "
        "DeliveryLocation Address DeliveryParty PaymentMeans PayeeFinancialAccount FinancialInstitutionBranch "
        "CardAccount PaymentMandate PayerFinancialAccount PaymentTerms AllowanceCharge TaxCategory TaxTotal "
        "TaxSubtotal LegalMonetaryTotal InvoiceLine CreditNoteLine OrderLineReference DocumentReference Item "
        "BuyersItemIdentification SellersItemIdentification StandardItemIdentification OriginCountry "
        "CommodityClassification ClassifiedTaxCategory AdditionalItemProperty Price"
    )
    out = {name: _NS_CBC + name for name in cbc.split()}
    out.update({name: _NS_CAC + name for name in cac.split()})
    return out


T = _tags()


def _index(el: etree._Element) -> dict[str, list[etree._Element]]:
    """The element's children by tag, in document order."""
    index: dict[str, list[etree._Element]] = {}
    for child in el:
        tag = child.tag
        found = index.get(tag)
        if found is None:
            index[tag] = [child]
        else:
            found.append(child)
    return index


def read_document(
    root: etree._Element, limits: XmlLimits = DEFAULT_LIMITS
) -> m.Invoice | m.CreditNote | None:
    """The UBL document when the reference reader would read it without any violation, else ``None``."""
    credit = root.tag == CREDIT_NOTE_TAG
    if not credit and root.tag != INVOICE_TAG:
        return None
    try:
        fields = _Reader(limits, credit).document(root)
        return (m.CreditNote if credit else m.Invoice).model_validate(fields)
    except (Unusual, ValidationError):
        return None


class _Reader:
    __slots__ = ("maxf", "maxb", "credit", "currency", "divert")

    def __init__(self, limits: XmlLimits, credit: bool):
        self.maxf = limits.max_field_chars
        self.maxb = limits.max_binary_chars
        self.credit = credit
        self.currency: str | None = None
        self.divert = False

    # ------------------------------------------------------------------ values (as Source does)

    def value(self, el: etree._Element) -> str | None:
        text: str | None = el.text
        if text is None or not (text := text.strip()):
            return None
        if len(text) > self.maxf:
            raise _UNUSUAL
        return text

    def req(self, el: etree._Element | None) -> str:
        if el is None:
            raise _UNUSUAL
        text: str | None = el.text
        if text is None or not (text := text.strip()) or len(text) > self.maxf:
            raise _UNUSUAL
        return text

    def text(self, kids: dict[str, list[etree._Element]], tag: str) -> str | None:
        found = kids.get(tag)
        return None if found is None else self.value(found[0])

    def rtext(self, kids: dict[str, list[etree._Element]], tag: str) -> str:
        found = kids.get(tag)
        if found is None:
            raise _UNUSUAL
        return self.req(found[0])

    def attr(self, el: etree._Element, name: str) -> str | None:
        raw: str | None = el.get(name)
        if raw is None or not (raw := raw.strip()):
            return None
        if len(raw) > self.maxf:
            raise _UNUSUAL
        return raw

    def decimal_of(self, el: etree._Element, *, required: bool = False, amount: bool = False) -> Decimal | None:
        text: str | None = el.text
        if text is None or not (text := text.strip()):
            if required:
                raise _UNUSUAL
            return None
        if len(text) > self.maxf:
            raise _UNUSUAL
        if amount and self.currency is not None:
            cur = el.get("currencyID")
            if cur is not None and cur.strip() != self.currency:
                raise _UNUSUAL
        if not _DECIMAL.match(text):
            raise _UNUSUAL
        return Decimal(text)

    def decimal(
        self, kids: dict[str, list[etree._Element]], tag: str, *, required: bool = False, amount: bool = False
    ) -> Decimal | None:
        found = kids.get(tag)
        if found is None:
            if required:
                raise _UNUSUAL
            return None
        return self.decimal_of(found[0], required=required, amount=amount)

    def date(self, kids: dict[str, list[etree._Element]], tag: str, *, required: bool = False) -> dt.date | None:
        found = kids.get(tag)
        text = None if found is None else self.value(found[0])
        if text is None:
            if required:
                raise _UNUSUAL
            return None
        if _ISO_DATE.match(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        raise _UNUSUAL

    def indicator(self, kids: dict[str, list[etree._Element]]) -> bool:
        found = kids.get(T["ChargeIndicator"])
        text = None if found is None else self.value(found[0])
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise _UNUSUAL

    def identifier(self, el: etree._Element | None, *, required: bool = False) -> dict[str, Any] | None:
        if el is None:
            if required:
                raise _UNUSUAL
            return None
        value = self.req(el) if required else self.value(el)
        if value is None:
            return None
        return {"value": value, "scheme": self.attr(el, "schemeID")}

    # ------------------------------------------------------------------ document

    def document(self, root: etree._Element) -> dict[str, Any]:
        k = _index(root)
        self.currency = currency = self.rtext(k, T["DocumentCurrencyCode"])
        f: dict[str, Any] = {
            "customization_id": self.text(k, T["CustomizationID"]),
            "profile_id": self.text(k, T["ProfileID"]),
            "number": self.rtext(k, T["ID"]),
            "issue_date": self.date(k, T["IssueDate"], required=True),
            "type_code": self.rtext(k, T["CreditNoteTypeCode" if self.credit else "InvoiceTypeCode"]),
            "currency": currency,
            "vat_accounting_currency": self.text(k, T["TaxCurrencyCode"]),
            "tax_point_date": self.date(k, T["TaxPointDate"]),
            "due_date": self.date(k, T["DueDate"]),
            "buyer_reference": self.text(k, T["BuyerReference"]),
            "accounting_reference": self.text(k, T["AccountingCost"]),
            "notes": self.notes(k.get(T["Note"], ())),
        }
        get = k.get
        if (el := get(T["InvoicePeriod"])) is not None:
            f["invoicing_period"] = self.period(_index(el[0]))
        if (el := get(T["OrderReference"])) is not None:
            ok = _index(el[0])
            order = self.rtext(ok, T["ID"])
            sales = self.text(ok, T["SalesOrderID"])
            f["order_reference"] = None if order == "NA" and sales else order
            f["sales_order_reference"] = sales
        refs = []
        for el in get(T["BillingReference"], ()):
            ref = _index(el).get(T["InvoiceDocumentReference"])
            if ref is None:
                raise _UNUSUAL
            rk = _index(ref[0])
            refs.append({"number": self.rtext(rk, T["ID"]), "issue_date": self.date(rk, T["IssueDate"])})
        f["preceding_invoices"] = refs
        for key, tag in DOCUMENT_REFERENCES:
            if (el := get(T[tag])) is not None:
                f[key] = self.rtext(_index(el[0]), T["ID"])
        attachments = []
        for el in get(T["AdditionalDocumentReference"], ()):
            ak = _index(el)
            code = self.text(ak, T["DocumentTypeCode"])
            if code == "130":
                ids = ak.get(T["ID"])
                f["invoiced_object"] = self.identifier(None if ids is None else ids[0], required=True)
            elif code == "50" and self.credit:
                f["project_reference"] = self.rtext(ak, T["ID"])
            else:
                attachments.append(self.attachment(ak))
        f["attachments"] = attachments

        self.divert = T["PaymentMeans"] in k
        sepa: list[str] = []
        seller = get(T["AccountingSupplierParty"])
        if seller is None:
            raise _UNUSUAL
        f["seller"] = self.party(seller[0], True, sepa)
        buyer = get(T["AccountingCustomerParty"])
        if buyer is None:
            raise _UNUSUAL
        f["buyer"] = self.party(buyer[0], False, [])
        if (el := get(T["PayeeParty"])) is not None:
            payee_sepa: list[str] = []
            f["payee"] = self.party_fields(el[0], "payee", payee_sepa)
            sepa = payee_sepa or sepa
        if (el := get(T["TaxRepresentativeParty"])) is not None:
            f["tax_representative"] = self.party_fields(el[0], "taxrep", [])
        if (deliveries := get(T["Delivery"])) is not None:
            if len(deliveries) > 1:
                raise _UNUSUAL  # the reference reader warns
            f["delivery"] = self.delivery(_index(deliveries[0]))
        if (means := get(T["PaymentMeans"])) is not None:
            payment, due = self.payment(means, sepa)
            f["payment"] = payment
            if due is not None and self.credit:
                f["due_date"] = due
        if (el := get(T["PaymentTerms"])) is not None:
            f["payment_terms"] = self.text(_index(el[0]), T["Note"])
        f["allowances"], f["charges"] = self.allowance_charges(get(T["AllowanceCharge"], ()), True)
        self.tax_totals(get(T["TaxTotal"], ()), f)
        if (el := get(T["LegalMonetaryTotal"])) is None:
            raise _UNUSUAL
        f["totals"] = self.totals(_index(el[0]), f)
        lines = get(T["CreditNoteLine" if self.credit else "InvoiceLine"])
        if lines is None:
            raise _UNUSUAL
        f["lines"] = [self.line(_index(el)) for el in lines]
        return f

    def notes(self, elements: Any) -> list[dict[str, Any]]:
        out = []
        for el in elements:
            text = self.value(el)
            if text is None:
                continue
            match = SUBJECT_NOTE.match(text)
            if match:
                out.append({"text": match.group(2).strip(), "subject_code": match.group(1)})
            else:
                out.append({"text": text})
        return out

    def period(self, k: dict[str, list[etree._Element]]) -> dict[str, Any]:
        return {
            "start": self.date(k, T["StartDate"]),
            "end": self.date(k, T["EndDate"]),
            "description_code": self.text(k, T["DescriptionCode"]),
        }

    def attachment(self, k: dict[str, list[etree._Element]]) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "id": self.rtext(k, T["ID"]),
            "description": self.text(k, T["DocumentDescription"]),
        }
        if (att := k.get(T["Attachment"])) is not None:
            ak = _index(att[0])
            if (obj := ak.get(T["EmbeddedDocumentBinaryObject"])) is not None:
                fields["content"] = self.binary(obj[0])
                fields["mime_code"] = self.attr(obj[0], "mimeCode")
                fields["filename"] = self.attr(obj[0], "filename")
            if (ext := ak.get(T["ExternalReference"])) is not None:
                fields["uri"] = self.text(_index(ext[0]), T["URI"])
        return fields

    def binary(self, el: etree._Element) -> bytes | None:
        text: str | None = el.text
        if text is None or not (text := text.strip()):
            return None
        if len(text) > self.maxb:
            raise _UNUSUAL
        try:
            return base64.b64decode(_WHITESPACE.sub(b"", text.encode("ascii")), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise _UNUSUAL from None

    # ------------------------------------------------------------------ parties

    def party(self, wrapper: etree._Element, seller: bool, sepa: list[str]) -> dict[str, Any]:
        found = _index(wrapper).get(T["Party"])
        if found is None:
            raise _UNUSUAL
        return self.party_fields(found[0], "seller" if seller else "buyer", sepa)

    def party_fields(self, el: etree._Element, role: str, sepa: list[str]) -> dict[str, Any]:
        k = _index(el)
        get = k.get
        f: dict[str, Any] = {}
        if (endpoint := get(T["EndpointID"])) is not None:
            value = self.req(endpoint[0])
            scheme = self.attr(endpoint[0], "schemeID")
            if scheme is None:
                raise _UNUSUAL
            f["electronic_address"] = {"value": value, "scheme": scheme}
        identifiers = []
        divert = self.divert and role in ("seller", "payee")
        for pid in get(T["PartyIdentification"], ()):
            ids = _index(pid).get(T["ID"])
            ident = self.identifier(None if ids is None else ids[0], required=True) or {}
            if divert and ident["scheme"] == "SEPA":
                sepa.append(ident["value"])
            else:
                identifiers.append(ident)
        f["identifiers"] = identifiers
        party_name = None
        if (pn := get(T["PartyName"])) is not None:
            party_name = self.rtext(_index(pn[0]), T["Name"])
        if (addr := get(T["PostalAddress"])) is not None:
            f["address"] = self.address(_index(addr[0]))
        for ts in get(T["PartyTaxScheme"], ()):
            tk = _index(ts)
            company = self.rtext(tk, T["CompanyID"])
            scheme_el = tk.get(T["TaxScheme"])
            scheme = self.text(_index(scheme_el[0]), T["ID"]) if scheme_el is not None else None
            if scheme == "VAT":
                f["vat_id"] = company
            else:
                f["tax_registration_id"] = company
        legal_name = None
        if (le := get(T["PartyLegalEntity"])) is not None:
            lk = _index(le[0])
            legal_name = self.text(lk, T["RegistrationName"])
            ids = lk.get(T["CompanyID"])
            f["legal_id"] = None if ids is None else self.identifier(ids[0])
            f["legal_form"] = self.text(lk, T["CompanyLegalForm"])
        if (contact := get(T["Contact"])) is not None:
            ck = _index(contact[0])
            f["contact"] = {
                "name": self.text(ck, T["Name"]),
                "phone": self.text(ck, T["Telephone"]),
                "email": self.text(ck, T["ElectronicMail"]),
            }
        if role in ("seller", "buyer"):
            if legal_name is not None:
                f["name"], f["trading_name"] = legal_name, party_name
            elif party_name is not None:
                f["name"] = party_name
            else:
                raise _UNUSUAL
        else:
            if party_name is None:
                raise _UNUSUAL
            f["name"] = party_name
            if legal_name is not None:
                f["trading_name"] = legal_name
        return f

    def address(self, k: dict[str, list[etree._Element]]) -> dict[str, Any]:
        lines = [self.text(k, T["StreetName"]), self.text(k, T["AdditionalStreetName"])]
        if (line := k.get(T["AddressLine"])) is not None:
            lines.append(self.text(_index(line[0]), T["Line"]))
        country = k.get(T["Country"])
        if country is None:
            raise _UNUSUAL
        return {
            "lines": [x for x in lines if x is not None],
            "city": self.text(k, T["CityName"]),
            "postal_code": self.text(k, T["PostalZone"]),
            "subdivision": self.text(k, T["CountrySubentity"]),
            "country": self.rtext(_index(country[0]), T["IdentificationCode"]),
        }

    # ------------------------------------------------------------------ delivery, payment

    def delivery(self, k: dict[str, list[etree._Element]]) -> dict[str, Any]:
        f: dict[str, Any] = {"date": self.date(k, T["ActualDeliveryDate"])}
        if (loc := k.get(T["DeliveryLocation"])) is not None:
            lk = _index(loc[0])
            ids = lk.get(T["ID"])
            f["location_id"] = None if ids is None else self.identifier(ids[0])
            if (addr := lk.get(T["Address"])) is not None:
                f["address"] = self.address(_index(addr[0]))
        if (party := k.get(T["DeliveryParty"])) is not None:
            if (pn := _index(party[0]).get(T["PartyName"])) is not None:
                f["party_name"] = self.text(_index(pn[0]), T["Name"])
        return f

    def payment(self, means: list[etree._Element], sepa: list[str]) -> tuple[dict[str, Any], dt.date | None]:
        first = _index(means[0])
        code_el = first.get(T["PaymentMeansCode"])
        if code_el is None:
            raise _UNUSUAL
        code = self.req(code_el[0])
        f: dict[str, Any] = {
            "means_code": code,
            "means_text": self.attr(code_el[0], "name"),
            "remittance_information": self.text(first, T["PaymentID"]),
        }
        due = self.date(first, T["PaymentDueDate"])
        transfers = []
        for i, pm in enumerate(means):
            pk = first if i == 0 else _index(pm)
            if i > 0 and self.text(pk, T["PaymentMeansCode"]) != code:
                raise _UNUSUAL  # the reference reader warns: a second means code is not kept
            if (acct := pk.get(T["PayeeFinancialAccount"])) is not None:
                ak = _index(acct[0])
                account_id = self.rtext(ak, T["ID"])
                branch = ak.get(T["FinancialInstitutionBranch"])
                bic = self.text(_index(branch[0]), T["ID"]) if branch is not None else None
                transfers.append({"account_id": account_id, "account_name": self.text(ak, T["Name"]), "bic": bic})
        f["credit_transfers"] = transfers
        if (card := first.get(T["CardAccount"])) is not None:
            ck = _index(card[0])
            f["card"] = {
                "primary_account_number": self.rtext(ck, T["PrimaryAccountNumberID"]),
                "holder_name": self.text(ck, T["HolderName"]),
            }
        debit: dict[str, Any] = {}
        if (mandate := first.get(T["PaymentMandate"])) is not None:
            mk = _index(mandate[0])
            debit["mandate_reference"] = self.text(mk, T["ID"])
            if (payer := mk.get(T["PayerFinancialAccount"])) is not None:
                debit["debited_account_id"] = self.text(_index(payer[0]), T["ID"])
        if sepa:
            debit["creditor_id"] = sepa[0]
        if any(v is not None for v in debit.values()):
            f["direct_debit"] = debit
        return f, due

    # ------------------------------------------------------------------ allowances, tax, totals

    def allowance_charges(
        self, elements: Any, document_level: bool
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        allowances: list[dict[str, Any]] = []
        charges: list[dict[str, Any]] = []
        for el in elements:
            k = _index(el)
            is_charge = self.indicator(k)
            f: dict[str, Any] = {
                "amount": self.decimal(k, T["Amount"], required=True, amount=True),
                "base_amount": self.decimal(k, T["BaseAmount"], amount=True),
                "percentage": self.decimal(k, T["MultiplierFactorNumeric"]),
                "reason": self.text(k, T["AllowanceChargeReason"]),
                "reason_code": self.text(k, T["AllowanceChargeReasonCode"]),
            }
            if document_level:
                cat = k.get(T["TaxCategory"])
                if cat is None:
                    raise _UNUSUAL
                ck = _index(cat[0])
                f["vat_category"] = self.rtext(ck, T["ID"])
                f["vat_rate"] = self.decimal(ck, T["Percent"])
            (charges if is_charge else allowances).append(f)
        return allowances, charges

    def tax_totals(self, elements: Any, f: dict[str, Any]) -> None:
        breakdown = []
        document_total = accounting_total = None
        seen_document_total = False
        for tt in elements:
            k = _index(tt)
            amount_el = k.get(T["TaxAmount"])
            if amount_el is None:
                raise _UNUSUAL
            cur = (amount_el[0].get("currencyID") or "").strip()
            subtotals = k.get(T["TaxSubtotal"], ())
            accounting = (
                not subtotals
                and f.get("vat_accounting_currency") is not None
                and cur == f["vat_accounting_currency"]
                and cur != self.currency
            )
            amount = self.decimal_of(amount_el[0], required=True, amount=not accounting)
            if accounting:
                accounting_total = amount
            else:
                if seen_document_total:
                    raise _UNUSUAL
                seen_document_total = True
                document_total = amount
            for st in subtotals:
                breakdown.append(self.subtotal(_index(st)))
        f["vat_breakdown"] = breakdown
        f["_tax"] = (document_total, accounting_total)

    def subtotal(self, k: dict[str, list[etree._Element]]) -> dict[str, Any]:
        taxable = self.decimal(k, T["TaxableAmount"], required=True, amount=True)
        tax = self.decimal(k, T["TaxAmount"], required=True, amount=True)
        cat = k.get(T["TaxCategory"])
        if cat is None:
            raise _UNUSUAL
        ck = _index(cat[0])
        return {
            "category": self.rtext(ck, T["ID"]),
            "rate": self.decimal(ck, T["Percent"]),
            "taxable_amount": taxable,
            "tax_amount": tax,
            "exemption_reason": self.text(ck, T["TaxExemptionReason"]),
            "exemption_reason_code": self.text(ck, T["TaxExemptionReasonCode"]),
        }

    def totals(self, k: dict[str, list[etree._Element]], f: dict[str, Any]) -> dict[str, Any]:
        tax_amount, tax_accounting = f.pop("_tax")
        d = self.decimal
        return {
            "line_extension_amount": d(k, T["LineExtensionAmount"], required=True, amount=True),
            "tax_exclusive_amount": d(k, T["TaxExclusiveAmount"], required=True, amount=True),
            "tax_inclusive_amount": d(k, T["TaxInclusiveAmount"], required=True, amount=True),
            "allowance_total": d(k, T["AllowanceTotalAmount"], amount=True),
            "charge_total": d(k, T["ChargeTotalAmount"], amount=True),
            "prepaid_amount": d(k, T["PrepaidAmount"], amount=True),
            "rounding_amount": d(k, T["PayableRoundingAmount"], amount=True),
            "payable_amount": d(k, T["PayableAmount"], required=True, amount=True),
            "tax_amount": tax_amount,
            "tax_amount_accounting_currency": tax_accounting,
        }

    # ------------------------------------------------------------------ lines

    def line(self, k: dict[str, list[etree._Element]]) -> dict[str, Any]:
        get = k.get
        f: dict[str, Any] = {
            "id": self.rtext(k, T["ID"]),
            "note": self.text(k, T["Note"]),
            "net_amount": self.decimal(k, T["LineExtensionAmount"], required=True, amount=True),
            "accounting_reference": self.text(k, T["AccountingCost"]),
        }
        qty = get(T["CreditedQuantity" if self.credit else "InvoicedQuantity"])
        if qty is None:
            raise _UNUSUAL
        f["quantity"] = self.decimal_of(qty[0], required=True)
        f["unit_code"] = self.attr(qty[0], "unitCode")
        if f["unit_code"] is None:
            raise _UNUSUAL
        if (period := get(T["InvoicePeriod"])) is not None:
            f["period"] = self.period(_index(period[0]))
        if (olr := get(T["OrderLineReference"])) is not None:
            f["order_line_reference"] = self.rtext(_index(olr[0]), T["LineID"])
        if (ref := get(T["DocumentReference"])) is not None:
            ids = _index(ref[0]).get(T["ID"])
            f["object_id"] = self.identifier(None if ids is None else ids[0], required=True)
        f["allowances"], f["charges"] = self.allowance_charges(get(T["AllowanceCharge"], ()), False)
        item = get(T["Item"])
        if item is None:
            raise _UNUSUAL
        self.item(_index(item[0]), f)
        price = get(T["Price"])
        if price is None:
            raise _UNUSUAL
        self.price(_index(price[0]), f)
        return f

    def item(self, k: dict[str, list[etree._Element]], f: dict[str, Any]) -> None:
        get = k.get
        f["name"] = self.rtext(k, T["Name"])
        f["description"] = self.text(k, T["Description"])
        if (sub := get(T["BuyersItemIdentification"])) is not None:
            f["buyer_item_id"] = self.rtext(_index(sub[0]), T["ID"])
        if (sub := get(T["SellersItemIdentification"])) is not None:
            f["seller_item_id"] = self.rtext(_index(sub[0]), T["ID"])
        if (std := get(T["StandardItemIdentification"])) is not None:
            ids = _index(std[0]).get(T["ID"])
            f["standard_item_id"] = self.identifier(None if ids is None else ids[0], required=True)
        if (origin := get(T["OriginCountry"])) is not None:
            f["origin_country"] = self.rtext(_index(origin[0]), T["IdentificationCode"])
        classes = []
        for cc in get(T["CommodityClassification"], ()):
            code = _index(cc).get(T["ItemClassificationCode"])
            if code is None:
                raise _UNUSUAL
            classes.append({"value": self.req(code[0]), "scheme": self.attr(code[0], "listID")})
        f["classifications"] = classes
        cat = get(T["ClassifiedTaxCategory"])
        if cat is None:
            raise _UNUSUAL
        ck = _index(cat[0])
        f["vat_category"] = self.rtext(ck, T["ID"])
        f["vat_rate"] = self.decimal(ck, T["Percent"])
        attrs = []
        for prop in get(T["AdditionalItemProperty"], ()):
            pk = _index(prop)
            attrs.append({"name": self.rtext(pk, T["Name"]), "value": self.rtext(pk, T["Value"])})
        f["attributes"] = attrs

    def price(self, k: dict[str, list[etree._Element]], f: dict[str, Any]) -> None:
        f["net_price"] = self.decimal(k, T["PriceAmount"], required=True, amount=True)
        if (base := k.get(T["BaseQuantity"])) is not None:
            f["price_base_quantity"] = self.decimal_of(base[0])
            f["price_base_unit_code"] = self.attr(base[0], "unitCode")
        if (ac := k.get(T["AllowanceCharge"])) is not None:
            ak = _index(ac[0])
            if self.indicator(ak):
                raise _UNUSUAL  # a price can only carry a discount
            f["price_discount"] = self.decimal(ak, T["Amount"], required=True, amount=True)
            f["gross_price"] = self.decimal(ak, T["BaseAmount"], amount=True)
