"""A customer's account (balance, open items, ageing), computed from what the data centre holds.

Rules:

* The newest ledger update from the accounting system is the base: its balance and open items are
  the truth for every document issued on or before its ``as_of`` date (paid ones are simply absent).
* Invoices and credit notes issued after ``as_of``, and not already among its open items, are added:
  an invoice adds its payable amount, a credit note subtracts it. The order in which documents and
  ledger updates arrive does not change the result.
* Without any ledger update, every current invoice and credit note is an open item.
* Ageing is by days past the due date on ``today`` (an item with no due date counts as current):
  ``current``, ``1-30``, ``31-60``, ``61-90``, ``90+``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ledgerlink.domain.documents import CreditNote, Invoice, OpenItem, TransactionType

AGEING_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("current", 0, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)


@dataclass(frozen=True, slots=True)
class AccountItem:
    document_number: str
    document_kind: str
    issue_date: dt.date
    due_date: dt.date | None
    original_amount: Decimal
    outstanding_amount: Decimal
    source: str  # "ledger" or "document"
    days_overdue: int


@dataclass(frozen=True, slots=True)
class LedgerBase:
    """The newest ledger position of the customer."""

    as_of: dt.date
    balance: Decimal
    credit_limit: Decimal | None
    open_items: tuple[OpenItem, ...]


@dataclass(frozen=True, slots=True)
class CustomerAccount:
    balance: Decimal
    credit_limit: Decimal | None
    available_credit: Decimal | None
    currency: str | None
    as_of: dt.date | None
    open_items: tuple[AccountItem, ...]
    ageing: dict[str, Decimal] = field(default_factory=dict)


def _bucket(days_overdue: int) -> str:
    for label, low, high in AGEING_BUCKETS:
        if days_overdue >= low and (high is None or days_overdue <= high):
            return label
    return AGEING_BUCKETS[0][0]


def _overdue(due: dt.date | None, today: dt.date) -> int:
    return max((today - due).days, 0) if due else 0


def build_account(
    base: LedgerBase | None,
    documents: list[Invoice | CreditNote],
    *,
    today: dt.date,
    currency: str | None = None,
) -> CustomerAccount:
    """The account as it stands now: the ledger base plus what arrived since (see module rules)."""
    items: list[AccountItem] = []
    balance = Decimal("0")
    credit_limit = None
    known_numbers: set[str] = set()
    if base is not None:
        balance = base.balance
        credit_limit = base.credit_limit
        for item in base.open_items:
            known_numbers.add(item.document_number)
            items.append(
                AccountItem(
                    document_number=item.document_number,
                    document_kind=item.document_kind.value,
                    issue_date=item.issue_date,
                    due_date=item.due_date,
                    original_amount=item.original_amount,
                    outstanding_amount=item.outstanding_amount,
                    source="ledger",
                    days_overdue=_overdue(item.due_date, today),
                )
            )
    for doc in sorted(documents, key=lambda d: (d.issue_date, d.number)):
        if doc.number in known_numbers:
            continue
        if base is not None and doc.issue_date <= base.as_of:
            continue
        sign = Decimal("-1") if isinstance(doc, CreditNote) else Decimal("1")
        amount = sign * doc.totals.payable_amount
        due = doc.due_date
        kind = TransactionType.CREDIT_NOTE if isinstance(doc, CreditNote) else TransactionType.INVOICE
        items.append(
            AccountItem(
                document_number=doc.number,
                document_kind=kind.value,
                issue_date=doc.issue_date,
                due_date=due,
                original_amount=amount,
                outstanding_amount=amount,
                source="document",
                days_overdue=_overdue(due, today),
            )
        )
        known_numbers.add(doc.number)
        balance += amount
        currency = currency or doc.currency
    ageing = {label: Decimal("0.00") for label, _, _ in AGEING_BUCKETS}
    for account_item in items:
        ageing[_bucket(account_item.days_overdue)] += account_item.outstanding_amount
    return CustomerAccount(
        balance=balance,
        credit_limit=credit_limit,
        available_credit=None if credit_limit is None else credit_limit - balance,
        currency=currency,
        as_of=base.as_of if base else None,
        open_items=tuple(items),
        ageing=ageing,
    )
