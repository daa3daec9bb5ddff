"""The local spool: one durable SQLite row per file taken, recording where it is in its journey.

States (every change is committed before the step it enables; see "Durability" below):

``queued``       complete, hashed, waiting for an upload attempt (``next_attempt_at``)
``uploading``    an attempt is under way; on restart it is simply sent again (same Idempotency-Key)
``archiving``    the centre's receipt confirmed it; ``dest_path`` and the receipt are recorded, move pending
``quarantining`` refused for good; ``dest_path`` and the error report are recorded, move pending
``archived`` / ``quarantined``  the file is in its final folder (terminal)
``retried``      a quarantined file the user put back with ``collect retry`` (terminal for this row)
``vanished``     the file disappeared before it could be sent (terminal, logged)

A path has at most one row in a non-terminal state; the uniqueness is enforced by a partial index.

Durability: the spool runs in WAL mode. A commit made *durable* (the default) fsyncs the WAL before
it returns (``synchronous=FULL``): ``queued`` (the record that must exist before any upload),
``archiving`` and ``quarantining`` (the receipt / report that must exist before the file leaves
the folder). Transitions whose loss after a power cut only sends recovery one step back — into a
state it already handles (``uploading`` and a retry's ``queued``: the row is sent again with the
same key; ``archived`` / ``quarantined``: the pending move is found done) — may be committed with
``durable=False`` (``synchronous=NORMAL``). Such a commit survives a crash of the process; it is
made durable by the next durable commit, since the WAL is written and synced in order. Newly found
files are recorded many per transaction (:meth:`Spool.add_many`): one fsync for the batch. The upload
threads make ``archiving`` / ``quarantining`` durable with :meth:`Spool.sync` after a non-durable
commit: one durable commit (one fsync) then serves every thread that asked meanwhile (group commit).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledgerlink.collector.groupsync import SyncGroup

ACTIVE_STATES = ("queued", "uploading", "archiving", "quarantining")
TERMINAL_STATES = ("archived", "quarantined", "retried", "vanished")
ALL_STATES = ACTIVE_STATES + TERMINAL_STATES

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    folder TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    outcome TEXT,
    dest_path TEXT,
    completed_at REAL NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS files_active_path ON files(path)
    WHERE state IN ('queued', 'uploading', 'archiving', 'quarantining');
CREATE INDEX IF NOT EXISTS files_state ON files(state, next_attempt_at);
CREATE INDEX IF NOT EXISTS files_dest ON files(dest_path);
CREATE INDEX IF NOT EXISTS files_sha ON files(sha256);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class SpoolRecord:
    id: int
    folder: str
    path: str
    size: int
    mtime_ns: int
    sha256: str
    generation: int
    state: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    outcome: dict[str, Any] | None
    dest_path: str | None
    completed_at: float

    @property
    def name(self) -> str:
        return Path(self.path).name


@dataclass(frozen=True, slots=True)
class NewFile:
    """A complete, hashed file to record as ``queued``; ``generation`` ``None``: count earlier refusals."""

    folder: str
    path: str
    size: int
    mtime_ns: int
    sha256: str
    completed_at: float
    generation: int | None = None


_ACTIVE_SQL = "state IN ('queued', 'uploading', 'archiving', 'quarantining')"
_REFUSED_SQL = "SELECT COUNT(*) AS n FROM files WHERE sha256 = ? AND state IN ('quarantined', 'retried')"
_IN_CHUNK = 500  # bound on the "?" of one IN (...) list


class Spool:
    """Thread-safe access to the spool database (one connection, one lock, fsync on commit)."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._full = True
        self._db.executescript(_SCHEMA)
        self._group = SyncGroup(self._durable_mark)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """An immediate (write-locked) transaction, also holding the in-process lock.

        ``durable``: the commit fsyncs the WAL before returning; otherwise it is written to the WAL
        without a sync (kept if the process dies, made durable by the next durable commit).
        """
        with self._lock:
            self._synchronous(durable)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _synchronous(self, full: bool) -> None:
        """Switch the connection between FULL and NORMAL (outside a transaction; only when it changes)."""
        if full != self._full:
            self._db.execute("PRAGMA synchronous=FULL" if full else "PRAGMA synchronous=NORMAL")
            self._full = full

    def sync(self) -> None:
        """Return once every commit made before the call is durable (fsynced); shared by concurrent callers."""
        self._group.sync()

    def _durable_mark(self) -> None:
        # a durable commit fsyncs the whole WAL, so every earlier (non-durable) commit with it
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('synced_at', ?)", (repr(time.time()),))

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the in-process lock across several steps (e.g. a file move and its state change)."""
        with self._lock:
            yield

    # ------------------------------------------------------------------ meta

    def agent_id(self, configured: str | None, hostname: str) -> str:
        """The configured id, else the id generated and stored on first run (stable across restarts)."""
        if configured:
            return configured
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'agent_id'").fetchone()
            if row:
                return str(row["value"])
            value = f"{hostname}-{uuid.uuid4().hex[:12]}"
            db.execute("INSERT INTO meta(key, value) VALUES ('agent_id', ?)", (value,))
            return value

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row["value"])

    # ------------------------------------------------------------------ records

    def active_for_path(self, path: str) -> SpoolRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM files WHERE path = ? AND state IN (?, ?, ?, ?)", (path, *ACTIVE_STATES)
            ).fetchone()
        return None if row is None else _record(row)

    def active_paths(self, paths: Sequence[str]) -> set[str]:
        """Those of ``paths`` that have an active record (a few queries, not one per path)."""
        out: set[str] = set()
        with self._lock:
            for start in range(0, len(paths), _IN_CHUNK):
                chunk = paths[start:start + _IN_CHUNK]
                marks = ", ".join("?" for _ in chunk)
                rows = self._db.execute(f"SELECT path FROM files WHERE {_ACTIVE_SQL} AND path IN ({marks})",
                                        tuple(chunk)).fetchall()
                out.update(r["path"] for r in rows)
        return out

    def active_in_folder(self, folder: str) -> set[str]:
        """Paths with an active record taken from ``folder`` (as configured)."""
        with self._lock:
            rows = self._db.execute(f"SELECT path FROM files WHERE {_ACTIVE_SQL} AND folder = ?",
                                    (folder,)).fetchall()
        return {r["path"] for r in rows}

    def add(
        self, *, folder: str, path: str, size: int, mtime_ns: int, sha256: str, completed_at: float,
        generation: int = 0,
    ) -> SpoolRecord | None:
        """Record a complete file as ``queued``; ``None`` if the path already has an active record."""
        return self.add_many([NewFile(folder, path, size, mtime_ns, sha256, completed_at, generation)])[0]

    def add_many(self, files: Sequence[NewFile]) -> list[SpoolRecord | None]:
        """Record complete files as ``queued`` in ONE durable transaction (one fsync for all).

        Returns, in order, each new record, or ``None`` where the path already has an active record.
        Nothing of the batch is visible (to ``due``) before the commit has been synced.
        """
        if not files:
            return []
        now = time.time()
        ids: list[int | None] = []
        with self.transaction() as db:
            for f in files:
                generation = f.generation
                if generation is None:
                    generation = int(db.execute(_REFUSED_SQL, (f.sha256,)).fetchone()["n"])
                cursor = db.execute(
                    "INSERT INTO files(folder, path, size, mtime_ns, sha256, generation, state, completed_at,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (f.folder, f.path, f.size, f.mtime_ns, f.sha256, generation, f.completed_at, now, now),
                )
                ids.append(cursor.lastrowid if cursor.rowcount == 1 else None)
            rows = {}
            wanted = [i for i in ids if i is not None]
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start:start + _IN_CHUNK]
                marks = ", ".join("?" for _ in chunk)
                rows.update({r["id"]: r for r in db.execute(f"SELECT * FROM files WHERE id IN ({marks})",
                                                             tuple(chunk))})
        return [None if i is None else _record(rows[i]) for i in ids]

    def get(self, record_id: int) -> SpoolRecord:
        with self._lock:
            row = self._db.execute("SELECT * FROM files WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise KeyError(record_id)
        return _record(row)

    def update(self, record_id: int, *, durable: bool = True, **fields: Any) -> SpoolRecord:
        """Change fields of one record in one committed transaction (``outcome`` given as a dict).

        ``durable=False`` only for the transitions listed in the module's "Durability" rule.
        """
        if "state" in fields and fields["state"] not in ALL_STATES:
            raise ValueError(f"unknown spool state {fields['state']!r}")
        if "outcome" in fields and fields["outcome"] is not None:
            fields["outcome"] = json.dumps(fields["outcome"], sort_keys=True)
        fields["updated_at"] = time.time()
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self.transaction(durable=durable) as db:
            db.execute(f"UPDATE files SET {assignments} WHERE id = ?", (*fields.values(), record_id))
            row = db.execute("SELECT * FROM files WHERE id = ?", (record_id,)).fetchone()
        return _record(row)

    def due(self, now: float, exclude: set[int], limit: int) -> list[SpoolRecord]:
        """Records waiting for an upload attempt whose time has come, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM files WHERE state IN ('queued', 'uploading') AND next_attempt_at <= ?"
                " ORDER BY next_attempt_at, id LIMIT ?",
                (now, limit + len(exclude)),
            ).fetchall()
        return [r for r in map(_record, rows) if r.id not in exclude][:limit]

    def in_states(self, *states: str) -> list[SpoolRecord]:
        marks = ", ".join("?" for _ in states)
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM files WHERE state IN ({marks}) ORDER BY id", states).fetchall()
        return [_record(r) for r in rows]

    def find(self, path: str) -> list[SpoolRecord]:
        """Records whose original path or destination is ``path``, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM files WHERE path = ? OR dest_path = ? ORDER BY id DESC", (path, path)
            ).fetchall()
        return [_record(r) for r in rows]

    def refused_before(self, sha256: str) -> int:
        """How many earlier rows with this content were quarantined (or quarantined, then retried)."""
        with self._lock:
            row = self._db.execute(_REFUSED_SQL, (sha256,)).fetchone()
        return int(row["n"])

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) AS n FROM files GROUP BY state").fetchall()
        out = dict.fromkeys(ALL_STATES, 0)
        out.update({r["state"]: r["n"] for r in rows})
        return out

    def last_error(self) -> tuple[str, str, float] | None:
        """(path, error, when) of the most recent record that met an error."""
        with self._lock:
            row = self._db.execute(
                "SELECT path, last_error, updated_at FROM files WHERE last_error IS NOT NULL"
                " ORDER BY updated_at DESC LIMIT 1"
            ).fetchone()
        return None if row is None else (row["path"], row["last_error"], row["updated_at"])


def _record(row: sqlite3.Row) -> SpoolRecord:
    return SpoolRecord(
        id=row["id"],
        folder=row["folder"],
        path=row["path"],
        size=row["size"],
        mtime_ns=row["mtime_ns"],
        sha256=row["sha256"],
        generation=row["generation"],
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        outcome=None if row["outcome"] is None else json.loads(row["outcome"]),
        dest_path=row["dest_path"],
        completed_at=row["completed_at"],
    )
