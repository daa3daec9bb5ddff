"""Stages 4–9 on single items: bookkeeping method, accounts, data mapping (VAT, currency), periods,
posting status. Pure logic against an in-memory target; the real ledgers are in the end-to-end tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ledgerlink.export.config import parse_config
from ledgerlink.export.ledger import EntryKind, PostingStatus
from ledgerlink.export.model import ITEM, BookkeepingMethod, ItemFailureReasonType, ItemType
from ledgerlink.export.stages import (
    METHOD_BY_TYPE,
    STAGES,
    ExportRun,
    ItemFailed,
    ItemWork,
    apply_accounting_period,
    first_open_day,
    map_accounts,
    map_data,
    resolve_bookkeeping_method,
    resolve_posting_status,
)
from tests.export.helpers import MemoryTarget, config, item


def _run(target: MemoryTarget | None = None, **cfg: Any) -> ExportRun:
    run = ExportRun(db=None, org_id="org", job_id="job", integration="books", claim=None)  # type: ignore[arg-type]
    run.config = parse_config(config(**cfg))
    run.target = target or MemoryTarget()
    run.target_lock = run.target.lock_date()
    return run


def _work(run: ExportRun, **overrides: Any) -> ItemWork:
    work = ItemWork(ITEM.validate_python(item(**overrides)))
    resolve_bookkeeping_method(run, work)
    map_accounts(run, work)
    map_data(run, work)
    return work


def _postings(entry: Any) -> list[tuple[str, Decimal]]:
    return [(p.account, p.amount) for p in entry.postings]


def test_stage_names_are_the_twelve_of_the_issue_in_order() -> None:
    assert STAGES == ("detect_and_claim", "validate_pre_export", "fetch_item_data", "resolve_bookkeeping_method",
                      "map_accounts", "map_data", "fetch_attachments", "apply_accounting_period",
                      "resolve_posting_status", "create_entries", "update_item_status", "update_job_status")


def test_every_item_type_has_a_derived_method() -> None:
    assert set(METHOD_BY_TYPE) == set(ItemType)
    assert METHOD_BY_TYPE[ItemType.INVOICE] is BookkeepingMethod.ACCOUNTS_PAYABLE
    assert METHOD_BY_TYPE[ItemType.WALLET_TOPUP] is BookkeepingMethod.NONE
    assert METHOD_BY_TYPE[ItemType.CARD_PURCHASE] is BookkeepingMethod.JOURNAL


def test_stated_method_wins_over_the_type() -> None:
    run = _run()
    work = ItemWork(ITEM.validate_python(item(bookkeeping={"method": "accounts_payable"})))
    resolve_bookkeeping_method(run, work)
    assert work.method is BookkeepingMethod.ACCOUNTS_PAYABLE


def test_inclusive_vat_journal_splits_net_and_input_vat() -> None:
    work = _work(_run())
    [entry] = work.entries
    assert entry.kind is EntryKind.JOURNAL and entry.key == "it-1"
    assert _postings(entry) == [("Expenses:Travel", Decimal("100.00")), ("Assets:VAT:Input19", Decimal("19.00")),
                                ("Assets:Wallet", Decimal("-119.00"))]
    assert entry.description == "Deutsche Bahn — Train to Hamburg"
    assert ("reconciliation_id", "rec-it-1") in entry.metadata and entry.item_id == "it-1"


def test_exclusive_vat_adds_vat_on_top() -> None:
    work = _work(_run(), amount={"value": "107.00", "currency": "EUR"},
                 lines=[{"line_amount": "100.00", "account": {"name": "Expenses:Office"},
                         "tax": {"code": "R7", "rate": "7", "type": "exclusive"}}])
    assert _postings(work.entries[0]) == [("Expenses:Office", Decimal("100.00")),
                                          ("Assets:VAT:Input7", Decimal("7.00")),
                                          ("Assets:Wallet", Decimal("-107.00"))]


def test_reverse_charge_posts_both_sides_and_pays_the_net() -> None:
    work = _work(_run(), amount={"value": "200.00", "currency": "EUR"},
                 supplier={"name": "Figma", "country": "US"},
                 lines=[{"line_amount": "200.00", "account": {"code": "6837"},
                         "tax": {"code": "S19", "rate": "19", "type": "reverse"}}])
    assert _postings(work.entries[0]) == [("Expenses:Software", Decimal("200.00")),
                                          ("Assets:VAT:Input19", Decimal("38.00")),
                                          ("Liabilities:VAT:Output19", Decimal("-38.00")),
                                          ("Assets:Wallet", Decimal("-200.00"))]
    assert work.entries[0].imbalance() == {}


def test_given_tax_amount_is_used_as_is_and_rounding_is_half_up() -> None:
    work = _work(_run(), amount={"value": "10.00", "currency": "EUR"},
                 lines=[{"line_amount": "10.00", "account": {"code": "6110"},
                         "tax": {"code": "S19", "rate": "19", "type": "inclusive"}}])
    # 10 × 19 / 119 = 1.5966… → 1.60
    assert _postings(work.entries[0])[:2] == [("Expenses:Travel", Decimal("8.40")),
                                              ("Assets:VAT:Input19", Decimal("1.60"))]
    work = _work(_run(), amount={"value": "10.00", "currency": "EUR"},
                 lines=[{"line_amount": "10.00", "account": {"code": "6110"},
                         "tax": {"code": "S19", "type": "inclusive", "amount": "1.59"}}])
    assert _postings(work.entries[0])[:2] == [("Expenses:Travel", Decimal("8.41")),
                                              ("Assets:VAT:Input19", Decimal("1.59"))]


def test_refund_with_negative_amounts_reverses_the_purchase() -> None:
    work = _work(_run(), type="refund", amount={"value": "-119.00", "currency": "EUR"},
                 lines=[{"line_amount": "-119.00", "account": {"code": "6110"},
                         "tax": {"code": "S19", "rate": "19", "type": "inclusive"}}])
    assert _postings(work.entries[0]) == [("Expenses:Travel", Decimal("-100.00")),
                                          ("Assets:VAT:Input19", Decimal("-19.00")),
                                          ("Assets:Wallet", Decimal("119.00"))]


def test_reimbursement_is_credited_to_out_of_pocket_and_contra_account_overrides() -> None:
    work = _work(_run(), type="reimbursement")
    assert work.entries[0].postings[-1].account == "Liabilities:OutOfPocket"
    work = _work(_run(), contra_account="1800")
    assert work.entries[0].postings[-1].account == "Assets:Bank"


def test_wallet_topup_debits_wallet_and_credits_contra() -> None:
    work = _work(_run(), type="wallet_topup", lines=[], amount={"value": "500.00", "currency": "EUR"})
    assert work.method is BookkeepingMethod.NONE
    assert _postings(work.entries[0]) == [("Assets:Wallet", Decimal("500.00")), ("Assets:Bank", Decimal("-500.00"))]


def test_accounts_payable_invoice_paid_gives_bill_and_payment_on_vendor_account() -> None:
    work = _work(_run(), type="invoice", vendor={"code": "70001"}, supplier={"name": "Acme GmbH"},
                 additional_information={"invoice_information": {"invoice_number": "A-17", "paid": True,
                                                                 "payment_date": "2026-03-20"}})
    bill, payment = work.entries
    assert (bill.key, bill.kind, payment.key, payment.kind) == ("it-1/bill", EntryKind.BILL, "it-1/payment",
                                                                EntryKind.PAYMENT)
    assert _postings(bill)[-1] == ("Liabilities:Payable:Acme", Decimal("-119.00"))
    assert _postings(payment) == [("Liabilities:Payable:Acme", Decimal("119.00")), ("Assets:Wallet", Decimal("-119.00"))]
    assert payment.date == dt.date(2026, 3, 20) and bill.date == dt.date(2026, 3, 10)
    assert ("invoice_number", "A-17") in bill.metadata


def test_unpaid_invoice_is_a_bill_only_and_unknown_vendor_uses_fallback() -> None:
    work = _work(_run(), type="invoice", vendor={"code": "99999"})
    assert [e.kind for e in work.entries] == [EntryKind.BILL]
    assert work.entries[0].postings[-1].account == "Liabilities:Payable"


def test_invoice_payment_is_a_payment_entry_only() -> None:
    work = _work(_run(), type="invoice_payment", lines=[], vendor={"code": "70001"})
    [payment] = work.entries
    assert payment.key == "it-1/payment"
    assert _postings(payment) == [("Liabilities:Payable:Acme", Decimal("119.00")), ("Assets:Wallet", Decimal("-119.00"))]


@pytest.mark.parametrize(
    ("overrides", "cfg", "reason", "path"),
    [
        ({"lines": [{"line_amount": "119.00", "account": {"code": "4711"}}]}, {}, "account_unknown", "lines[0].account"),
        ({}, {"accounts": {"wallet": "0000", "vat": {"S19": {"input": "1576"}}}}, "account_unknown", "accounts.wallet"),
        ({"lines": [{"line_amount": "119.00", "account": {"code": "6110"},
                     "tax": {"code": "X9", "rate": "19", "type": "inclusive"}}]}, {}, "tax_code_unknown",
         "lines[0].tax.code"),
        ({"lines": [{"line_amount": "119.00", "account": {"code": "6110"},
                     "tags": [{"group_code": "region", "code": "north"}]}]}, {}, "tag_unknown",
         "lines[0].tags[0].group_code"),
        ({"lines": [{"line_amount": "119.00", "account": {"code": "6110"},
                     "tags": [{"group_code": "dept", "code": "legal"}]}]}, {}, "tag_unknown", "lines[0].tags[0].code"),
        ({"type": "invoice", "vendor": {"code": "55555"}},
         {"accounts": {"wallet": "1200", "vat": {"S19": {"input": "1576"}}}}, "vendor_unknown", "vendor.code"),
        ({"amount": {"value": "119.00", "currency": "USD"}}, {"currency": "EUR"}, "currency_unsupported",
         "amount.currency"),
    ],
)
def test_bad_items_fail_with_their_reason_type(overrides: dict[str, Any], cfg: dict[str, Any], reason: str,
                                               path: str) -> None:
    with pytest.raises(ItemFailed) as failed:
        _work(_run(**cfg), **overrides)
    assert failed.value.reason_type is ItemFailureReasonType(reason)
    assert failed.value.message.startswith(path)


@pytest.mark.parametrize(("account", "words"), [
    ({"code": "4711"}, "no account with code '4711' in the memory chart"),
    ({"name": "Expenses:Nowhere"}, "no account with name 'Expenses:Nowhere' in the memory chart"),
    ({"code": "4711", "name": "Nowhere"}, "no account with code '4711' or name 'Nowhere' in the memory chart"),
])
def test_an_unknown_line_account_is_named_as_it_was_given(account: dict[str, str], words: str) -> None:
    with pytest.raises(ItemFailed) as failed:
        _work(_run(), lines=[{"line_amount": "119.00", "account": account}])
    assert failed.value.message == f"lines[0].account: {words}"


def test_tags_become_the_targets_dimension_names() -> None:
    work = _work(_run(), lines=[{"line_amount": "119.00", "account": {"code": "6110"},
                                 "tags": [{"group_code": "dept", "code": "sales"}, {"group_code": "proj", "code": "P1"}]}])
    assert work.entries[0].postings[0].tags == (("department", "sales"), ("project", "P1"))


def test_foreign_currency_is_converted_with_wallet_amount_and_balances_exactly() -> None:
    work = _work(_run(currency="EUR"), amount={"value": "100.00", "currency": "USD"},
                 wallet_amount={"value": "91.37", "currency": "EUR"},
                 lines=[{"line_amount": "33.33", "account": {"code": "6110"}},
                        {"line_amount": "33.33", "account": {"code": "6815"}},
                        {"line_amount": "33.34", "account": {"code": "6837"}}])
    entry = work.entries[0]
    assert entry.imbalance() == {}
    assert all(p.currency == "EUR" for p in entry.postings)
    assert entry.postings[-1].amount == Decimal("-91.37")
    assert sum(p.amount for p in entry.postings[:-1]) == Decimal("91.37")


def test_closed_period_fail_and_move_to_next_open() -> None:
    run = _run(closed_period={"strategy": "fail", "lock_date": "2026-03-31"})
    work = _work(run)
    with pytest.raises(ItemFailed) as failed:
        apply_accounting_period(run, work)
    assert failed.value.reason_type is ItemFailureReasonType.CLOSED_PERIOD
    run = _run(closed_period={"strategy": "move_to_next_open", "lock_date": "2026-03-31", "closed_months": ["2026-04"]})
    work = _work(run, service_period={"from": "2026-01-01", "to": "2026-01-31"})
    apply_accounting_period(run, work)
    assert work.entries[0].date == dt.date(2026, 5, 1)
    assert ("original_date", "2026-03-10") in work.entries[0].metadata


def test_the_targets_own_lock_counts_and_service_period_never_moves_the_date() -> None:
    run = _run(MemoryTarget(lock=dt.date(2026, 3, 15)), closed_period={"strategy": "move_to_next_open"})
    work = _work(run)
    apply_accounting_period(run, work)
    assert work.entries[0].date == dt.date(2026, 3, 16)
    run = _run()
    work = _work(run, service_period={"from": "2025-01-01", "to": "2025-12-31"})
    apply_accounting_period(run, work)
    assert work.entries[0].date == dt.date(2026, 3, 10)


def test_first_open_day_skips_consecutive_closed_months() -> None:
    assert first_open_day(dt.date(2026, 1, 5), None, {"2026-01", "2026-02"}) == dt.date(2026, 3, 1)
    assert first_open_day(dt.date(2026, 1, 5), None, set()) == dt.date(2026, 1, 5)


@pytest.mark.parametrize(("setting", "expected"), [(True, PostingStatus.DRAFT), (False, PostingStatus.FINALISED),
                                                    (None, PostingStatus.DRAFT)])
def test_posting_status_from_post_as_draft(setting: bool | None, expected: PostingStatus) -> None:
    cfg = config()
    if setting is None:
        cfg.pop("post_as_draft")
    else:
        cfg["post_as_draft"] = setting
    run = _run()
    run.config = parse_config(cfg)
    work = _work(run)
    resolve_posting_status(run, work)
    assert work.posting_status is expected


def test_a_zero_inclusive_vat_still_gives_the_net_amount_in_cents() -> None:
    """inclusive → expense ``line_amount − VAT`` even when the VAT rounds to ``0.00`` (the Decimal keeps cents)."""
    work = _work(_run(), amount={"value": "100", "currency": "EUR"},
                 lines=[{"line_amount": "100", "account": {"code": "6110"},
                         "tax": {"code": "S19", "rate": "0", "type": "inclusive"}}])
    [entry] = work.entries
    assert [(p.account, str(p.amount)) for p in entry.postings] == [("Expenses:Travel", "100.00"),
                                                                   ("Assets:Wallet", "-100")]
