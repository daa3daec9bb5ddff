"""Operations: ``/healthz``, ``/metrics`` (Prometheus), ``/v1/audit-log`` (admin)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.engine import Connection

from ledgerlink import __version__
from ledgerlink.api.deps import database, read_connection, require_scope
from ledgerlink.services.tenancy import Principal
from ledgerlink.store.database import Database
from ledgerlink.store.schema import audit_log

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="Liveness and store reachability")
def healthz(db: Database = Depends(database)) -> Response:
    try:
        with db.read() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 — report, do not crash
        return JSONResponse({"status": "unavailable", "store": db.dialect, "error": type(exc).__name__},
                            status_code=503)
    return JSONResponse({"status": "ok", "version": __version__, "store": db.dialect})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/audit-log", summary="The organisation's audit log, newest first")
def get_audit_log(
    who: Principal = Depends(require_scope("admin")),
    conn: Connection = Depends(read_connection),
    entity_id: str | None = None,
    action: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    before: int | None = Query(None, description="continue below this entry id"),
) -> dict[str, Any]:
    c = audit_log.c
    query = sa.select(audit_log).where(c.org_id == who.org_id)
    if entity_id:
        query = query.where(c.entity_id == entity_id)
    if action:
        query = query.where(c.action == action)
    if before:
        query = query.where(c.id < before)
    rows = list(conn.execute(query.order_by(c.id.desc()).limit(limit)))
    return {
        "entries": [
            {"id": r.id, "at": r.at.isoformat(), "actor": r.actor, "action": r.action, "entity": r.entity,
             "entity_id": r.entity_id, "detail": json.loads(r.detail) if r.detail else None}
            for r in rows
        ],
        "next_before": rows[-1].id if len(rows) == limit else None,
    }
