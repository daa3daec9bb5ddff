"""The audit log keeps who, when and what; ``detail`` is JSON text that reads back."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ledgerlink.services import tenancy
from ledgerlink.store.audit import record, record_many
from ledgerlink.store.schema import audit_log


def test_details_read_back_with_decimals_and_dates_as_text(db: Any) -> None:
    with db.begin() as conn:
        org_id = tenancy.create_organisation(conn, "audited", actor="test")
        record(conn, org_id=org_id, actor="key:k1", action="thing.changed", entity="thing", entity_id="t1",
               detail={"amount": Decimal("12.50"), "day": dt.date(2026, 1, 31), "ids": ["a", "b"], "none": None})
        record_many(conn, [{"org_id": org_id, "actor": "key:k1", "action": "thing.seen", "entity": "thing"}])
    with db.read() as conn:
        rows = conn.execute(
            sa.select(audit_log).where(audit_log.c.org_id == org_id).order_by(audit_log.c.id)
        ).all()
    changed, seen = [r for r in rows if r.entity == "thing"]
    assert json.loads(changed.detail) == {"amount": "12.50", "day": "2026-01-31", "ids": ["a", "b"], "none": None}
    assert (changed.actor, changed.action, changed.entity_id) == ("key:k1", "thing.changed", "t1")
    assert changed.at is not None
    assert seen.detail is None and seen.entity_id is None
