"""Ingest benchmark: canonical JSON invoices (10 lines each) through the HTTP API in batches of 500.

Baseline, measured in the same run: the same rows ledgerlink stores for these invoices — per invoice a
document row (canonical JSON body, its sha256 and the index columns) and an audit-log row, per batch a
receipt row — inserted with raw ``sqlite3.executemany`` under the same pragmas (WAL, synchronous=NORMAL),
the JSON and hashes computed inside the timed loop.
Also reports the same API run on PostgreSQL when reachable. The server runs with its defaults: on a
machine with two CPUs that includes one helper process that prepares half of each batch
(``LEDGERLINK_PREPARE_PROCESSES``); server CPU is summed over all the server's processes.

    python bench/ingest.py [--invoices 20000] [--batch 500] [--pg-url URL | --no-pg]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx
import sqlalchemy as sa

from ledgerlink.demo import CUSTOMERS, SELLER
from ledgerlink.domain.documents import Invoice, InvoiceLine, Totals, VatBreakdown
from ledgerlink.formats import canonical

CLI = [sys.executable, "-m", "ledgerlink.cli"]


def make_invoices(count: int) -> list[dict]:
    """``count`` valid invoices of 10 lines, distinct numbers, as canonical JSON objects."""
    out = []
    for n in range(count):
        account, buyer = CUSTOMERS[n % len(CUSTOMERS)]
        lines = tuple(
            InvoiceLine(id=str(i + 1), quantity=Decimal(1 + (n + i) % 5), unit_code="C62",
                        net_price=Decimal("12.50") + i, net_amount=(Decimal("12.50") + i) * (1 + (n + i) % 5),
                        vat_category="S", vat_rate=Decimal("21"), name=f"Item {i + 1}")
            for i in range(10)
        )
        net = sum((line.net_amount for line in lines), Decimal(0))
        vat = (net * Decimal("0.21")).quantize(Decimal("0.01"))
        invoice = Invoice(
            number=f"B-{n:07d}", issue_date=dt.date(2026, 1, 1) + dt.timedelta(days=n % 300), currency="EUR",
            due_date=dt.date(2026, 3, 1), seller=SELLER, buyer=buyer, customer_account=account, lines=lines,
            vat_breakdown=(VatBreakdown(category="S", rate=Decimal("21"), taxable_amount=net, tax_amount=vat),),
            totals=Totals(line_extension_amount=net, tax_exclusive_amount=net, tax_amount=vat,
                          tax_inclusive_amount=net + vat, payable_amount=net + vat),
            buyer_reference=f"PO-{n}",
        )
        out.append(canonical.to_obj(invoice))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run([*CLI, *args], env=env, check=True, capture_output=True, text=True).stdout.strip()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), load-independent unlike wall clock."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(root: int) -> list[int]:
    """The server process and its children (uvicorn's worker processes)."""
    pids = [root]
    for pid in pids:
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            pids.extend(int(c) for c in children.read_text().split())
    return pids


def bench_api(invoices: list[dict], batch: int, env: dict[str, str], workers: int = 1) -> tuple[float, float]:
    """(wall seconds, server CPU seconds) to ingest every invoice through a real `ledgerlink serve`.

    With ``workers`` > 1 the server runs that many API processes and as many client threads send
    batches at once (CPU is then summed over the server's processes).
    """
    run_cli(["db", "upgrade"], env)
    org = run_cli(["org", "create", "bench"], env).splitlines()[-1]
    key = run_cli(["key", "create", "--org", org, "--scope", "ingest"], env).splitlines()[-1]
    port = free_port()
    server = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", str(workers)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as client:
            for _ in range(100):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            bodies = [json.dumps({"documents": invoices[i:i + batch]}).encode()
                      for i in range(0, len(invoices), batch)]
            pids = server_pids(server.pid)
            cpu_start = sum(process_cpu_seconds(pid) for pid in pids)
            start = time.perf_counter()

            def send(i: int) -> None:
                response = client.post("/v1/documents", content=bodies[i], headers={
                    "Content-Type": "application/json", "Idempotency-Key": f"bench-{i}"})
                if response.status_code != 201:
                    raise SystemExit(f"ingest failed: {response.status_code} {response.text[:500]}")

            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(send, range(len(bodies))))
            return time.perf_counter() - start, sum(process_cpu_seconds(pid) for pid in pids) - cpu_start
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


def bench_raw_sqlite(invoices: list[dict], batch: int, path: Path) -> tuple[float, float]:
    """(wall, CPU) seconds to insert the same rows (documents, audit log, receipts) with sqlite3.executemany."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE documents (id TEXT PRIMARY KEY, org_id TEXT, kind TEXT, number TEXT, version INT, status TEXT,"
        " document_date TEXT, due_date TEXT, currency TEXT, payable_amount TEXT, content_hash TEXT, body TEXT,"
        " created_at TEXT, UNIQUE (org_id, kind, number, version))"
    )
    conn.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, org_id TEXT, at TEXT, actor TEXT, action TEXT,"
                 " entity TEXT, entity_id TEXT, detail TEXT)")
    conn.execute("CREATE TABLE receipts (id TEXT PRIMARY KEY, org_id TEXT, body TEXT, created_at TEXT)")
    org = str(uuid.uuid4())
    cpu_start = time.process_time()
    start = time.perf_counter()
    for i in range(0, len(invoices), batch):
        rows = []
        audit = []
        now = dt.datetime.now(dt.UTC).isoformat()
        receipt_id = str(uuid.uuid4())
        for obj in invoices[i:i + batch]:
            body = json.dumps(obj, separators=(",", ":"))
            doc_id = str(uuid.uuid4())
            rows.append((doc_id, org, "invoice", obj["number"], 1, "received", obj["issue_date"],
                         obj.get("due_date"), obj["currency"], obj["totals"]["payable_amount"],
                         hashlib.sha256(body.encode()).hexdigest(), body, now))
            audit.append((org, now, "key:bench", "document.received", "document", doc_id,
                          json.dumps({"receipt_id": receipt_id, "number": obj["number"]})))
        receipt = json.dumps({"receipt_id": receipt_id, "documents": [{"id": r[0], "number": r[3]} for r in rows]})
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        conn.executemany("INSERT INTO audit_log (org_id, at, actor, action, entity, entity_id, detail)"
                         " VALUES (?,?,?,?,?,?,?)", audit)
        conn.execute("INSERT INTO receipts VALUES (?,?,?,?)", (receipt_id, org, receipt, now))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start, time.process_time() - cpu_start
    conn.close()
    return elapsed


def pg_reachable(url: str) -> bool:
    try:
        engine = sa.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pg-url", default=os.environ.get("LEDGERLINK_BENCH_PG_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--workers", type=int, default=2,
                        help="also measure this many API processes fed by as many concurrent clients (0: skip)")
    args = parser.parse_args()

    print(f"generating {args.invoices} invoices of 10 lines ...", flush=True)
    invoices = make_invoices(args.invoices)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "LEDGERLINK_DATA_DIR": str(Path(tmp) / "data")}
        env.pop("LEDGERLINK_DATABASE_URL", None)
        raw, raw_cpu = bench_raw_sqlite(invoices, args.batch, Path(tmp) / "raw.sqlite3")
        api, api_cpu = bench_api(invoices, args.batch, env)
    n = len(invoices)
    print(f"load average (1 min) after the runs: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"raw sqlite3.executemany : {n / raw:10.0f} invoices/s wall  ({raw:.2f} s; CPU {raw_cpu:.2f} s)")
    print(f"ledgerlink API (SQLite) : {n / api:10.0f} invoices/s wall  ({api:.2f} s; server CPU {api_cpu:.2f} s)")
    print(f"ratio API/raw, wall     : {api / raw:10.2f}x   (target <= 3x)")
    print(f"ratio API/raw, CPU      : {api_cpu / raw_cpu:10.2f}x   (all server processes' CPU vs the baseline's)")
    if args.workers > 1:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "LEDGERLINK_DATA_DIR": str(Path(tmp) / "data")}
            env.pop("LEDGERLINK_DATABASE_URL", None)
            multi, multi_cpu = bench_api(invoices, args.batch, env, workers=args.workers)
        print(f"ledgerlink API, {args.workers} processes, {args.workers} clients: {n / multi:7.0f} invoices/s wall "
              f"({multi:.2f} s; server CPU {multi_cpu:.2f} s; {multi / raw:.2f}x raw)")

    if not args.no_pg and pg_reachable(args.pg_url):
        name = f"ll_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin.url.set(database=name).render_as_string(hide_password=False)
            with tempfile.TemporaryDirectory() as tmp:
                env = {**os.environ, "LEDGERLINK_DATA_DIR": tmp, "LEDGERLINK_DATABASE_URL": url}
                pg, pg_cpu = bench_api(invoices, args.batch, env)
            print(f"ledgerlink API (PostgreSQL): {n / pg:7.0f} invoices/s wall  ({pg:.2f} s; server CPU {pg_cpu:.2f} s;"
                  f" {pg / raw:.2f}x raw SQLite)")
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        print("PostgreSQL: not reachable, skipped")


if __name__ == "__main__":
    main()
