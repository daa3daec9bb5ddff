"""The audit log: every change records who (API key id or CLI user), when, what.

``detail`` is kept as compact JSON text, keys in the order the caller gave them; values JSON has no
type for (decimals, dates, ids) are written as their text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic_core import to_json
from sqlalchemy.engine import Connection

from ledgerlink.store.database import utcnow
from ledgerlink.store.schema import audit_log


def record(
    conn: Connection,
    *,
    org_id: str | None,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one audit row in the caller's transaction (so it commits or rolls back with the change)."""
    record_many(conn, [dict(org_id=org_id, actor=actor, action=action, entity=entity,
                            entity_id=entity_id, detail=detail)])


def record_many(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Append many audit rows with one statement."""
    now = utcnow()
    values = [
        {
            "org_id": row["org_id"],
            "at": now,
            "actor": row["actor"],
            "action": row["action"],
            "entity": row["entity"],
            "entity_id": row.get("entity_id"),
            "detail": to_json(row["detail"], fallback=str).decode() if row.get("detail") else None,
        }
        for row in rows
    ]
    if values:
        conn.execute(audit_log.insert(), values)
