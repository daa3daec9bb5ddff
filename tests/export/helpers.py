"""Shared test helpers for the export engine: item builders and a small in-memory target.

The in-memory target is for unit tests of the engine's own logic only; the end-to-end tests use the
real beancount and hledger targets, checked by ``bean-check`` / ``hledger check``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from ledgerlink.export.ledger import AttachmentFile, Entry, PostingStatus
from ledgerlink.export.targets.base import LedgerAccount, TargetRejected, TargetUnreachable

CHART = {
    "Assets:Wallet": "1200",
    "Assets:Bank": "1800",
    "Liabilities:OutOfPocket": "1590",
    "Liabilities:Payable": "1600",
    "Liabilities:Payable:Acme": "70001",
    "Expenses:Travel": "6110",
    "Expenses:Office": "6815",
    "Expenses:Software": "6837",
    "Assets:VAT:Input19": "1576",
    "Assets:VAT:Input7": "1571",
    "Liabilities:VAT:Output19": "1776",
    "Equity:Opening": "9000",
}


class MemoryTarget:
    """An in-memory ledger implementing the Target protocol (unit tests only)."""

    kind = "memory"

    def __init__(self, chart: dict[str, str] | None = None, lock: dt.date | None = None):
        self.accounts = dict(CHART if chart is None else chart)
        self.lock = lock
        self.posted: dict[str, tuple[Entry, PostingStatus]] = {}
        self.attached: dict[str, list[str]] = {}
        self.post_calls = 0
        self.reject_keys: set[str] = set()
        self.unreachable = False
        self.explode_on: set[str] = set()

    def check(self) -> None:
        if self.unreachable:
            raise TargetUnreachable("memory ledger switched off")

    def chart(self) -> list[LedgerAccount]:
        return [LedgerAccount(name, code, None, None) for name, code in self.accounts.items()]

    def find_account(self, code_or_name: str) -> LedgerAccount | None:
        for name, code in self.accounts.items():
            if code_or_name in (name, code):
                return LedgerAccount(name, code, None, None)
        return None

    def lock_date(self) -> dt.date | None:
        return self.lock

    def exists(self, key: str) -> str | None:
        if self.unreachable:
            raise TargetUnreachable("memory ledger switched off")
        return f"mem:{key}" if key in self.posted else None

    def post(self, entries: Sequence[Entry], status: PostingStatus) -> list[str]:
        self.post_calls += 1
        for entry in entries:
            if entry.item_id in self.explode_on:
                raise RuntimeError("simulated bug in a target")
            if entry.key in self.reject_keys:
                raise TargetRejected("the ledger refuses this entry", key=entry.key)
            if entry.imbalance():
                raise TargetRejected("unbalanced", key=entry.key)
        for entry in entries:
            if entry.key not in self.posted:
                self.posted[entry.key] = (entry, status)
                self.attached[entry.key] = [a.sha256 for a in entry.attachments]
        return [f"mem:{e.key}" for e in entries]

    def attach(self, key: str, files: Sequence[AttachmentFile]) -> list[str]:
        done = self.attached.setdefault(key, [])
        for f in files:
            if f.sha256 not in done:
                done.append(f.sha256)
        return [f"mem:{key}:{f.sha256[:8]}" for f in files]

    def render(self, entries: Sequence[Entry], status: PostingStatus) -> str:
        return "\n".join(f"{e.date} {status.value} {e.key} " + " ".join(f"{p.account}={p.amount}" for p in e.postings)
                         for e in entries)


def item(item_id: str = "it-1", **overrides: Any) -> dict[str, Any]:
    """A card purchase of 119.00 EUR (100 net + 19 VAT inclusive) on Expenses:Travel."""
    body: dict[str, Any] = {
        "id": item_id,
        "type": "card_purchase",
        "date": "2026-03-10",
        "note": "Train to Hamburg",
        "amount": {"value": "119.00", "currency": "EUR"},
        "lines": [
            {"line_amount": "119.00", "account": {"code": "6110"},
             "tax": {"code": "S19", "rate": "19", "type": "inclusive"}},
        ],
        "supplier": {"name": "Deutsche Bahn", "code": "DB"},
        "additional_information": {"reconciliation_id": f"rec-{item_id}"},
    }
    body.update(overrides)
    return body


def config(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "target": {"kind": "beancount", "path": "/nonexistent/ledger.beancount"},
        "post_as_draft": False,
        "accounts": {
            "wallet": "1200",
            "out_of_pocket": "1590",
            "contra": "1800",
            "fallback_payable": "1600",
            "vat": {"S19": {"input": "1576", "output": "1776"}, "R7": {"input": "1571"}},
        },
        "dimensions": {"dept": {"name": "department", "values": ["sales", "ops"]}, "proj": {"name": "project"}},
        "closed_period": {"strategy": "fail"},
    }
    body.update(overrides)
    return body


def make_org(db: Any, name: str = "org", integration: dict[str, Any] | None = None) -> str:
    """A new organisation with the integration ``books``."""
    from ledgerlink.export import repository
    from ledgerlink.services import tenancy

    with db.begin() as conn:
        org_id = tenancy.create_organisation(conn, name, actor="test")
        repository.put_integration(conn, org_id, "books", integration or config())
    return org_id


def make_job(db: Any, org_id: str, items: Sequence[dict[str, Any]]) -> str:
    """Submit the items and create a pending job over them; returns the job id."""
    from ledgerlink.export import repository
    from ledgerlink.export.model import ITEM

    with db.begin() as conn:
        repository.put_items(conn, org_id, [ITEM.validate_python(i) for i in items])
        job = repository.create_job(conn, org_id, integration="books", item_ids=[i["id"] for i in items],
                                    actor="test")
    return job.id
