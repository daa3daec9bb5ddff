"""Group commit: one fsync shared by every thread that asked for one while the previous was running.

Rule: :meth:`SyncGroup.sync` returns only after a call of ``flush`` that *started after*
``sync`` was called has finished — so every write the caller completed before calling ``sync``
is covered — and at most one ``flush`` runs at a time. While one runs, the callers that arrive
wait together and the next single ``flush`` serves them all. With N upload threads, N fsyncs
of the same folder (or of the spool's log) become about one.

A ``flush`` that raises is reported to the callers it was meant to serve; the next caller
starts a new one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path


class SyncGroup:
    def __init__(self, flush: Callable[[], None]):
        self._flush = flush
        self._cond = threading.Condition()
        self._started = 0  # flushes started so far; each has a number 1, 2, ...
        self._finished = 0  # number of the last flush that finished (they run one at a time, in order)
        self._running = False
        self._errors: dict[int, BaseException] = {}
        self.flushes = 0  # flushes actually run (for tests and figures)

    def sync(self) -> None:
        with self._cond:
            need = self._started + 1  # the first flush to start from now on covers this caller
            while self._finished < need:
                if self._running:
                    self._cond.wait()
                    continue
                self._running = True
                self._started += 1
                number = self._started
                self._cond.release()
                error: BaseException | None = None
                try:
                    self._flush()
                except BaseException as exc:  # handed to every caller this flush was meant to serve
                    error = exc
                finally:
                    self._cond.acquire()
                    self._running = False
                    self._finished = number
                    self.flushes += 1
                    if error is not None:
                        self._errors = {number: error}
                    self._cond.notify_all()
            error = self._errors.get(need) if need == self._finished else None
            if error is not None:
                raise error


class FolderSyncer:
    """A :class:`SyncGroup` per folder: ``sync(folder)`` makes the folder's entries durable."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[str, SyncGroup] = {}

    def sync(self, folder: Path) -> None:
        key = str(folder)
        with self._lock:
            group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = SyncGroup(lambda: fsync_dir(folder))
        group.sync()


def fsync_dir(folder: Path) -> None:
    """fsync a folder so that its entries (created, renamed, removed files) survive a power cut."""
    if os.name == "nt":  # NTFS makes renames durable itself; folders cannot be opened for fsync
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
