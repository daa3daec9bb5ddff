"""Organisations and API keys.

Key format: ``ll_<key id>_<secret>``. Only ``sha256(secret)`` is stored; the key id makes lookup a
primary-key read and the comparison is constant-time. Scopes: ingest, read, export, admin.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledgerlink.store.audit import record
from ledgerlink.store.database import new_id, utcnow
from ledgerlink.store.schema import api_keys, organisations

KEY_PREFIX = "ll_"


class Scope(StrEnum):
    INGEST = "ingest"
    READ = "read"
    EXPORT = "export"
    ADMIN = "admin"


ALL_SCOPES = frozenset(s.value for s in Scope)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an organisation, through one API key, with its scopes."""

    org_id: str
    key_id: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    secret: str  # shown once, never stored


class UnknownOrganisation(LookupError):
    pass


def create_organisation(conn: Connection, name: str, *, actor: str = "cli") -> str:
    org_id = new_id()
    conn.execute(organisations.insert().values(id=org_id, name=name, created_at=utcnow()))
    record(conn, org_id=org_id, actor=actor, action="organisation.created", entity="organisation",
           entity_id=org_id, detail={"name": name})
    return org_id


def list_organisations(conn: Connection) -> list[sa.Row[Any]]:
    return list(conn.execute(sa.select(organisations).order_by(organisations.c.created_at)))


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    conn: Connection, org_id: str, scopes: frozenset[str], *, name: str | None = None, actor: str = "cli"
) -> IssuedKey:
    """Issue a key; its full text is returned once and never again."""
    unknown = set(scopes) - ALL_SCOPES
    if unknown:
        raise ValueError(f"unknown scope(s) {sorted(unknown)}; expected some of {sorted(ALL_SCOPES)}")
    if conn.execute(sa.select(organisations.c.id).where(organisations.c.id == org_id)).first() is None:
        raise UnknownOrganisation(org_id)
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    conn.execute(
        api_keys.insert().values(
            id=key_id, org_id=org_id, name=name, secret_hash=_hash(secret),
            scopes=",".join(sorted(scopes)), created_at=utcnow(),
        )
    )
    record(conn, org_id=org_id, actor=actor, action="api_key.created", entity="api_key", entity_id=key_id,
           detail={"scopes": sorted(scopes), "name": name})
    return IssuedKey(key_id=key_id, secret=f"{KEY_PREFIX}{key_id}_{secret}")


def revoke_key(conn: Connection, key_id: str, *, actor: str = "cli") -> bool:
    row = conn.execute(sa.select(api_keys.c.org_id).where(api_keys.c.id == key_id)).first()
    if row is None:
        return False
    conn.execute(api_keys.update().where(api_keys.c.id == key_id).values(revoked_at=utcnow()))
    record(conn, org_id=row.org_id, actor=actor, action="api_key.revoked", entity="api_key", entity_id=key_id)
    return True


def list_keys(conn: Connection, org_id: str | None = None) -> list[sa.Row[Any]]:
    query = sa.select(api_keys.c.id, api_keys.c.org_id, api_keys.c.name, api_keys.c.scopes,
                      api_keys.c.created_at, api_keys.c.revoked_at).order_by(api_keys.c.created_at)
    if org_id:
        query = query.where(api_keys.c.org_id == org_id)
    return list(conn.execute(query))


def authenticate(conn: Connection, presented: str) -> Principal | None:
    """The principal for a presented key, or None (unknown, malformed, wrong secret or revoked)."""
    if not presented.startswith(KEY_PREFIX):
        return None
    key_id, sep, secret = presented[len(KEY_PREFIX):].partition("_")
    if not sep or not secret:
        return None
    row = conn.execute(
        sa.select(api_keys.c.org_id, api_keys.c.secret_hash, api_keys.c.scopes, api_keys.c.revoked_at)
        .where(api_keys.c.id == key_id)
    ).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.secret_hash, _hash(secret)):
        return None
    return Principal(org_id=row.org_id, key_id=key_id, scopes=frozenset(row.scopes.split(",")))
