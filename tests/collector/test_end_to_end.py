"""The collector against the real data centre (``ledgerlink serve`` over HTTPS with a test CA).

The fault-injection test kills the agent with SIGKILL at random instants, restarts the data centre,
and runs it all behind a proxy that answers 503 or drops connections; afterwards every document is
in the centre exactly once and every file is in exactly one of archive/ or quarantine/.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledgerlink.collector import tls
from ledgerlink.collector.uploader import Accepted, Endpoint, Transient, idempotency_key, upload
from tests.collector import samples
from tests.collector.harness import (
    AGENT, AgentProcess, DataCentre, FaultProxy, Pki, files_under, wait_for, write_config,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses SIGKILL and /proc")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[DataCentre]:
    dc = DataCentre(tmp_path_factory.mktemp("centre"), pki)
    dc.provision()
    dc.start()
    yield dc
    dc.stop()


class Site:
    """One client site: a watched folder, archive, quarantine, state and the agent process."""

    def __init__(self, root: Path, centre: DataCentre, server_url: str | None = None, **overrides: Any):
        self.root = root
        self.watch = root / "exports"
        self.archive = root / "archive"
        self.quarantine = root / "quarantine"
        self.state = root / "state"
        self.watch.mkdir(parents=True)
        self.key_file = root / "collector.key"
        self.key_file.write_text(centre.key + "\n")
        self.prefix = f"T{uuid.uuid4().hex[:8]}-"
        self.config = write_config(root / "collector.toml", watch=self.watch, server_url=server_url or centre.url,
                                   key_file=self.key_file, ca=centre.pki.ca_pem, state_dir=self.state, **overrides)
        self.agent = AgentProcess(self.config, root / "agent.out")

    def drop(self, name: str, data: bytes, *, via_rename: bool = True) -> None:
        if via_rename:
            tmp = self.watch / f"{name}.tmp"
            tmp.write_bytes(data)
            tmp.rename(self.watch / name)
        else:
            (self.watch / name).write_bytes(data)

    def placed(self) -> Counter[str]:
        """How many times each file name sits in archive/ or quarantine/ (side files excluded)."""
        names: Counter[str] = Counter()
        for folder in (self.archive, self.quarantine):
            for path in files_under(folder):
                if not path.name.endswith((".receipt.json", ".error.json", ".error.txt")):
                    names[path.name] += 1
        return names

    def waiting(self) -> list[str]:
        return sorted(p.name for p in self.watch.iterdir() if p.is_file())

    def done(self, expected: int) -> bool:
        return sum(self.placed().values()) >= expected and not self.waiting()

    def spool_rows(self) -> list[tuple[str, str]]:
        if not (self.state / "spool.sqlite3").exists():
            return []
        with sqlite3.connect(self.state / "spool.sqlite3") as db:
            return list(db.execute("SELECT path, state FROM files ORDER BY id"))


def _numbers(centre: DataCentre, prefix: str) -> Counter[str]:
    return Counter(d["number"] for d in centre.documents() if d["number"].startswith(prefix))


def test_files_are_delivered_archived_with_receipts_and_refused_files_quarantined(
    tmp_path: Path, centre: DataCentre
) -> None:
    site = Site(tmp_path, centre)
    p = site.prefix
    site.drop("one.json", samples.invoice_json(f"{p}1"))
    site.drop("batch.json", samples.batch_json([f"{p}2", f"{p}3"]))
    site.drop("broken.json", samples.broken_invoice_json(f"{p}4"))
    site.drop("notes.xml", b"<Invoice><cbc:ID>not a real invoice")
    site.agent.start()
    try:
        assert wait_for(lambda: site.done(4), 30), (site.placed(), site.waiting())
        assert wait_for(lambda: _status(site)["last_contact"] is not None, 10)
    finally:
        site.agent.terminate()
    assert _numbers(centre, p) == Counter({f"{p}1": 1, f"{p}2": 1, f"{p}3": 1})
    archived = {x.name for x in files_under(site.archive)}
    assert {"one.json", "one.json.receipt.json", "batch.json", "batch.json.receipt.json"} <= archived
    receipt = json.loads(next(x for x in files_under(site.archive) if x.name == "batch.json.receipt.json").read_text())
    assert sorted(d["number"] for d in receipt["documents"]) == [f"{p}2", f"{p}3"]
    # dated subfolders: archive/YYYY/MM/DD/name
    dated = next(x for x in files_under(site.archive) if x.name == "one.json").relative_to(site.archive)
    assert len(dated.parts) == 4 and dated.parts[0].isdigit() and len(dated.parts[0]) == 4
    report = json.loads(next(x for x in files_under(site.quarantine) if x.name == "broken.json.error.json").read_text())
    assert report["http_status"] == 422
    assert any(e["rule"] == "SCHEMA" and "currency" in e["path"] for e in report["errors"]), report
    text = next(x for x in files_under(site.quarantine) if x.name == "broken.json.error.txt").read_text()
    assert "[SCHEMA]" in text and "currency" in text and "collect retry" in text
    assert {x.name for x in files_under(site.quarantine)} >= {"notes.xml", "notes.xml.error.json", "notes.xml.error.txt"}
    # the operator sees the agent's last contact and version
    with centre.client() as client:
        listed = client.get("/v1/agents").json()["agents"]
    status = _status(site)
    mine = [a for a in listed if a["agent_id"] == status["agent_id"]]
    assert mine and mine[0]["version"] and mine[0]["stats"]["archived"] >= 0
    assert status["archived"] == 2 and status["quarantined"] == 2
    # logs: structured, no key, no document contents
    log_text = (site.state / "collector.log").read_text()
    assert centre.key not in log_text and centre.key not in (site.root / "agent.out").read_text()
    assert "Acme Supplies" not in log_text and "Widgets" not in log_text
    assert all(json.loads(line)["message"] for line in log_text.splitlines())


SAGE_HEADER = ("Type,Account Ref,Nominal Code,Department,Date,Reference,Details,Net Amount,Tax Code,Tax Amount,"
               "Exchange Rate,Extra Ref,User Name,Project Ref,Cost Code")


def test_a_csv_folder_with_the_users_profile_file_is_read_by_the_agent_and_delivered(
    tmp_path: Path, centre: DataCentre
) -> None:
    profile = tmp_path / "profiles" / "acme-sage50.toml"
    profile.parent.mkdir()
    profile.write_text('extends = "sage50-audit-trail"\nname = "acme-sage50"\n[defaults]\n'
                       'seller_name = "Acme Widgets Ltd"\nseller_vat_id = "GB980780684"\n')
    watch = tmp_path / "exports"
    site = Site(tmp_path, centre, folders=[{"path": str(watch), "format": "profiles/acme-sage50.toml",
                                            "patterns": ["*.csv"], "archive": str(tmp_path / "archive"),
                                            "quarantine": str(tmp_path / "quarantine")}])
    p = site.prefix
    good = [SAGE_HEADER,
            f"SI,CUST001,4000,0,15/03/2026,{p}1,Consultancy,1250.00,T1,250.00,1.00,,U,,",
            f"SI,CUST001,4010,0,15/03/2026,{p}1,Manuals,80.00,T0,0.00,1.00,,U,,",
            f"SC,CUST002,4000,0,16/03/2026,{p}2,Refund,100.00,T1,20.00,1.00,,U,,"]
    bad = [SAGE_HEADER,
           f"SI,CUST001,4000,0,15/03/2026,{p}3,Consultancy,10.00,T1,2.00,1.00,,U,,",
           f"SI,CUST001,4000,0,15/03/2026,{p}4,Consultancy,10.00,T7,2.00,1.00,,U,,"]
    site.drop("sales.csv", ("\r\n".join(good) + "\r\n").encode())
    site.drop("broken.csv", ("\r\n".join(bad) + "\r\n").encode())
    site.agent.start()
    try:
        assert wait_for(lambda: site.done(2), 30), (site.placed(), site.waiting())
    finally:
        site.agent.terminate()
    assert _numbers(centre, p) == Counter({f"{p}1": 1, f"{p}2": 1})  # nothing of broken.csv was sent
    receipt = json.loads(next(x for x in files_under(site.archive) if x.name == "sales.csv.receipt.json").read_text())
    assert sorted(d["number"] for d in receipt["documents"]) == [f"{p}1", f"{p}2"]
    with centre.client() as client:
        doc = client.get(f"/v1/documents/{receipt['documents'][0]['id']}").json()
    assert "Acme Widgets Ltd" in json.dumps(doc)  # the seller came from the user's profile file
    text = next(x for x in files_under(site.quarantine) if x.name == "broken.csv.error.txt").read_text()
    assert "row 3" in text and "Tax Code" in text and "T7" in text, text


def _status(site: Site) -> dict[str, Any]:
    done = subprocess.run([*AGENT, "status", "--config", str(site.config), "--json"], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_half_written_file_is_not_taken(tmp_path: Path, centre: DataCentre) -> None:
    site = Site(tmp_path, centre, intervals={"stable_seconds": 0.8})
    site.agent.start()
    try:
        data = samples.invoice_json(f"{site.prefix}slow")
        pieces = [data[i:i + 40] for i in range(0, len(data), 40)]
        assert wait_for(lambda: (site.state / "collector.log").exists(), 30)
        time.sleep(0.5)
        with open(site.watch / "slow.json", "wb") as handle:
            for piece in pieces[:12]:  # about 2.4 s of writing, never pausing as long as stable_seconds
                handle.write(piece)
                handle.flush()
                time.sleep(0.2)
                assert not site.placed() and not site.spool_rows()
            for piece in pieces[12:]:
                handle.write(piece)
        assert wait_for(lambda: site.done(1), 20)
    finally:
        site.agent.terminate()
    archived = next(x for x in files_under(site.archive) if x.name == "slow.json")
    assert archived.read_bytes() == data
    assert _numbers(centre, site.prefix) == Counter({f"{site.prefix}slow": 1})


def test_files_appearing_during_rescans_are_taken_once(tmp_path: Path, centre: DataCentre) -> None:
    site = Site(tmp_path, centre, intervals={"rescan_seconds": 0.05, "stable_seconds": 0.2})
    site.agent.start()
    try:
        time.sleep(1.0)
        for i in range(40):
            site.drop(f"f{i:03}.json", samples.invoice_json(f"{site.prefix}{i}"), via_rename=i % 2 == 0)
            time.sleep(0.01)
        assert wait_for(lambda: site.done(40), 40), (site.placed(), site.waiting())
    finally:
        site.agent.terminate()
    assert set(site.placed().values()) == {1} and len(site.placed()) == 40
    assert len(site.spool_rows()) == 40
    assert _numbers(centre, site.prefix) == Counter({f"{site.prefix}{i}": 1 for i in range(40)})


def test_quarantined_file_retried_after_a_fix_is_delivered_once(tmp_path: Path, centre: DataCentre) -> None:
    site = Site(tmp_path, centre)
    number = f"{site.prefix}fixme"
    site.drop("fixme.json", samples.broken_invoice_json(number))
    site.agent.start()
    try:
        assert wait_for(lambda: site.placed() == Counter({"fixme.json": 1}) and not site.waiting(), 20)
        quarantined = next(x for x in files_under(site.quarantine) if x.name == "fixme.json")
        quarantined.write_bytes(samples.invoice_json(number))  # the user fixes the file
        done = subprocess.run([*AGENT, "retry", str(quarantined), "--config", str(site.config)],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        assert not any(files_under(site.quarantine))
        assert wait_for(lambda: any(x.name == "fixme.json" for x in files_under(site.archive)), 20)
        again = subprocess.run([*AGENT, "retry", str(quarantined), "--config", str(site.config)],
                               capture_output=True, text=True, timeout=30)
        assert again.returncode == 1 and "not a quarantined file" in again.stderr
    finally:
        site.agent.terminate()
    assert site.placed() == Counter({"fixme.json": 1})
    assert _numbers(centre, site.prefix) == Counter({number: 1})


def _socket_fds_of(pid: int) -> set[str]:
    """Socket inodes of the process's open fds (an fd closed while we look is skipped)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _listening_sockets_of(pid: int) -> list[str]:
    """LISTEN (TCP state 0A) sockets owned by the process: its fd inodes matched against /proc tables."""
    inodes = _socket_fds_of(pid)
    listening = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:
                listening.append(f"{table} {cols[1]}")
    for table in ("udp", "udp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            cols = line.split()
            if cols[9] in inodes:
                listening.append(f"{table} {cols[1]}")
    return listening


def test_agent_opens_no_listening_socket(tmp_path: Path, centre: DataCentre) -> None:
    site = Site(tmp_path, centre)
    process = site.agent.start()
    assert centre.process is not None
    try:
        own_server_listens = _listening_sockets_of(centre.process.pid)  # the check can see a listener
        assert own_server_listens
        seen_sockets = 0
        for i in range(40):
            site.drop(f"n{i}.json", samples.invoice_json(f"{site.prefix}{i}"))
            assert _listening_sockets_of(process.pid) == []
            seen_sockets += len(_socket_fds_of(process.pid))
            time.sleep(0.05)
        assert wait_for(lambda: site.done(40), 30)
        assert _listening_sockets_of(process.pid) == []
    finally:
        site.agent.terminate()
    assert seen_sockets > 0  # it did talk to the centre while being watched


def test_pinning_accepts_the_right_certificate_and_refuses_before_sending(centre: DataCentre) -> None:
    der = centre.pki.server.cert_chain_pems[0].bytes()
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(der)
    from cryptography.hazmat.primitives.serialization import Encoding

    right_spki = tls.spki_sha256(cert.public_bytes(Encoding.DER))
    number = f"PIN{uuid.uuid4().hex[:8]}"
    body = samples.invoice_json(number)
    wrong = tls.client_context(ca_bundle=centre.pki.ca_pem, spki_pins=["00" * 32])
    outcome = upload(Endpoint(centre.url, centre.key, wrong), body=body, name="p.json", folder_format="auto",
                     key=idempotency_key("pin-test", number))
    assert isinstance(outcome, Transient) and "matches no pin" in outcome.reason
    assert _numbers(centre, number) == Counter()
    right = tls.client_context(ca_bundle=centre.pki.ca_pem, spki_pins=[right_spki])
    outcome = upload(Endpoint(centre.url, centre.key, right), body=body, name="p.json", folder_format="auto",
                     key=idempotency_key("pin-test", number))
    assert isinstance(outcome, Accepted) and outcome.status == 201
    assert _numbers(centre, number) == Counter({number: 1})


def _fault_injection(tmp_path: Path, centre: DataCentre, kills: int, files: int, seed: int) -> None:
    rng = random.Random(seed)
    pki = centre.pki
    proxy = FaultProxy(pki, centre.port, p503=0.15, p_drop_before=0.1, p_drop_after=0.15, seed=seed)
    site = Site(tmp_path / "site", centre, server_url=proxy.url)
    expected: dict[str, list[str]] = {}
    broken: set[str] = set()
    dropped = 0

    def drop_some(count: int) -> None:
        nonlocal dropped
        for _ in range(count):
            if dropped >= files:
                return
            name = f"f{dropped:04}.json"
            kind = rng.random()
            if kind < 0.1:
                site.drop(name, samples.broken_invoice_json(f"{site.prefix}{dropped}"))
                broken.add(name)
            elif kind < 0.3:
                numbers = [f"{site.prefix}{dropped}-{k}" for k in range(3)]
                site.drop(name, samples.batch_json(numbers), via_rename=rng.random() < 0.5)
                expected[name] = numbers
            else:
                numbers = [f"{site.prefix}{dropped}"]
                site.drop(name, samples.invoice_json(numbers[0]), via_rename=rng.random() < 0.5)
                expected[name] = numbers
            dropped += 1

    try:
        log_size = 0
        for kill in range(kills):
            drop_some(rng.randint(0, max(1, 2 * files // kills)))
            process = site.agent.start()
            # wait until this run has started work, then kill it at a random instant
            wait_for(lambda: (site.state / "collector.log").exists()
                     and (site.state / "collector.log").stat().st_size > log_size, 15, 0.02)
            time.sleep(rng.uniform(0.0, 0.5))
            assert process.poll() is None, (site.root / "agent.out").read_text()[-3000:]
            site.agent.kill()
            log_size = (site.state / "collector.log").stat().st_size
            if kill % 15 == 14:
                centre.stop()
                centre.start()
        drop_some(files)
        site.agent.start()
        assert wait_for(lambda: site.done(files), 120, 0.2), (site.placed(), site.waiting())
        site.agent.terminate()
    finally:
        site.agent.kill()
        proxy.close()
    faults = proxy.counts
    assert faults["503"] and faults["drop_before"] and faults["drop_after"], faults
    placed = site.placed()
    assert set(placed) == set(expected) | broken and set(placed.values()) == {1}, placed
    quarantined = {p.name for p in files_under(site.quarantine) if p.suffix == ".json"
                   and not p.name.endswith((".error.json",))}
    assert quarantined == broken
    want = Counter(n for numbers in expected.values() for n in numbers)
    assert _numbers(centre, site.prefix) == want


def test_fault_injection_kills_restarts_and_flaky_network_lose_nothing_and_double_nothing(
    tmp_path: Path, centre: DataCentre
) -> None:
    _fault_injection(tmp_path, centre, kills=30, files=40, seed=int(os.environ.get("LEDGERLINK_FAULT_SEED", "4")))


@pytest.mark.slow
def test_fault_injection_long(tmp_path: Path, centre: DataCentre) -> None:
    _fault_injection(tmp_path, centre, kills=200, files=600, seed=int(os.environ.get("LEDGERLINK_FAULT_SEED", "7")))
