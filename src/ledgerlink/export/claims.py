"""Claiming export jobs: oldest eligible job of an organisation, one in progress per organisation.

Rules:

* Each organisation has one row in ``export_org_slots``: the mutex of its export work. A worker locks a
  free slot (no job, or a job whose lease expired) of an organisation with eligible work — on
  PostgreSQL with ``SELECT … FOR UPDATE SKIP LOCKED`` (many workers on many machines never wait on
  each other and never take the same slot), on SQLite inside the ``BEGIN IMMEDIATE`` transaction the
  store opens for every write (one writer at a time). Everything else is the same code path.
* In the locked slot's organisation the worker takes the job whose lease expired (recovery) or else
  the oldest pending job, sets it ``in_progress`` under a fresh ``claim_token`` and lease, and records
  the claim in ``export_job_claims`` and in the audit log.
* The worker renews the lease with :func:`heartbeat`; a worker whose lease was taken over loses every
  further write (all writes check the claim token).
* A recovered job keeps its item results: only items still ``pending``/``in_progress`` are processed.
* A job recovered more than ``max_attempts`` times fails with ``job_expired``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledgerlink.export.model import JobEventType, JobFailureReasonType, JobStatus
from ledgerlink.export.repository import apply_event
from ledgerlink.export.tables import export_job_claims, export_jobs, export_org_slots
from ledgerlink.store.audit import record
from ledgerlink.store.database import Database, new_id, utcnow

DEFAULT_LEASE = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Claim:
    job_id: str
    org_id: str
    integration: str
    claim_token: str
    worker_id: str
    recovered: bool
    lease: dt.timedelta


def claim_next(db: Database, *, worker_id: str, lease: dt.timedelta = DEFAULT_LEASE,
               integration: str | None = None, max_attempts: int = MAX_ATTEMPTS) -> Claim | None:
    """Claim the next job, or ``None`` when no organisation has eligible work."""
    while True:
        with db.begin() as conn:
            claim, expired = _claim_in(conn, worker_id=worker_id, lease=lease, integration=integration,
                                       max_attempts=max_attempts)
        if not expired:
            return claim


def _claim_in(conn: Connection, *, worker_id: str, lease: dt.timedelta, integration: str | None,
              max_attempts: int) -> tuple[Claim | None, bool]:
    now = utcnow()
    jobs = export_jobs
    eligible_job = sa.and_(
        jobs.c.org_id == export_org_slots.c.org_id,
        sa.or_(
            sa.and_(export_org_slots.c.job_id.is_(None), jobs.c.status == JobStatus.PENDING.value),
            sa.and_(export_org_slots.c.job_id.is_not(None), export_org_slots.c.lease_expires_at <= now,
                    sa.or_(jobs.c.id == export_org_slots.c.job_id, jobs.c.status == JobStatus.PENDING.value)),
        ),
    )
    if integration is not None:
        eligible_job = sa.and_(eligible_job, jobs.c.integration == integration)
    oldest = sa.select(sa.func.min(jobs.c.created_at)).where(eligible_job).scalar_subquery()
    slot_query = (
        sa.select(export_org_slots.c.org_id, export_org_slots.c.job_id)
        .where(sa.exists(sa.select(jobs.c.id).where(eligible_job)))
        .order_by(oldest, export_org_slots.c.org_id)
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        slot_query = slot_query.with_for_update(skip_locked=True, of=export_org_slots)
    slot = conn.execute(slot_query).first()
    if slot is None:
        return None, False
    org_id = slot.org_id
    recovered = False
    job = None
    if slot.job_id is not None:
        job = conn.execute(sa.select(jobs).where(jobs.c.org_id == org_id, jobs.c.id == slot.job_id)).first()
        if job is not None and job.status == JobStatus.IN_PROGRESS.value:
            recovered = True
        else:
            job = None
    if job is None:
        query = sa.select(jobs).where(jobs.c.org_id == org_id, jobs.c.status == JobStatus.PENDING.value)
        if integration is not None:
            query = query.where(jobs.c.integration == integration)
        job = conn.execute(query.order_by(jobs.c.created_at, jobs.c.id).limit(1)).first()
    if job is None:  # the slot pointed to a finished job; free it
        conn.execute(export_org_slots.update().where(export_org_slots.c.org_id == org_id)
                     .values(job_id=None, claim_token=None, lease_expires_at=None))
        return None, True
    token = new_id()
    if recovered:
        if job.attempts >= max_attempts:
            conn.execute(jobs.update().where(jobs.c.id == job.id, jobs.c.org_id == org_id)
                         .values(claim_token=token))
            apply_event(conn, org_id, job.id, JobEventType.FAILED, actor=f"worker:{worker_id}",
                        failure_reason=f"lease expired {job.attempts} times; giving up",
                        failure_reason_type=JobFailureReasonType.JOB_EXPIRED, claim_token=token)
            record(conn, org_id=org_id, actor=f"worker:{worker_id}", action="export.job.expired",
                   entity="export_job", entity_id=job.id, detail={"attempts": job.attempts})
            return None, True
        conn.execute(jobs.update().where(jobs.c.id == job.id, jobs.c.org_id == org_id).values(
            claim_token=token, worker_id=worker_id, lease_expires_at=now + lease, attempts=job.attempts + 1))
        conn.execute(export_org_slots.update().where(export_org_slots.c.org_id == org_id)
                     .values(job_id=job.id, claim_token=token, lease_expires_at=now + lease))
    else:
        apply_event(conn, org_id, job.id, JobEventType.STARTED, actor=f"worker:{worker_id}",
                    claim_token=token, worker_id=worker_id, lease=lease)
    conn.execute(export_job_claims.insert().values(  # claimed when the slot is held, not when the look began
        org_id=org_id, job_id=job.id, claim_token=token, worker_id=worker_id, recovered=recovered,
        claimed_at=utcnow()))
    record(conn, org_id=org_id, actor=f"worker:{worker_id}", action="export.stage.detect_and_claim",
           entity="export_job", entity_id=job.id,
           detail={"claim_token": token, "recovered": recovered, "attempt": job.attempts + 1})
    return Claim(job.id, org_id, job.integration, token, worker_id, recovered, lease), False


def heartbeat(db: Database, claim: Claim) -> bool:
    """Renew the lease; ``False`` when the claim was lost (expired and taken over, or the job ended)."""
    until = utcnow() + claim.lease
    with db.begin() as conn:
        held = conn.execute(export_jobs.update().where(
            export_jobs.c.id == claim.job_id, export_jobs.c.org_id == claim.org_id,
            export_jobs.c.claim_token == claim.claim_token,
            export_jobs.c.status == JobStatus.IN_PROGRESS.value,
        ).values(lease_expires_at=until)).rowcount == 1
        if held:
            conn.execute(export_org_slots.update().where(
                export_org_slots.c.org_id == claim.org_id, export_org_slots.c.claim_token == claim.claim_token,
            ).values(lease_expires_at=until))
    return held


def release(conn: Connection, claim: Claim) -> None:
    """Mark the claim record released (the job reached its final status)."""
    conn.execute(export_job_claims.update().where(
        export_job_claims.c.org_id == claim.org_id, export_job_claims.c.claim_token == claim.claim_token,
    ).values(released_at=utcnow()))
