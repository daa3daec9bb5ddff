"""Large JSON batches prepared with pool processes give exactly the sequential path's answer."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ledgerlink.api.app import create_app
from ledgerlink.formats import canonical, registry
from ledgerlink.services import ingest, tenancy
from ledgerlink.services.parallel import PreparePool, slices, split_batch
from ledgerlink.settings import Settings
from ledgerlink.store.database import Database
from ledgerlink.store.schema import documents

from tests.domain.factories import make_credit_note, make_invoice, make_ledger_update, make_statement


def batch(count: int) -> list[dict[str, Any]]:
    """``count`` valid documents of every kind, distinct numbers."""
    makers = (make_invoice, make_credit_note, make_statement, make_ledger_update)
    return [canonical.to_obj(makers[n % 4](number=f"P-{n:05d}")) for n in range(count)]


def sequential(body: bytes, *, partial: bool = False) -> ingest.Prepared:
    return ingest.prepare(registry.read_bytes(body, "application/json"), partial=partial)


@pytest.fixture(scope="module")
def pool() -> Iterator[PreparePool]:
    started = PreparePool(processes=1, min_documents=4)
    started.start()
    deadline = time.monotonic() + 60
    while not started.ready and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.ready, "the pool process did not start"
    yield started
    started.close()


def test_split_batch_finds_each_document_and_its_location() -> None:
    docs = batch(3)
    for body, prefix in ((json.dumps({"documents": docs}).encode(), "documents"),
                         (b"  \n" + json.dumps(docs).encode(), "")):
        found = split_batch(body)
        assert found is not None
        assert [location for location, _ in found] == [f"{prefix}[{i}]" for i in range(3)]
        assert [json.loads(bytes(raw)) for _, raw in found] == docs


@pytest.mark.parametrize("body", [
    b'{"documents": [', b"not json", b'{"documents": [], "extra": 1}', b'{"documents": 5}', b"",
    json.dumps(canonical.to_obj(make_invoice())).encode(),  # one document, not a batch
])
def test_split_batch_leaves_other_shapes_to_the_sequential_reader(body: bytes) -> None:
    assert split_batch(body) is None


def test_slices_keep_order_and_split_as_asked() -> None:
    found = split_batch(json.dumps(batch(7)).encode())
    assert found is not None
    parts = slices(found, 3)
    assert [len(locations) for _, locations in parts] == [2, 3, 2]
    assert [len(locations) for _, locations in slices(found, 2, own_share=0.8)] == [3, 4]  # 80 % of 3.5
    assert [loc for _, locations in parts for loc in locations] == [f"[{i}]" for i in range(7)]
    assert [d for array, _ in parts for d in json.loads(array)] == [json.loads(bytes(r)) for _, r in found]


def test_a_valid_batch_is_prepared_exactly_as_the_sequential_path_does(pool: PreparePool) -> None:
    body = json.dumps({"documents": batch(40)}).encode()
    helped = pool.batches_helped
    assert pool.prepare(body, partial=False) == sequential(body)
    assert pool.batches_helped == helped + 1


def test_errors_in_every_slice_are_reported_as_the_sequential_path_reports_them(pool: PreparePool) -> None:
    docs = batch(12)
    docs[1]["number"] = 7  # schema error, first slice
    docs[4]["currency"] = "XXX-TOO-LONG"  # rule error
    docs[8]["totals"]["payable_amount"] = "1.00"  # arithmetic rule error, second slice
    docs[9]["lines"][0]["quantity"] = 1.5  # a JSON number with a fraction: read exactly
    docs[10]["unknown_field"] = True  # schema error, second slice
    body = json.dumps({"documents": docs}).encode()
    with pytest.raises(ingest.DocumentsRejected) as parallel:
        pool.prepare(body, partial=False)
    with pytest.raises(ingest.DocumentsRejected) as expected:
        sequential(body)
    assert parallel.value.errors == expected.value.errors
    assert {e.get("location") or e["path"].split(".")[0] for e in parallel.value.errors} >= {
        "documents[1]", "documents[8]", "documents[10]"}
    assert pool.prepare(body, partial=True) == sequential(body, partial=True)


def test_a_batch_over_the_limit_is_refused_whole(pool: PreparePool) -> None:
    doc = canonical.to_obj(make_invoice())
    body = json.dumps([doc] * (ingest.MAX_BATCH + 1)).encode()
    with pytest.raises(ingest.BatchTooLarge, match="at most 1000"):
        pool.prepare(body, partial=False)


def test_small_batches_and_a_pool_not_yet_started_leave_the_work_to_the_request_thread(tmp_path: Path) -> None:
    idle = PreparePool(processes=1, min_documents=4)
    try:
        assert idle.prepare(json.dumps(batch(3)).encode(), partial=False) is None  # below min_documents
        assert idle.prepare(json.dumps(batch(8)).encode(), partial=False) is None  # starting: not ready yet
    finally:
        idle.close()


def test_a_helper_ignores_ctrl_c_and_keeps_helping(pool: PreparePool) -> None:
    body = json.dumps(batch(10)).encode()
    pids = pool.process_ids()
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGINT)  # what a terminal sends the whole process group
    time.sleep(0.2)
    helped = pool.batches_helped
    assert pool.prepare(body, partial=False) == sequential(body)
    assert pool.batches_helped == helped + 1 and pool.process_ids() == pids


def test_a_failure_in_the_request_thread_retires_the_helper_whose_answer_was_not_read(
        pool: PreparePool, monkeypatch: pytest.MonkeyPatch) -> None:
    from ledgerlink.services import parallel

    body = json.dumps(batch(10)).encode()
    before = pool.process_ids()
    real = parallel.prepare_slice

    def failing(array: bytes, locations: list[str]) -> ingest.Checked:
        raise RuntimeError("a bug while preparing the request's own slice")

    monkeypatch.setattr(parallel, "prepare_slice", failing)  # the helper process still runs the real one
    with pytest.raises(RuntimeError, match="a bug"):
        pool.prepare(body, partial=False)
    monkeypatch.setattr(parallel, "prepare_slice", real)
    assert not set(pool.process_ids()) & set(before)  # retired: its pipe held an answer nobody read
    assert pool.warm_up(timeout=60)
    assert pool.prepare(body, partial=False) == sequential(body)  # a new helper, a fresh pipe


def test_a_helper_that_cannot_start_leaves_the_work_to_the_request_thread(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import sys

    main = sys.modules["__main__"]  # a spawned process first runs the parent's main script: make that fail
    monkeypatch.setattr(main, "__spec__", None, raising=False)
    monkeypatch.setattr(main, "__file__", "/nonexistent/ledgerlink-main.py", raising=False)
    broken = PreparePool(processes=1, min_documents=4)
    try:
        started = time.monotonic()
        assert broken.warm_up(timeout=60) is False
        assert time.monotonic() - started < 30  # it noticed the failure, it did not wait for the timeout
        assert "did not start" in caplog.text
        assert broken.prepare(json.dumps(batch(8)).encode(), partial=False) is None  # the request does it
        assert broken.process_ids() == []  # and no new process is started at once
    finally:
        broken.close()


def test_a_killed_pool_process_loses_nothing(pool: PreparePool) -> None:
    body = json.dumps(batch(20)).encode()
    for pid in pool.process_ids():
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    assert pool.prepare(body, partial=False) == sequential(body)  # its share done in this thread
    deadline = time.monotonic() + 60
    while pool.prepare(body, partial=False) is None and time.monotonic() < deadline:
        time.sleep(0.1)  # a new pool starts in the background
    helped = pool.batches_helped
    assert pool.prepare(body, partial=False) == sequential(body)
    assert pool.batches_helped == helped + 1


def test_the_api_stores_a_batch_prepared_with_help(database_url: str, tmp_path: Path) -> None:
    db = Database.from_url(database_url)
    app = create_app(Settings(data_dir=tmp_path, database_url=database_url, prepare_processes=1), db)
    pool = app.state.prepare_pool
    assert isinstance(pool, PreparePool)
    with db.begin() as conn:
        org_id = tenancy.create_organisation(conn, "parallel", actor="test")
        key = tenancy.create_key(conn, org_id, scopes=["ingest", "read"]).secret
    docs = batch(pool.min_documents + 10)
    docs[0]["lines"][0]["net_price"] = Decimal("0.1")  # a decimal the client sent as a JSON number
    body = json.dumps({"documents": docs}, default=float).encode()
    try:
        with TestClient(app) as client:
            pool.start()
            deadline = time.monotonic() + 60
            while not pool.ready and time.monotonic() < deadline:
                time.sleep(0.05)
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            first = client.post("/v1/documents", content=body, headers=headers)
            again = client.post("/v1/documents", content=body, headers=headers)
        assert first.status_code == 201, first.text
        assert pool.batches_helped >= 2
        statuses = [d["status"] for d in first.json()["documents"]]
        assert len(statuses) == len(docs) and set(statuses) == {"received"}
        assert {d["status"] for d in again.json()["documents"]} == {"duplicate"}
        with db.read() as conn:
            stored = conn.execute(sa.select(documents.c.number, documents.c.body)
                                  .where(documents.c.org_id == org_id).order_by(documents.c.number)).all()
        assert [r.number for r in stored] == sorted(d["number"] for d in docs)
        first_body = next(json.loads(r.body) for r in stored if r.number == docs[0]["number"])
        assert first_body["lines"][0]["net_price"] == "0.1"  # read exactly, never through a float
    finally:
        db.dispose()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = task / "children"
        if children.exists():
            found.extend(int(c) for c in children.read_text().split())
    return found


def test_a_server_starts_its_helper_with_itself_and_uses_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.cli.test_datacentre import free_port, stop, wait_until_up

    cli = [sys.executable, "-m", "ledgerlink.cli"]
    env = {**os.environ, "LEDGERLINK_DATA_DIR": str(tmp_path / "data"), "LEDGERLINK_PREPARE_PROCESSES": "1"}
    env.pop("LEDGERLINK_DATABASE_URL", None)
    run = lambda *args: subprocess.run([*cli, *args], env=env, check=True, capture_output=True,  # noqa: E731
                                       text=True).stdout.strip().splitlines()[-1]
    org_id = run("org", "create", "helped")
    key = run("key", "create", "--org", org_id, "--scope", "ingest", "--scope", "read")
    port = free_port()
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, timeout=60)
        helpers = [pid for pid in _children(server.pid)
                   if "ledgerlink" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                   or "multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")]
        assert helpers, "the helper process was not started with the server"
        docs = batch(250)
        response = httpx.post(f"{url}/v1/documents", json={"documents": docs}, timeout=120,
                              headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 201, response.text
        assert [d["number"] for d in response.json()["documents"]] == [d["number"] for d in docs]
        listing = httpx.get(f"{url}/v1/documents", params={"limit": 1000},
                            headers={"Authorization": f"Bearer {key}"}).json()
        assert len(listing["documents"]) == 250
        metrics = httpx.get(f"{url}/metrics").text
        assert 'ledgerlink_batches_prepared_total{by="helpers"} 1.0' in metrics
    finally:
        stop(server)


def test_helpers_by_default_only_where_each_api_process_has_a_second_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    from ledgerlink import settings

    monkeypatch.setattr(settings.os, "cpu_count", lambda: 2)
    assert settings.default_prepare_processes() == 1
    assert settings.default_prepare_processes(api_processes=2) == 0
    monkeypatch.setattr(settings.os, "cpu_count", lambda: 1)
    assert settings.default_prepare_processes() == 0
    monkeypatch.delenv("LEDGERLINK_PREPARE_PROCESSES")
    assert settings.Settings.from_env().prepare_processes == 0
    monkeypatch.setenv("LEDGERLINK_PREPARE_PROCESSES", "3")
    assert settings.Settings.from_env().prepare_processes == 3
    assert settings.Settings().prepare_processes == 0  # built in code (tests, embedding): no helpers


def _comparable(receipt: dict[str, Any]) -> dict[str, Any]:
    """A receipt without the ids that differ between two stores of the same batch."""
    return {"documents": [{k: v for k, v in d.items() if k != "id"} for d in receipt.get("documents", [])],
            "errors": receipt.get("errors"), "rejected": receipt.get("rejected")}


def test_the_api_answers_with_helpers_exactly_as_without(database_url: str, tmp_path: Path) -> None:
    """Same answers, same stored bodies, with the first part stored while the helper prepares the rest:
    duplicates and new versions across the parts, errors only in the helper's part (everything rolled
    back), a partial batch with errors in both parts."""
    db = Database.from_url(database_url)
    app = create_app(Settings(data_dir=tmp_path, database_url=database_url, prepare_processes=1), db)
    pool = app.state.prepare_pool
    pool.min_documents = 10
    docs = batch(30)
    twin = dict(docs[2])  # the same document again, in the helper's part: a duplicate
    changed = json.loads(json.dumps(docs[4]))  # an invoice
    changed["notes"] = [{"text": "second thoughts"}]  # the same number with other content: held
    with_dupes = docs + [twin, changed]
    bad_late = json.loads(json.dumps(docs))
    bad_late[25]["totals"]["payable_amount"] = "1.00"  # a rule error in the helper's part only
    bad_both = json.loads(json.dumps(docs))
    bad_both[1]["number"] = 5
    bad_both[27]["currency"] = "EURO"

    def post(client: TestClient, key: str, body: list[dict[str, Any]], partial: bool = False) -> Any:
        return client.post("/v1/documents", params={"partial": "true"} if partial else None,
                           content=json.dumps({"documents": body}),
                           headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})

    try:
        with TestClient(app) as client:
            assert pool.warm_up(timeout=60)
            answers: dict[str, list[Any]] = {}
            bodies: dict[str, list[tuple[str, str]]] = {}
            for mode in ("helpers", "sequential"):
                app.state.prepare_pool = pool if mode == "helpers" else None
                with db.begin() as conn:
                    org_id = tenancy.create_organisation(conn, mode, actor="test")
                    key = tenancy.create_key(conn, org_id, frozenset({"ingest", "read"})).secret
                helped = pool.batches_helped
                responses = [post(client, key, with_dupes), post(client, key, bad_late),
                             post(client, key, bad_both, partial=True)]
                assert pool.batches_helped == helped + (3 if mode == "helpers" else 0)
                answers[mode] = [(r.status_code, _comparable(r.json())) for r in responses]
                with db.read() as conn:
                    bodies[mode] = [(r.number, r.body) for r in conn.execute(
                        sa.select(documents.c.number, documents.c.body).where(documents.c.org_id == org_id)
                        .order_by(documents.c.number, documents.c.version))]
        assert answers["helpers"] == answers["sequential"]
        assert bodies["helpers"] == bodies["sequential"]
        statuses = [d["status"] for d in answers["helpers"][0][1]["documents"]]
        assert statuses[-2:] == ["duplicate", "held"] and statuses.count("received") == 30
        assert answers["helpers"][1][0] == 422  # the helper's part refused the batch: the first part rolled back
        # 30 received and 1 held; the refused batch stored nothing; the partial batch's valid ones were duplicates
        assert len(bodies["helpers"]) == 31
        assert [d["status"] for d in answers["helpers"][2][1]["documents"]] == ["duplicate"] * 28
    finally:
        app.state.prepare_pool = pool
        db.dispose()


def test_the_other_parts_are_asked_for_once_even_when_that_fails() -> None:
    calls = []

    def failing_rest() -> list[ingest.Checked]:
        calls.append(1)
        raise RuntimeError("a helper answered with an error")

    first = ingest.Checked([], [], [], [])
    parts = ingest.Parts(first, failing_rest)
    for _ in range(2):
        with pytest.raises(RuntimeError, match="answered with an error"):
            parts.others()
    parts.close()  # never asks the helpers a second time (their pipes hold no second answer)
    assert calls == [1]
    idle = ingest.Parts(first, lambda: calls.append(2) or [])  # type: ignore[func-returns-value]
    idle.close()
    assert calls == [1, 2] and idle.others() == []


def test_a_helper_hands_back_the_error_of_a_slice_it_cannot_read(pool: PreparePool) -> None:
    helpers = pool._take()
    try:
        assert helpers
        helpers[0].conn.send((b"[not json", ["documents[0]"]))
        answer = helpers[0].conn.recv()
        assert isinstance(answer, Exception)
    finally:
        pool._give_back(helpers)
    body = json.dumps(batch(10)).encode()
    assert pool.prepare(body, partial=False) == sequential(body)  # the helper goes on working


def test_an_oversized_batch_is_refused_with_helpers_and_nothing_is_stored(database_url: str, tmp_path: Path) -> None:
    db = Database.from_url(database_url)
    app = create_app(Settings(data_dir=tmp_path, database_url=database_url, prepare_processes=1), db)
    with db.begin() as conn:
        org_id = tenancy.create_organisation(conn, "oversized", actor="test")
        key = tenancy.create_key(conn, org_id, frozenset({"ingest", "read"})).secret
    doc = canonical.to_obj(make_invoice())
    body = json.dumps({"documents": [dict(doc, number=f"O-{n}") for n in range(ingest.MAX_BATCH + 1)]})
    try:
        with TestClient(app) as client:
            assert app.state.prepare_pool.warm_up(timeout=60)
            response = client.post("/v1/documents", content=body, headers={
                "Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        assert response.status_code == 413
        assert "at most 1000" in response.json()["detail"]
        with db.read() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(documents)
                                .where(documents.c.org_id == org_id)).scalar() == 0
    finally:
        db.dispose()
