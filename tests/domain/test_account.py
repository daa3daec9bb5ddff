"""The customer account rules, as pure functions (no store)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ledgerlink.demo import demo_documents
from ledgerlink.domain.account import LedgerBase, build_account
from ledgerlink.domain.documents import CreditNote, Invoice, OpenItem

TODAY = dt.date(2026, 11, 21)


def invoice(number: str, amount: str, due: dt.date | None) -> Invoice:
    base = next(d for d in demo_documents() if isinstance(d, Invoice))
    totals = base.totals.model_copy(update={"payable_amount": Decimal(amount)})
    return base.model_copy(update={"number": number, "totals": totals, "due_date": due})


def test_no_ledger_base_sums_documents_with_credit_notes_negative() -> None:
    inv = invoice("I1", "100.00", TODAY)
    credit = CreditNote(**{**invoice("C1", "30.00", None).model_dump(exclude={"kind", "type_code"})})
    account = build_account(None, [inv, credit], today=TODAY)
    assert account.balance == Decimal("70.00")
    assert {i.document_number: i.outstanding_amount for i in account.open_items} == {
        "I1": Decimal("100.00"), "C1": Decimal("-30.00")}
    assert account.ageing["current"] == Decimal("70.00")


def test_ledger_base_covers_documents_issued_on_or_before_its_date() -> None:
    base = LedgerBase(
        as_of=dt.date(2026, 10, 31),
        balance=Decimal("50"),
        credit_limit=Decimal("500"),
        open_items=(
            OpenItem(
                document_number="I1",
                issue_date=dt.date(2026, 10, 1),
                due_date=dt.date(2026, 10, 31),
                original_amount=Decimal("100"),
                outstanding_amount=Decimal("50"),
            ),
        ),
    )
    early = invoice("I0", "999.00", None)  # issued before the ledger date, not open there: paid
    known = invoice("I1", "100.00", None).model_copy(update={"issue_date": dt.date(2026, 11, 5)})  # never twice
    late = invoice("I2", "20.00", TODAY - dt.timedelta(days=40)).model_copy(
        update={"issue_date": dt.date(2026, 11, 1)})
    account = build_account(
        base,
        [
            early,
            known,
            late,
        ],
        today=TODAY,
    )
    assert account.balance == Decimal("70")
    assert account.available_credit == Decimal("430")
    assert {i.document_number: i.source for i in account.open_items} == {"I1": "ledger", "I2": "document"}
    assert account.ageing["31-60"] == Decimal("20.00")
    assert account.ageing["1-30"] == Decimal("50")  # I1 is 21 days past due


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-5, max_value=400),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2),
        ),
        max_size=20,
    )
)
def test_ageing_buckets_always_sum_to_the_balance(items: list[tuple[int, Decimal]]) -> None:
    docs = [
        invoice(f"N{i}", str(amount), TODAY - dt.timedelta(days=days))
        for i, (days, amount) in enumerate(items)
    ]
    account = build_account(None, docs, today=TODAY)
    assert sum(account.ageing.values(), Decimal(0)) == account.balance
    assert account.balance == sum((a for _, a in items), Decimal(0))
