"""The twelve stages of an export job, one function each, in the order they run.

1. :func:`detect_and_claim`          2. :func:`validate_pre_export`     3. :func:`fetch_item_data`
4. :func:`resolve_bookkeeping_method` 5. :func:`map_accounts`           6. :func:`map_data`
7. :func:`fetch_attachments`          8. :func:`apply_accounting_period` 9. :func:`resolve_posting_status`
10. :func:`create_entries`            11. :func:`update_item_status`     12. :func:`update_job_status`

Stages 4–11 run per item; an item that fails raises :class:`ItemFailed` (its reason type and a
message), is recorded at once and the next item goes on. Stage 2 (or a target that becomes
unreachable) raises :class:`JobFailed`, which ends the job ``failed`` with the open items abandoned.
The mapping rules are documented in ``docs/export.md``.
"""

from __future__ import annotations

from typing import cast

import datetime as dt
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import httpx
import sqlalchemy as sa

from ledgerlink.export import repository
from ledgerlink.export.attachments import AttachmentFailure, fetch_file
from ledgerlink.export.claims import DEFAULT_LEASE, Claim, claim_next, release
from ledgerlink.export.config import ClosedPeriodStrategy, ConfigInvalid, IntegrationConfig
from ledgerlink.export.ledger import (
    DESCRIPTION_SEPARATOR,
    AttachmentFile,
    Entry,
    EntryKind,
    Posting,
    PostingStatus,
    imbalance_of,
)
from ledgerlink.export.model import (
    CENT,
    BookkeepingMethod,
    ExportItem,
    ItemFailureReasonType,
    ItemStatus,
    ItemType,
    JobEventType,
    JobFailureReasonType,
    JobStatus,
    Line,
    OPEN_ITEM_STATUSES,
    Tag,
    TaxType,
    tax_on,
)
from ledgerlink.export.tables import export_attachments
from ledgerlink.export.targets.base import (
    LedgerAccount,
    Target,
    TargetError,
    TargetMisconfigured,
    TargetUnreachable,
)
from ledgerlink.store.audit import record, record_many
from ledgerlink.store.database import Database, utcnow

STAGES = (
    "detect_and_claim",
    "validate_pre_export",
    "fetch_item_data",
    "resolve_bookkeeping_method",
    "map_accounts",
    "map_data",
    "fetch_attachments",
    "apply_accounting_period",
    "resolve_posting_status",
    "create_entries",
    "update_item_status",
    "update_job_status",
)

METHOD_BY_TYPE: dict[ItemType, BookkeepingMethod] = {
    ItemType.CARD_PURCHASE: BookkeepingMethod.JOURNAL,
    ItemType.CARD_INVOICE: BookkeepingMethod.JOURNAL,
    ItemType.REFUND: BookkeepingMethod.JOURNAL,
    ItemType.CHARGEBACK: BookkeepingMethod.JOURNAL,
    ItemType.CASHBACK: BookkeepingMethod.JOURNAL,
    ItemType.FEE: BookkeepingMethod.JOURNAL,
    ItemType.REIMBURSEMENT: BookkeepingMethod.JOURNAL,
    ItemType.PER_DIEM: BookkeepingMethod.JOURNAL,
    ItemType.MILEAGE: BookkeepingMethod.JOURNAL,
    ItemType.INVOICE: BookkeepingMethod.ACCOUNTS_PAYABLE,
    ItemType.INVOICE_PAYMENT: BookkeepingMethod.ACCOUNTS_PAYABLE,
    ItemType.WALLET_TOPUP: BookkeepingMethod.NONE,
    ItemType.WALLET_WITHDRAWAL: BookkeepingMethod.NONE,
    ItemType.BALANCE_AMENDMENT: BookkeepingMethod.NONE,
}
"""The bookkeeping method of an item that does not state one (the table in docs/export.md)."""

OUT_OF_POCKET_TYPES = frozenset({ItemType.REIMBURSEMENT, ItemType.PER_DIEM, ItemType.MILEAGE})
WALLET_MOVEMENT_TYPES = frozenset({ItemType.WALLET_TOPUP, ItemType.WALLET_WITHDRAWAL, ItemType.BALANCE_AMENDMENT})
PAID_ON_PURCHASE = frozenset(set(ItemType) - {ItemType.INVOICE})
_ZERO = Decimal(0)
_UNSEEN = object()  # a cache miss (a cached ``None`` means "not in the chart")
# Enum members looked up once: ``Enum.MEMBER`` is a descriptor call on Python 3.11, costly per item.
_INCLUSIVE, _REVERSE = TaxType.INCLUSIVE, TaxType.REVERSE
_PAYABLE, _NO_METHOD = BookkeepingMethod.ACCOUNTS_PAYABLE, BookkeepingMethod.NONE
_INVOICE_PAYMENT = ItemType.INVOICE_PAYMENT
_JOURNAL, _BILL, _PAYMENT = EntryKind.JOURNAL, EntryKind.BILL, EntryKind.PAYMENT
_DRAFT, _FINALISED = PostingStatus.DRAFT, PostingStatus.FINALISED
_LINE_PATHS = tuple(f"lines[{number}]" for number in range(64))
# Per item type, built once: its words for a description without a note, and its metadata pair.
_TYPE_IN_WORDS = {item_type: str(item_type).replace("_", " ") for item_type in ItemType}
_TYPE_METADATA = {item_type: ("item_type", str(item_type)) for item_type in ItemType}
_TYPE_ONLY_METADATA = {item_type: (pair,) for item_type, pair in _TYPE_METADATA.items()}


class ItemFailed(Exception):
    def __init__(self, reason_type: ItemFailureReasonType, message: str):
        super().__init__(message)
        self.reason_type = reason_type
        self.message = message


class JobFailed(Exception):
    def __init__(self, reason_type: JobFailureReasonType, message: str):
        super().__init__(message)
        self.reason_type = reason_type
        self.message = message


@dataclass
class ExportRun:
    """One job being processed (or previewed when ``dry_run``)."""

    db: Database
    org_id: str
    job_id: str
    integration: str
    claim: Claim | None
    dry_run: bool = False
    actor: str = "worker"
    config: IntegrationConfig | None = None
    target: Target | None = None
    target_lock: dt.date | None = None
    http: httpx.Client | None = None
    open_target: object = None  # override for tests: a callable like targets.open_target
    account_cache: dict[str, LedgerAccount | None] = field(default_factory=dict)
    """Chart look-ups of the current batch (cleared per batch, so ledger edits between batches are seen)."""
    period_rules: PeriodRules | None = None
    """Stage 8's lock and closed months, derived once per job from the configuration and the target's lock."""
    resolved: dict[object, tuple[str | None, str | None] | str] = field(default_factory=dict)
    """Stage 5's configured accounts resolved in the current batch (VAT accounts per tax code, the
    wallet/contra/... accounts), valid for ``resolved_for``; failures are never kept."""
    resolved_for: tuple[object, object] = (None, None)

    def start_batch(self) -> None:
        """Forget the chart look-ups of the previous batch (the ledger may have been edited meanwhile)."""
        self.account_cache.clear()
        self.resolved.clear()

    def lookups(self) -> dict[object, tuple[str | None, str | None] | str]:
        """:attr:`resolved`, emptied first (with the chart look-ups) if the configuration or the target
        is not the one it was filled for."""
        owner = self.resolved_for
        if owner[0] is not self.config or owner[1] is not self.target:
            self.start_batch()
            self.resolved_for = (self.config, self.target)
        return self.resolved


@dataclass(frozen=True)
class PeriodRules:
    """The closed-period rules of one job: what :func:`apply_accounting_period` checks every entry against."""

    strategy: ClosedPeriodStrategy
    lock: dt.date | None
    closed_months: frozenset[str]
    source: tuple[object, dt.date | None]  # (the configuration's closed_period object, the target's lock)


@dataclass(slots=True)
class MappedLine:
    """Stage 5's result for one line: its accounts, and what stage 6 needs of the line, read once."""

    account: str
    vat_input: str | None = None
    vat_output: str | None = None  # only for a reverse charge (the self-assessed output VAT)
    tags: tuple[tuple[str, str], ...] = ()
    vat: Decimal = Decimal(0)  # the line's VAT (model.vat_amount), computed once in stage 5
    net: Decimal = Decimal(0)  # line_amount − VAT for inclusive tax, else line_amount
    memo: str | None = None  # the line's note


@dataclass(slots=True)
class ItemWork:
    """What the per-item stages know about one item so far."""

    item: ExportItem
    stages: list[str] = field(default_factory=list)
    method: BookkeepingMethod | None = None
    lines: list[MappedLine] = field(default_factory=list)
    source_account: str | None = None
    payable_account: str | None = None
    counter_account: str | None = None
    entries: list[Entry] = field(default_factory=list)
    attachments: list[AttachmentFile] = field(default_factory=list)
    posting_status: PostingStatus = PostingStatus.DRAFT
    external_ids: list[str] = field(default_factory=list)
    already_posted: bool = False
    failure: ItemFailed | None = None


# --------------------------------------------------------------------------- 1


def detect_and_claim(db: Database, *, worker_id: str, lease: dt.timedelta = DEFAULT_LEASE,
                     integration: str | None = None) -> Claim | None:
    """Stage 1: claim the oldest eligible job of an organisation (at most one in progress per organisation)."""
    return claim_next(db, worker_id=worker_id, lease=lease, integration=integration)


# --------------------------------------------------------------------------- 2


def validate_pre_export(run: ExportRun) -> None:
    """Stage 2: the integration's configuration is complete and its target reachable, else the job fails."""
    with run.db.read() as conn:
        try:
            run.config = repository.get_integration(conn, run.org_id, run.integration)
        except ConfigInvalid as exc:
            raise JobFailed(JobFailureReasonType.INVALID_CONFIGURATION, str(exc)) from None
    if run.config is None:
        raise JobFailed(JobFailureReasonType.MISSING_CONFIGURATION,
                        f"the organisation has no integration named {run.integration!r}")
    opener = run.open_target
    if opener is None:
        from ledgerlink.export.targets import open_target as opener
    try:
        run.target = opener(run.config.target.model_dump(mode="json"))  # type: ignore[operator]
        run.target.check()
        run.target_lock = run.target.lock_date()
    except TargetMisconfigured as exc:
        raise JobFailed(JobFailureReasonType.INVALID_CONFIGURATION, f"target: {exc}") from None
    except TargetUnreachable as exc:
        raise JobFailed(JobFailureReasonType.ACCOUNTING_SYSTEM_UNREACHABLE, f"target: {exc}") from None
    except TargetError as exc:
        raise JobFailed(JobFailureReasonType(exc.reason_type)
                        if exc.reason_type in JobFailureReasonType.__members__.values()
                        else JobFailureReasonType.INVALID_CONFIGURATION, f"target: {exc}") from None


# --------------------------------------------------------------------------- 3


def fetch_item_data(run: ExportRun) -> list[ItemWork]:
    """Stage 3: the job's items still ``pending``/``in_progress`` (never those with a result), in job order."""
    with run.db.read() as conn:
        open_items = repository.job_items(conn, run.org_id, run.job_id, OPEN_ITEM_STATUSES)
        loaded = repository.load_items(conn, run.org_id, [i.id for i in open_items])
    missing = [i.id for i in open_items if i.id not in loaded]
    if missing:
        raise JobFailed(JobFailureReasonType.UNEXPECTED_FAILURE, f"items vanished from the store: {missing[:5]}")
    return [ItemWork(loaded[i.id]) for i in open_items]


# --------------------------------------------------------------------------- 4


def resolve_bookkeeping_method(run: ExportRun, work: ItemWork) -> None:
    """Stage 4: the item's stated method, else the one derived from its type (:data:`METHOD_BY_TYPE`)."""
    stated = work.item.bookkeeping.method if work.item.bookkeeping else None
    work.method = stated or METHOD_BY_TYPE[work.item.type]


# --------------------------------------------------------------------------- 5


def map_accounts(run: ExportRun, work: ItemWork) -> None:
    """Stage 5: every account of the item resolved against the target's own chart.

    Debits: each line's account (by code, else by name). Credit (the paying side): the item's
    ``contra_account``, else ``out_of_pocket`` for reimbursements/per diem/mileage, ``contra`` for
    wallet movements, ``wallet`` otherwise. Accounts payable: the vendor's account (``vendor.code``,
    then ``supplier.code``), else ``fallback_payable``; none of them → ``vendor_unknown``.
    VAT: the configured input/output account of the line's tax code (``tax_code_unknown`` if absent).
    Tags: each tag group must be configured under ``dimensions`` (and the value listed, when the
    dimension lists its values), else ``tag_unknown``. Each :class:`MappedLine` also carries the line's
    VAT and net amount and its note, so that stage 6 reads the line no more.
    """
    assert run.config is not None and run.target is not None
    item = work.item
    resolved = run.lookups()
    lines = work.lines
    lines.clear()  # filled afresh (the list is reused, so a batch allocates less)
    for number, line in enumerate(item.lines):
        path = _LINE_PATHS[number] if number < len(_LINE_PATHS) else f"lines[{number}]"
        account = _line_account(run, line, path)
        line_amount, tax = line.line_amount, line.tax
        vat_due = tax_on(line_amount, tax)  # model.vat_amount(line)
        tax_type = tax.type if tax is not None else None
        net = line_amount - vat_due if tax_type is _INCLUSIVE else line_amount
        vat_input = vat_output = None
        if vat_due:  # not zero, which implies a tax
            assert tax is not None
            key = (tax.code, tax_type is _REVERSE)
            vat_accounts = resolved.get(key)
            if vat_accounts is None:
                vat_accounts = resolved[key] = _vat_accounts(run, key[0], key[1], path)
            vat_input, vat_output = cast("tuple[str, str | None]", vat_accounts)
        tags = line.tags
        lines.append(MappedLine(account, vat_input, vat_output,
                                _tags(run, tags, path) if tags else (), vat_due, net, line.note))
    item_type, contra_account = item.type, item.contra_account
    if item_type in WALLET_MOVEMENT_TYPES:
        work.source_account = _configured(run, resolved, "wallet")
        if not lines and contra_account:
            work.counter_account = _resolve(run, contra_account, "contra_account")
    elif contra_account:
        work.source_account = _resolve(run, contra_account, "contra_account")
    elif item_type in OUT_OF_POCKET_TYPES:
        work.source_account = _configured(run, resolved, "out_of_pocket")
    else:
        work.source_account = _configured(run, resolved, "wallet")
    if work.method is _PAYABLE:
        work.payable_account = _payable(run, item)
    elif not lines and work.counter_account is None:
        work.counter_account = _configured(run, resolved, "contra")


def _find(run: ExportRun, code_or_name: str) -> LedgerAccount | None:
    """The chart's account with this code or name (looked up once per batch)."""
    found = run.account_cache.get(code_or_name, _UNSEEN)
    if found is _UNSEEN:
        assert run.target is not None
        found = run.account_cache[code_or_name] = run.target.find_account(code_or_name)
    return found  # type: ignore[return-value]


def _line_account(run: ExportRun, line: Line, path: str) -> str:
    code, name = (account := line.account).code, account.name
    if code:
        found = _find(run, code)
        if found is not None:
            return found.name
    if name:
        found = _find(run, name)
        if found is not None:
            return found.name
    assert run.target is not None
    given = " or ".join(f"{what} {value!r}" for what, value in (("code", code), ("name", name)) if value)
    raise ItemFailed(ItemFailureReasonType.ACCOUNT_UNKNOWN,
                     f"{path}.account: no account with {given} in the {run.target.kind} chart")


def _resolve(run: ExportRun, code_or_name: str, path: str) -> str:
    assert run.target is not None
    found = _find(run, code_or_name)
    if found is None:
        raise ItemFailed(ItemFailureReasonType.ACCOUNT_UNKNOWN,
                         f"{path}: no account {code_or_name!r} in the {run.target.kind} chart")
    return found.name


def _vat_accounts(run: ExportRun, code: str, reverse: bool, path: str) -> tuple[str, str | None]:
    """The (input, output) VAT accounts of a tax code; output only for a reverse charge."""
    assert run.config is not None
    accounts = run.config.accounts
    vat = accounts.vat.get(code)
    if vat is None:
        raise ItemFailed(ItemFailureReasonType.TAX_CODE_UNKNOWN,
                         f"{path}.tax.code: tax code {code!r} has no VAT accounts in the "
                         f"integration (accounts.vat); known: {', '.join(accounts.vat) or 'none'}")
    if not vat.input:
        raise ItemFailed(ItemFailureReasonType.TAX_CODE_UNKNOWN,
                         f"{path}.tax.code: tax code {code!r} has no input VAT account")
    vat_input = _resolve(run, vat.input, f"accounts.vat.{code}.input")
    if not reverse:
        return vat_input, None
    if not vat.output:
        raise ItemFailed(ItemFailureReasonType.TAX_CODE_UNKNOWN,
                         f"{path}.tax.code: reverse charge needs an output VAT account for tax code {code!r}")
    return vat_input, _resolve(run, vat.output, f"accounts.vat.{code}.output")


def _configured(run: ExportRun, resolved: dict[object, tuple[str | None, str | None] | str],
                name: str) -> str:
    """The configured account ``accounts.<name>`` resolved in the chart (kept in ``resolved``, the
    batch's :meth:`ExportRun.lookups`)."""
    found = resolved.get(name)
    if found is None:
        found = resolved[name] = _configured_account(run, name)
    return found  # type: ignore[return-value]


def _configured_account(run: ExportRun, name: str) -> str:
    assert run.config is not None
    value = getattr(run.config.accounts, name)
    if value is None:
        raise ItemFailed(ItemFailureReasonType.ACCOUNT_UNKNOWN,
                         f"accounts.{name}: not configured in integration {run.integration!r}")
    return _resolve(run, value, f"accounts.{name}")


def _payable(run: ExportRun, item: ExportItem) -> str:
    assert run.target is not None and run.config is not None
    vendor, supplier = item.vendor, item.supplier
    codes = (vendor.code if vendor is not None else None, supplier.code if supplier is not None else None)
    for code in codes:
        if code:
            found = _find(run, code)
            if found is not None:
                return found.name
    if run.config.accounts.fallback_payable:
        return _resolve(run, run.config.accounts.fallback_payable, "accounts.fallback_payable")
    tried = [c for c in codes if c]
    raise ItemFailed(ItemFailureReasonType.VENDOR_UNKNOWN,
                     f"vendor.code: no payable account for vendor {', '.join(map(repr, tried)) or '(no code)'} "
                     f"and no accounts.fallback_payable configured")


def _tags(run: ExportRun, tags: Sequence[Tag], path: str) -> tuple[tuple[str, str], ...]:
    assert run.config is not None
    dimensions = run.config.dimensions
    out = []
    for number, tag in enumerate(tags):
        dimension = dimensions.get(tag.group_code)
        if dimension is None:
            raise ItemFailed(ItemFailureReasonType.TAG_UNKNOWN,
                             f"{path}.tags[{number}].group_code: tag group {tag.group_code!r} is not configured "
                             f"under dimensions; known: {', '.join(run.config.dimensions) or 'none'}")
        if dimension.values is not None and tag.code not in dimension.values:
            raise ItemFailed(ItemFailureReasonType.TAG_UNKNOWN,
                             f"{path}.tags[{number}].code: {tag.code!r} is not a value of dimension "
                             f"{tag.group_code!r}")
        out.append((dimension.name, tag.code))
    return tuple(out)


# --------------------------------------------------------------------------- 6


def map_data(run: ExportRun, work: ItemWork) -> None:
    """Stage 6: the balanced entries of the item (see the rules in docs/export.md).

    Per line: inclusive → expense ``line_amount − VAT`` + input VAT; exclusive → expense
    ``line_amount`` + input VAT; reverse charge → expense ``line_amount`` + input VAT and the same VAT
    credited to the output VAT account; the paying account is credited with the item amount.
    In another ledger currency, every debit is converted with ``wallet_amount / amount`` and rounded
    half-up to cents; the rounding difference goes onto the largest debit so the entry balances exactly.
    """
    assert run.config is not None and work.method is not None
    item = work.item
    amount = item.amount
    currency, rate, total = amount.currency, None, amount.value
    if run.config.currency not in (None, currency):
        currency, rate = _ledger_currency(run, item)
        total = _convert_total(total, rate)
    description = _description(item)
    metadata = _metadata(item)
    item_id, day = item.id, item.date
    entries = work.entries
    entries.clear()  # filled afresh (reused like work.lines)
    if work.method is _PAYABLE:
        assert work.payable_account is not None and work.source_account is not None
        if item.type is not _INVOICE_PAYMENT:
            postings = _line_postings(work.lines, currency, rate)
            entries.append(_entry(f"{item_id}/bill", item_id, _BILL, day, description, metadata,
                                  postings, Posting(work.payable_account, -total, currency)))
        if _is_paid(item):
            info = item.additional_information.invoice_information if item.additional_information else None
            paid_on = (info.payment_date if info and info.payment_date else day)
            entries.append(_entry(f"{item_id}/payment", item_id, _PAYMENT, paid_on, description, metadata,
                                  [Posting(work.payable_account, total, currency)],
                                  Posting(work.source_account, -total, currency)))
        if not entries:
            raise ItemFailed(ItemFailureReasonType.UNEXPECTED_FAILURE, "nothing to post for this item")
        return
    assert work.source_account is not None
    if work.method is _NO_METHOD or not work.lines:
        # wallet movement: the wallet (or paying account) is debited with the amount, the counter side credited
        if work.lines:
            postings = _line_postings(work.lines, currency, rate, sign=-1)
            entry = _entry(item_id, item_id, _JOURNAL, day, description, metadata,
                           postings, Posting(work.source_account, total, currency))
        else:
            assert work.counter_account is not None
            entry = _entry(item_id, item_id, _JOURNAL, day, description, metadata,
                           [Posting(work.source_account, total, currency)],
                           Posting(work.counter_account, -total, currency))
        entries.append(entry)
        return
    postings = _line_postings(work.lines, currency, rate)
    entries.append(_entry(item_id, item_id, _JOURNAL, day, description, metadata,
                          postings, Posting(work.source_account, -total, currency)))


def _ledger_currency(run: ExportRun, item: ExportItem) -> tuple[str, Decimal | None]:
    """The currency to post in and the conversion factor (``None`` = no conversion); stage 6 asks only
    when the integration's ledger currency is set and not the item's."""
    assert run.config is not None
    wanted, given = run.config.currency, item.amount.currency
    if wanted is None or wanted == given:
        return given, None
    wallet = item.wallet_amount
    if wallet is None or wallet.currency != wanted:
        raise ItemFailed(ItemFailureReasonType.CURRENCY_UNSUPPORTED,
                         f"amount.currency: the item is in {item.amount.currency}, the ledger in {wanted}, and "
                         f"wallet_amount is {'missing' if wallet is None else 'in ' + wallet.currency}")
    if item.amount.value == 0:
        raise ItemFailed(ItemFailureReasonType.CURRENCY_UNSUPPORTED, "amount.value: zero amount cannot be converted")
    return wanted, wallet.value / item.amount.value


def _convert_total(value: Decimal, rate: Decimal | None) -> Decimal:
    return value if rate is None else (value * rate).quantize(CENT, ROUND_HALF_UP)


def _line_postings(lines: Sequence[MappedLine], currency: str, rate: Decimal | None,
                   sign: int = 1) -> list[Posting]:
    """The debit side of the lines (expense + VAT legs), converted when ``rate`` is given.

    The reverse-charge output VAT leg is a credit equal to the input VAT leg, so it cancels inside the entry.
    """
    out: list[Posting] = []
    append = out.append
    for mapped in lines:
        vat, net, memo, tags = mapped.vat, mapped.net, mapped.memo, mapped.tags
        if rate is None:
            append(Posting(mapped.account, net if sign == 1 else sign * net, currency, tags, memo))
        else:
            append(Posting(mapped.account, sign * (net * rate).quantize(CENT, ROUND_HALF_UP), currency,
                           tags, memo))
        vat_input = mapped.vat_input
        if vat and vat_input:
            amount = vat if rate is None else (vat * rate).quantize(CENT, ROUND_HALF_UP)
            append(Posting(vat_input, amount if sign == 1 else sign * amount, currency, tags,
                           memo if vat_input == mapped.account else None))
            vat_output = mapped.vat_output
            if vat_output:  # reverse charge: the self-assessed output VAT, credited
                amount = -vat if rate is None else (-vat * rate).quantize(CENT, ROUND_HALF_UP)
                append(Posting(vat_output, amount if sign == 1 else sign * amount, currency, (),
                               memo if vat_output == mapped.account else None))
    for posting in out:
        if not posting.amount:  # zero legs are left out (all of them but the first if all are zero)
            kept = [p for p in out if p.amount]
            return kept if kept else out[:1]
    return out


def _entry(key: str, item_id: str, kind: EntryKind, date: dt.date, description: str,
           metadata: tuple[tuple[str, str], ...], debits: list[Posting], credit: Posting) -> Entry:
    """An entry whose debits and credit balance exactly; a conversion rounding difference goes onto the
    largest debit (at most half a cent per converted leg). The exact check is
    :func:`~ledgerlink.export.ledger.imbalance_of`, as in the entry's own ``imbalance()``."""
    postings = (*debits, credit)
    off = imbalance_of(postings)
    if off:
        total = sum(off.values(), _ZERO)  # the sum of all postings (currencies that balance add nothing)
        if total:
            largest = max(range(len(debits)), key=lambda i: abs(debits[i].amount))
            fix = debits[largest]
            debits = list(debits)
            debits[largest] = Posting(fix.account, fix.amount - total, fix.currency, fix.tags, fix.memo)
            postings = (*debits, credit)
            off = imbalance_of(postings)
        if off:
            raise ItemFailed(ItemFailureReasonType.UNEXPECTED_FAILURE, f"entry {key} does not balance: {off}")
    return Entry(key, item_id, kind, date, description, postings, metadata)


def _description(item: ExportItem) -> str:
    """``"supplier — note"``; without a supplier name just the note; without a note the item type in words."""
    supplier = item.supplier.name if item.supplier is not None else None
    note = item.note or _TYPE_IN_WORDS[item.type]
    return f"{supplier}{DESCRIPTION_SEPARATOR}{note}" if supplier else note


def _metadata(item: ExportItem) -> tuple[tuple[str, str], ...]:
    """The entry's metadata: the item type, then whichever of reconciliation id, service period, supplier
    VAT id, invoice number and attendees the item has (the item id is the entry's own field)."""
    extra, period, supplier = item.additional_information, item.service_period, item.supplier
    item_type = item.type
    tax_id = supplier.tax_id if supplier is not None else None
    if extra is None and period is None and not tax_id:
        return _TYPE_ONLY_METADATA[item_type]  # the usual case: one shared tuple per item type
    meta: list[tuple[str, str]] = [_TYPE_METADATA[item_type]]
    if extra is not None and extra.reconciliation_id:
        meta.append(("reconciliation_id", extra.reconciliation_id))
    if period is not None:
        meta.append(("service_period", f"{period.from_.isoformat()}/{period.to.isoformat()}"))
    if tax_id:
        meta.append(("supplier_tax_id", tax_id))
    if extra is not None and extra.invoice_information and extra.invoice_information.invoice_number:
        meta.append(("invoice_number", extra.invoice_information.invoice_number))
    if extra is not None and extra.attendees:
        meta.append(("attendees", ", ".join(extra.attendees)))
    return tuple(meta)


def _is_paid(item: ExportItem) -> bool:
    """An invoice is paid when its invoice information says so (``paid`` or a ``payment_date``); every
    other type is paid on purchase; an ``invoice_payment`` is the payment itself."""
    info = item.additional_information.invoice_information if item.additional_information else None
    if info is not None and info.paid is not None:
        return info.paid
    if info is not None and info.payment_date is not None:
        return True
    return item.type in PAID_ON_PURCHASE


# --------------------------------------------------------------------------- 7


def fetch_attachments(run: ExportRun, work: ItemWork) -> None:
    """Stage 7: fetch each receipt once (cached per item and file, so a re-run downloads and attaches
    nothing twice) and put it on the item's first entry; a file that cannot be fetched fails the item."""
    assert run.config is not None
    item = work.item
    if not item.files:
        return
    with run.db.read() as conn:
        cached = {
            row.file_ref: AttachmentFile(row.name, row.content, row.media_type, row.sha256)
            for row in conn.execute(sa.select(export_attachments).where(
                export_attachments.c.org_id == run.org_id, export_attachments.c.item_id == item.id))
        }
    files: list[AttachmentFile] = []
    fresh: list[tuple[str, AttachmentFile]] = []
    for number, ref in enumerate(item.files):
        if ref.ref in cached:
            files.append(cached[ref.ref])
            continue
        if run.http is None:
            run.http = httpx.Client()
        try:
            fetched = fetch_file(ref, run.config.attachments, run.http)
        except AttachmentFailure as exc:
            raise ItemFailed(exc.reason_type, f"files[{number}]: {exc.message}") from None
        files.append(fetched)
        fresh.append((ref.ref, fetched))
    if fresh and not run.dry_run:
        with run.db.begin() as conn:
            conn.execute(export_attachments.insert(), [
                dict(org_id=run.org_id, item_id=item.id, file_ref=ref, name=f.name, media_type=f.media_type,
                     size=len(f.content), sha256=f.sha256, content=f.content, fetched_at=utcnow())
                for ref, f in fresh
            ])
    unique: dict[str, AttachmentFile] = {}
    for f in files:
        unique.setdefault(f.sha256, f)
    work.attachments = list(unique.values())
    first = work.entries[0]
    work.entries[0] = Entry(first.key, first.item_id, first.kind, first.date, first.description,
                            first.postings, first.metadata, first.tags, tuple(work.attachments))


# --------------------------------------------------------------------------- 8


def apply_accounting_period(run: ExportRun, work: ItemWork) -> None:
    """Stage 8: posting date = item date (never the service period). A date in a closed period — on or
    before the configured lock date or the target's own lock, or in a closed month — moves to the first
    open day (strategy ``move_to_next_open``) or fails the item with ``closed_period`` (``fail``)."""
    rules = _period_rules(run)
    lock, closed_months = rules.lock, rules.closed_months
    if lock is None and not closed_months:
        return  # no closed period at all
    entries = work.entries
    for number, entry in enumerate(entries):
        day = entry.date
        if (lock is None or day > lock) and (not closed_months or f"{day.year:04d}-{day.month:02d}" not in closed_months):
            continue  # the common case: an open day
        open_day = first_open_day(day, lock, closed_months)
        if rules.strategy is ClosedPeriodStrategy.FAIL:
            why = (f"on or before the lock date {lock.isoformat()}" if lock and day <= lock
                   else f"in closed month {day.strftime('%Y-%m')}")
            raise ItemFailed(ItemFailureReasonType.CLOSED_PERIOD,
                             f"date: {day.isoformat()} is {why} (closed_period.strategy = fail)")
        if entries is work.entries:
            entries = list(entries)  # the item's entries are replaced only once one moves
        entries[number] = Entry(entry.key, entry.item_id, entry.kind, open_day, entry.description,
                                entry.postings, (*entry.metadata, ("original_date", day.isoformat())),
                                entry.tags, entry.attachments)
    work.entries = entries


def _period_rules(run: ExportRun) -> PeriodRules:
    """The job's lock (the later of the configured lock date and the target's own) and closed months,
    derived once and reused while the configuration and the target's lock stay the same objects."""
    assert run.config is not None
    config = run.config.closed_period
    cached = run.period_rules
    if cached is not None and cached.source[0] is config and cached.source[1] == run.target_lock:
        return cached
    locks = [d for d in (config.lock_date, run.target_lock) if d is not None]
    run.period_rules = PeriodRules(config.strategy, max(locks) if locks else None, frozenset(config.closed_months),
                                   (config, run.target_lock))
    return run.period_rules


def first_open_day(day: dt.date, lock: dt.date | None, closed_months: Set[str]) -> dt.date:
    """``day`` if open, else the first day after the lock date that is not in a closed month."""
    if lock is not None and day <= lock:
        day = lock + dt.timedelta(days=1)
    for _ in range(1200):  # 100 years of closed months is a configuration error, not a loop
        if f"{day.year:04d}-{day.month:02d}" not in closed_months:
            return day
        day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    raise ItemFailed(ItemFailureReasonType.CLOSED_PERIOD, "no open period within 100 years")


# --------------------------------------------------------------------------- 9


def resolve_posting_status(run: ExportRun, work: ItemWork) -> None:
    """Stage 9: ``post_as_draft`` true → draft, false → finalised, absent (unknown) → draft."""
    assert run.config is not None
    work.posting_status = _FINALISED if run.config.post_as_draft is False else _DRAFT


# --------------------------------------------------------------------------- 10


def create_entries(run: ExportRun, works: Sequence[ItemWork]) -> None:
    """Stage 10: post the entries of a batch of items unless the target already holds them — the target
    is asked by key first, so a re-run never posts twice. The batch is one ``post`` (one durable write);
    if the ledger refuses it, the batch is split in halves until the refused items are alone, so that
    only they fail (``accounting_system_validation_failure``). Attachments of an entry found already
    posted are attached idempotently. An unreachable or misconfigured ledger fails the job."""
    assert run.target is not None
    target = run.target
    try:
        found = _existing(target, [entry.key for work in works for entry in work.entries])
        statuses = set()
        for work in works:
            statuses.add(work.posting_status)
            for entry in work.entries:
                if not found[entry.key]:
                    work.already_posted = False
                    break
            else:
                work.already_posted = True
        if run.dry_run:
            for work in works:
                work.external_ids = [found[e.key] or "" for e in work.entries]
            return
        posted: dict[str, str] = {}
        for status in statuses:
            group = works if len(statuses) == 1 else [w for w in works if w.posting_status is status]
            _post_isolating(target, group, found, status, posted)
        for work in works:
            if work.failure is not None:
                continue
            external_ids = work.external_ids
            external_ids.clear()
            for entry in work.entries:
                known = found[entry.key]
                external_ids.append(known or posted[entry.key])
                if known is not None and entry.attachments:  # posted before: attach its files (idempotent)
                    target.attach(entry.key, entry.attachments)
    except TargetUnreachable as exc:
        raise JobFailed(JobFailureReasonType.ACCOUNTING_SYSTEM_UNREACHABLE, f"target: {exc}") from None
    except TargetMisconfigured as exc:
        raise JobFailed(JobFailureReasonType.INVALID_CONFIGURATION, f"target: {exc}") from None


def _existing(target: Target, keys: list[str]) -> dict[str, str | None]:
    """Key → external id of the entry already in the target (``None``: not posted). One question for the
    whole batch when the target offers ``exists_many``, else ``exists`` per key."""
    many = getattr(target, "exists_many", None)
    if many is not None:
        return many(keys)  # type: ignore[no-any-return]
    return {key: target.exists(key) for key in keys}


def _post_isolating(target: Target, group: Sequence[ItemWork], found: dict[str, str | None],
                    status: PostingStatus, posted: dict[str, str]) -> None:
    """Post the entries of ``group`` not ``found`` in the target in one ``post``. If the ledger refuses it,
    the group is split in halves and each half posted again, down to single items: only the refused
    items fail (``accounting_system_validation_failure``), every other item is posted — with about
    2·log2(n) extra posts per refused item instead of one post per item."""
    fresh = [e for w in group for e in w.entries if found[e.key] is None]
    if not fresh:
        return
    try:
        posted.update(zip([e.key for e in fresh], target.post(fresh, status)))
    except (TargetUnreachable, TargetMisconfigured):
        raise
    except TargetError as exc:
        if len(group) == 1:
            group[0].failure = _refused(exc)
            return
        middle = len(group) // 2
        _post_isolating(target, group[:middle], found, status, posted)
        _post_isolating(target, group[middle:], found, status, posted)


def _refused(exc: TargetError) -> ItemFailed:
    reason = (ItemFailureReasonType(exc.reason_type)
              if exc.reason_type in ItemFailureReasonType.__members__.values()
              else ItemFailureReasonType.ACCOUNTING_SYSTEM_VALIDATION_FAILURE)
    return ItemFailed(reason, f"target refused: {exc}")


# --------------------------------------------------------------------------- 11


def update_item_status(run: ExportRun, works: Sequence[ItemWork]) -> int:
    """Stage 11: record each item's result at once — right after its batch was written — as
    ``successful`` with its external id(s) or ``failed`` with reason and type, with the stages it went
    through in the audit log. Returns how many results were recorded (fewer when the claim was lost
    meanwhile: those results belong to the worker that took the job over)."""
    if run.dry_run or not works:
        return 0
    outcomes = [
        repository.ItemOutcome(
            work.item.id, ItemStatus.FAILED if work.failure else ItemStatus.SUCCESSFUL,
            None if work.failure else ",".join(work.external_ids),
            work.failure.message if work.failure else None,
            work.failure.reason_type.value if work.failure else None)
        for work in works
    ]
    with run.db.begin() as conn:
        recorded = set(repository.set_item_results(conn, run.org_id, run.job_id, outcomes,
                                                   claim_token=run.claim.claim_token if run.claim else None))
        audit: list[dict[str, object]] = []
        for work, outcome in zip(works, outcomes):
            if work.item.id not in recorded:
                continue
            audit += [dict(org_id=run.org_id, actor=run.actor, action=f"export.stage.{stage}", entity="export_item",
                           entity_id=work.item.id, detail={"job_id": run.job_id}) for stage in work.stages]
            audit.append(dict(org_id=run.org_id, actor=run.actor, action="export.stage.update_item_status",
                              entity="export_item", entity_id=work.item.id,
                              detail={"job_id": run.job_id, "status": outcome.status.value,
                                      "failure_reason_type": outcome.failure_reason_type,
                                      "external_id": outcome.external_id}))
        record_many(conn, audit)
    return len(recorded)


# --------------------------------------------------------------------------- 12


def update_job_status(run: ExportRun, failure: JobFailed | None = None) -> JobStatus | None:
    """Stage 12: exactly one final event — all items successful → ``completed``; some failed →
    ``completed_with_errors``; an unrecoverable error → ``failed`` (open items ``abandoned``)."""
    if run.dry_run:
        return None
    with run.db.begin() as conn:
        reason: str | None
        if failure is not None:
            event, reason, reason_type = JobEventType.FAILED, failure.message, failure.reason_type
        else:
            counts = repository.item_counts(conn, run.org_id, run.job_id)
            if counts.get(ItemStatus.PENDING, 0) or counts.get(ItemStatus.IN_PROGRESS, 0):
                return None  # claim lost: the worker that took over finishes the job
            failed = counts.get(ItemStatus.FAILED, 0)
            event = JobEventType.COMPLETED_WITH_ERRORS if failed else JobEventType.COMPLETED
            reason = f"{failed} item(s) failed" if failed else None
            reason_type = None
        try:
            repository.apply_event(conn, run.org_id, run.job_id, event, actor=run.actor, failure_reason=reason,
                                   failure_reason_type=reason_type,
                                   claim_token=run.claim.claim_token if run.claim else None)
        except repository.ExportError:
            return None
        if run.claim is not None:
            release(conn, run.claim)
        record(conn, org_id=run.org_id, actor=run.actor, action="export.stage.update_job_status",
               entity="export_job", entity_id=run.job_id,
               detail={"status": event.value, "failure_reason_type": reason_type.value if reason_type else None})
    return JobStatus(event.value)
