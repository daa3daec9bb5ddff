"""Runs the stages of :mod:`ledgerlink.export.stages` in order, for one claimed job or one preview.

The order is written out below, call by call, and each stage leaves an ``export.stage.<name>`` row in
the audit log (job-level stages on the job, per-item stages on the item, written with the item's
result). One failing item never stops the others; a :class:`~ledgerlink.export.stages.JobFailed`
(pre-export validation, target unreachable) or an unexpected error ends the job ``failed``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from ledgerlink.export import repository
from ledgerlink.export.claims import Claim, heartbeat
from ledgerlink.export.ledger import Entry
from ledgerlink.export.model import (
    ItemFailureReasonType,
    JobFailureReasonType,
    JobStatus,
    Preview,
    PreviewEntry,
    PreviewItem,
)
from ledgerlink.export.stages import (
    ExportRun,
    ItemFailed,
    ItemWork,
    JobFailed,
    apply_accounting_period,
    create_entries,
    fetch_attachments,
    fetch_item_data,
    map_accounts,
    map_data,
    resolve_bookkeeping_method,
    resolve_posting_status,
    update_item_status,
    update_job_status,
    validate_pre_export,
)
from ledgerlink.export.targets.base import Target, TargetError
from ledgerlink.heap import gc_deferred
from ledgerlink.store.audit import record
from ledgerlink.store.database import Database

log = logging.getLogger("ledgerlink.export")

TargetOpener = Callable[[Mapping[str, Any]], Target]
DEFAULT_BATCH = 1000
"""Items per batch: their entries are posted in one durable write, their results recorded in one transaction."""


class Heartbeat:
    """Renews a claim's lease every third of the lease in a background thread; ``lost`` once it fails."""

    def __init__(self, db: Database, claim: Claim):
        self.db, self.claim = db, claim
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{claim.job_id[:8]}", daemon=True)

    def _run(self) -> None:
        interval = max(self.claim.lease.total_seconds() / 3, 0.05)
        while not self._stop.wait(interval):
            try:
                if not heartbeat(self.db, self.claim):
                    self.lost.set()
                    return
            except Exception:  # a transient store error: try again next beat
                log.warning("heartbeat failed for job %s", self.claim.job_id, exc_info=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _audit(run: ExportRun, stage: str, **detail: Any) -> None:
    with run.db.begin() as conn:
        record(conn, org_id=run.org_id, actor=run.actor, action=f"export.stage.{stage}", entity="export_job",
               entity_id=run.job_id, detail=detail or None)


def process_job(db: Database, claim: Claim, *, open_target: TargetOpener | None = None,
                batch_size: int = DEFAULT_BATCH, item_hook: Callable[[ItemWork], None] | None = None,
                ) -> JobStatus | None:
    """Stages 2–12 for a claimed job (stage 1 is the claim). Returns the final status, or ``None`` when
    the claim was lost to another worker (which then finishes the job)."""
    run = ExportRun(db, claim.org_id, claim.job_id, claim.integration, claim, actor=f"worker:{claim.worker_id}",
                    open_target=open_target)
    try:
        with Heartbeat(db, claim) as beat:
            try:
                validate_pre_export(run)
                _audit(run, "validate_pre_export", target=run.target.kind if run.target else None)
                works = fetch_item_data(run)
                _audit(run, "fetch_item_data", items=len(works), recovered=claim.recovered)
                for start in range(0, len(works), batch_size):
                    if beat.lost.is_set():
                        log.warning("lost the claim on job %s; stopping", claim.job_id)
                        return None
                    batch = works[start:start + batch_size]
                    process_batch(run, batch)
                    if item_hook is not None:
                        for work in batch:
                            item_hook(work)
            except JobFailed as failure:
                return update_job_status(run, failure)
            except Exception as exc:
                log.exception("export job %s failed unexpectedly", claim.job_id)
                return update_job_status(run, JobFailed(JobFailureReasonType.UNEXPECTED_FAILURE,
                                                        f"{type(exc).__name__}: {exc}"))
            if beat.lost.is_set():
                return None
            return update_job_status(run)
    finally:
        if run.http is not None:
            run.http.close()


def process_batch(run: ExportRun, works: list[ItemWork]) -> None:
    """Stages 4–11 for a batch of items, in order: the items are marked ``in_progress``, stages 4–9 run
    item by item (:func:`map_items`), stage 10 posts the batch's entries in one write
    (:func:`post_items`), stage 11 records every result of the batch at once."""
    run.start_batch()
    if not run.dry_run:
        with run.db.begin() as conn:
            repository.mark_items_in_progress(conn, run.org_id, run.job_id, [w.item.id for w in works])
    map_and_post(run, works)
    update_item_status(run, works)


def map_and_post(run: ExportRun, works: list[ItemWork]) -> None:
    """Stages 4–10 for a batch: :func:`map_items`, then :func:`post_items`, with the cyclic garbage
    collector deferred until the batch is done (see :func:`ledgerlink.heap.gc_deferred`)."""
    with gc_deferred():
        post_items(run, map_items(run, works))


def map_items(run: ExportRun, works: list[ItemWork]) -> list[ItemWork]:
    """Stages 4–9 item by item, in order; an :class:`ItemFailed` stops that item only. Returns the items
    ready for stage 10."""
    ready = []
    for work in works:
        try:
            resolve_bookkeeping_method(run, work)
            work.stages.append("resolve_bookkeeping_method")
            map_accounts(run, work)
            work.stages.append("map_accounts")
            map_data(run, work)
            work.stages.append("map_data")
            fetch_attachments(run, work)
            work.stages.append("fetch_attachments")
            apply_accounting_period(run, work)
            work.stages.append("apply_accounting_period")
            resolve_posting_status(run, work)
            work.stages.append("resolve_posting_status")
            ready.append(work)
        except ItemFailed as failure:
            work.failure = failure
        except Exception as exc:  # a bug or an unforeseen input: this item fails, the others go on
            log.exception("item %s failed unexpectedly", work.item.id)
            work.failure = ItemFailed(ItemFailureReasonType.UNEXPECTED_FAILURE, f"{type(exc).__name__}: {exc}")
    return ready


def post_items(run: ExportRun, ready: list[ItemWork]) -> None:
    """Stage 10 for the items stages 4–9 left ready: one ``post`` for the batch; an unforeseen error of the
    target (not a refusal, which stage 10 isolates itself) makes the items go one by one."""
    try:
        create_entries(run, ready)
    except JobFailed:
        raise
    except Exception as exc:  # an unforeseen target error: post item by item to find the culprit
        if len(ready) > 1:
            log.warning("batch post failed (%s); posting item by item", exc)
            for work in ready:
                _create_one(run, work)
        elif ready:
            ready[0].failure = ItemFailed(ItemFailureReasonType.UNEXPECTED_FAILURE, f"{type(exc).__name__}: {exc}")
    for work in ready:
        if work.failure is None:
            work.stages.append("create_entries")


def _create_one(run: ExportRun, work: ItemWork) -> None:
    try:
        create_entries(run, [work])
    except JobFailed:
        raise
    except Exception as exc:
        work.failure = ItemFailed(ItemFailureReasonType.UNEXPECTED_FAILURE, f"{type(exc).__name__}: {exc}")


def preview_job(db: Database, org_id: str, job_id: str, *,
                open_target: TargetOpener | None = None) -> Preview:
    """Dry run: stages 2–10 without writing anything; the exact entries and the text the target would write."""
    with db.read() as conn:
        job = repository.get_job(conn, org_id, job_id)
    if job.status.is_final:
        raise repository.Conflict(f"job {job_id} is {job.status.value}; nothing left to preview")
    run = ExportRun(db, org_id, job_id, job.integration, None, dry_run=True, actor="preview",
                    open_target=open_target)
    try:
        try:
            validate_pre_export(run)
        except JobFailed as failure:
            raise repository.ExportError(f"{failure.reason_type.value}: {failure.message}") from None
        assert run.target is not None
        works = fetch_item_data(run)
        items: list[PreviewItem] = []
        to_render: list[Entry] = []
        status = None
        process_batch(run, works)
        for work in works:
            status = work.posting_status if work.failure is None else status
            if work.failure is not None:
                items.append(PreviewItem(id=work.item.id, status="failed", failure_reason=work.failure.message,
                                         failure_reason_type=work.failure.reason_type))
                continue
            if not work.already_posted:
                to_render.extend(e for e, ext in zip(work.entries, work.external_ids) if not ext)
            items.append(PreviewItem(
                id=work.item.id, status="already_posted" if work.already_posted else "ok",
                entries=tuple(_preview_entry(e) for e in work.entries)))
        if status is None:
            assert run.config is not None
            from ledgerlink.export.ledger import PostingStatus
            status = PostingStatus.FINALISED if run.config.post_as_draft is False else PostingStatus.DRAFT
        try:
            text = run.target.render(to_render, status) if to_render else ""
        except TargetError as exc:
            raise repository.ExportError(f"the target refuses the batch: {exc}") from None
        return Preview(job_id=job_id, integration=job.integration, target=run.target.kind,
                       posting_status=status.value, items=tuple(items), text=text)
    finally:
        if run.http is not None:
            run.http.close()


def _preview_entry(entry: Entry) -> PreviewEntry:
    balances: dict[str, str] = {}
    for posting in entry.postings:
        balances[posting.currency] = str(
            sum((p.amount for p in entry.postings if p.currency == posting.currency), start=posting.amount * 0))
    return PreviewEntry(
        key=entry.key, item_id=entry.item_id, kind=entry.kind.value, date=entry.date,
        description=entry.description,
        postings=tuple({"account": p.account, "amount": str(p.amount), "currency": p.currency,
                        "tags": [list(t) for t in p.tags], **({"memo": p.memo} if p.memo else {})}
                       for p in entry.postings),
        balances=balances,
    )
