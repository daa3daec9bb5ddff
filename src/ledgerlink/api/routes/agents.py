"""``/v1/agents``: collector agents report in (heartbeat); the operator sees each one's last contact.

Rules: an agent is identified by ``(organisation, agent_id)``; the first heartbeat creates the row,
later ones update version, hostname, stats, key and ``last_seen_at``. ``stats`` is a small JSON
object of counters (at most 4 KB) — never document contents.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ledgerlink.api.deps import connection, read_connection, require_scope
from ledgerlink.services.tenancy import Principal
from ledgerlink.store.database import new_id, utcnow
from ledgerlink.store.schema import agents

router = APIRouter(prefix="/v1", tags=["agents"])

MAX_STATS_BYTES = 4096


class Heartbeat(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@-]+$")
    version: str = Field(min_length=1, max_length=50)
    hostname: str = Field(default="", max_length=255)
    stats: dict[str, Any] = Field(default_factory=dict)

    @field_validator("stats")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value)) > MAX_STATS_BYTES:
            raise ValueError(f"stats must encode to at most {MAX_STATS_BYTES} bytes of JSON")
        return value


def _view(row: Any) -> dict[str, Any]:
    return {
        "agent_id": row.agent_id, "version": row.version, "hostname": row.hostname, "key_id": row.key_id,
        "stats": json.loads(row.stats) if row.stats else {},
        "first_seen_at": row.first_seen_at.isoformat(), "last_seen_at": row.last_seen_at.isoformat(),
    }


@router.post("/agents/heartbeat", summary="A collector agent reports its version and counters")
def heartbeat(
    beat: Heartbeat,
    who: Principal = Depends(require_scope("ingest")),
    conn: Connection = Depends(connection),
) -> dict[str, Any]:
    now = utcnow()
    values = {"key_id": who.key_id, "version": beat.version, "hostname": beat.hostname,
              "stats": json.dumps(beat.stats, sort_keys=True), "last_seen_at": now}
    dialect = conn.dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert_fn = sqlite.insert if dialect == "sqlite" else postgresql.insert
        statement = insert_fn(agents).values(id=new_id(), org_id=who.org_id, agent_id=beat.agent_id,
                                             first_seen_at=now, **values)
        conn.execute(statement.on_conflict_do_update(index_elements=["org_id", "agent_id"], set_=values))
    else:  # portable fallback: update, else insert
        updated = conn.execute(agents.update().where(
            (agents.c.org_id == who.org_id) & (agents.c.agent_id == beat.agent_id)).values(**values))
        if updated.rowcount == 0:
            conn.execute(agents.insert().values(id=new_id(), org_id=who.org_id, agent_id=beat.agent_id,
                                                first_seen_at=now, **values))
    row = conn.execute(sa.select(agents).where(
        (agents.c.org_id == who.org_id) & (agents.c.agent_id == beat.agent_id))).one()
    return _view(row)


@router.get("/agents", summary="Collector agents of the organisation and their last contact")
def list_agents(
    who: Principal = Depends(require_scope("read")),
    conn: Connection = Depends(read_connection),
) -> dict[str, Any]:
    rows = conn.execute(sa.select(agents).where(agents.c.org_id == who.org_id).order_by(agents.c.agent_id))
    return {"agents": [_view(r) for r in rows]}
