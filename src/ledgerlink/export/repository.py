"""Reading and writing export items, jobs, job items, events and integrations.

Every function takes the caller's ``Connection`` (one transaction) and the ``org_id``; every query
filters on ``org_id``. Rules enforced here (so the API, the CLI and the worker share them):

* Job event transitions: ``pending → started → in_progress``; ``pending → failed`` (cancel);
  ``in_progress → completed`` (all items successful), ``completed_with_errors`` (all items reported,
  at least one failed), ``failed`` (open items become ``abandoned``). Anything else is refused.
* A final job takes no more item results and no more events: exactly one final event per job.
* An item already exported successfully is never exported again; an item waits in one open job at most.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledgerlink.domain.violations import Violation
from ledgerlink.export.config import IntegrationConfig, config_json, parse_config
from ledgerlink.export.model import (
    ITEM,
    ExportItem,
    ItemFailureReasonType,
    ItemStatus,
    Job,
    JobEvent,
    JobEventType,
    JobFailureReasonType,
    JobItem,
    JobStatus,
    OPEN_ITEM_STATUSES,
    SubmittedItem,
)
from ledgerlink.export.tables import (
    export_items,
    export_job_events,
    export_job_items,
    export_jobs,
    export_org_slots,
    integrations,
)
from ledgerlink.store.database import new_id, utcnow

EXTERNAL_LEASE = dt.timedelta(hours=1)
"""How long a job started through the API (an external integration) is held before a worker may recover it."""


class ExportError(Exception):
    status = 422
    title = "Unprocessable export request"

    def __init__(self, detail: str, violations: Sequence[Violation] = ()):
        super().__init__(detail)
        self.detail = detail
        self.violations = list(violations)


class NotFound(ExportError):
    status = 404
    title = "Not found"


class Conflict(ExportError):
    status = 409
    title = "Conflict"


class InvalidTransition(ExportError):
    status = 422
    title = "Invalid job transition"


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """Timestamps come back naive from SQLite; they are UTC by construction."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------- items


def put_items(conn: Connection, org_id: str, items: Sequence[ExportItem]) -> list[SubmittedItem]:
    """Store submitted items. Re-submitting an item replaces it unless it is exported or waiting in a job."""
    now = utcnow()
    ids = [item.id for item in items]
    existing = {
        row.id: row.status
        for start in range(0, len(ids), 500)
        for row in conn.execute(
            sa.select(export_items.c.id, export_items.c.status).where(
                export_items.c.org_id == org_id, export_items.c.id.in_(ids[start:start + 500])
            )
        )
    }
    out: list[SubmittedItem] = []
    fresh: list[dict[str, Any]] = []
    for item in items:
        values = dict(
            type=item.type.value,
            date=item.date,
            currency=item.amount.currency,
            amount=str(item.amount.value),
            body=ITEM.dump_json(item, by_alias=True, exclude_none=True).decode(),
            status=ItemStatus.PENDING.value,
            external_id=None,
            exported_at=None,
            updated_at=now,
        )
        status = existing.get(item.id)
        if status is None:
            fresh.append(dict(org_id=org_id, id=item.id, created_at=now, **values))
            existing[item.id] = ItemStatus.PENDING.value
            out.append(SubmittedItem(id=item.id, status="accepted"))
        elif status == ItemStatus.SUCCESSFUL.value:
            out.append(SubmittedItem(id=item.id, status="already_exported"))
        elif status == ItemStatus.IN_PROGRESS.value:
            out.append(SubmittedItem(id=item.id, status="in_job"))
        else:
            conn.execute(
                export_items.update()
                .where(export_items.c.org_id == org_id, export_items.c.id == item.id)
                .values(**values)
            )
            out.append(SubmittedItem(id=item.id, status="accepted"))
    if fresh:
        conn.execute(export_items.insert(), fresh)
    return out


def load_items(conn: Connection, org_id: str, item_ids: Iterable[str]) -> dict[str, ExportItem]:
    ids = list(item_ids)
    found: dict[str, ExportItem] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            sa.select(export_items.c.id, export_items.c.body).where(
                export_items.c.org_id == org_id, export_items.c.id.in_(ids[start:start + 500])
            )
        )
        for row in rows:
            found[row.id] = ITEM.validate_json(row.body)
    return found


# --------------------------------------------------------------------------- integrations


def put_integration(conn: Connection, org_id: str, name: str, raw: Any) -> IntegrationConfig:
    config = parse_config(raw)
    now = utcnow()
    body = json.dumps(config_json(config), sort_keys=True)
    updated = conn.execute(
        integrations.update()
        .where(integrations.c.org_id == org_id, integrations.c.name == name)
        .values(config=body, updated_at=now)
    )
    if updated.rowcount == 0:
        conn.execute(integrations.insert().values(org_id=org_id, name=name, config=body,
                                                  created_at=now, updated_at=now))
    return config


def get_integration(conn: Connection, org_id: str, name: str) -> IntegrationConfig | None:
    row = conn.execute(
        sa.select(integrations.c.config).where(integrations.c.org_id == org_id, integrations.c.name == name)
    ).first()
    return None if row is None else parse_config(json.loads(row.config))


def integration_names(conn: Connection, org_id: str) -> list[str]:
    return list(conn.scalars(
        sa.select(integrations.c.name).where(integrations.c.org_id == org_id).order_by(integrations.c.name)
    ))


# --------------------------------------------------------------------------- jobs


@dataclass(frozen=True)
class JobRow:
    id: str
    org_id: str
    integration: str
    status: JobStatus
    claim_token: str | None
    attempts: int


def _job_row(row: Any) -> JobRow:
    return JobRow(row.id, row.org_id, row.integration, JobStatus(row.status), row.claim_token, row.attempts)


def create_job(conn: Connection, org_id: str, *, integration: str | None, item_ids: Sequence[str] | None,
               actor: str) -> Job:
    """A pending job over the given items (default: every pending item of the organisation)."""
    names = integration_names(conn, org_id)
    if integration is None:
        if len(names) != 1:
            raise ExportError("name the integration", [Violation(
                "LL-EXPORT-INTEGRATION", "integration",
                "the organisation has no integration" if not names else "the organisation has several integrations",
                expected="one of " + ", ".join(names) if names else "an integration (PUT /v1/integrations/{name})")])
        integration = names[0]
    elif integration not in names:
        raise ExportError("unknown integration", [Violation(
            "LL-EXPORT-INTEGRATION", "integration", f"no integration named {integration!r}",
            expected=", ".join(names) or None, found=integration)])
    busy = conn.execute(sa.select(export_jobs.c.id).where(
        export_jobs.c.org_id == org_id, export_jobs.c.status == JobStatus.IN_PROGRESS.value)).first()
    if busy is not None:
        raise Conflict(f"the organisation already has a job in progress ({busy.id})")
    if item_ids is None:
        ids = list(conn.scalars(
            sa.select(export_items.c.id)
            .where(export_items.c.org_id == org_id, export_items.c.status == ItemStatus.PENDING.value)
            .order_by(export_items.c.date, export_items.c.created_at, export_items.c.id)
        ))
        if not ids:
            raise ExportError("nothing to export", [Violation(
                "LL-EXPORT-EMPTY", "item_ids", "the organisation has no pending items")])
    else:
        ids = _checked_item_ids(conn, org_id, item_ids)
    job_id = new_id()
    now = utcnow()
    conn.execute(export_jobs.insert().values(
        id=job_id, org_id=org_id, integration=integration, status=JobStatus.PENDING.value,
        item_count=len(ids), created_by=actor, created_at=now, attempts=0))
    conn.execute(export_job_items.insert(), [
        dict(org_id=org_id, job_id=job_id, item_id=item_id, position=pos, status=ItemStatus.PENDING.value,
             updated_at=now)
        for pos, item_id in enumerate(ids)
    ])
    for start in range(0, len(ids), 500):
        conn.execute(export_items.update()
                     .where(export_items.c.org_id == org_id, export_items.c.id.in_(ids[start:start + 500]))
                     .values(status=ItemStatus.IN_PROGRESS.value, updated_at=now))
    ensure_slot(conn, org_id)
    return get_job(conn, org_id, job_id)


def _checked_item_ids(conn: Connection, org_id: str, item_ids: Sequence[str]) -> list[str]:
    if not item_ids:
        raise ExportError("nothing to export", [Violation("LL-EXPORT-EMPTY", "item_ids", "item_ids is empty")])
    statuses = {
        row.id: row.status for start in range(0, len(item_ids), 500)
        for row in conn.execute(sa.select(export_items.c.id, export_items.c.status).where(
            export_items.c.org_id == org_id, export_items.c.id.in_(list(item_ids[start:start + 500]))))
    }
    problems: list[Violation] = []
    seen: set[str] = set()
    busy: list[str] = []
    for pos, item_id in enumerate(item_ids):
        status = statuses.get(item_id)
        if item_id in seen:
            problems.append(Violation("LL-EXPORT-ITEM", f"item_ids[{pos}]", "item listed twice", found=item_id))
        elif status is None:
            problems.append(Violation("LL-EXPORT-ITEM", f"item_ids[{pos}]", "unknown item", found=item_id))
        elif status == ItemStatus.SUCCESSFUL.value:
            problems.append(Violation("LL-EXPORT-ITEM", f"item_ids[{pos}]", "item already exported",
                                      found=item_id))
        elif status == ItemStatus.IN_PROGRESS.value:
            busy.append(item_id)
        seen.add(item_id)
    if problems:
        raise ExportError("some items cannot be exported", problems)
    if busy:
        raise Conflict(f"items already waiting in an open job: {', '.join(busy[:10])}")
    return list(item_ids)


def ensure_slot(conn: Connection, org_id: str) -> None:
    """The organisation's claim slot exists (insert-if-absent, race-free on both dialects)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    conn.execute(insert(export_org_slots).values(org_id=org_id).on_conflict_do_nothing())


def job_model(row: Any) -> Job:
    return Job(
        id=row.id, integration=row.integration, status=JobStatus(row.status),
        failure_reason=row.failure_reason,
        failure_reason_type=JobFailureReasonType(row.failure_reason_type) if row.failure_reason_type else None,
        item_count=row.item_count, created_at=aware(row.created_at), started_at=aware(row.started_at),
        finished_at=aware(row.finished_at),
    )


def get_job(conn: Connection, org_id: str, job_id: str) -> Job:
    row = conn.execute(sa.select(export_jobs).where(export_jobs.c.org_id == org_id,
                                                    export_jobs.c.id == job_id)).first()
    if row is None:
        raise NotFound(f"no export job {job_id}")
    return job_model(row)


def get_job_row(conn: Connection, org_id: str, job_id: str) -> JobRow:
    row = conn.execute(sa.select(export_jobs).where(export_jobs.c.org_id == org_id,
                                                    export_jobs.c.id == job_id)).first()
    if row is None:
        raise NotFound(f"no export job {job_id}")
    return _job_row(row)


def list_jobs(conn: Connection, org_id: str, status: JobStatus | None = None, limit: int = 100) -> list[Job]:
    query = sa.select(export_jobs).where(export_jobs.c.org_id == org_id)
    if status is not None:
        query = query.where(export_jobs.c.status == status.value)
    rows = conn.execute(query.order_by(export_jobs.c.created_at.desc(), export_jobs.c.id).limit(limit))
    return [job_model(row) for row in rows]


def job_items(conn: Connection, org_id: str, job_id: str,
              statuses: Iterable[ItemStatus] | None = None) -> list[JobItem]:
    query = sa.select(export_job_items).where(export_job_items.c.org_id == org_id,
                                              export_job_items.c.job_id == job_id)
    if statuses is not None:
        query = query.where(export_job_items.c.status.in_([s.value for s in statuses]))
    return [
        JobItem(id=row.item_id, status=ItemStatus(row.status), external_id=row.external_id,
                failure_reason=row.failure_reason,
                failure_reason_type=ItemFailureReasonType(row.failure_reason_type)
                if row.failure_reason_type else None,
                exported_at=aware(row.exported_at))
        for row in conn.execute(query.order_by(export_job_items.c.position))
    ]


def job_events(conn: Connection, org_id: str, job_id: str) -> list[JobEvent]:
    rows = conn.execute(sa.select(export_job_events).where(
        export_job_events.c.org_id == org_id, export_job_events.c.job_id == job_id
    ).order_by(export_job_events.c.id))
    return [
        JobEvent(id=row.id, job_id=row.job_id, type=JobEventType(row.type), failure_reason=row.failure_reason,
                 failure_reason_type=JobFailureReasonType(row.failure_reason_type)
                 if row.failure_reason_type else None,
                 actor=row.actor, created_at=aware(row.created_at))
        for row in rows
    ]


# --------------------------------------------------------------------------- item results


def set_item_result(conn: Connection, org_id: str, job_id: str, item_id: str, *, status: ItemStatus,
                    external_id: str | None = None, failure_reason: str | None = None,
                    failure_reason_type: str | None = None, claim_token: str | None = None) -> bool:
    """Record one item's result; see :func:`set_item_results`. Returns whether it was recorded."""
    return bool(set_item_results(conn, org_id, job_id, [ItemOutcome(item_id, status, external_id, failure_reason,
                                                                    failure_reason_type)], claim_token=claim_token))


@dataclass(frozen=True)
class ItemOutcome:
    item_id: str
    status: ItemStatus
    external_id: str | None = None
    failure_reason: str | None = None
    failure_reason_type: str | None = None


def set_item_results(conn: Connection, org_id: str, job_id: str, outcomes: Sequence[ItemOutcome], *,
                     claim_token: str | None = None) -> list[str]:
    """Record item results at once (job item and the item itself), in the caller's transaction.

    Only open items (``pending``/``in_progress``) of a job in progress take a result, and — when
    ``claim_token`` is given — only while that claim holds the job: the job row is locked first
    (``FOR UPDATE`` on PostgreSQL; SQLite's write transaction is exclusive), so a worker that lost its
    lease can never overwrite the results of the worker that took over. Returns the recorded item ids.
    """
    if not outcomes:
        return []
    held = sa.select(export_jobs.c.id).where(
        export_jobs.c.id == job_id, export_jobs.c.org_id == org_id,
        export_jobs.c.status == JobStatus.IN_PROGRESS.value)
    if claim_token is not None:
        held = held.where(export_jobs.c.claim_token == claim_token)
    if conn.execute(held.with_for_update()).first() is None:
        return []
    ids = [o.item_id for o in outcomes]
    open_ids = set(conn.scalars(sa.select(export_job_items.c.item_id).where(
        export_job_items.c.org_id == org_id, export_job_items.c.job_id == job_id,
        export_job_items.c.item_id.in_(ids),
        export_job_items.c.status.in_([s.value for s in OPEN_ITEM_STATUSES]))))
    now = utcnow()
    rows = [
        dict(b_item=o.item_id, b_status=o.status.value, b_external=o.external_id, b_reason=o.failure_reason,
             b_type=o.failure_reason_type, b_at=now if o.status is ItemStatus.SUCCESSFUL else None)
        for o in outcomes if o.item_id in open_ids
    ]
    if not rows:
        return []
    conn.execute(
        export_job_items.update()
        .where(export_job_items.c.org_id == org_id, export_job_items.c.job_id == job_id,
               export_job_items.c.item_id == sa.bindparam("b_item"))
        .values(status=sa.bindparam("b_status"), external_id=sa.bindparam("b_external"),
                failure_reason=sa.bindparam("b_reason"), failure_reason_type=sa.bindparam("b_type"),
                exported_at=sa.bindparam("b_at"), updated_at=now),
        rows,
    )
    conn.execute(
        export_items.update()
        .where(export_items.c.org_id == org_id, export_items.c.id == sa.bindparam("b_item"))
        .values(status=sa.bindparam("b_status"), external_id=sa.bindparam("b_external"),
                exported_at=sa.bindparam("b_at"), updated_at=now),
        [{k: r[k] for k in ("b_item", "b_status", "b_external", "b_at")} for r in rows],
    )
    return [str(r["b_item"]) for r in rows]


def mark_items_in_progress(conn: Connection, org_id: str, job_id: str, item_ids: Sequence[str]) -> None:
    conn.execute(export_job_items.update().where(
        export_job_items.c.org_id == org_id, export_job_items.c.job_id == job_id,
        export_job_items.c.item_id.in_(list(item_ids)), export_job_items.c.status == ItemStatus.PENDING.value,
    ).values(status=ItemStatus.IN_PROGRESS.value, updated_at=utcnow()))


def report_item_results(conn: Connection, org_id: str, job_id: str, results: Sequence[Any]) -> list[JobItem]:
    """``PUT /v1/export-jobs/{id}/items``: item results from an integration (≤100, job not final)."""
    job = get_job_row(conn, org_id, job_id)
    if job.status.is_final:
        raise Conflict(f"job {job_id} is {job.status.value}; it takes no more item results")
    if job.status is not JobStatus.IN_PROGRESS:
        raise Conflict(f"job {job_id} is {job.status.value}; send a 'started' event first")
    known = {item.id: item for item in job_items(conn, org_id, job_id)}
    problems = [
        Violation("LL-EXPORT-ITEM", f"items[{pos}].id", "item is not part of this job", found=result.id)
        for pos, result in enumerate(results) if result.id not in known
    ]
    problems += [
        Violation("LL-EXPORT-ITEM", f"items[{pos}].status", "item result already recorded",
                  found=known[result.id].status.value)
        for pos, result in enumerate(results)
        if result.id in known and known[result.id].status not in OPEN_ITEM_STATUSES
    ]
    if problems:
        raise ExportError("some item results cannot be recorded", problems)
    for result in results:
        set_item_result(conn, org_id, job_id, result.id, status=result.status, external_id=result.external_id,
                        failure_reason=result.failure_reason,
                        failure_reason_type=result.failure_reason_type.value if result.failure_reason_type
                        else None)
    ids = {result.id for result in results}
    return [item for item in job_items(conn, org_id, job_id) if item.id in ids]


# --------------------------------------------------------------------------- events


def apply_event(conn: Connection, org_id: str, job_id: str, event: JobEventType, *, actor: str,
                failure_reason: str | None = None, failure_reason_type: JobFailureReasonType | None = None,
                claim_token: str | None = None, worker_id: str | None = None,
                lease: dt.timedelta = EXTERNAL_LEASE) -> JobEvent:
    """Move a job along one valid transition and append the event; refuse anything else."""
    job = get_job_row(conn, org_id, job_id)
    now = utcnow()
    counts = _item_counts(conn, org_id, job_id)
    open_items = counts.get(ItemStatus.PENDING, 0) + counts.get(ItemStatus.IN_PROGRESS, 0)

    def refuse(message: str) -> InvalidTransition:
        return InvalidTransition(message, [Violation("LL-EXPORT-TRANSITION", "type", message,
                                                     found=f"{job.status.value} → {event.value}")])

    guard = [export_jobs.c.id == job_id, export_jobs.c.org_id == org_id, export_jobs.c.status == job.status.value]
    if job.status is JobStatus.IN_PROGRESS and claim_token is not None:
        guard.append(export_jobs.c.claim_token == claim_token)
    values: dict[str, Any]
    if event is JobEventType.STARTED:
        if job.status is not JobStatus.PENDING:
            raise refuse(f"a {job.status.value} job cannot be started")
        busy = conn.execute(sa.select(export_jobs.c.id).where(
            export_jobs.c.org_id == org_id, export_jobs.c.status == JobStatus.IN_PROGRESS.value)).first()
        if busy is not None:
            raise Conflict(f"the organisation already has a job in progress ({busy.id})")
        token = claim_token or new_id()
        values = dict(status=JobStatus.IN_PROGRESS.value, started_at=now, claim_token=token,
                      worker_id=worker_id or actor, lease_expires_at=now + lease, attempts=job.attempts + 1)
        ensure_slot(conn, org_id)
        conn.execute(export_org_slots.update().where(export_org_slots.c.org_id == org_id)
                     .values(job_id=job_id, claim_token=token, lease_expires_at=now + lease))
    else:
        if job.status.is_final:
            raise refuse(f"the job is already {job.status.value}")
        if event is JobEventType.COMPLETED:
            if job.status is not JobStatus.IN_PROGRESS:
                raise refuse("only a job in progress can complete")
            if open_items or counts.get(ItemStatus.FAILED, 0) or counts.get(ItemStatus.ABANDONED, 0):
                raise refuse("'completed' needs every item successful; report the item results first, "
                             "or send completed_with_errors / failed")
        elif event is JobEventType.COMPLETED_WITH_ERRORS:
            if job.status is not JobStatus.IN_PROGRESS:
                raise refuse("only a job in progress can complete")
            if open_items:
                raise refuse(f"{open_items} item(s) have no result yet")
            if not counts.get(ItemStatus.FAILED, 0):
                raise refuse("no item failed; send 'completed'")
        values = dict(status=JobStatus(event.value).value, finished_at=now, lease_expires_at=None,
                      failure_reason=failure_reason,
                      failure_reason_type=failure_reason_type.value if failure_reason_type else None)
    updated = conn.execute(export_jobs.update().where(*guard).values(**values))
    if updated.rowcount != 1:
        raise Conflict("the job changed meanwhile (another worker or client holds it)")
    if event is JobEventType.FAILED:
        conn.execute(export_job_items.update().where(
            export_job_items.c.org_id == org_id, export_job_items.c.job_id == job_id,
            export_job_items.c.status.in_([s.value for s in OPEN_ITEM_STATUSES]),
        ).values(status=ItemStatus.ABANDONED.value, updated_at=now,
                 failure_reason="job failed: " + (failure_reason or (failure_reason_type.value
                                                                     if failure_reason_type else "no reason given"))))
        conn.execute(export_items.update().where(
            export_items.c.org_id == org_id, export_items.c.status == ItemStatus.IN_PROGRESS.value,
            export_items.c.id.in_(sa.select(export_job_items.c.item_id).where(
                export_job_items.c.org_id == org_id, export_job_items.c.job_id == job_id,
                export_job_items.c.status == ItemStatus.ABANDONED.value)),
        ).values(status=ItemStatus.ABANDONED.value, updated_at=now))
    if event is not JobEventType.STARTED:
        conn.execute(export_org_slots.update().where(
            export_org_slots.c.org_id == org_id, export_org_slots.c.job_id == job_id,
        ).values(job_id=None, claim_token=None, lease_expires_at=None))
    inserted = conn.execute(export_job_events.insert().values(
        org_id=org_id, job_id=job_id, type=event.value, failure_reason=failure_reason,
        failure_reason_type=failure_reason_type.value if failure_reason_type else None,
        actor=actor, created_at=now,
    ).returning(export_job_events.c.id))
    event_id = inserted.scalar_one()
    return JobEvent(id=event_id, job_id=job_id, type=event, failure_reason=failure_reason,
                    failure_reason_type=failure_reason_type, actor=actor, created_at=now)


def _item_counts(conn: Connection, org_id: str, job_id: str) -> dict[ItemStatus, int]:
    rows = conn.execute(
        sa.select(export_job_items.c.status, sa.func.count()).where(
            export_job_items.c.org_id == org_id, export_job_items.c.job_id == job_id
        ).group_by(export_job_items.c.status)
    )
    return {ItemStatus(status): count for status, count in rows}


def item_counts(conn: Connection, org_id: str, job_id: str) -> dict[ItemStatus, int]:
    return _item_counts(conn, org_id, job_id)
