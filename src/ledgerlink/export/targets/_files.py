"""Crash-safe writes to a ledger file: append under a lock with an intent record, atomic replace, documents.

Append protocol (one ``append()`` per batch):
1. take an exclusive ``flock`` on ``<ledger>.lock`` (every writer of every process does the same);
2. finish any interrupted append (``recover()``);
3. write ``<ledger>.ledgerlink-intent`` = {size before, length, sha256 of the bytes}, fsynced;
4. append the bytes, fsync, read them back and compare (the verified result);
5. remove the intent record.
A crash between 3 and 5 leaves the intent record behind; the next writer or reader of the ledger
(``recover()``) keeps the append when the whole, verified text is there, else truncates the file back
to its size before — so a crash never leaves half an entry behind once the target is opened again.
POSIX only (``fcntl.flock``).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ledgerlink.export.targets.base import TargetUnreachable


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace (or create) ``path`` with ``data``: temp file in the same folder, fsync, rename, fsync folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


class LedgerFile:
    """One ledger file written by appending, with the lock and intent record described above."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fspath = os.fspath(path)
        self.lock_path = path.with_name(path.name + ".lock")
        self.intent_path = path.with_name(path.name + ".ledgerlink-intent")

    def stamp(self) -> tuple[int, int]:
        """(size, mtime_ns): changes whenever anyone writes the file."""
        info = os.stat(self._fspath)
        return info.st_size, info.st_mtime_ns

    def stamp_if_file(self) -> tuple[int, int] | None:
        """The stamp, or ``None`` when the path is missing or not a regular file (one ``stat``)."""
        try:
            info = os.stat(self._fspath)
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP, errno.EBADF):
                return None  # what Path.is_file() treats as "not a file"
            raise
        if not stat.S_ISREG(info.st_mode):
            return None
        return info.st_size, info.st_mtime_ns

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the exclusive writer lock; an interrupted append is settled first."""
        try:
            handle = open(self.lock_path, "a+b")  # noqa: SIM115 - held for the block
        except OSError as exc:
            raise TargetUnreachable(f"cannot open lock file {self.lock_path}: {exc}") from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            self.recover()
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()

    def needs_recovery(self) -> bool:
        return self.intent_path.exists()

    def recover(self) -> None:
        """Settle an interrupted append (caller holds the lock): keep it if complete, else cut it off."""
        if not self.intent_path.exists():
            return
        try:
            intent = json.loads(self.intent_path.read_text(encoding="utf-8"))
            before, length, digest = int(intent["size"]), int(intent["length"]), str(intent["sha256"])
        except (OSError, ValueError, KeyError, TypeError):
            # The intent record itself was cut short: it is written before any ledger byte, so the
            # ledger was not touched yet.
            self.intent_path.unlink(missing_ok=True)
            _fsync_dir(self.intent_path.parent)
            return
        with open(self.path, "r+b") as handle:
            size = os.fstat(handle.fileno()).st_size
            complete = False
            if size == before + length:
                handle.seek(before)
                complete = hashlib.sha256(handle.read(length)).hexdigest() == digest
            if not complete and size > before:
                handle.truncate(before)
                handle.flush()
                os.fsync(handle.fileno())
        self.intent_path.unlink(missing_ok=True)
        _fsync_dir(self.intent_path.parent)

    def ends_with_newline(self) -> bool:
        size = self.path.stat().st_size
        if size == 0:
            return True
        with open(self.path, "rb") as handle:
            handle.seek(size - 1)
            return handle.read(1) == b"\n"

    def append(self, data: bytes) -> None:
        """Append ``data`` (caller holds the lock); verified by reading it back."""
        if not data:
            return
        before = self.path.stat().st_size
        intent = {"size": before, "length": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        self._write_intent(json.dumps(intent).encode())
        try:
            with open(self.path, "r+b") as handle:
                handle.seek(before)
                written = 0
                view = memoryview(data)
                while written < len(data):
                    written += os.write(handle.fileno(), view[written:])
                os.fdatasync(handle.fileno())  # the bytes and the new size: the batch's durability point
                handle.seek(before)
                if handle.read(len(data)) != data:
                    raise TargetUnreachable(f"{self.path}: appended text did not read back identically")
        except OSError as exc:
            self.recover()
            raise TargetUnreachable(f"cannot write {self.path}: {exc}") from exc
        except TargetUnreachable:
            self.recover()
            raise
        # No fsync of the removal: if it is lost, recover() finds the verified append complete and keeps it.
        self.intent_path.unlink(missing_ok=True)

    def _write_intent(self, record: bytes) -> None:
        """The intent record, durable before any ledger byte is written (one fsync, no rename: a torn
        record is read as "the ledger was not touched", which is then true)."""
        fd = os.open(self.intent_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, record)
            os.fdatasync(fd)  # its bytes; its name is made durable by the folder's fsync below
        finally:
            os.close(fd)
        _fsync_dir(self.intent_path.parent)

    def replace(self, data: bytes) -> None:
        """Rewrite the whole file atomically (caller holds the lock)."""
        try:
            write_atomic(self.path, data)
        except OSError as exc:
            raise TargetUnreachable(f"cannot write {self.path}: {exc}") from exc


def plan_document(directory: Path, day: str, name: str, digest: str, taken: dict[Path, str]) -> Path:
    """Where a file goes: ``directory/YYYY-MM-DD.name`` (beancount's documents convention).

    A path already holding the same content (on disk or planned in ``taken``) is reused; one holding
    other content → ``YYYY-MM-DD.<sha256[:12]>-name``. Records the choice in ``taken``; writes nothing.
    """
    safe = safe_file_name(name)
    for candidate in (directory / f"{day}.{safe}", directory / f"{day}.{digest[:12]}-{safe}"):
        holder = taken.get(candidate)
        if holder is None and candidate.exists():
            holder = hashlib.sha256(candidate.read_bytes()).hexdigest()
        if holder is None or holder == digest:
            taken[candidate] = digest
            return candidate
    raise TargetUnreachable(f"{directory}: cannot find a free file name for {name!r}")


def write_document(path: Path, content: bytes) -> None:
    """Store a planned document (atomic); an existing file at ``path`` already holds the same bytes."""
    if path.exists():
        return
    try:
        write_atomic(path, content)
    except OSError as exc:
        raise TargetUnreachable(f"cannot store document {path}: {exc}") from exc


def safe_file_name(name: str) -> str:
    """A file name without folders or characters that break ledger strings: others become ``_``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
    cleaned = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in base)
    return cleaned.lstrip(".") or "attachment"
