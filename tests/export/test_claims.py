"""Claims: oldest eligible job per organisation, one in progress per organisation, leases, recovery, expiry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ledgerlink.export import repository
from ledgerlink.export.claims import claim_next, heartbeat
from ledgerlink.export.model import JobStatus
from ledgerlink.export.tables import export_job_claims, export_jobs, export_org_slots
from tests.export.helpers import item, make_job, make_org


def _expire(db: Any, org_id: str, job_id: str) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with db.begin() as conn:
        conn.execute(export_jobs.update().where(export_jobs.c.id == job_id).values(lease_expires_at=past))
        conn.execute(export_org_slots.update().where(export_org_slots.c.org_id == org_id).values(lease_expires_at=past))


def test_one_job_in_progress_per_organisation_oldest_first(db: Any) -> None:
    a = make_org(db, "a")
    b = make_org(db, "b")
    a1 = make_job(db, a, [item("a1")])
    a2 = make_job(db, a, [item("a2")])
    b1 = make_job(db, b, [item("b1")])
    first = claim_next(db, worker_id="w1")
    second = claim_next(db, worker_id="w2")
    assert (first.job_id, second.job_id) == (a1, b1)  # type: ignore[union-attr]
    assert claim_next(db, worker_id="w3") is None  # a2 waits: a1 of the same organisation is in progress
    with db.begin() as conn:
        repository.apply_event(conn, a, a1, repository.JobEventType.FAILED, actor="test",
                               failure_reason_type=repository.JobFailureReasonType.CANCELED_BY_USER)
    third = claim_next(db, worker_id="w3")
    assert third is not None and third.job_id == a2


def test_integration_filter(db: Any) -> None:
    a = make_org(db, "a")
    make_job(db, a, [item("a1")])
    assert claim_next(db, worker_id="w1", integration="other") is None
    assert claim_next(db, worker_id="w1", integration="books") is not None


def test_heartbeat_extends_and_a_taken_over_claim_is_lost(db: Any) -> None:
    a = make_org(db, "a")
    job_id = make_job(db, a, [item("a1")])
    claim = claim_next(db, worker_id="w1", lease=dt.timedelta(seconds=5))
    assert claim is not None and heartbeat(db, claim)
    _expire(db, a, job_id)
    taken = claim_next(db, worker_id="w2")
    assert taken is not None and taken.recovered and taken.job_id == job_id
    assert not heartbeat(db, claim)
    assert heartbeat(db, taken)
    with db.read() as conn:
        claims = conn.execute(sa.select(export_job_claims.c.worker_id, export_job_claims.c.recovered)
                              .where(export_job_claims.c.job_id == job_id).order_by(export_job_claims.c.id)).all()
        job = repository.get_job(conn, a, job_id)
    assert [tuple(c) for c in claims] == [("w1", False), ("w2", True)]
    assert job.status is JobStatus.IN_PROGRESS


def test_a_job_whose_lease_keeps_expiring_fails_as_job_expired(db: Any) -> None:
    a = make_org(db, "a")
    job_id = make_job(db, a, [item("a1")])
    for attempt in range(5):
        claim = claim_next(db, worker_id=f"w{attempt}", max_attempts=3)
        if claim is None:
            break
        _expire(db, a, job_id)
    with db.read() as conn:
        job = repository.get_job(conn, a, job_id)
        items = repository.job_items(conn, a, job_id)
    assert job.status is JobStatus.FAILED and job.failure_reason_type.value == "job_expired"
    assert {i.status.value for i in items} == {"abandoned"}
