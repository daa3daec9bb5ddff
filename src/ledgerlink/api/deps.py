"""FastAPI dependencies: the store, the caller (API key → organisation and scopes), transactions."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Connection

from ledgerlink.api.problems import Problem
from ledgerlink.services.tenancy import Principal, authenticate
from ledgerlink.store.database import Database

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer ll_...`")


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    db: Database = Depends(database),
) -> Principal:
    """The caller; 401 without a valid, unrevoked key."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(401, "Unauthorized", "send an API key as `Authorization: Bearer <key>`",
                      headers={"WWW-Authenticate": "Bearer"})
    with db.read() as conn:
        found = authenticate(conn, credentials.credentials)
    if found is None:
        raise Problem(401, "Unauthorized", "the API key is unknown or revoked", headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = found
    return found


def require_scope(scope: str, *or_scopes: str) -> Callable[..., Principal]:
    """A dependency that admits keys holding ``scope``, one of ``or_scopes``, or ``admin``; 403 otherwise."""
    admitted = {scope, *or_scopes, "admin"}

    def check(who: Principal = Depends(principal)) -> Principal:
        if admitted.isdisjoint(who.scopes):
            wanted = " or ".join(f"'{name}'" for name in (scope, *or_scopes))
            raise Problem(403, "Forbidden", f"this API key lacks the {wanted} scope")
        return who

    check.__name__ = f"require_{'_or_'.join((scope, *or_scopes))}"
    return check


def connection(db: Database = Depends(database)) -> Iterator[Connection]:
    """A transaction for the request: committed when the handler returns, rolled back on error."""
    with db.begin() as conn:
        yield conn


def read_connection(db: Database = Depends(database)) -> Iterator[Connection]:
    with db.read() as conn:
        yield conn
