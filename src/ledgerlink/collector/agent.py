"""The collector agent: watch → spool → upload → archive / quarantine, resumable at any instant.

Order of steps for one file (each committed before the next begins; "durable" = fsynced first):

1. complete (see :mod:`.completion`) → hashed → spool row ``queued`` (path, size, sha256), durable;
   the files found complete together are recorded in one transaction (one fsync per batch);
2. ``uploading`` → one HTTPS ``POST /v1/documents`` with the Idempotency-Key → receipt;
3. ``archiving`` with the destination and the receipt recorded, durable → receipt file written and
   fsynced → file renamed into ``archive/YYYY/MM/DD/``, folders fsynced → ``archived``
   (or ``quarantining`` → ``.error.json`` / ``.error.txt`` → renamed into quarantine → ``quarantined``).

``uploading``, ``archived`` / ``quarantined`` and a retry's ``queued`` are not fsynced on their own
(see :mod:`.spool`): losing one to a power cut only sends the row back to a state recovery handles.

On start, :meth:`Agent.recover` reconciles the spool with the disk: ``uploading`` is sent again
(the centre replays the receipt), a pending move is finished, or recognised as done when the file
is already at its destination. The agent opens no listening socket: all traffic is outbound.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import hashlib
import logging
import os
import platform
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import watchfiles

from ledgerlink import __version__
from ledgerlink.collector import filing
from ledgerlink.collector.backoff import retry_delay
from ledgerlink.collector.completion import CompletionTracker, Observation, renamed_in
from ledgerlink.collector.config import CollectorConfig, FolderConfig, read_key
from ledgerlink.collector.groupsync import FolderSyncer
from ledgerlink.collector.logs import LOGGER_NAME
from ledgerlink.collector.spool import NewFile, Spool, SpoolRecord
from ledgerlink.collector.tls import client_context
from ledgerlink.collector.uploader import Accepted, Endpoint, Outcome, Refused, idempotency_key, upload

log = logging.getLogger(LOGGER_NAME)

TICK_SECONDS = 0.1
TAKE_BATCH = 256  # files hashed and recorded per spool transaction (one fsync); uploads start after each

Candidate = tuple[FolderConfig, Path, str, float]  # folder, file, how it was found complete, when (epoch)


def endpoint_for(config: CollectorConfig) -> Endpoint:
    server = config.server
    context = client_context(
        ca_bundle=server.ca_bundle,
        spki_pins=server.pin_spki_sha256,
        cert_pins=server.pin_cert_sha256,
        client_cert=server.client_cert,
        client_key=server.client_key,
    )
    return Endpoint(server.url, read_key(server.key_file), context, server.timeout_seconds, server.proxy)


def sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _observe(path: Path) -> Observation | None:
    try:
        st = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    return Observation(st.st_size, st.st_mtime_ns)


def _load_profiles(config: CollectorConfig) -> dict[str, Any]:
    """The CSV profile files of the folders, loaded once (folder format → ``Profile``)."""
    files = {f.format: f.profile_file for f in config.folders if f.profile_file is not None}
    if not files:
        return {}
    from ledgerlink.collector import csvlocal  # the CSV reader is imported only when a folder needs it

    return {name: csvlocal.load(path) for name, path in files.items()}


class Agent:
    def __init__(self, config: CollectorConfig, *, spool: Spool | None = None):
        self.config = config
        self.spool = spool or Spool(config.spool_path)
        self.hostname = platform.node() or "unknown-host"
        self.agent_id = self.spool.agent_id(config.agent.id, self.hostname)
        self.endpoint = endpoint_for(config)
        self.tracker = CompletionTracker(config.intervals.stable_seconds)
        self._profiles = _load_profiles(config)
        self._folders_sync = FolderSyncer()
        self._folders = {str(f.path.resolve()): f for f in config.folders}
        self._events: queue.Queue[set[tuple[watchfiles.Change, str]]] = queue.Queue()
        self._in_flight: dict[int, Future[None]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()  # an upload finished: dispatch the next one now, not at the next tick
        self._started = time.time()
        self.last_contact: float | None = None

    # ------------------------------------------------------------------ run loop

    def run(self, stop: threading.Event | None = None) -> None:
        """Run until ``stop`` is set; in-flight uploads are finished before returning."""
        if stop is not None:
            self._stop = stop
        for folder in self.config.folders:
            folder.archive_dir.mkdir(parents=True, exist_ok=True)
            folder.quarantine_dir.mkdir(parents=True, exist_ok=True)
        log.info("collector starting", extra={"agent_id": self.agent_id, "version": __version__,
                                              "server": self.config.server.url,
                                              "folders": [str(f.path) for f in self.config.folders]})
        self.recover()
        watcher = threading.Thread(target=self._watch, name="collector-watch", daemon=True)
        watcher.start()
        heartbeat = threading.Thread(target=self._heartbeat_loop, name="collector-heartbeat", daemon=True)
        heartbeat.start()
        workers = self.config.agent.parallel_uploads
        next_rescan = 0.0
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collector-upload") as pool:
            self._pool = pool
            while not self._stop.is_set():
                now = time.monotonic()
                self._drain_events()
                if now >= next_rescan:
                    self.rescan()
                    next_rescan = now + self.config.intervals.rescan_seconds
                self._check_pending()
                self._dispatch(pool, workers * 2)
                self._wake.wait(TICK_SECONDS)
                self._wake.clear()
            for future in list(self._in_flight.values()):
                future.result()
        watcher.join(timeout=5)
        log.info("collector stopped", extra={"agent_id": self.agent_id})

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    # ------------------------------------------------------------------ finding complete files

    def _watch(self) -> None:
        paths = [f.path for f in self.config.folders]
        while not self._stop.is_set():
            try:
                for changes in watchfiles.watch(
                    *paths, stop_event=self._stop, recursive=False, debounce=400, step=30,
                    rust_timeout=1000, yield_on_timeout=False, raise_interrupt=False,
                ):
                    self._events.put(changes)
                    self._wake.set()
            except Exception as exc:  # the rescan keeps working while the watch restarts
                log.warning("file watch failed; relying on rescans until it restarts",
                            extra={"error": f"{type(exc).__name__}: {exc}"})
                self._stop.wait(5)

    def _drain_events(self) -> None:
        now = time.monotonic()
        candidates: list[Candidate] = []
        while True:
            try:
                changes = self._events.get_nowait()
            except queue.Empty:
                break
            added = {p for c, p in changes if c == watchfiles.Change.added}
            deleted = {p for c, p in changes if c == watchfiles.Change.deleted}
            touched = {p for c, p in changes if c != watchfiles.Change.deleted}
            renamed = renamed_in(added, deleted) - {p for c, p in changes if c == watchfiles.Change.modified}
            seen = time.time()
            for raw in touched:
                folder = self._folder_of(Path(raw))
                if folder is None or not self._wanted(folder, Path(raw)):
                    continue
                if raw in renamed:
                    self.tracker.forget(raw)
                    candidates.append((folder, Path(raw), "renamed in", seen))
                else:
                    self.tracker.observe(raw, _observe(Path(raw)), now)
        self._take_many(candidates)

    def rescan(self) -> None:
        """List every folder; files not yet known become candidates (the events' safety net)."""
        now = time.monotonic()
        for folder in self.config.folders:
            try:
                entries = list(os.scandir(folder.path))
            except OSError as exc:
                log.warning("cannot list folder", extra={"folder": str(folder.path), "error": exc.strerror})
                continue
            active = self.spool.active_in_folder(str(folder.path))
            for entry in entries:
                path = Path(entry.path)
                if str(path) in self.tracker or str(path) in active or not self._wanted(folder, path):
                    continue
                self.tracker.observe(str(path), _observe(path), now)

    def _check_pending(self) -> None:
        now = time.monotonic()
        candidates: list[Candidate] = []
        for raw in self.tracker.paths():
            path = Path(raw)
            if self.tracker.observe(raw, _observe(path), now):
                folder = self._folder_of(path)
                if folder is not None:
                    candidates.append((folder, path, "stable", time.time()))
        self._take_many(candidates)

    def _folder_of(self, path: Path) -> FolderConfig | None:
        return self._folders.get(str(path.parent.resolve()))

    @staticmethod
    def _wanted(folder: FolderConfig, path: Path) -> bool:
        name = path.name
        if any(fnmatch.fnmatch(name, pattern) for pattern in folder.ignore):
            return False
        if name.endswith((filing.RECEIPT_SUFFIX, filing.ERROR_JSON_SUFFIX, filing.ERROR_TEXT_SUFFIX)):
            return False
        return any(fnmatch.fnmatch(name.lower(), pattern.lower()) for pattern in folder.patterns)

    def _take(self, folder: FolderConfig, path: Path, *, how: str) -> SpoolRecord | None:
        """Hash one complete file and record it durably as ``queued`` (once per path while active)."""
        taken = self._take_many([(folder, path, how, time.time())])
        return taken[0] if taken else None

    def _take_many(self, candidates: list[Candidate]) -> list[SpoolRecord]:
        """Hash complete files and record them durably as ``queued``, :data:`TAKE_BATCH` per transaction.

        A file is recorded only if it still has the size and mtime it had before hashing (checked
        under the spool lock, right before the insert), and only if its path has no active record.
        Uploads of a batch are dispatched as soon as its transaction is committed.
        """
        taken: list[SpoolRecord] = []
        for start in range(0, len(candidates), TAKE_BATCH):
            chunk = candidates[start:start + TAKE_BATCH]
            active = self.spool.active_paths([str(path) for _, path, _, _ in chunk])
            hashed = []
            for folder, path, how, completed_at in chunk:
                if str(path) in active:
                    continue
                try:
                    before = path.stat()
                    sha256, size = sha256_file(path)
                except OSError:
                    continue
                hashed.append((folder, path, how, completed_at, before, sha256, size))
            new: list[tuple[NewFile, str]] = []
            with self.spool.locked():  # a concurrent archive move cannot slip in between check and insert
                for folder, path, how, completed_at, before, sha256, size in hashed:
                    try:
                        after = path.stat()
                    except OSError:
                        continue
                    if ((after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns)
                            or after.st_size != size):
                        self.tracker.observe(str(path), Observation(after.st_size, after.st_mtime_ns),
                                             time.monotonic())
                        continue
                    new.append((NewFile(folder=str(folder.path), path=str(path), size=size,
                                        mtime_ns=after.st_mtime_ns, sha256=sha256, completed_at=completed_at), how))
                records = self.spool.add_many([f for f, _ in new])
            for (_, how), record in zip(new, records, strict=True):
                if record is None:
                    continue
                taken.append(record)
                log.info("file taken", extra={"file": record.path, "size": record.size, "sha256": record.sha256,
                                              "complete_by": how, "spool_id": record.id})
            if self._pool is not None and any(r is not None for r in records):
                # keep uploads flowing while a large arrival of files is being taken
                self._dispatch(self._pool, self.config.agent.parallel_uploads * 2)
        return taken

    # ------------------------------------------------------------------ uploads

    def _dispatch(self, pool: ThreadPoolExecutor, limit: int) -> None:
        for record_id in [i for i, f in self._in_flight.items() if f.done()]:
            self._in_flight.pop(record_id).result()
        room = limit - len(self._in_flight)
        if room <= 0:
            return
        for record in self.spool.due(time.time(), set(self._in_flight), room):
            future = pool.submit(self._guarded_process, record.id)
            future.add_done_callback(lambda _: self._wake.set())
            self._in_flight[record.id] = future

    def _guarded_process(self, record_id: int) -> None:
        try:
            self.process(record_id)
        except Exception as exc:  # a bug or disk error must not kill the agent; the row stays resumable
            log.exception("processing failed; will retry", extra={"spool_id": record_id})
            record = self.spool.get(record_id)
            if record.state in ("queued", "uploading"):
                self._schedule_retry(record, f"internal error: {type(exc).__name__}", None)

    def process(self, record_id: int) -> None:
        """One upload attempt for one spool row, and what follows from its outcome."""
        record = self.spool.get(record_id)
        if record.state not in ("queued", "uploading"):
            return
        folder = self._folder_config(record)
        path = Path(record.path)
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            self._vanished(record)
            return
        sha256 = hashlib.sha256(body).hexdigest()
        updates: dict[str, Any] = {"state": "uploading", "attempts": record.attempts + 1}
        if sha256 != record.sha256:
            log.warning("file changed after it was taken; sending the new content",
                        extra={"file": record.path, "spool_id": record.id})
            updates.update(sha256=sha256, size=len(body), generation=self.spool.refused_before(sha256))
        record = self.spool.update(record.id, durable=False, **updates)  # lost on power cut: sent again
        key = idempotency_key(self.agent_id, record.sha256, record.generation)
        outcome = self._send(folder, path.name, body, key)
        del body
        if isinstance(outcome, Accepted):
            self.last_contact = time.time()
            self._archive(record, folder, outcome)
        elif isinstance(outcome, Refused):
            if outcome.status is not None:
                self.last_contact = time.time()
            self._quarantine(record, folder, outcome)
        else:
            self._schedule_retry(record, outcome.reason, outcome.retry_after)

    def _send(self, folder: FolderConfig, name: str, body: bytes, key: str) -> Outcome:
        """Upload as the folder's format says; a folder with a profile file sends the CSV read here."""
        profile = self._profiles.get(folder.format)
        if profile is None:
            return upload(self.endpoint, body=body, name=name, folder_format=folder.format, key=key)
        from ledgerlink.collector import csvlocal

        converted = csvlocal.convert(body, profile)
        if isinstance(converted, csvlocal.NotConverted):
            return Refused(None, converted.title, converted.detail, converted.errors)
        outcome = upload(self.endpoint, body=converted.body, name=name, folder_format="json", key=key)
        if isinstance(outcome, Refused):
            outcome = dataclasses.replace(outcome, errors=csvlocal.map_locations(outcome.errors, converted.locations))
        return outcome

    def _folder_config(self, record: SpoolRecord) -> FolderConfig:
        folder = self._folders.get(str(Path(record.folder).resolve()))
        if folder is None:  # the folder left the configuration: file it with defaults next to it
            folder = FolderConfig(path=Path(record.folder))
        return folder

    def _schedule_retry(self, record: SpoolRecord, reason: str, retry_after: float | None) -> None:
        intervals = self.config.intervals
        delay = retry_delay(record.attempts, base=intervals.retry_base_seconds, cap=intervals.retry_cap_seconds,
                            retry_after=retry_after)
        self.spool.update(record.id, state="queued", next_attempt_at=time.time() + delay, last_error=reason,
                          durable=False)  # lost on power cut: the row is "uploading", sent again
        log.warning("upload failed; will retry", extra={"file": record.path, "spool_id": record.id,
                                                         "attempt": record.attempts, "retry_in_s": round(delay, 2),
                                                         "reason": reason})

    def _archive(self, record: SpoolRecord, folder: FolderConfig, outcome: Accepted) -> None:
        dest = filing.choose_destination(folder.archive_dir, record.name, record.id, dt.datetime.now())
        record = self.spool.update(record.id, state="archiving", dest_path=str(dest),
                                   outcome={"http_status": outcome.status, "receipt": outcome.receipt}, durable=False)
        self.spool.sync()  # durable before the file leaves the folder (one fsync shared by the upload threads)
        self._finish_move(record)

    def _quarantine(self, record: SpoolRecord, folder: FolderConfig, outcome: Refused) -> None:
        when = dt.datetime.now()
        dest = filing.choose_destination(folder.quarantine_dir, record.name, record.id, when)
        report = filing.error_report(file=record.name, sha256=record.sha256, status=outcome.status,
                                     title=outcome.title, detail=outcome.detail, errors=outcome.errors,
                                     when=when.astimezone())
        record = self.spool.update(record.id, state="quarantining", dest_path=str(dest),
                                   outcome={"http_status": outcome.status, "report": report},
                                   last_error=f"refused: {outcome.title}" + (
                                       f" (HTTP {outcome.status})" if outcome.status else ""), durable=False)
        self.spool.sync()  # durable before the file leaves the folder (one fsync shared by the upload threads)
        self._finish_move(record)

    def _finish_move(self, record: SpoolRecord) -> None:
        """Write the side files, then move the file (idempotent: safe to call again after a crash).

        The side files' folder entries are made durable by the fsync of that folder after the move.
        The final state is recorded only once the file has left the watched folder, so a rescan can
        never find the file without an active record for it; it needs no fsync of its own (lost, the
        row is ``archiving`` again and recovery finds the move done).
        """
        assert record.dest_path is not None and record.outcome is not None
        source, dest = Path(record.path), Path(record.dest_path)
        archiving = record.state == "archiving"
        if archiving:
            side = [(filing.receipt_path(dest), filing.receipt_bytes(record.outcome["receipt"]))]
        else:
            report = record.outcome["report"]
            json_path, text_path = filing.error_paths(dest)
            side = [(json_path, filing.receipt_bytes(report)), (text_path, filing.error_text(report).encode())]
        for side_path, data in side:
            if not side_path.exists():
                filing.write_durably(side_path, data, sync_folder=False)
        final = "archived" if archiving else "quarantined"
        if source.exists() and not dest.exists():
            # fsyncs dest's folder (the side files' entries too), then source's
            filing.move_durably(source, dest, sync=self._folders_sync.sync)
        elif dest.exists():
            self._folders_sync.sync(dest.parent)  # moved before a crash: make sure the side files' entries are durable
        else:
            self._vanished(record)
            return
        self.spool.update(record.id, state=final, durable=False)
        receipt = record.outcome.get("receipt") or {}
        log.info(f"file {final}", extra={
            "file": record.path, "spool_id": record.id, "dest": str(dest), "http_status": record.outcome["http_status"],
            "receipt_id": receipt.get("receipt_id"), "documents": len(receipt.get("documents") or []),
            "latency_s": round(time.time() - record.completed_at, 3), "at": round(time.time(), 4),
        })

    def _vanished(self, record: SpoolRecord) -> None:
        self.spool.update(record.id, state="vanished", last_error="the file disappeared before it was filed")
        log.error("file vanished before it could be filed", extra={"file": record.path, "spool_id": record.id})

    # ------------------------------------------------------------------ recovery

    def recover(self) -> dict[str, int]:
        """Reconcile the spool with the disk after a stop or a crash; returns counts per action."""
        done = {"resent": 0, "moves_finished": 0, "vanished": 0}
        for record in self.spool.in_states("uploading"):
            self.spool.update(record.id, state="queued", next_attempt_at=0)
            done["resent"] += 1
        for record in self.spool.in_states("archiving", "quarantining"):
            self._finish_move(record)
            done["moves_finished"] += 1
        for record in self.spool.in_states("queued"):
            if not Path(record.path).exists():
                self._vanished(record)
                done["vanished"] += 1
        if any(done.values()):
            log.info("recovered from the spool", extra=done)
        return done

    # ------------------------------------------------------------------ heartbeat

    def stats(self) -> dict[str, Any]:
        counts = self.spool.counts()
        return {
            "queued": counts["queued"], "in_flight": counts["uploading"],
            "archived": counts["archived"], "quarantined": counts["quarantined"],
            "uptime_s": round(time.time() - self._started), "platform": platform.system(),
        }

    def heartbeat(self) -> bool:
        payload = {"agent_id": self.agent_id, "version": __version__, "hostname": self.hostname,
                   "stats": self.stats()}
        try:
            with self.endpoint.client() as client:
                response = client.post("/v1/agents/heartbeat", json=payload)
        except (httpx.HTTPError, OSError) as exc:
            log.warning("heartbeat failed", extra={"error": type(exc).__name__})
            return False
        if response.status_code >= 300:
            log.warning("heartbeat refused", extra={"http_status": response.status_code})
            return False
        self.last_contact = time.time()
        self.spool.set_meta("last_contact", dt.datetime.now(dt.UTC).isoformat())
        return True

    def _heartbeat_loop(self) -> None:
        while not self._stop.is_set():
            self.heartbeat()
            self._stop.wait(self.config.intervals.heartbeat_seconds)
