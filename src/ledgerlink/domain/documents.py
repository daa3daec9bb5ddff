"""The canonical document model: what every format reads into and writes out of.

Rules of the model:

* Pure data, immutable (frozen pydantic models), no I/O.
* Money, quantities and rates are ``Decimal``; never ``float``.
* Field names follow the EN 16931 semantic model; the business term (BT-/BG-) is given in
  each field's description so a reader can map formats onto it.
* A document's own stated totals and VAT breakdown are kept as given. They are checked by
  :mod:`ledgerlink.domain.rules`, never recomputed here.
* Code lists (currency, country, unit, VAT category) are plain strings in the model; their
  validity is a rule (BR-CL-*) so that a bad code is reported with its rule id and path.
"""

from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, TypeAlias, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

def _refuse_binary_float(value: object) -> object:
    """Python callers may pass ``Decimal``, ``int`` or decimal text; a binary float is refused.

    A float would already have lost digits (canonical JSON readers take that as the sign to read
    the body again exactly).
    """
    if isinstance(value, float):
        raise ValueError("a decimal value must not be a binary float; send it as a decimal string")
    return value


class _ExactDecimal:
    """How a decimal field validates: exact, finite, never through a binary float.

    * From JSON: a string (``"12.50"``) or an integer token, parsed by pydantic-core with no Python
      call. A JSON number with a fraction or exponent is refused here, because pydantic-core reads
      it through a binary float; the canonical JSON reader then reads the body again exactly.
    * From Python: ``Decimal``, ``int`` or decimal text; a ``float`` is refused with a clear message.
    * Either way NaN and infinities are refused (``allow_inf_nan=False``). Serialised as a string.
    """

    @classmethod
    def __get_pydantic_core_schema__(cls, source: object, handler: GetCoreSchemaHandler) -> CoreSchema:
        decimal = core_schema.decimal_schema(allow_inf_nan=False)
        exact_json_token = core_schema.union_schema(
            [
                core_schema.chain_schema([core_schema.str_schema(strict=True), decimal]),
                core_schema.chain_schema([core_schema.int_schema(strict=True), decimal]),
            ],
            mode="left_to_right",
        )
        return core_schema.json_or_python_schema(
            json_schema=exact_json_token,
            python_schema=core_schema.no_info_before_validator_function(_refuse_binary_float, decimal),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return handler(core_schema.decimal_schema())


_Decimal = Annotated[Decimal, _ExactDecimal]

Amount: TypeAlias = _Decimal
"""A monetary amount in the document currency (two decimals by BR-DEC-*, but kept as given)."""

def _bytes_from_base64(value: object) -> object:
    """JSON carries binary content as standard base64 text; Python code passes bytes as they are."""
    if isinstance(value, str):
        try:
            return base64.b64decode(value.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError):
            raise ValueError("expected standard base64 text") from None
    return value


Binary: TypeAlias = Annotated[
    bytes,
    BeforeValidator(_bytes_from_base64),
    PlainSerializer(lambda b: base64.b64encode(b).decode("ascii"), return_type=str, when_used="json"),
]
"""Binary content: ``bytes`` in the model, base64 text in canonical JSON."""

Quantity: TypeAlias = _Decimal
Percent: TypeAlias = _Decimal


class Model(BaseModel):
    """Base of every model class: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    STATEMENT = "statement"
    LEDGER_UPDATE = "ledger_update"


class VatCategory(StrEnum):
    """UNCL5305 VAT category codes allowed by EN 16931 (BT-95, BT-102, BT-118, BT-151)."""

    STANDARD = "S"
    ZERO = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"
    NOT_SUBJECT = "O"
    CANARY_ISLANDS = "L"
    CEUTA_MELILLA = "M"


# --------------------------------------------------------------------------- parties


class Identifier(Model):
    """An identifier with its optional scheme (ISO 6523 ICD or similar)."""

    value: str = Field(min_length=1)
    scheme: str | None = None


class ElectronicAddress(Model):
    """BT-34 / BT-49: where a party receives e-invoices, with its EAS scheme (e.g. 0088, 9930)."""

    value: str = Field(min_length=1)
    scheme: str = Field(min_length=1)


class Address(Model):
    """BG-5 / BG-8 / BG-12 / BG-15 postal address. ``country`` is ISO 3166-1 alpha-2."""

    lines: tuple[str, ...] = Field(default=(), description="BT-35, BT-36, BT-162 address lines")
    city: str | None = Field(default=None, description="BT-37")
    postal_code: str | None = Field(default=None, description="BT-38")
    subdivision: str | None = Field(default=None, description="BT-39 country subdivision")
    country: str = Field(description="BT-40 ISO 3166-1 alpha-2 country code")


class Contact(Model):
    """BG-6 / BG-9 contact."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None


class Party(Model):
    """Seller (BG-4), buyer (BG-7), payee (BG-10) or tax representative (BG-11)."""

    name: str = Field(description="BT-27 / BT-44 legal name")
    trading_name: str | None = Field(default=None, description="BT-28 / BT-45")
    identifiers: tuple[Identifier, ...] = Field(default=(), description="BT-29 / BT-46")
    legal_id: Identifier | None = Field(default=None, description="BT-30 / BT-47 legal registration id")
    legal_form: str | None = Field(default=None, description="BT-33 additional legal information")
    vat_id: str | None = Field(default=None, description="BT-31 / BT-48 VAT identifier, with country prefix")
    tax_registration_id: str | None = Field(default=None, description="BT-32 seller tax registration id")
    address: Address | None = None
    contact: Contact | None = None
    electronic_address: ElectronicAddress | None = Field(default=None, description="BT-34 / BT-49")


# --------------------------------------------------------------------------- invoice parts


class Note(Model):
    """BG-1 invoice note."""

    text: str = Field(description="BT-22")
    subject_code: str | None = Field(default=None, description="BT-21 (UNCL4451)")


class DocumentReference(Model):
    """BG-3 preceding invoice reference."""

    number: str = Field(description="BT-25")
    issue_date: dt.date | None = Field(default=None, description="BT-26")


class Period(Model):
    """BG-14 / BG-26 invoicing period; either bound may be open."""

    start: dt.date | None = None
    end: dt.date | None = None
    description_code: str | None = Field(default=None, description="BT-8 VAT point date code (UNCL2005)")


class Delivery(Model):
    """BG-13 delivery information."""

    party_name: str | None = Field(default=None, description="BT-70")
    location_id: Identifier | None = Field(default=None, description="BT-71")
    date: dt.date | None = Field(default=None, description="BT-72 actual delivery date")
    address: Address | None = Field(default=None, description="BG-15")


class CreditTransfer(Model):
    """BG-17 credit transfer."""

    account_id: str = Field(description="BT-84 IBAN or other account id")
    account_name: str | None = Field(default=None, description="BT-85")
    bic: str | None = Field(default=None, description="BT-86 service provider id")


class CardPayment(Model):
    """BG-18 card information."""

    primary_account_number: str = Field(description="BT-87 (last 4-6 digits only)")
    holder_name: str | None = Field(default=None, description="BT-88")


class DirectDebit(Model):
    """BG-19 direct debit."""

    mandate_reference: str | None = Field(default=None, description="BT-89")
    creditor_id: str | None = Field(default=None, description="BT-90")
    debited_account_id: str | None = Field(default=None, description="BT-91")


class PaymentInstructions(Model):
    """BG-16 payment instructions."""

    means_code: str = Field(description="BT-81 (UNCL4461), e.g. 30 credit transfer, 58 SEPA, 49 direct debit")
    means_text: str | None = Field(default=None, description="BT-82")
    remittance_information: str | None = Field(default=None, description="BT-83 payment reference")
    credit_transfers: tuple[CreditTransfer, ...] = ()
    card: CardPayment | None = None
    direct_debit: DirectDebit | None = None


class AllowanceCharge(Model):
    """A document-level (BG-20/BG-21) or line-level (BG-27/BG-28) allowance or charge.

    Document-level ones carry their VAT category and rate (BT-95/96, BT-102/103); line-level
    ones do not (they take the line's).
    """

    amount: Amount = Field(description="BT-92 / BT-99 / BT-136 / BT-141")
    base_amount: Amount | None = Field(default=None, description="BT-93 / BT-100 / BT-137 / BT-142")
    percentage: Percent | None = Field(default=None, description="BT-94 / BT-101 / BT-138 / BT-143")
    vat_category: str | None = Field(default=None, description="BT-95 / BT-102")
    vat_rate: Percent | None = Field(default=None, description="BT-96 / BT-103")
    reason: str | None = Field(default=None, description="BT-97 / BT-104 / BT-139 / BT-144")
    reason_code: str | None = Field(default=None, description="BT-98 / BT-105 / BT-140 / BT-145")


class ItemAttribute(Model):
    """BG-32 item attribute."""

    name: str
    value: str


class InvoiceLine(Model):
    """BG-25 invoice line."""

    id: str = Field(description="BT-126")
    note: str | None = Field(default=None, description="BT-127")
    object_id: Identifier | None = Field(default=None, description="BT-128")
    quantity: Quantity = Field(description="BT-129 invoiced quantity")
    unit_code: str = Field(description="BT-130 UN/ECE Rec 20/21 unit code")
    net_amount: Amount = Field(description="BT-131 line net amount")
    order_line_reference: str | None = Field(default=None, description="BT-132")
    accounting_reference: str | None = Field(default=None, description="BT-133 buyer accounting ref")
    period: Period | None = Field(default=None, description="BG-26")
    allowances: tuple[AllowanceCharge, ...] = Field(default=(), description="BG-27")
    charges: tuple[AllowanceCharge, ...] = Field(default=(), description="BG-28")
    net_price: Amount = Field(description="BT-146 item net price")
    price_discount: Amount | None = Field(default=None, description="BT-147")
    gross_price: Amount | None = Field(default=None, description="BT-148")
    price_base_quantity: Quantity | None = Field(default=None, description="BT-149")
    price_base_unit_code: str | None = Field(default=None, description="BT-150")
    vat_category: str = Field(description="BT-151")
    vat_rate: Percent | None = Field(default=None, description="BT-152")
    name: str = Field(description="BT-153 item name")
    description: str | None = Field(default=None, description="BT-154")
    seller_item_id: str | None = Field(default=None, description="BT-155")
    buyer_item_id: str | None = Field(default=None, description="BT-156")
    standard_item_id: Identifier | None = Field(default=None, description="BT-157")
    classifications: tuple[Identifier, ...] = Field(default=(), description="BT-158 with list id")
    origin_country: str | None = Field(default=None, description="BT-159")
    attributes: tuple[ItemAttribute, ...] = Field(default=(), description="BG-32")


class VatBreakdown(Model):
    """BG-23 VAT breakdown: one per (category, rate)."""

    category: str = Field(description="BT-118")
    rate: Percent | None = Field(default=None, description="BT-119")
    taxable_amount: Amount = Field(description="BT-116")
    tax_amount: Amount = Field(description="BT-117")
    exemption_reason: str | None = Field(default=None, description="BT-120")
    exemption_reason_code: str | None = Field(default=None, description="BT-121 (VATEX)")


class Totals(Model):
    """BG-22 document totals, as stated by the document."""

    line_extension_amount: Amount = Field(description="BT-106 sum of invoice line net amounts")
    allowance_total: Amount | None = Field(default=None, description="BT-107")
    charge_total: Amount | None = Field(default=None, description="BT-108")
    tax_exclusive_amount: Amount = Field(description="BT-109 total without VAT")
    tax_amount: Amount | None = Field(default=None, description="BT-110 total VAT")
    tax_amount_accounting_currency: Amount | None = Field(default=None, description="BT-111")
    tax_inclusive_amount: Amount = Field(description="BT-112 total with VAT")
    prepaid_amount: Amount | None = Field(default=None, description="BT-113")
    rounding_amount: Amount | None = Field(default=None, description="BT-114")
    payable_amount: Amount = Field(description="BT-115 amount due for payment")


class Attachment(Model):
    """BG-24 additional supporting document; embedded content is kept as bytes (base64 in JSON)."""

    id: str = Field(description="BT-122")
    description: str | None = Field(default=None, description="BT-123")
    uri: str | None = Field(default=None, description="BT-124 external location")
    filename: str | None = Field(default=None, description="BT-125-2")
    mime_code: str | None = Field(default=None, description="BT-125-1")
    content: Binary | None = Field(default=None, description="BT-125 embedded object (base64 in JSON)")


class CommercialDocument(Model):
    """Common content of invoices and credit notes (EN 16931)."""

    number: str = Field(description="BT-1 invoice number")
    issue_date: dt.date = Field(description="BT-2")
    type_code: str = Field(description="BT-3 (UNCL1001 subset: 380, 381, 384, 389, 751, ...)")
    currency: str = Field(description="BT-5 ISO 4217 invoice currency")
    vat_accounting_currency: str | None = Field(default=None, description="BT-6")
    tax_point_date: dt.date | None = Field(default=None, description="BT-7")
    due_date: dt.date | None = Field(default=None, description="BT-9")
    buyer_reference: str | None = Field(default=None, description="BT-10")
    project_reference: str | None = Field(default=None, description="BT-11")
    contract_reference: str | None = Field(default=None, description="BT-12")
    order_reference: str | None = Field(default=None, description="BT-13 purchase order reference")
    sales_order_reference: str | None = Field(default=None, description="BT-14")
    receiving_advice_reference: str | None = Field(default=None, description="BT-15")
    despatch_advice_reference: str | None = Field(default=None, description="BT-16")
    tender_reference: str | None = Field(default=None, description="BT-17")
    invoiced_object: Identifier | None = Field(default=None, description="BT-18")
    accounting_reference: str | None = Field(default=None, description="BT-19 buyer accounting reference")
    payment_terms: str | None = Field(default=None, description="BT-20")
    notes: tuple[Note, ...] = Field(default=(), description="BG-1")
    profile_id: str | None = Field(default=None, description="BT-23 business process type")
    customization_id: str | None = Field(default=None, description="BT-24 specification identifier")
    preceding_invoices: tuple[DocumentReference, ...] = Field(default=(), description="BG-3")
    seller: Party = Field(description="BG-4")
    buyer: Party = Field(description="BG-7")
    payee: Party | None = Field(default=None, description="BG-10")
    tax_representative: Party | None = Field(default=None, description="BG-11")
    delivery: Delivery | None = Field(default=None, description="BG-13")
    invoicing_period: Period | None = Field(default=None, description="BG-14")
    payment: PaymentInstructions | None = Field(default=None, description="BG-16")
    allowances: tuple[AllowanceCharge, ...] = Field(default=(), description="BG-20")
    charges: tuple[AllowanceCharge, ...] = Field(default=(), description="BG-21")
    totals: Totals = Field(description="BG-22")
    vat_breakdown: tuple[VatBreakdown, ...] = Field(default=(), description="BG-23")
    attachments: tuple[Attachment, ...] = Field(default=(), description="BG-24")
    lines: tuple[InvoiceLine, ...] = Field(default=(), description="BG-25")
    customer_account: str | None = Field(
        default=None,
        description="The buyer's debtor account in the seller's books; derived from the buyer when absent",
    )


class Invoice(CommercialDocument):
    kind: Literal["invoice"] = "invoice"
    type_code: str = "380"


class CreditNote(CommercialDocument):
    kind: Literal["credit_note"] = "credit_note"
    type_code: str = "381"


# --------------------------------------------------------------------------- statements and ledgers


class TransactionType(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"
    ADJUSTMENT = "adjustment"


class StatementTransaction(Model):
    """One movement on a customer's account; exactly one of debit/credit is non-zero."""

    date: dt.date
    type: TransactionType
    reference: str
    description: str | None = None
    due_date: dt.date | None = None
    debit: Amount = Decimal("0")
    credit: Amount = Decimal("0")


class AgeingBucket(Model):
    """Outstanding amount by days overdue; ``to_days`` absent for the last, open-ended bucket."""

    label: str
    from_days: int = Field(ge=0)
    to_days: int | None = Field(default=None, ge=0)
    amount: Amount


class Statement(Model):
    """A customer's account statement: opening balance, movements, closing balance, ageing."""

    kind: Literal["statement"] = "statement"
    number: str
    statement_date: dt.date
    period: Period | None = None
    currency: str
    seller: Party
    customer: Party
    customer_account: str
    opening_balance: Amount
    transactions: tuple[StatementTransaction, ...] = ()
    closing_balance: Amount
    ageing: tuple[AgeingBucket, ...] = ()


class OpenItem(Model):
    """An unpaid (or unallocated) item on a debtor account."""

    document_number: str
    document_kind: TransactionType = TransactionType.INVOICE
    issue_date: dt.date
    due_date: dt.date | None = None
    original_amount: Amount
    outstanding_amount: Amount


class DebtorPosition(Model):
    """One debtor account's position at the ledger update's date."""

    customer_account: str
    name: str | None = None
    email: str | None = None
    balance: Amount
    credit_limit: Amount | None = None
    open_items: tuple[OpenItem, ...] = ()


class LedgerUpdate(Model):
    """Positions of debtor accounts taken from the accounting system at ``as_of``."""

    kind: Literal["ledger_update"] = "ledger_update"
    number: str = Field(description="The update's own reference, unique per organisation")
    as_of: dt.date
    currency: str
    positions: tuple[DebtorPosition, ...] = Field(min_length=1)


Document: TypeAlias = Annotated[
    Union[Invoice, CreditNote, Statement, LedgerUpdate], Field(discriminator="kind")
]
"""Any canonical document, discriminated by ``kind``."""

AnyDocument: TypeAlias = Invoice | CreditNote | Statement | LedgerUpdate


def customer_account_of(document: AnyDocument) -> str | None:
    """The debtor account a document belongs to.

    Rule: the explicit ``customer_account`` wins; otherwise the buyer's first identifier, then
    legal id, then VAT id, then the buyer's name. Ledger updates span many accounts: ``None``.
    """
    if isinstance(document, LedgerUpdate):
        return None
    if document.customer_account:
        return document.customer_account
    if isinstance(document, Statement):
        return document.customer_account
    buyer = document.buyer
    if buyer.identifiers:
        return buyer.identifiers[0].value
    if buyer.legal_id:
        return buyer.legal_id.value
    if buyer.vat_id:
        return buyer.vat_id
    return buyer.name


def document_date(document: AnyDocument) -> dt.date:
    """The date a document is filed under: issue date, statement date or ledger date."""
    if isinstance(document, Statement):
        return document.statement_date
    if isinstance(document, LedgerUpdate):
        return document.as_of
    return document.issue_date
