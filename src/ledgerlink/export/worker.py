"""The export worker: claims jobs and runs the pipeline until told to stop.

``run_forever`` is what ``ledgerlink worker`` and ``ledgerlink up`` (in a thread) run; ``run_once``
is ``ledgerlink export run``: it processes every eligible job once and returns, or with ``dry_run``
previews the open jobs without writing anything.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from dataclasses import dataclass

import sqlalchemy as sa

from ledgerlink.export.claims import DEFAULT_LEASE
from ledgerlink.export.model import JobStatus, Preview
from ledgerlink.export.pipeline import DEFAULT_BATCH, TargetOpener, preview_job, process_job
from ledgerlink.export.stages import detect_and_claim
from ledgerlink.export.tables import export_jobs
from ledgerlink.store.database import Database

log = logging.getLogger("ledgerlink.export.worker")


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


@dataclass(frozen=True)
class JobOutcome:
    job_id: str
    org_id: str
    integration: str
    status: JobStatus | None  # None: the claim was lost to another worker
    recovered: bool


def run_once(db: Database, integration: str | None = None, dry_run: bool = False, *,
             worker_id: str | None = None, lease: dt.timedelta = DEFAULT_LEASE,
             open_target: TargetOpener | None = None, batch_size: int = DEFAULT_BATCH,
             ) -> list[JobOutcome] | list[Preview]:
    """Process every eligible job (of ``integration`` when given) once; with ``dry_run`` preview them."""
    if dry_run:
        with db.read() as conn:
            query = sa.select(export_jobs.c.org_id, export_jobs.c.id).where(
                export_jobs.c.status.in_([JobStatus.PENDING.value, JobStatus.IN_PROGRESS.value]))
            if integration is not None:
                query = query.where(export_jobs.c.integration == integration)
            jobs = conn.execute(query.order_by(export_jobs.c.created_at, export_jobs.c.id)).all()
        return [preview_job(db, org_id, job_id, open_target=open_target) for org_id, job_id in jobs]
    worker = worker_id or default_worker_id()
    outcomes: list[JobOutcome] = []
    while True:
        claim = detect_and_claim(db, worker_id=worker, lease=lease, integration=integration)
        if claim is None:
            return outcomes
        status = process_job(db, claim, open_target=open_target, batch_size=batch_size)
        outcomes.append(JobOutcome(claim.job_id, claim.org_id, claim.integration, status, claim.recovered))


def run_forever(db: Database, *, stop: threading.Event, poll_seconds: float = 1.0, worker_id: str | None = None,
                lease: dt.timedelta = DEFAULT_LEASE, open_target: TargetOpener | None = None,
                batch_size: int = DEFAULT_BATCH) -> None:
    """Claim and process jobs until ``stop`` is set; sleep ``poll_seconds`` when there is no work."""
    worker = worker_id or default_worker_id()
    log.info("export worker %s started", worker)
    while not stop.is_set():
        try:
            claim = detect_and_claim(db, worker_id=worker, lease=lease)
            if claim is None:
                stop.wait(poll_seconds)
                continue
            status = process_job(db, claim, open_target=open_target, batch_size=batch_size)
            log.info("job %s (org %s): %s", claim.job_id, claim.org_id, status.value if status else "claim lost")
        except Exception:  # the store went away for a moment: keep the worker alive
            log.exception("export worker %s: error; retrying in %.1fs", worker, poll_seconds)
            stop.wait(poll_seconds)
    log.info("export worker %s stopped", worker)
