"""Stage 10 on big batches: one post for the batch, refused items isolated by halving; the stages each
item went through; the cyclic garbage collector deferred while a batch runs."""

from __future__ import annotations

import gc
from typing import Any

from ledgerlink.export import pipeline
from ledgerlink.export.config import parse_config
from ledgerlink.export.ledger import PostingStatus
from ledgerlink.export.model import ITEM, ItemFailureReasonType
from ledgerlink.export.pipeline import map_and_post
from ledgerlink.heap import gc_deferred
from ledgerlink.export.stages import STAGES, ExportRun, ItemWork
from tests.export.helpers import MemoryTarget, config, item


def _run(target: MemoryTarget) -> ExportRun:
    run = ExportRun(db=None, org_id="org", job_id="job", integration="books", claim=None)  # type: ignore[arg-type]
    run.config = parse_config(config())
    run.target = target
    run.target_lock = target.lock_date()
    return run


def _works(count: int, **overrides: Any) -> list[ItemWork]:
    return [ItemWork(ITEM.validate_python(item(f"it-{n}", **overrides))) for n in range(count)]


def test_a_clean_batch_is_one_post() -> None:
    target = MemoryTarget()
    works = _works(64)
    map_and_post(_run(target), works)
    assert target.post_calls == 1 and len(target.posted) == 64
    assert all(w.failure is None and w.external_ids == [f"mem:{w.item.id}"] for w in works)
    assert all(w.stages[-1] == "create_entries" for w in works)


def test_refused_items_fail_alone_found_by_halving() -> None:
    target = MemoryTarget()
    target.reject_keys |= {"it-5", "it-41"}
    works = _works(64)
    map_and_post(_run(target), works)
    failed = {w.item.id: w.failure for w in works if w.failure is not None}
    assert set(failed) == {"it-5", "it-41"}
    assert {f.reason_type for f in failed.values()} == {ItemFailureReasonType.ACCOUNTING_SYSTEM_VALIDATION_FAILURE}
    assert set(target.posted) == {f"it-{n}" for n in range(64)} - {"it-5", "it-41"}
    assert target.post_calls <= 1 + 2 * 2 * 6  # at most two posts per level of halving per refused item
    assert all(w.external_ids == [f"mem:{w.item.id}"] for w in works if w.failure is None)
    assert all("create_entries" not in w.stages for w in works if w.failure is not None)


def test_each_item_records_the_stages_it_went_through_in_order(monkeypatch: Any) -> None:
    run = _run(MemoryTarget())
    run.config = parse_config(config(closed_period={"strategy": "fail", "lock_date": "2026-03-31"}))
    works = [ItemWork(ITEM.validate_python(body)) for body in (
        item("ok", date="2026-04-02"),
        item("unknown-account", date="2026-04-02", lines=[{"line_amount": "119.00", "account": {"code": "4711"}}]),
        item("closed", date="2026-03-02"),
        item("bug", date="2026-04-02"),
    )]
    real_status = pipeline.resolve_posting_status

    def status_with_a_bug(run: ExportRun, work: ItemWork) -> None:
        if work.item.id == "bug":
            raise RuntimeError("a bug in stage 9")
        real_status(run, work)

    monkeypatch.setattr(pipeline, "resolve_posting_status", status_with_a_bug)
    map_and_post(run, works)
    stages = {w.item.id: w.stages for w in works}
    assert stages["ok"] == list(STAGES[3:10])
    assert stages["unknown-account"] == ["resolve_bookkeeping_method"]  # stage 5 failed
    assert stages["closed"] == list(STAGES[3:7])  # stage 8 failed
    assert stages["bug"] == list(STAGES[3:8])  # stage 9 failed unexpectedly
    assert [w.failure.reason_type for w in works[1:]] == [  # type: ignore[union-attr]
        ItemFailureReasonType.ACCOUNT_UNKNOWN, ItemFailureReasonType.CLOSED_PERIOD,
        ItemFailureReasonType.UNEXPECTED_FAILURE]


def test_entries_already_in_the_target_are_not_posted_again() -> None:
    target = MemoryTarget()
    works = _works(10)
    map_and_post(_run(target), works[:4])
    again = _works(10)
    map_and_post(_run(target), again)
    assert target.post_calls == 2 and len(target.posted) == 10
    assert [w.already_posted for w in again] == [True] * 4 + [False] * 6
    assert {status for _entry, status in target.posted.values()} == {PostingStatus.FINALISED}


def test_gc_is_deferred_inside_a_batch_and_restored_after() -> None:
    assert gc.isenabled()
    seen = []

    class Watching(MemoryTarget):
        def post(self, entries: Any, status: PostingStatus) -> list[str]:
            seen.append(gc.isenabled())
            return super().post(entries, status)

    map_and_post(_run(Watching()), _works(3))
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        with gc_deferred():
            pass
        assert not gc.isenabled()  # a caller that had switched it off keeps it off
    finally:
        gc.enable()
    try:
        with gc_deferred():
            raise KeyError("boom")
    except KeyError:
        pass
    assert gc.isenabled()
