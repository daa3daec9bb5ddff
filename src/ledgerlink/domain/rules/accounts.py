"""ledgerlink's own rules for account documents: statements (``LL-ST-*``) and ledger updates (``LL-LU-*``).

Like the EN 16931 rules they compare the document's stated balances with the sums of its parts,
exactly (no tolerance: balances are carried over, not computed with rates).
"""

from __future__ import annotations

from collections.abc import Sequence

from ledgerlink.domain.codes import is_currency
from ledgerlink.domain.documents import LedgerUpdate, Statement
from ledgerlink.domain.money import ZERO
from ledgerlink.domain.rules.registry import OK, Applies, rule, violation
from ledgerlink.domain.violations import Violation

# --------------------------------------------------------------------------- statements


@rule(
    "LL-ST-01",
    "A statement's closing balance shall equal its opening balance plus the debits minus the credits of its "
    "transactions.",
    applies=Applies.STATEMENT,
)
def ll_st_01(doc: Statement, f: None) -> Sequence[Violation]:
    expected = doc.opening_balance
    for tx in doc.transactions:
        expected += tx.debit - tx.credit
    if doc.closing_balance != expected:
        return (violation("LL-ST-01", "closing_balance", expected, doc.closing_balance),)
    return OK


@rule(
    "LL-ST-02",
    "A statement's ageing buckets, when given, shall add up to its closing balance.",
    applies=Applies.STATEMENT,
)
def ll_st_02(doc: Statement, f: None) -> Sequence[Violation]:
    if not doc.ageing:
        return OK
    total = sum((bucket.amount for bucket in doc.ageing), ZERO)
    if total != doc.closing_balance:
        return (violation("LL-ST-02", "ageing", doc.closing_balance, total),)
    return OK


@rule(
    "LL-ST-03",
    "Each statement transaction shall have exactly one of debit and credit different from zero.",
    applies=Applies.STATEMENT,
)
def ll_st_03(doc: Statement, f: None) -> Sequence[Violation]:
    out = []
    for i, tx in enumerate(doc.transactions):
        debit, credit = tx.debit != ZERO, tx.credit != ZERO
        if debit == credit:
            found = f"debit {tx.debit}, credit {tx.credit}"
            out.append(
                violation("LL-ST-03", f"transactions[{i}]", "exactly one of debit/credit non-zero", found)
            )
    return out


@rule("LL-ST-04", "A statement's currency shall be an ISO 4217 alpha-3 code.", applies=Applies.STATEMENT)
def ll_st_04(doc: Statement, f: None) -> Sequence[Violation]:
    return (
        OK
        if is_currency(doc.currency)
        else (violation("LL-ST-04", "currency", "an ISO 4217 code", doc.currency),)
    )


# --------------------------------------------------------------------------- ledger updates


@rule(
    "LL-LU-01",
    "A debtor position's balance shall equal the sum of its open items' outstanding amounts.",
    applies=Applies.LEDGER_UPDATE,
)
def ll_lu_01(doc: LedgerUpdate, f: None) -> Sequence[Violation]:
    out = []
    for i, pos in enumerate(doc.positions):
        total = sum((item.outstanding_amount for item in pos.open_items), ZERO)
        if total != pos.balance:
            out.append(violation("LL-LU-01", f"positions[{i}].balance", total, pos.balance))
    return out


@rule(
    "LL-LU-02",
    "An open item's outstanding amount shall not exceed its original amount when the original is positive.",
    applies=Applies.LEDGER_UPDATE,
)
def ll_lu_02(doc: LedgerUpdate, f: None) -> Sequence[Violation]:
    out = []
    for i, pos in enumerate(doc.positions):
        for j, item in enumerate(pos.open_items):
            if item.original_amount > ZERO and item.outstanding_amount > item.original_amount:
                out.append(
                    violation(
                        "LL-LU-02",
                        f"positions[{i}].open_items[{j}].outstanding_amount",
                        f"<= {item.original_amount}",
                        item.outstanding_amount,
                    )
                )
    return out


@rule(
    "LL-LU-03",
    "Each customer account shall appear in at most one position of a ledger update.",
    applies=Applies.LEDGER_UPDATE,
)
def ll_lu_03(doc: LedgerUpdate, f: None) -> Sequence[Violation]:
    first: dict[str, int] = {}
    out = []
    for i, pos in enumerate(doc.positions):
        seen = first.setdefault(pos.customer_account, i)
        if seen != i:
            out.append(
                violation(
                    "LL-LU-03",
                    f"positions[{i}].customer_account",
                    f"unique (already at positions[{seen}])",
                    pos.customer_account,
                )
            )
    return out


@rule(
    "LL-LU-04", "A ledger update's currency shall be an ISO 4217 alpha-3 code.", applies=Applies.LEDGER_UPDATE
)
def ll_lu_04(doc: LedgerUpdate, f: None) -> Sequence[Violation]:
    return (
        OK
        if is_currency(doc.currency)
        else (violation("LL-LU-04", "currency", "an ISO 4217 code", doc.currency),)
    )
