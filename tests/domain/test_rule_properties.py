"""Property tests: generated valid documents pass; one perturbation triggers its rule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerlink.domain.documents import DebtorPosition, OpenItem, StatementTransaction, TransactionType
from ledgerlink.domain.rules import check
from tests.domain.factories import (
    make_allowance,
    make_charge,
    make_invoice,
    make_ledger_update,
    make_line,
    make_statement,
    set_path,
)

amounts = st.decimals(min_value=D("-99999.99"), max_value=D("99999.99"), places=2)
positive = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)
categories = st.sampled_from(
    [("S", D("19")), ("S", D("7")), ("S", D("25.0")), ("S", D("5.5")), ("Z", D("0")), ("E", D("0"))]
)


@st.composite
def lines(draw: st.DrawFn) -> list:
    count = draw(st.integers(min_value=1, max_value=12))
    out = []
    for i in range(count):
        cat, rate = draw(categories)
        out.append(
            make_line(
                id=str(i + 1),
                net_amount=draw(amounts),
                net_price=draw(positive),
                vat_category=cat,
                vat_rate=rate,
            )
        )
    return out


@settings(max_examples=150, deadline=None)
@given(lines(), st.lists(positive, max_size=3), st.lists(positive, max_size=3))
def test_generated_invoice_from_random_lines_passes(ls: list, allowances: list, charges: list) -> None:
    doc = make_invoice(
        lines=ls,
        allowances=[make_allowance(amount=a) for a in allowances],
        charges=[make_charge(amount=c) for c in charges],
    )
    assert check(doc) == []


@settings(max_examples=150, deadline=None)
@given(lines(), st.decimals(min_value=D("-1000"), max_value=D("1000"), places=2).filter(lambda d: d != 0))
def test_perturbing_the_amount_due_triggers_br_co_16(ls: list, delta: D) -> None:
    doc = make_invoice(lines=ls)
    broken = set_path(doc, "totals.payable_amount", doc.totals.payable_amount + delta)
    found = check(broken)
    assert [v.rule for v in found] == ["BR-CO-16"]
    assert found[0].expected == str(doc.totals.payable_amount) and found[0].found == str(
        broken.totals.payable_amount
    )


@settings(max_examples=100, deadline=None)
@given(lines(), st.decimals(min_value=D("1.00"), max_value=D("500"), places=2))
def test_vat_off_by_one_unit_or_more_triggers_br_co_17(ls: list, delta: D) -> None:
    doc = make_invoice(lines=[make_line(vat_category="S", vat_rate=D("19"), net_amount=D("100.00"))] + ls)
    broken = set_path(doc, "vat_breakdown[0].tax_amount", doc.vat_breakdown[0].tax_amount + delta)
    assert "BR-CO-17" in {v.rule for v in check(broken)}


@settings(max_examples=100, deadline=None)
@given(amounts, st.lists(st.tuples(st.booleans(), positive), max_size=10))
def test_statement_balances(opening: D, moves: list) -> None:
    txs = tuple(
        StatementTransaction(
            date=dt.date(2024, 3, 1),
            type=TransactionType.ADJUSTMENT,
            reference=f"T{i}",
            **({"debit": amt} if is_debit else {"credit": amt}),
        )
        for i, (is_debit, amt) in enumerate(moves)
    )
    closing = opening + sum((t.debit - t.credit for t in txs), D(0))
    doc = make_statement(opening_balance=opening, transactions=txs, closing_balance=closing, ageing=())
    assert check(doc) == []
    assert [v.rule for v in check(set_path(doc, "closing_balance", closing + D("0.01")))] == ["LL-ST-01"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(positive, min_size=1, max_size=5), min_size=1, max_size=5))
def test_ledger_positions_balance(position_items: list) -> None:
    positions = tuple(
        DebtorPosition(
            customer_account=f"C{i}",
            balance=sum(items, D(0)),
            open_items=tuple(
                OpenItem(
                    document_number=f"I{i}-{j}",
                    issue_date=dt.date(2024, 1, 1),
                    original_amount=a,
                    outstanding_amount=a,
                )
                for j, a in enumerate(items)
            ),
        )
        for i, items in enumerate(position_items)
    )
    doc = make_ledger_update(positions=positions)
    assert check(doc) == []
    broken = set_path(doc, "positions[0].balance", positions[0].balance + D("1"))
    (v,) = check(broken)
    assert (v.rule, v.path, v.expected) == ("LL-LU-01", "positions[0].balance", str(positions[0].balance))
