"""The database handle: one engine, SQLite or PostgreSQL, same code paths.

SQLite is tuned for a single-machine data centre: WAL journal, ``synchronous=NORMAL``, foreign keys on,
a busy timeout, ``BEGIN IMMEDIATE`` for write transactions so that writers queue instead of failing
on lock upgrades, and WAL checkpoints in a background thread (:mod:`ledgerlink.store.checkpoint`). PostgreSQL is used as is (many processes, many machines).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from ledgerlink.store.checkpoint import BACKSTOP_PAGES, WalCheckpointer

SQLITE_FILENAME = "ledgerlink.sqlite3"


def sqlite_url(data_dir: Path) -> str:
    """The default store: an SQLite file under the data directory."""
    return f"sqlite:///{(data_dir / SQLITE_FILENAME).resolve()}"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_last_v7 = [0, 0]  # [milliseconds, counter] of the previous id made in this process
_v7_lock = threading.Lock()
_v7_random = random.Random(secrets.randbits(128))
"""Ids need uniqueness, not secrecy (access is checked per organisation): a seeded PRNG is enough."""
os.register_at_fork(after_in_child=lambda: _v7_random.seed(secrets.randbits(128)))


def new_id() -> str:
    """A UUIDv7 (RFC 9562): time-ordered, so ids sort in creation order; monotonic within a process."""
    with _v7_lock:
        millis = time.time_ns() // 1_000_000
        if millis <= _last_v7[0]:
            millis = _last_v7[0]
            _last_v7[1] += 1
            if _last_v7[1] > 0xFFF:  # counter exhausted within one millisecond: borrow the next one
                millis += 1
                _last_v7[1] = 0
        else:
            _last_v7[1] = _v7_random.getrandbits(11)
        _last_v7[0] = millis
        counter = _last_v7[1]
        tail = _v7_random.getrandbits(62)
    h = f"{(millis << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | tail:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"  # str(uuid.UUID(...)) without the object


class Database:
    """A store connection pool with transaction helpers; ``dialect`` is ``sqlite`` or ``postgresql``."""

    def __init__(self, engine: Engine, checkpointer: WalCheckpointer | None = None):
        self.engine = engine
        self.dialect = engine.dialect.name
        self.url = engine.url
        self.checkpointer = checkpointer

    @classmethod
    def from_url(cls, url: str, **engine_options: Any) -> "Database":
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        if url.startswith("sqlite"):
            engine = sa.create_engine(
                url,
                connect_args={"timeout": 30, "check_same_thread": False},
                pool_size=8,
                max_overflow=8,
                **engine_options,
            )
            return cls(engine, _tune_sqlite(engine))
        engine_options.setdefault("pool_size", 10)
        engine_options.setdefault("max_overflow", 10)
        return cls(sa.create_engine(url, pool_pre_ping=True, **engine_options))

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction: commits on success, rolls back on any exception."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only unit of work (no commit needed)."""
        with self.engine.connect() as conn:
            yield conn
            conn.rollback()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic ``upgrade head``)."""
        from ledgerlink.store.migrate import upgrade

        upgrade(self)

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.close()
        self.engine.dispose()


def _tune_sqlite(engine: Engine) -> WalCheckpointer | None:
    """Pragmas and ``BEGIN IMMEDIATE`` on every connection; the file's checkpointer (none in memory)."""
    path = engine.url.database
    checkpointer = WalCheckpointer(Path(path).resolve()) if path and path != ":memory:" else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if checkpointer is not None:
            cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    if checkpointer is not None:
        @event.listens_for(engine, "checkin")
        def _on_checkin(_dbapi_conn: Any, _record: Any) -> None:
            checkpointer.notify()

    return checkpointer
