"""SQLite WAL checkpoints off the request path.

In WAL mode every commit appends pages to the ``-wal`` file; a *checkpoint* copies them back into
the database file and flushes it. By default SQLite does that inside whichever commit takes the log
past 1,000 pages, so one request in a few pays for copying and flushing everybody's pages.

:class:`WalCheckpointer` moves that work to a background thread of the process: after a connection
goes back to the pool it looks at the log's size, and once it holds ``threshold_bytes`` it runs a
``PASSIVE`` checkpoint, which never blocks writers or readers (SQLite copies what no reader still
needs; the rest waits for the next round). The work runs in SQLite's C code without holding
Python's GIL, so it overlaps with the request threads.

Rules: nothing about durability changes (the same WAL, ``synchronous=NORMAL``, the same flushes,
only in another thread); connections keep a high ``wal_autocheckpoint`` as a backstop, so the log
stays bounded even if this thread falls behind; :meth:`WalCheckpointer.close` stops the thread.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

DEFAULT_THRESHOLD_BYTES = 4 * 1024 * 1024
"""About SQLite's own default (1,000 pages of 4 KiB)."""

BACKSTOP_PAGES = 16_000
"""``wal_autocheckpoint`` of the pool's connections: commits checkpoint themselves only past ~64 MB."""


class WalCheckpointer:
    """Checkpoints one SQLite database's write-ahead log from a daemon thread."""

    def __init__(self, database: Path, threshold_bytes: int = DEFAULT_THRESHOLD_BYTES):
        self.database = database
        self.wal = database.with_name(database.name + "-wal")
        self.threshold_bytes = threshold_bytes
        self.checkpoints = 0
        """How many checkpoints this thread has run (for tests and diagnostics)."""
        self._wake = threading.Event()
        self._stopping = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        """A connection finished its work: look at the log soon (starts the thread on first use)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stopping:
                    self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpoint", daemon=True)
                    self._thread.start()
        self._wake.set()

    @property
    def running(self) -> bool:
        """Whether the thread is alive (it starts with the first connection given back)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def close(self) -> None:
        """Stop the thread (waits for a running checkpoint to end)."""
        with self._lock:
            self._stopping = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join()

    def _log_size(self) -> int:
        try:
            return os.stat(self.wal).st_size
        except FileNotFoundError:
            return 0

    def _run(self) -> None:
        conn = sqlite3.connect(self.database, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                if self._log_size() >= self.threshold_bytes:
                    try:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                        self.checkpoints += 1
                    except sqlite3.Error:
                        pass  # busy or locked: the next round tries again; the backstop bounds the log
        finally:
            conn.close()
