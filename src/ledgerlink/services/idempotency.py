"""Idempotency keys (IETF ``Idempotency-Key`` draft semantics), scoped per organisation and API key.

* first request with a key: a record is taken ``in_progress`` under a short lock, in its own commit;
* the request's effects and the record's final response commit together (:func:`complete`), so a
  crash either leaves nothing (the lock expires and a retry runs again) or the full result;
* the same key again with the same request: the stored response is replayed;
* the same key with a different request: :class:`IdempotencyMismatch` (HTTP 422);
* the same key while the first is still running: :class:`IdempotencyInFlight` (HTTP 409).

Records are kept for :data:`RETENTION` (at least 24 h, as the draft asks), then purged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ledgerlink.services.tenancy import Principal
from ledgerlink.store.database import Database, new_id, utcnow
from ledgerlink.store.schema import idempotency_records

RETENTION = dt.timedelta(hours=48)
LOCK = dt.timedelta(seconds=float(os.environ.get("LEDGERLINK_IDEMPOTENCY_LOCK_SECONDS", "60")))
"""How long a claimed key refuses retries (409) before a retry may take over from a request that died.
Taking over is safe: documents already stored by the dead request come back as duplicates."""
MAX_KEY_LENGTH = 255


class IdempotencyMismatch(Exception):
    """The key was used before for a different request."""


class IdempotencyInFlight(Exception):
    """The first request with this key has not finished yet."""


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    body: str


@dataclass(frozen=True, slots=True)
class Claimed:
    record_id: str


def request_fingerprint(method: str, path: str, query: str, content_type: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper(), path, query, content_type.lower()):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every timestamp we store is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def claim(db: Database, principal: Principal, key: str, fingerprint: str) -> Claimed | Replay:
    """Take the key for this request, or return the stored response of an earlier identical one."""
    scope = (
        (idempotency_records.c.org_id == principal.org_id)
        & (idempotency_records.c.key_id == principal.key_id)
        & (idempotency_records.c.idempotency_key == key)
    )
    for _attempt in range(3):
        now = utcnow()
        try:
            with db.begin() as conn:
                row = conn.execute(sa.select(idempotency_records).where(scope)).first()
                if row is not None and as_utc(row.expires_at) <= now:
                    conn.execute(idempotency_records.delete().where(idempotency_records.c.id == row.id))
                    row = None
                if row is None:
                    record_id = new_id()
                    conn.execute(
                        idempotency_records.insert().values(
                            id=record_id, org_id=principal.org_id, key_id=principal.key_id,
                            idempotency_key=key, request_hash=fingerprint, state="in_progress",
                            created_at=now, locked_until=now + LOCK, expires_at=now + RETENTION,
                        )
                    )
                    return Claimed(record_id)
                if row.request_hash != fingerprint:
                    raise IdempotencyMismatch(key)
                if row.state == "done":
                    return Replay(status=row.response_status, body=row.response_body)
                if row.locked_until is not None and as_utc(row.locked_until) > now:
                    raise IdempotencyInFlight(key)
                # the first attempt died holding the lock: this request takes over
                conn.execute(
                    idempotency_records.update()
                    .where(idempotency_records.c.id == row.id)
                    .values(locked_until=now + LOCK)
                )
                return Claimed(row.id)
        except IntegrityError:
            continue  # a concurrent request inserted the same key first: look again
    raise IdempotencyInFlight(key)


def complete(conn: Connection, claimed: Claimed, status: int, body: str) -> None:
    """Store the final response, in the same transaction as the request's effects."""
    conn.execute(
        idempotency_records.update()
        .where(idempotency_records.c.id == claimed.record_id)
        .values(state="done", response_status=status, response_body=body, locked_until=None)
    )


def release(db: Database, claimed: Claimed) -> None:
    """Give the key back after an unexpected failure, so that a retry runs the request again."""
    with db.begin() as conn:
        conn.execute(
            idempotency_records.delete().where(
                (idempotency_records.c.id == claimed.record_id) & (idempotency_records.c.state == "in_progress")
            )
        )


def purge_expired(conn: Connection, now: dt.datetime | None = None) -> int:
    result = conn.execute(idempotency_records.delete().where(idempotency_records.c.expires_at <= (now or utcnow())))
    return result.rowcount or 0
