"""SQLite WAL checkpoints run in a background thread, not inside a request's commit."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import sqlalchemy as sa

from ledgerlink.store.checkpoint import BACKSTOP_PAGES
from ledgerlink.store.database import Database


def _wait_for(condition: object, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.02)
    return False


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate()}


def test_commits_leave_checkpoints_to_the_background_thread(tmp_path: Path) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    assert db.checkpointer is not None
    db.checkpointer.threshold_bytes = 64 * 1024
    try:
        with db.begin() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKSTOP_PAGES
            conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        for batch in range(5):
            with db.begin() as conn:
                conn.execute(sa.text("INSERT INTO t (body) VALUES (:b)"), [{"b": "x" * 2000}] * 100)
        assert db.checkpointer.running and "sqlite-wal-checkpoint" in _threads()
        assert _wait_for(lambda: db.checkpointer is not None and db.checkpointer.checkpoints > 0)
        # the pages reach the database file itself (not just the log)
        assert _wait_for(lambda: (tmp_path / "store.sqlite3").stat().st_size > 500 * 2000)
        with db.read() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 500
    finally:
        db.dispose()
    assert not db.checkpointer.running


def test_a_small_log_is_left_alone(tmp_path: Path) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        with db.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        time.sleep(0.2)
        assert db.checkpointer is not None and db.checkpointer.checkpoints == 0
    finally:
        db.dispose()

