"""Spool durability and the reconciliation of spool state with the disk after a crash."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from ledgerlink.collector import filing
from ledgerlink.collector.agent import Agent
from ledgerlink.collector.config import from_dict
from ledgerlink.collector.spool import Spool


def test_records_survive_reopening_and_a_path_has_one_active_record(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3")
    first = spool.add(folder="/in", path="/in/a.csv", size=3, mtime_ns=1, sha256="aa", completed_at=1.0)
    assert first is not None and first.state == "queued"
    assert spool.add(folder="/in", path="/in/a.csv", size=3, mtime_ns=1, sha256="aa", completed_at=1.0) is None
    spool.update(first.id, state="uploading", attempts=1)
    agent_id = spool.agent_id(None, "host")
    spool.close()
    again = Spool(tmp_path / "spool.sqlite3")
    record = again.get(first.id)
    assert (record.path, record.size, record.sha256, record.state, record.attempts) == ("/in/a.csv", 3, "aa",
                                                                                       "uploading", 1)
    assert again.agent_id(None, "host") == agent_id and agent_id.startswith("host-")
    assert again.agent_id("configured", "host") == "configured"
    again.update(first.id, state="archived")
    assert again.add(folder="/in", path="/in/a.csv", size=3, mtime_ns=2, sha256="bb", completed_at=2.0) is not None
    assert again.counts()["archived"] == 1 and again.counts()["queued"] == 1
    with pytest.raises(ValueError, match="unknown spool state"):
        again.update(first.id, state="lost")


def test_refused_content_gets_a_new_generation(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3")
    record = spool.add(folder="/in", path="/in/a.csv", size=3, mtime_ns=1, sha256="aa", completed_at=1.0)
    assert record is not None and spool.refused_before("aa") == 0
    spool.update(record.id, state="quarantined")
    assert spool.refused_before("aa") == 1 and spool.refused_before("bb") == 0


@pytest.fixture()
def agent(tmp_path: Path) -> Agent:
    (tmp_path / "in").mkdir()
    (tmp_path / "key").write_text("ll_test_key\n")
    config = from_dict({
        "agent": {"state_dir": str(tmp_path / "state")},
        "server": {"url": "https://127.0.0.1:9", "key_file": str(tmp_path / "key")},
        "folders": [{"path": str(tmp_path / "in")}],
    })
    return Agent(config)


def _queued(agent: Agent, path: Path, data: bytes) -> int:
    path.write_bytes(data)
    record = agent.spool.add(folder=str(path.parent), path=str(path), size=len(data), mtime_ns=0,
                             sha256=hashlib.sha256(data).hexdigest(), completed_at=0.0)
    assert record is not None
    return record.id


def test_recovery_resends_interrupted_uploads(agent: Agent, tmp_path: Path) -> None:
    record_id = _queued(agent, tmp_path / "in" / "a.json", b"{}")
    agent.spool.update(record_id, state="uploading", attempts=1)
    assert agent.recover()["resent"] == 1
    assert agent.spool.get(record_id).state == "queued"


def test_recovery_finishes_a_pending_archive_move_and_writes_the_receipt(agent: Agent, tmp_path: Path) -> None:
    source = tmp_path / "in" / "a.json"
    record_id = _queued(agent, source, b"{}")
    dest = filing.choose_destination(tmp_path / "in" / "archive", "a.json", record_id, dt.datetime(2026, 3, 4))
    agent.spool.update(record_id, state="archiving", dest_path=str(dest),
                       outcome={"http_status": 201, "receipt": {"receipt_id": "r1", "documents": []}})
    assert agent.recover()["moves_finished"] == 1
    assert agent.spool.get(record_id).state == "archived"
    assert not source.exists() and dest.read_bytes() == b"{}"
    assert dest.parent == tmp_path / "in" / "archive" / "2026" / "03" / "04"
    assert json.loads(filing.receipt_path(dest).read_text())["receipt_id"] == "r1"


def test_a_file_already_in_the_archive_is_done(agent: Agent, tmp_path: Path) -> None:
    source = tmp_path / "in" / "a.json"
    record_id = _queued(agent, source, b"{}")
    dest = tmp_path / "in" / "archive" / "2026" / "03" / "04" / "a.json"
    agent.spool.update(record_id, state="archiving", dest_path=str(dest),
                       outcome={"http_status": 201, "receipt": {"receipt_id": "r1"}})
    dest.parent.mkdir(parents=True)
    source.rename(dest)  # the crash came after the move, before the state change
    agent.recover()
    assert agent.spool.get(record_id).state == "archived"
    assert filing.receipt_path(dest).exists()


def test_a_pending_quarantine_gets_both_error_reports(agent: Agent, tmp_path: Path) -> None:
    source = tmp_path / "in" / "bad.json"
    record_id = _queued(agent, source, b"{")
    dest = tmp_path / "in" / "quarantine" / "2026" / "03" / "04" / "bad.json"
    report = filing.error_report(file="bad.json", sha256="x", status=422, title="Documents rejected", detail="",
                                 errors=[{"path": "lines[0].net_amount", "rule": "BR-CO-10", "message": "sum",
                                          "location": "row 7"}], when=dt.datetime(2026, 3, 4, tzinfo=dt.UTC))
    agent.spool.update(record_id, state="quarantining", dest_path=str(dest),
                       outcome={"http_status": 422, "report": report})
    agent.recover()
    assert agent.spool.get(record_id).state == "quarantined"
    json_path, text_path = filing.error_paths(dest)
    assert json.loads(json_path.read_text())["errors"][0]["rule"] == "BR-CO-10"
    assert "[BR-CO-10] at row 7 (field lines[0].net_amount): sum" in text_path.read_text()


def test_a_queued_file_that_disappeared_is_marked_vanished(agent: Agent, tmp_path: Path) -> None:
    source = tmp_path / "in" / "a.json"
    record_id = _queued(agent, source, b"{}")
    source.unlink()
    assert agent.recover()["vanished"] == 1
    assert agent.spool.get(record_id).state == "vanished"


def test_a_name_taken_in_the_dated_folder_gets_the_record_id(tmp_path: Path) -> None:
    when = dt.datetime(2026, 3, 4)
    first = filing.choose_destination(tmp_path, "a.csv", 7, when)
    first.parent.mkdir(parents=True)
    first.write_text("x")
    assert filing.choose_destination(tmp_path, "a.csv", 8, when).name == "a.8.csv"


def test_add_many_records_a_batch_and_skips_paths_already_active(tmp_path: Path) -> None:
    from ledgerlink.collector.spool import NewFile

    spool = Spool(tmp_path / "spool.sqlite3")
    old = spool.add(folder="/in", path="/in/b.csv", size=1, mtime_ns=1, sha256="bb", completed_at=1.0)
    assert old is not None
    refused = spool.add(folder="/in", path="/in/z.csv", size=1, mtime_ns=1, sha256="cc", completed_at=1.0)
    assert refused is not None
    spool.update(refused.id, state="quarantined")
    batch = [NewFile("/in", f"/in/{name}.csv", 3, 7, sha, 2.0) for name, sha in
             [("a", "aa"), ("b", "bb"), ("c", "cc"), ("d", "dd")]]
    records = spool.add_many(batch)
    assert [r is None for r in records] == [False, True, False, False]  # b.csv is still queued
    assert [(r.path, r.state, r.sha256, r.completed_at) for r in records if r] == [
        ("/in/a.csv", "queued", "aa", 2.0), ("/in/c.csv", "queued", "cc", 2.0), ("/in/d.csv", "queued", "dd", 2.0)]
    # content refused before gets the next generation (a new Idempotency-Key), the rest generation 0
    assert [r.generation for r in records if r] == [0, 1, 0]
    assert spool.active_paths(["/in/a.csv", "/in/b.csv", "/in/z.csv", "/in/nope.csv"]) == {"/in/a.csv", "/in/b.csv"}
    assert spool.active_in_folder("/in") == {"/in/a.csv", "/in/b.csv", "/in/c.csv", "/in/d.csv"}
    assert spool.add_many([]) == []
    spool.close()
    again = Spool(tmp_path / "spool.sqlite3")
    assert again.counts()["queued"] == 4


def test_durable_commits_run_with_full_sync_whatever_came_before(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3")
    record = spool.add(folder="/in", path="/in/a.csv", size=3, mtime_ns=1, sha256="aa", completed_at=1.0)
    assert record is not None
    spool.update(record.id, state="uploading", attempts=1, durable=False)
    with spool.transaction(durable=False) as db:
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL: written, not fsynced
    with spool.transaction() as db:
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: fsynced at commit
    with pytest.raises(RuntimeError), spool.transaction(durable=False) as db:
        db.execute("UPDATE files SET attempts = 99")
        raise RuntimeError("rolled back")
    with spool.transaction() as db:
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2
    spool.sync()
    assert spool.get_meta("synced_at") is not None
    spool.close()
    again = Spool(tmp_path / "spool.sqlite3")
    assert (again.get(record.id).state, again.get(record.id).attempts) == ("uploading", 1)


def test_a_burst_of_renamed_files_is_taken_in_batches_once_each(agent: Agent, tmp_path: Path) -> None:
    folder = agent.config.folders[0]
    paths = []
    for i in range(600):
        path = tmp_path / "in" / f"f{i:03}.json"
        path.write_bytes(b'{"n": %d}' % i)
        paths.append(path)
    candidates = [(folder, p, "renamed in", 5.0) for p in paths]
    taken = agent._take_many(candidates + candidates[:10])  # the same file twice in one arrival
    assert len(taken) == 600 and len({r.path for r in taken}) == 600
    assert all(r.sha256 == hashlib.sha256(Path(r.path).read_bytes()).hexdigest() for r in taken)
    assert agent._take_many(candidates) == []  # all active already
    assert agent.spool.counts()["queued"] == 600
