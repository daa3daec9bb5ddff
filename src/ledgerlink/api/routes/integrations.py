"""Integration configuration per organisation: ``PUT``/``GET /v1/integrations/{name}`` (validated on save)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends
from sqlalchemy.engine import Connection

from ledgerlink.api.deps import connection, read_connection, require_scope
from ledgerlink.api.problems import Problem
from ledgerlink.export import repository
from ledgerlink.export.config import ConfigInvalid, check_name, config_json
from ledgerlink.services.tenancy import Principal
from ledgerlink.store.audit import record

router = APIRouter(prefix="/v1", tags=["integrations"])


@router.put("/integrations/{name}", summary="Create or replace an integration (validated; errors with paths)")
def put_integration(name: str, body: Any = Body(...), who: Principal = Depends(require_scope("admin")),
                    conn: Connection = Depends(connection)) -> dict[str, Any]:
    try:
        check_name(name)
        config = repository.put_integration(conn, who.org_id, name, body)
    except ConfigInvalid as exc:
        raise Problem(422, "Invalid integration configuration", str(exc),
                      [v.as_dict() for v in exc.violations]) from None
    record(conn, org_id=who.org_id, actor=f"key:{who.key_id}", action="integration.saved", entity="integration",
           entity_id=name, detail={"target": config.target.kind.value})
    return {"name": name, "config": config_json(config)}


@router.get("/integrations", summary="The organisation's integrations")
def list_integrations(who: Principal = Depends(require_scope("export", "read")),
                      conn: Connection = Depends(read_connection)) -> dict[str, Any]:
    return {"integrations": repository.integration_names(conn, who.org_id)}


@router.get("/integrations/{name}", summary="One integration's configuration")
def get_integration(name: str, who: Principal = Depends(require_scope("export", "read")),
                    conn: Connection = Depends(read_connection)) -> dict[str, Any]:
    config = repository.get_integration(conn, who.org_id, name)
    if config is None:
        raise Problem(404, "Not found", f"no integration named {name!r}")
    return {"name": name, "config": config_json(config)}
