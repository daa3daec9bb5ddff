"""The pipeline on a claimed job: stage order, per-item results, one final event, failure reasons,
target-side idempotency and lease recovery (in-memory target; real ledgers in test_end_to_end)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ledgerlink.export import repository
from ledgerlink.export.claims import claim_next
from ledgerlink.export.model import ItemStatus, JobStatus
from ledgerlink.export.pipeline import preview_job, process_job
from ledgerlink.export.stages import STAGES
from ledgerlink.export.tables import export_job_events, export_jobs, export_org_slots, integrations
from ledgerlink.export.targets.base import TargetMisconfigured
from ledgerlink.export.worker import run_once
from ledgerlink.store.schema import audit_log
from tests.export.helpers import MemoryTarget, config, item, make_job, make_org


def _opener(target: MemoryTarget) -> Any:
    return lambda _cfg: target


def _items(db: Any, org_id: str, job_id: str) -> dict[str, Any]:
    with db.read() as conn:
        return {i.id: i for i in repository.job_items(conn, org_id, job_id)}


def _job(db: Any, org_id: str, job_id: str) -> Any:
    with db.read() as conn:
        return repository.get_job(conn, org_id, job_id)


def test_one_bad_item_never_blocks_the_others_and_one_final_event(db: Any) -> None:
    org = make_org(db)
    bad = item("bad", lines=[{"line_amount": "119.00", "account": {"code": "4711"}}])
    job_id = make_job(db, org, [item("a"), bad, item("c")])
    target = MemoryTarget()
    [outcome] = run_once(db, open_target=_opener(target), worker_id="w1")
    assert outcome.status is JobStatus.COMPLETED_WITH_ERRORS
    items = _items(db, org, job_id)
    assert items["a"].status is ItemStatus.SUCCESSFUL and items["a"].external_id == "mem:a"
    assert items["c"].status is ItemStatus.SUCCESSFUL
    assert items["bad"].status is ItemStatus.FAILED and items["bad"].failure_reason_type.value == "account_unknown"
    assert "lines[0].account" in items["bad"].failure_reason
    assert set(target.posted) == {"a", "c"}
    with db.read() as conn:
        events = [r.type for r in conn.execute(sa.select(export_job_events.c.type).where(
            export_job_events.c.job_id == job_id).order_by(export_job_events.c.id))]
        slot = conn.execute(sa.select(export_org_slots).where(export_org_slots.c.org_id == org)).one()
    assert events == ["started", "completed_with_errors"]
    assert slot.job_id is None  # the organisation is free for its next job


def test_stage_order_is_visible_in_the_audit_log(db: Any) -> None:
    org = make_org(db)
    job_id = make_job(db, org, [item("a")])
    run_once(db, open_target=_opener(MemoryTarget()), worker_id="w1")
    with db.read() as conn:
        actions = [r.action.removeprefix("export.stage.") for r in conn.execute(
            sa.select(audit_log.c.action).where(audit_log.c.org_id == org, audit_log.c.action.like("export.stage.%"))
            .order_by(audit_log.c.id))]
    assert tuple(actions) == STAGES
    assert job_id


def test_all_successful_is_completed_and_posting_status_is_passed_on(db: Any) -> None:
    cfg = config()
    cfg.pop("post_as_draft")
    org = make_org(db, integration=cfg)
    job_id = make_job(db, org, [item("a"), item("b")])
    target = MemoryTarget()
    [outcome] = run_once(db, open_target=_opener(target), worker_id="w1")
    assert outcome.status is JobStatus.COMPLETED and _job(db, org, job_id).status is JobStatus.COMPLETED
    assert {status.value for _entry, status in target.posted.values()} == {"draft"}


def test_pre_export_failures_fail_the_job_and_abandon_items(db: Any) -> None:
    org = make_org(db)
    job_id = make_job(db, org, [item("a")])
    target = MemoryTarget()
    target.unreachable = True
    [outcome] = run_once(db, open_target=_opener(target), worker_id="w1")
    assert outcome.status is JobStatus.FAILED
    job = _job(db, org, job_id)
    assert job.failure_reason_type.value == "accounting_system_unreachable"
    assert _items(db, org, job_id)["a"].status is ItemStatus.ABANDONED

    def misconfigured(_cfg: Any) -> Any:
        raise TargetMisconfigured("consultant_number missing", path="target.consultant_number")

    job_id = make_job(db, org, [item("a")])
    run_once(db, open_target=misconfigured, worker_id="w1")
    assert _job(db, org, job_id).failure_reason_type.value == "invalid_configuration"

    job_id = make_job(db, org, [item("a")])
    with db.begin() as conn:
        conn.execute(integrations.delete().where(integrations.c.org_id == org))
    run_once(db, open_target=_opener(MemoryTarget()), worker_id="w1")
    assert _job(db, org, job_id).failure_reason_type.value == "missing_configuration"


def test_an_unforeseen_error_fails_the_job_as_unexpected_failure(db: Any) -> None:
    org = make_org(db)
    job_id = make_job(db, org, [item("a")])

    def broken(_cfg: Any) -> Any:
        raise RuntimeError("a bug in a target plug-in")

    [outcome] = run_once(db, open_target=broken, worker_id="w1")
    job = _job(db, org, job_id)
    assert outcome.status is JobStatus.FAILED and job.failure_reason_type.value == "unexpected_failure"
    assert "a bug in a target plug-in" in job.failure_reason


def test_target_refusal_and_unexpected_errors_fail_only_that_item(db: Any) -> None:
    org = make_org(db)
    job_id = make_job(db, org, [item("a"), item("b"), item("c")])
    target = MemoryTarget()
    target.reject_keys.add("a")
    target.explode_on.add("b")
    run_once(db, open_target=_opener(target), worker_id="w1")
    items = _items(db, org, job_id)
    assert items["a"].failure_reason_type.value == "accounting_system_validation_failure"
    assert items["b"].failure_reason_type.value == "unexpected_failure"
    assert items["c"].status is ItemStatus.SUCCESSFUL


def test_closed_period_and_currency_reasons_reach_the_item(db: Any) -> None:
    org = make_org(db, integration=config(currency="EUR", closed_period={"strategy": "fail", "lock_date": "2026-02-28"}))
    job_id = make_job(db, org, [item("old", date="2026-02-01"),
                                item("usd", amount={"value": "119.00", "currency": "USD"},
                                     lines=[{"line_amount": "119.00", "account": {"code": "6110"}}]),
                                item("ok")])
    run_once(db, open_target=_opener(MemoryTarget()), worker_id="w1")
    items = _items(db, org, job_id)
    assert items["old"].failure_reason_type.value == "closed_period"
    assert items["usd"].failure_reason_type.value == "currency_unsupported"
    assert items["ok"].status is ItemStatus.SUCCESSFUL


def test_an_entry_already_in_the_target_is_not_posted_again(db: Any) -> None:
    """A worker that died after posting but before recording: the next run asks the target first."""
    org = make_org(db)
    job_id = make_job(db, org, [item("a"), item("b")])
    target = MemoryTarget()
    claim = claim_next(db, worker_id="crashed")
    assert claim is not None
    from ledgerlink.export.model import ITEM
    from ledgerlink.export.stages import ExportRun, ItemWork, map_accounts, map_data, resolve_bookkeeping_method

    run = ExportRun(db, org, job_id, "books", claim)
    from ledgerlink.export.config import parse_config
    run.config, run.target = parse_config(config()), target
    work = ItemWork(ITEM.validate_python(item("a")))
    resolve_bookkeeping_method(run, work)
    map_accounts(run, work)
    map_data(run, work)
    target.post(work.entries, "finalised")  # type: ignore[arg-type]
    calls_before = target.post_calls
    # the crashed worker's lease runs out; another worker recovers the job
    with db.begin() as conn:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        conn.execute(export_jobs.update().where(export_jobs.c.id == job_id).values(lease_expires_at=past))
        conn.execute(export_org_slots.update().where(export_org_slots.c.org_id == org).values(lease_expires_at=past))
    [outcome] = run_once(db, open_target=_opener(target), worker_id="w2")
    assert outcome.recovered and outcome.status is JobStatus.COMPLETED
    assert target.post_calls == calls_before + 1  # only b was posted
    assert _items(db, org, job_id)["a"].external_id == "mem:a"


def test_recovered_job_processes_only_open_items(db: Any) -> None:
    org = make_org(db)
    job_id = make_job(db, org, [item("a"), item("b")])
    claim = claim_next(db, worker_id="w1")
    assert claim is not None
    with db.begin() as conn:
        assert repository.set_item_result(conn, org, job_id, "a", status=ItemStatus.SUCCESSFUL, external_id="earlier",
                                          claim_token=claim.claim_token)
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        conn.execute(export_jobs.update().where(export_jobs.c.id == job_id).values(lease_expires_at=past))
        conn.execute(export_org_slots.update().where(export_org_slots.c.org_id == org).values(lease_expires_at=past))
    target = MemoryTarget()
    [outcome] = run_once(db, open_target=_opener(target), worker_id="w2")
    assert outcome.recovered
    assert set(target.posted) == {"b"}
    assert _items(db, org, job_id)["a"].external_id == "earlier"
    # the first worker lost its claim: its late result is refused
    with db.begin() as conn:
        assert not repository.set_item_result(conn, org, job_id, "b", status=ItemStatus.FAILED,
                                              failure_reason_type="unexpected_failure", claim_token=claim.claim_token)


def test_lost_claim_stops_the_old_worker(db: Any) -> None:
    org = make_org(db)
    make_job(db, org, [item("a")])
    claim = claim_next(db, worker_id="w1")
    assert claim is not None
    with db.begin() as conn:
        conn.execute(export_jobs.update().where(export_jobs.c.id == claim.job_id).values(claim_token="someone-else"))
    assert process_job(db, claim, open_target=_opener(MemoryTarget())) is None


def test_preview_returns_entries_and_text_without_writing(db: Any) -> None:
    org = make_org(db)
    job_id = make_job(db, org, [item("a"), item("bad", lines=[{"line_amount": "119.00", "account": {"code": "0"}}])])
    target = MemoryTarget()
    preview = preview_job(db, org, job_id, open_target=_opener(target))
    assert target.posted == {}
    ok, bad = preview.items
    assert ok.status == "ok" and bad.status == "failed" and bad.failure_reason_type.value == "account_unknown"
    [entry] = ok.entries
    assert entry.balances == {"EUR": "0.00"}
    assert [p["account"] for p in entry.postings] == ["Expenses:Travel", "Assets:VAT:Input19", "Assets:Wallet"]
    assert "Assets:Wallet=-119.00" in preview.text and preview.posting_status == "finalised"
    assert _job(db, org, job_id).status is JobStatus.PENDING
    assert {i.status for i in _items(db, org, job_id).values()} == {ItemStatus.PENDING}
