"""``/v1/csv-profiles``: the organisation's own CSV layouts (TOML), next to the built-in ones."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from ledgerlink.api.deps import connection, read_connection, require_scope
from ledgerlink.api.problems import Problem
from ledgerlink.services import csv_profiles
from ledgerlink.services.tenancy import Principal

router = APIRouter(prefix="/v1", tags=["csv profiles"])


@router.get("/csv-profiles", summary="The organisation's CSV profiles and the built-in ones")
def list_profiles(who: Principal = Depends(require_scope("read")),
                  conn: Connection = Depends(read_connection)) -> dict[str, Any]:
    return {"profiles": csv_profiles.listing(conn, who.org_id)}


@router.get("/csv-profiles/{name}", summary="One of the organisation's profiles, as TOML",
            responses={200: {"content": {"application/toml": {}}}})
def get_profile(name: str, who: Principal = Depends(require_scope("read")),
                conn: Connection = Depends(read_connection)) -> Response:
    text = csv_profiles.get_text(conn, who.org_id, name)
    if text is None:
        raise Problem(404, "Not found", f"no CSV profile {name} of this organisation")
    return Response(text, media_type="application/toml")


@router.put(
    "/csv-profiles/{name}",
    summary="Create or replace a profile (TOML; may `extends` a built-in, e.g. to add the seller)",
    openapi_extra={"requestBody": {"required": True, "content": {"application/toml": {"schema": {"type": "string"}}}}},
)
async def put_profile(name: str, request: Request, who: Principal = Depends(require_scope("admin")),
                      conn: Connection = Depends(connection)) -> dict[str, Any]:
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(422, "Not UTF-8", errors=[{"path": "", "rule": "CSV-PROFILE",
                                                "message": "a profile is UTF-8 TOML text"}]) from None
    try:
        return csv_profiles.save(conn, who, name, text)
    except csv_profiles.InvalidProfile as exc:
        raise Problem(422, "Invalid CSV profile", errors=exc.errors) from None


@router.delete("/csv-profiles/{name}", status_code=204, summary="Delete one of the organisation's profiles")
def delete_profile(name: str, who: Principal = Depends(require_scope("admin")),
                   conn: Connection = Depends(connection)) -> Response:
    if not csv_profiles.delete(conn, who, name):
        raise Problem(404, "Not found", f"no CSV profile {name} of this organisation")
    return Response(status_code=204)
