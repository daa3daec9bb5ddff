"""The server's start-up heap is frozen out of the cyclic collector's generations."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerlink.api import asgi
from ledgerlink.heap import gc_deferred, settle_after_startup


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process keeps collecting everything


def test_settle_after_startup_freezes_what_is_alive(unfrozen: None) -> None:
    alive = [[n] for n in range(1000)]  # lists are tracked by the collector
    frozen = settle_after_startup()
    assert frozen == gc.get_freeze_count() > len(alive)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0


def test_a_worker_process_app_settles_its_heap(
    unfrozen: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERLINK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LEDGERLINK_DATABASE_URL", raising=False)
    assert gc.get_freeze_count() == 0
    app = asgi.create_app_from_env()
    assert gc.get_freeze_count() > 0
    app.state.db.dispose()


def test_gc_deferred_pauses_collection_and_always_resumes_it() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with gc_deferred():
            assert not gc.isenabled()
            with gc_deferred():  # nested: the inner block leaves collection off
                pass
            assert not gc.isenabled()
            raise RuntimeError("a failing batch")
    assert gc.isenabled()


def test_gc_deferred_leaves_collection_off_when_it_found_it_off() -> None:
    gc.disable()
    try:
        with gc_deferred():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
