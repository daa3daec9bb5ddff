"""Export API: items, jobs, job items (the control layer), job events, preview.

Modelled on the export-jobs API of spend platforms: items are submitted, a job groups them for one
integration, the worker (or an external integration through these endpoints) reports item results
and exactly one final job event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Query
from sqlalchemy.engine import Connection

from ledgerlink.api.deps import connection, database, read_connection, require_scope
from ledgerlink.api.problems import Problem
from ledgerlink.export import repository
from ledgerlink.export.model import (
    ItemResults,
    ItemsSubmission,
    ItemsSubmissionResult,
    Job,
    JobCreate,
    JobEvent,
    JobEventCreate,
    JobItemList,
    JobList,
    JobStatus,
    Preview,
)
from ledgerlink.export.pipeline import preview_job
from ledgerlink.services.tenancy import Principal
from ledgerlink.store.audit import record
from ledgerlink.store.database import Database

router = APIRouter(prefix="/v1", tags=["export"])
T = TypeVar("T")


def problem_of(exc: repository.ExportError) -> Problem:
    return Problem(exc.status, exc.title, exc.detail, [v.as_dict() for v in exc.violations])


def _guarded(call: Callable[[], T]) -> T:
    try:
        return call()
    except repository.ExportError as exc:
        raise problem_of(exc) from None


def _actor(who: Principal) -> str:
    return f"key:{who.key_id}"


@router.post("/export-items", summary="Submit export items (accounting entries to post)")
def submit_items(body: ItemsSubmission, who: Principal = Depends(require_scope("export")),
                 conn: Connection = Depends(connection)) -> ItemsSubmissionResult:
    results = repository.put_items(conn, who.org_id, body.items)
    record(conn, org_id=who.org_id, actor=_actor(who), action="export.items.submitted", entity="export_item",
           detail={"count": len(results), "accepted": sum(r.status == "accepted" for r in results)})
    return ItemsSubmissionResult(items=tuple(results))


@router.post("/export-jobs", status_code=201, summary="Create an export job (409 while one is in progress)")
def create_job(body: JobCreate, who: Principal = Depends(require_scope("export")),
               conn: Connection = Depends(connection)) -> Job:
    job = _guarded(lambda: repository.create_job(conn, who.org_id, integration=body.integration,
                                                 item_ids=body.item_ids, actor=_actor(who)))
    record(conn, org_id=who.org_id, actor=_actor(who), action="export.job.created", entity="export_job",
           entity_id=job.id, detail={"integration": job.integration, "items": job.item_count})
    return job


@router.get("/export-jobs", summary="List export jobs, newest first")
def list_jobs(status: JobStatus | None = Query(default=None), limit: int = Query(default=100, ge=1, le=1000),
              who: Principal = Depends(require_scope("export", "read")),
              conn: Connection = Depends(read_connection)) -> JobList:
    return JobList(jobs=tuple(repository.list_jobs(conn, who.org_id, status, limit)))


@router.get("/export-jobs/{job_id}", summary="One export job")
def get_job(job_id: str, who: Principal = Depends(require_scope("export", "read")),
            conn: Connection = Depends(read_connection)) -> Job:
    return _guarded(lambda: repository.get_job(conn, who.org_id, job_id))


@router.get("/export-jobs/{job_id}/items", summary="The job's items: status, external id, failure reason")
def get_job_items(job_id: str, who: Principal = Depends(require_scope("export", "read")),
                  conn: Connection = Depends(read_connection)) -> JobItemList:
    _guarded(lambda: repository.get_job(conn, who.org_id, job_id))
    return JobItemList(items=tuple(repository.job_items(conn, who.org_id, job_id)))


@router.put("/export-jobs/{job_id}/items", summary="Report item results (at most 100 per call)")
def put_job_items(job_id: str, body: ItemResults, who: Principal = Depends(require_scope("export")),
                  conn: Connection = Depends(connection)) -> JobItemList:
    items = _guarded(lambda: repository.report_item_results(conn, who.org_id, job_id, body.items))
    record(conn, org_id=who.org_id, actor=_actor(who), action="export.job.item_results", entity="export_job",
           entity_id=job_id, detail={"items": [f"{r.id}:{r.status.value}" for r in body.items]})
    return JobItemList(items=tuple(items))


@router.get("/export-jobs/{job_id}/events", summary="The job's events, oldest first")
def get_job_events(job_id: str, who: Principal = Depends(require_scope("export", "read")),
                   conn: Connection = Depends(read_connection)) -> dict[str, Any]:
    _guarded(lambda: repository.get_job(conn, who.org_id, job_id))
    return {"events": [e.model_dump(mode="json") for e in repository.job_events(conn, who.org_id, job_id)]}


@router.post("/export-job-events", status_code=201, summary="Move a job: started / completed / "
             "completed_with_errors / failed (invalid transitions → 422)")
def post_job_event(body: JobEventCreate, who: Principal = Depends(require_scope("export")),
                   conn: Connection = Depends(connection)) -> JobEvent:
    event = _guarded(lambda: repository.apply_event(
        conn, who.org_id, body.job_id, body.type, actor=_actor(who), failure_reason=body.failure_reason,
        failure_reason_type=body.failure_reason_type))
    record(conn, org_id=who.org_id, actor=_actor(who), action=f"export.job.{body.type.value}",
           entity="export_job", entity_id=body.job_id,
           detail={"failure_reason_type": body.failure_reason_type.value if body.failure_reason_type else None})
    return event


@router.post("/export-jobs/{job_id}/preview", summary="Dry run: the exact entries and ledger text, nothing written")
def preview(job_id: str, who: Principal = Depends(require_scope("export")),
            db: Database = Depends(database)) -> Preview:
    return _guarded(lambda: preview_job(db, who.org_id, job_id))
