"""Group commit: concurrent callers share flushes, and each returns only once a flush covering it ran."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ledgerlink.collector.groupsync import FolderSyncer, SyncGroup


class Journal:
    """Writes numbered 1, 2, ...; a flush makes durable every write made before it started."""

    def __init__(self, pause: float = 0.0):
        self.lock = threading.Lock()
        self.written = 0
        self.durable = 0
        self.pause = pause

    def write(self) -> int:
        with self.lock:
            self.written += 1
            return self.written

    def flush(self) -> None:
        with self.lock:
            covered = self.written
        time.sleep(self.pause)
        with self.lock:
            self.durable = max(self.durable, covered)


def test_one_caller_at_a_time_gets_one_flush_each() -> None:
    journal = Journal()
    group = SyncGroup(journal.flush)
    for _ in range(3):
        mine = journal.write()
        group.sync()
        assert journal.durable >= mine
    assert group.flushes == 3


def test_concurrent_callers_share_flushes_and_each_is_covered() -> None:
    journal = Journal(pause=0.02)
    group = SyncGroup(journal.flush)
    uncovered: list[int] = []
    start = threading.Barrier(16)

    def worker() -> None:
        start.wait()
        for _ in range(10):
            mine = journal.write()
            group.sync()
            if journal.durable < mine:
                uncovered.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert uncovered == []
    assert journal.durable == 160
    assert group.flushes < 160 / 3, group.flushes  # 160 syncs, far fewer flushes


def test_a_failed_flush_is_raised_to_its_callers_and_the_next_call_flushes_again() -> None:
    calls = []

    def flush() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OSError(5, "I/O error")

    group = SyncGroup(flush)
    with pytest.raises(OSError, match="I/O error"):
        group.sync()
    group.sync()
    assert len(calls) == 2


def test_folder_syncer_fsyncs_real_folders(tmp_path: Path) -> None:
    syncer = FolderSyncer()
    (tmp_path / "a").mkdir()
    syncer.sync(tmp_path / "a")
    syncer.sync(tmp_path)
    with pytest.raises(FileNotFoundError):
        syncer.sync(tmp_path / "missing")
