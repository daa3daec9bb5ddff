"""Large canonical JSON batches are prepared by several processes at once.

Preparing a document (validating it into the EN 16931 model, running the rules, writing its canonical
bytes and hash) is pure CPU work and most of what an ingest costs; storing it is one writer's work.
For a batch of at least ``min_documents``, :class:`PreparePool` cuts the body into one slice per
process (msgspec finds each document's bytes without building Python objects). The request's own
thread prepares the first, smaller slice while helper processes prepare the others, then stores its
documents while the helpers finish; they hand back plain rows
(:class:`~ledgerlink.services.ingest.PreparedDocument`), stored next in the same transaction
(:func:`~ledgerlink.services.ingest.store_parts`).

Rules:

* The answer is the sequential path's: the same documents, the same errors at the same locations in
  the same order, the same all-or-nothing rule (``tests/services/test_parallel.py`` compares the two).
* A body that is not a plain batch (``{"documents": [...]}``) or list, or is malformed, goes the
  sequential way, whose reader words the errors.
* A server starts the helper processes with itself and waits for them (:meth:`PreparePool.warm_up`);
  otherwise they start on first use. Until they are ready, and whenever one dies (killed, out of
  memory), the request thread prepares everything itself: nothing is lost, and a new one starts.
* ``LEDGERLINK_PREPARE_PROCESSES`` sets the number of helper processes per API process (default 1
  where the machine has two CPUs per API process, else 0 = off).
"""

from __future__ import annotations

import logging
import multiprocessing
import re
import signal
import threading
import time
from multiprocessing.connection import Connection

import msgspec
from pydantic import TypeAdapter, ValidationError

from ledgerlink.domain.documents import Document
from ledgerlink.formats import canonical
from ledgerlink.formats.base import Found, ReadResult
from ledgerlink.heap import gc_deferred, settle_after_startup
from ledgerlink.observability import BATCHES_PREPARED
from ledgerlink.services.ingest import Checked, Parts, Prepared, check_and_prepare, finish, too_large

DEFAULT_MIN_DOCUMENTS = 200
"""Smaller batches are prepared in the request thread: handing work over costs more than it saves."""

OWN_SHARE = 0.9
"""The request thread's slice, as a share of an equal one: it stores its own documents while the
helpers finish theirs, then theirs (measured best near 0.9 with one helper on two CPUs)."""

RETRY_START_SECONDS = 30
"""How long a pool waits after a helper failed to start before it starts another."""

log = logging.getLogger(__name__)

Slice = tuple[bytes, list[str]]
"""A JSON array of documents and each one's location in the request body (``documents[7]``)."""


class _Batch(msgspec.Struct, forbid_unknown_fields=True):
    documents: list[msgspec.Raw]


_BATCH = msgspec.json.Decoder(_Batch)
_LIST = msgspec.json.Decoder(list[msgspec.Raw])
_FIRST_CHARACTER = re.compile(rb"\s*(.)", re.S)


def split_batch(body: bytes) -> list[tuple[str, msgspec.Raw]] | None:
    """Each document's location and JSON bytes; None when the body is not a well-formed batch or list."""
    first = _FIRST_CHARACTER.match(body)
    start = first.group(1) if first else b""
    try:
        if start == b"[":
            return [(f"[{i}]", raw) for i, raw in enumerate(_LIST.decode(body))]
        if start == b"{":
            return [(f"documents[{i}]", raw) for i, raw in enumerate(_BATCH.decode(body).documents)]
    except msgspec.DecodeError:  # malformed, or another shape: the sequential reader explains it
        return None
    return None


def slices(documents: list[tuple[str, msgspec.Raw]], parts: int, *, own_share: float = 1.0) -> list[Slice]:
    """``documents`` in at most ``parts`` consecutive slices; the first gets ``own_share`` of an equal
    share (so with 0.9 and two parts: 45 % and 55 %), the others split the rest evenly."""
    first = round(len(documents) * own_share / parts) if parts > 1 else len(documents)
    rest, extra = divmod(len(documents) - first, parts - 1) if parts > 1 else (0, 0)
    sizes = [first] + [rest + (1 if i < extra else 0) for i in range(parts - 1)]
    out: list[Slice] = []
    start = 0
    for size in sizes:
        if size:
            chunk = documents[start:start + size]
            out.append((b"[" + b",".join(raw for _, raw in chunk) + b"]", [location for location, _ in chunk]))
        start += size
    return out


_DOCUMENT: TypeAdapter[Document] = TypeAdapter(Document)
_DOCUMENTS: TypeAdapter[list[Document]] = TypeAdapter(list[Document])


def read_slice(array: bytes, locations: list[str]) -> ReadResult:
    """The documents of one slice, read exactly as the canonical JSON reader reads a body.

    One pydantic pass over the whole slice; if it refuses anything (an error, or a JSON number with
    a fraction that it would read through a binary float), each document is read on its own and the
    refused ones exactly (``parse_float=Decimal``), which gives every error its path.
    """
    try:
        return ReadResult([Found(doc, loc) for doc, loc in zip(_DOCUMENTS.validate_json(array), locations)])
    except ValidationError:
        pass
    result = ReadResult()
    for location, raw in zip(locations, _LIST.decode(array)):
        text = bytes(raw)
        try:
            result.documents.append(Found(_DOCUMENT.validate_json(text), location))
            continue
        except ValidationError:
            pass
        try:
            document = canonical.document_from_obj(canonical.loads(text), path_prefix=location)
            result.documents.append(Found(document, location))
        except canonical.CanonicalJsonError as exc:
            result.violations.extend(exc.violations)
    return result


def prepare_slice(array: bytes, locations: list[str]) -> Checked:
    """Read, check and prepare one slice (runs in a pool process or in the request thread).

    Collection is deferred while the slice's models live: they are acyclic and die together.
    """
    with gc_deferred():
        return check_and_prepare(read_slice(array, locations))


def _serve(conn: Connection) -> None:
    """A helper process: settle its heap, say it is ready, then prepare each slice it is sent.

    A slice's answer is its :class:`Checked`, or the exception that preparing it raised. Ctrl-C in a
    terminal reaches the whole process group: the helper ignores it and ends when the server closes
    the pipe (or dies).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    settle_after_startup()
    conn.send(True)
    while True:
        try:
            job = conn.recv()
        except EOFError:  # the server went away
            return
        if job is None:
            return
        try:
            answer: Checked | Exception = prepare_slice(*job)
        except Exception as exc:  # noqa: BLE001 - handed back and raised in the request thread
            answer = exc
        conn.send(answer)


class _Helper:
    """One helper process and the pipe to it.

    The request thread writes the job and reads the answer itself: no queue-feeding thread in the
    server, which would wait for the GIL while the request thread prepares its own slice.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a threaded server
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), name="ledgerlink-prepare", daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.failed = False

    def poll_ready(self) -> bool:
        """Whether the process has started (reads its greeting once it is there); False if it died."""
        if not self.ready and not self.failed:
            try:
                if self.conn.poll():
                    self.ready = bool(self.conn.recv())
            except (EOFError, OSError):  # it died while starting
                self.failed = True
        return self.ready

    def close(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


class PreparePool:
    """Helper processes that prepare slices of large JSON batches; see the module's rules."""

    def __init__(self, processes: int, min_documents: int = DEFAULT_MIN_DOCUMENTS):
        self.processes = processes
        self.min_documents = min_documents
        self.batches_helped = 0
        """How many batches helper processes have helped to prepare (diagnostics, tests)."""
        self._lock = threading.Lock()
        self._starting: list[_Helper] = []
        self._idle: list[_Helper] = []
        self._busy = 0
        self._closed = False
        self._no_start_before = 0.0

    def prepare(self, body: bytes, *, partial: bool) -> Prepared | None:
        """The whole batch prepared (see :meth:`prepare_parts`), or None when the request thread should
        read this body itself; raises as ``ingest.prepare`` does."""
        parts = self.prepare_parts(body)
        if parts is None:
            return None
        return finish([parts.first, *parts.others()], partial=partial)

    def prepare_parts(self, body: bytes) -> Parts | None:
        """The batch in parts: the request thread's own slice prepared, the helpers' still under way
        (:meth:`~ledgerlink.services.ingest.Parts.others` waits for them). None when the request thread
        should read this body itself; raises :class:`~ledgerlink.services.ingest.BatchTooLarge`.

        The request thread takes a smaller slice than each helper (:data:`OWN_SHARE`): it can store its
        documents while the helpers finish theirs.
        """
        documents = split_batch(body)
        if documents is None or len(documents) < self.min_documents:
            return None
        refusal = too_large(len(documents))
        if refusal is not None:
            raise refusal
        helpers = self._take()
        if not helpers:
            return None
        mine, *theirs = slices(documents, len(helpers) + 1, own_share=OWN_SHARE)
        jobs = list(zip(helpers, theirs))  # a helper beyond the number of slices gets nothing
        for helper, part in jobs:
            try:
                helper.conn.send(part)
            except OSError:  # it died while idle
                helper.ready = False
        try:
            first = prepare_slice(*mine)
        except BaseException:
            for helper, _ in jobs:
                helper.ready = False  # its answer will never be read: retire it
            self._give_back(helpers)
            raise
        return Parts(first, lambda: self._collect(helpers, jobs))

    def _collect(self, helpers: list[_Helper], jobs: list[tuple[_Helper, Slice]]) -> list[Checked]:
        """Every helper's answer, in order; a helper that died has its slice prepared here.

        Rule: every helper that was sent a slice has its answer read before it is used again; one
        whose answer could not be read is retired (its pipe would hold a stale answer).
        """
        try:
            answers = [self._answer_of(helper) for helper, _ in jobs]
        except BaseException:
            for helper, _ in jobs:
                helper.ready = False
            raise
        finally:
            self._give_back(helpers)
        parts = []
        helped = True
        for answer, (_, part) in zip(answers, jobs):
            if answer is None:  # the helper is gone: its share is done here, a new one starts
                answer = prepare_slice(*part)
                helped = False
            if isinstance(answer, Exception):
                raise answer
            parts.append(answer)
        self.batches_helped += helped
        BATCHES_PREPARED.labels("helpers" if helped else "request").inc()
        return parts

    @property
    def ready(self) -> bool:
        """Whether every helper process is up (they start on first use)."""
        with self._lock:
            self._poll_starting()
            return not self._starting and (len(self._idle) + self._busy) == self.processes

    def start(self) -> None:
        """Start the helper processes in the background (``prepare`` does it on first use).

        After a helper failed to start, none is started for :data:`RETRY_START_SECONDS`: the request
        thread does all the work meanwhile, rather than paying for a process that dies at once.
        """
        with self._lock:
            if self._closed or time.monotonic() < self._no_start_before:
                return
            missing = self.processes - len(self._starting) - len(self._idle) - self._busy
            self._starting.extend(_Helper() for _ in range(missing))

    def warm_up(self, timeout: float = 30.0) -> bool:
        """Start the helpers and wait (at most ``timeout`` seconds) until they are ready; a server calls
        this on start-up, so that its first large batch already has help. Whether they are ready."""
        self.start()
        deadline = time.monotonic() + timeout
        while not self.ready and self._still_starting() and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.ready

    def _still_starting(self) -> bool:
        with self._lock:
            return bool(self._starting)

    def process_ids(self) -> list[int]:
        """The helper processes' ids."""
        with self._lock:
            return [h.process.pid for h in self._starting + self._idle if h.process.pid is not None]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            helpers, self._starting, self._idle = self._starting + self._idle, [], []
        for helper in helpers:
            helper.close()

    @staticmethod
    def _answer_of(helper: _Helper) -> Checked | Exception | None:
        """What a helper sent back; None (and the helper marked gone) when it died."""
        if helper.ready:
            try:
                answer: Checked | Exception = helper.conn.recv()
                return answer
            except (EOFError, OSError):
                helper.ready = False
        return None

    def _take(self) -> list[_Helper]:
        self.start()
        with self._lock:
            self._poll_starting()
            taken, self._idle = self._idle, []
            self._busy += len(taken)
            return taken

    def _give_back(self, helpers: list[_Helper]) -> None:
        """Helpers go back to the idle list; one that died or was retired is ended (``start`` replaces it)."""
        with self._lock:
            self._busy -= len(helpers)
            for helper in helpers:
                if helper.ready and helper.process.is_alive():
                    self._idle.append(helper)
                else:  # dead, or retired with an answer never read
                    if helper.process.is_alive():
                        helper.process.kill()
                    helper.process.join(timeout=5)
                    helper.conn.close()

    def _poll_starting(self) -> None:
        started = [h for h in self._starting if h.poll_ready()]
        if started:
            self._starting = [h for h in self._starting if not h.ready]
            self._idle.extend(started)
        for gone in [h for h in self._starting if h.failed or not h.process.is_alive()]:
            self._starting.remove(gone)
            gone.process.join(timeout=1)
            gone.conn.close()
            self._no_start_before = time.monotonic() + RETRY_START_SECONDS
            log.warning("a helper process for large batches did not start (exit code %s); the request "
                        "threads prepare every batch themselves for the next %d s",
                        gone.process.exitcode, RETRY_START_SECONDS)
