"""Customer accounts read from the store and computed by :mod:`ledgerlink.domain.account`."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledgerlink.domain.account import CustomerAccount, LedgerBase, build_account
from ledgerlink.domain.documents import CreditNote, Invoice, OpenItem
from ledgerlink.formats import canonical
from ledgerlink.store.schema import customers, documents, ledger_positions


def find_customer(conn: Connection, org_id: str, id_or_ref: str) -> sa.Row[Any] | None:
    """A customer of the organisation by id or by account reference."""
    c = customers.c
    return conn.execute(
        sa.select(customers).where((c.org_id == org_id) & ((c.id == id_or_ref) | (c.account_ref == id_or_ref)))
        .order_by((c.id == id_or_ref).desc())
    ).first()


def account_of(conn: Connection, org_id: str, customer_id: str, today: dt.date | None = None) -> CustomerAccount:
    lp = ledger_positions.c
    position = conn.execute(
        sa.select(ledger_positions).where((lp.org_id == org_id) & (lp.customer_id == customer_id))
        .order_by(lp.as_of.desc(), lp.created_at.desc()).limit(1)
    ).first()
    base = None
    if position is not None:
        base = LedgerBase(
            as_of=position.as_of,
            balance=Decimal(position.balance),
            credit_limit=Decimal(position.credit_limit) if position.credit_limit is not None else None,
            open_items=tuple(OpenItem.model_validate(item) for item in json.loads(position.open_items)),
        )
    d = documents.c
    rows = conn.execute(
        sa.select(d.body).where(
            (d.org_id == org_id) & (d.customer_id == customer_id) & (d.status == "received")
            & d.kind.in_(("invoice", "credit_note"))
        )
    )
    received = []
    for row in rows:
        doc = canonical.document_from_obj(canonical.loads(row.body))
        assert isinstance(doc, (Invoice, CreditNote))
        received.append(doc)
    return build_account(base, received, today=today or dt.date.today(),
                         currency=position.currency if position is not None else None)
