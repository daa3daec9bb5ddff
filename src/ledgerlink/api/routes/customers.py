"""``/v1/customers`` and ``/v1/ledger-updates``: debtor accounts in real time."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
import json

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from ledgerlink.api.deps import database, read_connection, require_scope
from ledgerlink.api.problems import Problem
from ledgerlink.api.routes.documents import ingest_request
from ledgerlink.formats import canonical
from ledgerlink.services import idempotency
from ledgerlink.store.database import Database
from ledgerlink.services.accounts import account_of, find_customer
from ledgerlink.services.tenancy import Principal
from ledgerlink.store.schema import customers

router = APIRouter(prefix="/v1", tags=["customers"])


def _customer(row: Any) -> dict[str, Any]:
    return {"id": row.id, "account_ref": row.account_ref, "name": row.name, "email": row.email,
            "credit_limit": row.credit_limit, "updated_at": row.updated_at.isoformat()}


@router.get("/customers", summary="List customers (debtor accounts)")
def list_customers(
    who: Principal = Depends(require_scope("read")),
    conn: Connection = Depends(read_connection),
    limit: int = Query(100, ge=1, le=1000),
    after: str | None = Query(None, description="account reference to continue after"),
) -> dict[str, Any]:
    c = customers.c
    query = sa.select(customers).where(c.org_id == who.org_id)
    if after:
        query = query.where(c.account_ref > after)
    rows = list(conn.execute(query.order_by(c.account_ref).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"customers": [_customer(r) for r in rows], "next_after": rows[-1].account_ref if more else None}


@router.get("/customers/{customer}", summary="One customer, by id or account reference")
def get_customer(customer: str, who: Principal = Depends(require_scope("read")),
                 conn: Connection = Depends(read_connection)) -> dict[str, Any]:
    row = find_customer(conn, who.org_id, customer)
    if row is None:
        raise Problem(404, "Not found", f"no customer {customer}")
    return _customer(row)


@router.get("/customers/{customer}/account", summary="Balance, open items and ageing, as of now")
def get_account(customer: str, who: Principal = Depends(require_scope("read")),
                conn: Connection = Depends(read_connection)) -> dict[str, Any]:
    row = find_customer(conn, who.org_id, customer)
    if row is None:
        raise Problem(404, "Not found", f"no customer {customer}")
    account = account_of(conn, who.org_id, row.id)
    return {
        "customer": _customer(row),
        "currency": account.currency,
        "ledger_as_of": account.as_of.isoformat() if account.as_of else None,
        "balance": str(account.balance),
        "credit_limit": None if account.credit_limit is None else str(account.credit_limit),
        "available_credit": None if account.available_credit is None else str(account.available_credit),
        "open_items": [
            {**{k: (str(v) if v is not None and k.endswith("amount") else v) for k, v in asdict(item).items()},
             "issue_date": item.issue_date.isoformat(),
             "due_date": item.due_date.isoformat() if item.due_date else None}
            for item in account.open_items
        ],
        "ageing": {label: str(amount) for label, amount in account.ageing.items()},
    }


@router.post(
    "/ledger-updates",
    status_code=201,
    summary="Positions of debtor accounts; same receipt and idempotency rules as /v1/documents",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/LedgerUpdate"}}}}},
)
async def post_ledger_update(
    request: Request,
    who: Principal = Depends(require_scope("ingest")),
    db: Database = Depends(database),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=idempotency.MAX_KEY_LENGTH),
) -> Response:
    """A ledger update without ``kind`` is taken as one; anything else is refused."""
    try:
        obj = canonical.loads(await request.body())
    except canonical.CanonicalJsonError as exc:
        raise Problem(422, "Malformed JSON", errors=[v.as_dict() for v in exc.violations]) from None
    if not isinstance(obj, dict) or obj.setdefault("kind", "ledger_update") != "ledger_update":
        raise Problem(422, "Not a ledger update",
                      errors=[{"path": "kind", "rule": "SCHEMA", "message": "expected kind 'ledger_update'"}])
    body = json.dumps(obj, default=str, sort_keys=True).encode()
    return await run_in_threadpool(
        ingest_request, db, who, body, "application/json", "json", None, False,
        idempotency_key, request.url.path, str(request.url.query),
    )
