"""Nothing lost, nothing doubled: racing uploads, stale idempotency locks, a server killed mid-request."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from ledgerlink.demo import demo_documents
from ledgerlink.formats import canonical
from ledgerlink.services import idempotency
from ledgerlink.services.tenancy import Principal
from ledgerlink.store.schema import documents, idempotency_records

from tests.cli.test_datacentre import free_port, wait_until_up

CLI = [sys.executable, "-m", "ledgerlink.cli"]


def stored_numbers(db: Any) -> list[str]:
    with db.read() as conn:
        return [r.number for r in conn.execute(sa.select(documents.c.number))]


def test_racing_uploads_of_one_document_store_it_once(api: Any, db: Any) -> None:
    body = canonical.to_obj(demo_documents()[0])
    statuses: list[str] = []
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            response = api.post("/v1/documents", json=body)
            assert response.status_code == 201, response.text
            statuses.append(response.json()["documents"][0]["status"])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(statuses) == ["duplicate"] * 5 + ["received"]
    assert stored_numbers(db) == [body["number"]]


def test_racing_requests_with_one_idempotency_key_run_once(api: Any, db: Any) -> None:
    payload = json.dumps([canonical.to_obj(d) for d in demo_documents()]).encode()
    codes: list[int] = []

    def upload() -> None:
        response = api.post("/v1/documents", content=payload,
                            headers={"Content-Type": "application/json", "Idempotency-Key": "race"})
        codes.append(response.status_code)

    threads = [threading.Thread(target=upload) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes.count(201) == 1
    assert set(codes) <= {200, 201, 409}
    assert len(stored_numbers(db)) == len(demo_documents())


def test_a_stale_in_flight_key_is_taken_over(api: Any, db: Any) -> None:
    body = json.dumps(canonical.to_obj(demo_documents()[0])).encode()
    principal = Principal(api.org_id, api.key.split("_")[1], frozenset({"ingest"}))
    fingerprint = idempotency.request_fingerprint("POST", "/v1/documents", "", "application/json", body)
    idempotency.claim(db, principal, "crashed", fingerprint)
    with db.begin() as conn:  # the process holding the key died: its lock runs out
        conn.execute(idempotency_records.update().values(locked_until=idempotency_records.c.created_at))
    response = api.post("/v1/documents", content=body,
                        headers={"Content-Type": "application/json", "Idempotency-Key": "crashed"})
    assert response.status_code == 201
    assert len(stored_numbers(db)) == 1


def test_expired_keys_are_purged_and_reusable(api: Any, db: Any) -> None:
    import datetime as dt

    assert api.post("/v1/documents", json=canonical.to_obj(demo_documents()[0]),
                    headers={"Idempotency-Key": "old"}).status_code == 201
    later = dt.datetime.now(dt.UTC) + idempotency.RETENTION + dt.timedelta(minutes=1)
    with db.begin() as conn:
        assert idempotency.purge_expired(conn, later) == 1
    # after expiry the key is free again: another body is accepted, not refused as a mismatch
    assert api.post("/v1/documents", json=canonical.to_obj(demo_documents()[1]),
                    headers={"Idempotency-Key": "old"}).status_code == 201


def test_server_killed_mid_request_then_retried_stores_everything_once(tmp_path: Path, database_url: str,
                                                                      db: Any) -> None:
    """kill -9 the real server at random moments during uploads; retries with the same keys converge.

    The server runs with a helper process that prepares half of each batch: a helper whose server was
    killed ends by itself (none is left behind).
    """
    port = free_port()
    mark = f"kill-test-{uuid.uuid4().hex}"
    env = {**os.environ, "LEDGERLINK_DATABASE_URL": database_url, "LEDGERLINK_DATA_DIR": str(tmp_path),
           "LEDGERLINK_IDEMPOTENCY_LOCK_SECONDS": "1", "LEDGERLINK_PREPARE_PROCESSES": "1",
           "LEDGERLINK_TEST_MARK": mark}
    from ledgerlink.services import tenancy

    with db.begin() as conn:
        org = tenancy.create_organisation(conn, "kill-test")
        key = tenancy.create_key(conn, org, frozenset({"ingest", "read"})).secret
    base = [d for d in demo_documents() if d.kind == "invoice"][0]
    batches = [
        json.dumps([canonical.to_obj(base.model_copy(update={"number": f"K-{b}-{i}"})) for i in range(200)]).encode()
        for b in range(4)
    ]
    url = f"http://127.0.0.1:{port}"
    rng = random.Random(7)
    pending = list(range(len(batches)))
    kills = 0

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_up(url)
        return process

    server = start()
    try:
        while pending:
            batch = pending[0]
            killer = None
            if kills < 6:
                delay = rng.uniform(0.0, 0.4)
                victim = server
                killer = threading.Timer(delay, lambda v=victim: v.send_signal(signal.SIGKILL))
                killer.start()
            try:
                response = httpx.post(f"{url}/v1/documents", content=batches[batch], timeout=30,
                                      headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                               "Idempotency-Key": f"batch-{batch}"})
                if response.status_code in (200, 201):
                    pending.pop(0)
                elif response.status_code != 409:
                    raise AssertionError(response.text)
                else:
                    time.sleep(0.5)
            except httpx.TransportError:
                pass
            if killer is not None:
                killer.join()
                if server.poll() is not None:
                    kills += 1
                    server = start()
            if server.poll() is not None:
                server = start()
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    numbers = stored_numbers(db)
    assert kills >= 3
    assert len(numbers) == len(set(numbers)) == 800
    deadline = time.monotonic() + 10
    while _processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_marked(mark) == []


def _processes_marked(mark: str) -> list[int]:
    """Live processes whose environment carries ``LEDGERLINK_TEST_MARK=mark`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if f"LEDGERLINK_TEST_MARK={mark}".encode() in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found
