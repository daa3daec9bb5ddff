"""The export side's vocabulary: items, jobs, statuses, failure reason types, API schemas.

Rules:

* Money is ``Decimal`` and travels as a decimal *string* in JSON (``"12.50"``), never a float.
* Amounts are signed from the organisation's point of view: positive = money spent (the lines are
  debited), negative = money coming back (refunds, chargebacks, cashback; the lines are credited).
* ``line_amount`` is what the line costs including VAT for ``inclusive`` tax, and the net amount for
  ``exclusive`` and ``reverse`` tax (the VAT is added on top, or self-assessed). The lines' paid
  amounts (gross for inclusive/no tax, net + VAT for exclusive, net for reverse charge) must add up to
  the item's ``amount``; a submission that does not is refused with the path of the offending field.
* Field names are snake_case; unknown fields are refused.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any, TypeVar, dataclass_transform

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, field_serializer, model_validator
from pydantic.dataclasses import dataclass as pydantic_dataclass


def _no_float(value: Any) -> Any:
    """Money travels as a decimal string; a JSON float may already have lost digits, so it is refused."""
    if isinstance(value, float):
        raise ValueError(f"money must be a decimal string such as \"{value}\", not a JSON number")
    return value


MoneyValue = Annotated[Decimal, BeforeValidator(_no_float), Field(allow_inf_nan=False, max_digits=20, decimal_places=6)]
Rate = Annotated[Decimal, Field(allow_inf_nan=False, ge=0, le=100)]
CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_NO_VAT = Decimal(0)


class JobStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in FINAL_JOB_STATUSES


FINAL_JOB_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS, JobStatus.FAILED})


class ItemStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    SUCCESSFUL = "successful"
    FAILED = "failed"
    ABANDONED = "abandoned"


OPEN_ITEM_STATUSES = frozenset({ItemStatus.PENDING, ItemStatus.IN_PROGRESS})


class JobEventType(StrEnum):
    STARTED = "started"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"


class JobFailureReasonType(StrEnum):
    """Why a whole job failed (the remaining items are then ``abandoned``)."""

    INVALID_CONFIGURATION = "invalid_configuration"
    MISSING_CONFIGURATION = "missing_configuration"
    ACCOUNTING_SYSTEM_UNREACHABLE = "accounting_system_unreachable"
    ACCOUNTING_SYSTEM_VALIDATION_FAILURE = "accounting_system_validation_failure"
    JOB_EXPIRED = "job_expired"
    CANCELED_BY_USER = "canceled_by_user"
    UNEXPECTED_FAILURE = "unexpected_failure"


class ItemFailureReasonType(StrEnum):
    """Why one item failed; the other items of the job go on."""

    ACCOUNT_UNKNOWN = "account_unknown"
    TAX_CODE_UNKNOWN = "tax_code_unknown"
    TAG_UNKNOWN = "tag_unknown"
    VENDOR_UNKNOWN = "vendor_unknown"
    CURRENCY_UNSUPPORTED = "currency_unsupported"
    CLOSED_PERIOD = "closed_period"
    RECEIPT_DOWNLOAD_FAILURE = "receipt_download_failure"
    RECEIPT_FILE_SIZE = "receipt_file_size"
    RECEIPT_FILE_TYPE = "receipt_file_type"
    ACCOUNTING_SYSTEM_VALIDATION_FAILURE = "accounting_system_validation_failure"
    UNEXPECTED_FAILURE = "unexpected_failure"


class ItemType(StrEnum):
    CARD_PURCHASE = "card_purchase"
    CARD_INVOICE = "card_invoice"
    INVOICE = "invoice"
    INVOICE_PAYMENT = "invoice_payment"
    REFUND = "refund"
    CHARGEBACK = "chargeback"
    CASHBACK = "cashback"
    FEE = "fee"
    REIMBURSEMENT = "reimbursement"
    PER_DIEM = "per_diem"
    MILEAGE = "mileage"
    WALLET_TOPUP = "wallet_topup"
    WALLET_WITHDRAWAL = "wallet_withdrawal"
    BALANCE_AMENDMENT = "balance_amendment"


class BookkeepingMethod(StrEnum):
    JOURNAL = "journal"
    ACCOUNTS_PAYABLE = "accounts_payable"
    NONE = "none"


class TaxType(StrEnum):
    INCLUSIVE = "inclusive"
    EXCLUSIVE = "exclusive"
    REVERSE = "reverse"


_INCLUSIVE = TaxType.INCLUSIVE  # looked up once (an Enum member access costs a call on Python 3.11)


# --------------------------------------------------------------------------- items


SCHEMA_CONFIG = ConfigDict(extra="forbid", populate_by_name=True)
"""Every export schema: snake_case, unknown fields refused, decimals as strings (and immutable: a
model's ``frozen``, a dataclass's own ``frozen=True``)."""


class Schema(BaseModel):
    """Base of the export API's request and response schemas (see :data:`SCHEMA_CONFIG`)."""

    model_config = ConfigDict(**SCHEMA_CONFIG, frozen=True)


_T = TypeVar("_T")


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(Field,))
def item_schema(cls: type[_T]) -> type[_T]:
    """An item's schema (:class:`ExportItem` and its parts): a pydantic *dataclass* with
    :data:`SCHEMA_CONFIG`, validated at the edge (API, store) like a model, and read in the engine
    as a plain slotted dataclass. A model's every attribute read goes through pydantic's
    ``__getattr__`` hook (about three times a plain read); the engine reads items field by field,
    by the ten thousand per job."""
    return pydantic_dataclass(config=SCHEMA_CONFIG, frozen=True, slots=True, kw_only=True)(cls)  # type: ignore[return-value]


@item_schema
class Money:
    value: MoneyValue
    currency: str = Field(pattern=r"^[A-Z]{3}$")

    @field_serializer("value")
    def _value_as_string(self, value: Decimal) -> str:
        return str(value)


@item_schema
class ServicePeriod:
    from_: dt.date = Field(alias="from")
    to: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> "ServicePeriod":
        if self.to < self.from_:
            raise ValueError("service_period.to is before service_period.from")
        return self


@item_schema
class LineAccount:
    code: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _something(self) -> "LineAccount":
        if not (self.code or self.name):
            raise ValueError("account needs a code or a name")
        return self


@item_schema
class Tax:
    code: str = Field(min_length=1)
    rate: Rate | None = None
    type: TaxType
    amount: MoneyValue | None = None

    @model_validator(mode="after")
    def _rate_or_amount(self) -> "Tax":
        if self.rate is None and self.amount is None:
            raise ValueError("tax needs a rate or an amount")
        return self


@item_schema
class Tag:
    group_code: str = Field(min_length=1)
    code: str = Field(min_length=1)


@item_schema
class Line:
    line_amount: MoneyValue
    net_amount: MoneyValue | None = None
    account: LineAccount
    tax: Tax | None = None
    tags: tuple[Tag, ...] = ()
    note: str | None = None


@item_schema
class Bookkeeping:
    method: BookkeepingMethod | None = None


@item_schema
class Supplier:
    code: str | None = None
    name: str | None = None
    country: str | None = None
    tax_id: str | None = None


@item_schema
class Vendor:
    code: str | None = None
    external_id: str | None = None


@item_schema
class FileRef:
    """A receipt: by ``id`` (resolved through the integration's ``attachments.url_template``), by
    ``url``, or carried in the item as ``content_base64``."""

    id: str | None = None
    url: str | None = None
    type: str | None = None
    size: int | None = Field(default=None, ge=0)
    name: str | None = None
    content_base64: str | None = None

    @model_validator(mode="after")
    def _locatable(self) -> "FileRef":
        if not (self.id or self.url or self.content_base64):
            raise ValueError("a file needs an id, a url or content_base64")
        return self

    @property
    def ref(self) -> str:
        """A stable reference of this file within its item (cache key)."""
        return self.id or self.url or f"inline:{self.name or 'file'}"


@item_schema
class InvoiceInformation:
    invoice_number: str | None = None
    invoice_date: dt.date | None = None
    due_date: dt.date | None = None
    paid: bool | None = None
    payment_date: dt.date | None = None


@item_schema
class AdditionalInformation:
    reconciliation_id: str | None = None
    attendees: tuple[str, ...] = ()
    invoice_information: InvoiceInformation | None = None


@item_schema
class ExportItem:
    """One accounting entry to export (what ``POST /v1/export-items`` takes)."""

    id: str = Field(min_length=1, max_length=200)
    type: ItemType
    date: dt.date
    note: str | None = None
    service_period: ServicePeriod | None = None
    amount: Money
    wallet_amount: Money | None = None
    lines: tuple[Line, ...] = ()
    contra_account: str | None = None
    bookkeeping: Bookkeeping | None = None
    supplier: Supplier | None = None
    vendor: Vendor | None = None
    files: tuple[FileRef, ...] = ()
    additional_information: AdditionalInformation | None = None

    @model_validator(mode="after")
    def _lines_add_up(self) -> "ExportItem":
        if self.type in NO_LINE_TYPES or not self.lines:
            if not self.lines and self.type not in NO_LINE_TYPES:
                raise ValueError(f"an item of type {self.type.value} needs at least one line")
            return self
        total = sum((paid_amount(line) for line in self.lines), Decimal(0))
        if total != self.amount.value:
            raise ValueError(
                f"lines add up to {total} (paid amounts) but amount.value is {self.amount.value}"
            )
        return self


ITEM = TypeAdapter(ExportItem)
"""Validates an :class:`ExportItem` from Python data (``ITEM.validate_python``) or JSON
(``ITEM.validate_json``) and writes it as JSON (``ITEM.dump_json``), as a model's own methods would."""


NO_LINE_TYPES = frozenset(
    {ItemType.INVOICE_PAYMENT, ItemType.WALLET_TOPUP, ItemType.WALLET_WITHDRAWAL, ItemType.BALANCE_AMENDMENT}
)


def vat_amount(line: Line) -> Decimal:
    """The line's VAT: the given ``tax.amount``, else computed from the rate and rounded half-up to cents.

    inclusive: ``line_amount × rate / (100 + rate)``; exclusive and reverse: ``line_amount × rate / 100``.
    """
    return tax_on(line.line_amount, line.tax)


def tax_on(line_amount: Decimal, tax: Tax | None) -> Decimal:
    """:func:`vat_amount` of a line with this ``line_amount`` and ``tax`` (for a caller that has both)."""
    if tax is None:
        return _NO_VAT
    if tax.amount is not None:
        return tax.amount
    rate = tax.rate
    assert rate is not None
    if tax.type is _INCLUSIVE:
        raw = line_amount * rate / (_HUNDRED + rate)
    else:
        raw = line_amount * rate / _HUNDRED
    return raw.quantize(CENT, ROUND_HALF_UP)  # rounding passed positionally: the keyword costs twice as much


def paid_amount(line: Line) -> Decimal:
    """What the line takes out of the paying account: gross for inclusive/no tax, net + VAT for
    exclusive, net for reverse charge (the VAT is self-assessed, not paid to the supplier)."""
    if line.tax is not None and line.tax.type is TaxType.EXCLUSIVE:
        return line.line_amount + vat_amount(line)
    return line.line_amount


class ItemsSubmission(Schema):
    items: list[ExportItem] = Field(min_length=1, max_length=1000)  # a list: a tuple with min_length adds
    # a spurious "at least 1 item" error when its only item is refused

    @model_validator(mode="after")
    def _unique_ids(self) -> "ItemsSubmission":
        seen: set[str] = set()
        for number, item in enumerate(self.items):
            if item.id in seen:
                raise ValueError(f"items[{number}].id: item {item.id!r} appears twice in one submission")
            seen.add(item.id)
        return self


class SubmittedItem(Schema):
    id: str
    status: str  # "accepted" | "already_exported" | "in_job"


class ItemsSubmissionResult(Schema):
    items: tuple[SubmittedItem, ...]


# --------------------------------------------------------------------------- jobs


class JobCreate(Schema):
    integration: str | None = None
    item_ids: tuple[str, ...] | None = Field(default=None, max_length=10000)


class Job(Schema):
    id: str
    integration: str
    status: JobStatus
    failure_reason: str | None = None
    failure_reason_type: JobFailureReasonType | None = None
    item_count: int
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


class JobList(Schema):
    jobs: tuple[Job, ...]


class JobItem(Schema):
    id: str
    status: ItemStatus
    external_id: str | None = None
    failure_reason: str | None = None
    failure_reason_type: ItemFailureReasonType | None = None
    exported_at: dt.datetime | None = None


class JobItemList(Schema):
    items: tuple[JobItem, ...]


class ItemResult(Schema):
    """One item's result reported by an integration (``PUT /v1/export-jobs/{id}/items``)."""

    id: str
    status: ItemStatus
    external_id: str | None = None
    failure_reason: str | None = None
    failure_reason_type: ItemFailureReasonType | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "ItemResult":
        if self.status not in (ItemStatus.SUCCESSFUL, ItemStatus.FAILED):
            raise ValueError("status must be successful or failed")
        if self.status is ItemStatus.FAILED and self.failure_reason_type is None:
            raise ValueError("a failed item needs failure_reason_type")
        if self.status is ItemStatus.SUCCESSFUL and self.failure_reason_type is not None:
            raise ValueError("a successful item has no failure_reason_type")
        return self


class ItemResults(Schema):
    items: list[ItemResult] = Field(min_length=1, max_length=100)  # a list, as in ItemsSubmission


class JobEventCreate(Schema):
    job_id: str
    type: JobEventType
    failure_reason: str | None = None
    failure_reason_type: JobFailureReasonType | None = None

    @model_validator(mode="after")
    def _reason_for_failure(self) -> "JobEventCreate":
        if self.type is JobEventType.FAILED and self.failure_reason_type is None:
            raise ValueError("a failed event needs failure_reason_type")
        if self.type is not JobEventType.FAILED and self.failure_reason_type is not None:
            raise ValueError("only a failed event carries failure_reason_type")
        return self


class JobEvent(Schema):
    id: int
    job_id: str
    type: JobEventType
    failure_reason: str | None = None
    failure_reason_type: JobFailureReasonType | None = None
    actor: str
    created_at: dt.datetime


class PreviewEntry(Schema):
    key: str
    item_id: str
    kind: str
    date: dt.date
    description: str
    postings: tuple[dict[str, Any], ...]
    balances: dict[str, str]


class PreviewItem(Schema):
    id: str
    status: str  # "ok" | "failed" | "already_posted"
    failure_reason: str | None = None
    failure_reason_type: ItemFailureReasonType | None = None
    entries: tuple[PreviewEntry, ...] = ()


class Preview(Schema):
    job_id: str
    integration: str
    target: str
    posting_status: str
    items: tuple[PreviewItem, ...]
    text: str
