"""Collector benchmark: the agent process against the real data centre over HTTPS.

Measures, in one run:

* raw baseline: the same kind of small files POSTed straight to the centre by this script
  (one TLS connection per file, same parallelism as the agent, no spool, no moves);
* burst: ``--files`` small invoice files (default 10,000) dropped at once → files/s, documents/s;
* paced: small files dropped at about half the burst rate → latency from the file being complete
  (renamed into the folder) to its archive move, p50 / p99 (target p50 < 1 s);
* large: ``--large`` CSV files (default 10) in the Sage 50 audit-trail layout, 1,000 invoices each
  (canonical JSON batches if the centre does not take that profile) → documents/s;
* loss check: every document is in the centre exactly once, every file archived.

Run: ``.venv/bin/python bench/collector.py [--files N] [--large N] [--workers N]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.collector import samples  # noqa: E402
from tests.collector.harness import AgentProcess, DataCentre, Pki, files_under, wait_for, write_config  # noqa: E402

SAGE50_HEADER = ("Type,Account Ref,Nominal Code,Department,Date,Reference,Details,Net Amount,Tax Code,Tax Amount,"
                 "Exchange Rate,Extra Ref,User Name,Project Ref,Cost Code")


def sage50_csv(first: int, count: int) -> bytes:
    """Sage 50 audit trail: ``count`` invoices of two rows each (T1 20 % and T0 zero-rated)."""
    rows = [SAGE50_HEADER]
    for n in range(first, first + count):
        rows.append(f"SI,CUST{n % 97:03},4000,0,15/03/2026,{n},Consultancy,1250.00,T1,250.00,1.00,PO-{n},BENCH,,")
        rows.append(f"SI,CUST{n % 97:03},4010,0,15/03/2026,{n},Manuals,80.00,T0,0.00,1.00,PO-{n},BENCH,,")
    return ("\r\n".join(rows) + "\r\n").encode()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def archived_at(log: Path) -> dict[str, float]:
    """File name → when the agent logged its archive move (epoch seconds)."""
    out = {}
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        if entry.get("message") == "file archived":
            out[Path(entry["file"]).name] = entry["at"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=10)
    parser.add_argument("--paced", type=int, default=300)
    parser.add_argument("--baseline", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="ll-bench-collector-"))
    pki = Pki(root / "pki")
    centre = DataCentre(root / "centre", pki)
    centre.folder.mkdir()
    centre.provision()
    centre.start()
    print(f"data centre: {centre.url} (SQLite, 1 process); work folder {root}")
    try:
        run(root, pki, centre, args)
    finally:
        centre.stop()


def run(root: Path, pki: Pki, centre: DataCentre, args: argparse.Namespace) -> None:
    watch, sage, state = root / "exports", root / "sage-exports", root / "state"
    watch.mkdir()
    sage.mkdir()
    key_file = root / "collector.key"
    key_file.write_text(centre.key)
    config = write_config(root / "collector.toml", watch=watch, server_url=centre.url, key_file=key_file,
                          ca=pki.ca_pem, state_dir=state, agent={"parallel_uploads": args.workers},
                          intervals={"stable_seconds": 1.0, "rescan_seconds": 30.0, "heartbeat_seconds": 30.0,
                                     "retry_base_seconds": 0.2, "retry_cap_seconds": 5.0},
                          folders=[{"path": str(watch), "format": "auto", "archive": str(root / "archive"),
                                    "quarantine": str(root / "quarantine")},
                                   {"path": str(sage), "format": "sage50-audit-trail",
                                    "archive": str(root / "archive"), "quarantine": str(root / "quarantine")}])
    expected: Counter[str] = Counter()

    # ---------------------------------------------------------------- raw baseline
    bodies = [samples.invoice_json(f"RAW-{i}") for i in range(args.baseline)]
    context = pki.client_context()

    def post(body: bytes) -> int:
        with httpx.Client(base_url=centre.url, verify=context, timeout=60,
                          headers={"Authorization": f"Bearer {centre.key}", "Connection": "close"}) as client:
            return client.post("/v1/documents", content=body, headers={
                "Content-Type": "application/json", "Idempotency-Key": hashlib.sha256(body).hexdigest()}).status_code

    start = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        statuses = Counter(pool.map(post, bodies))
    raw_seconds = time.perf_counter() - start
    assert statuses == Counter({201: args.baseline}), statuses
    expected.update(f"RAW-{i}" for i in range(args.baseline))
    raw_rate = args.baseline / raw_seconds
    print(f"raw baseline : {args.baseline} files in {raw_seconds:.1f} s = {raw_rate:.0f} files/s "
          f"(direct POST, {args.workers} threads, one TLS connection per file)")

    agent = AgentProcess(config, root / "agent.out")
    agent.start()
    log = state / "collector.log"
    assert wait_for(lambda: log.exists() and "collector starting" in log.read_text(), 30)
    try:
        # ------------------------------------------------------------ burst
        completed: dict[str, float] = {}
        start = time.perf_counter()
        for i in range(args.files):
            name = f"inv{i:05}.json"
            tmp = watch / f"{name}.tmp"
            tmp.write_bytes(samples.invoice_json(f"BURST-{i}"))
            tmp.rename(watch / name)
            completed[name] = time.time()
        drop_seconds = time.perf_counter() - start
        assert wait_for(lambda: sum(1 for _ in files_under(root / "archive")) >= 2 * args.files,
                        3600, 0.5)
        burst_seconds = time.perf_counter() - start
        expected.update(f"BURST-{i}" for i in range(args.files))
        moves = archived_at(log)
        burst_latency = [moves[n] - t for n, t in completed.items()]
        burst_rate = args.files / burst_seconds
        print(f"burst        : {args.files} files (dropped in {drop_seconds:.1f} s) archived in {burst_seconds:.1f} s"
              f" = {burst_rate:.0f} files/s = {burst_rate:.0f} documents/s; ratio to raw baseline "
              f"{burst_rate / raw_rate:.2f}")
        print(f"               latency under backlog p50 {percentile(burst_latency, .5):.2f} s, "
              f"p99 {percentile(burst_latency, .99):.2f} s")

        # ------------------------------------------------------------ paced
        rate = max(1.0, burst_rate / 2)
        paced: dict[str, float] = {}
        for i in range(args.paced):
            name = f"paced{i:05}.json"
            tmp = watch / f"{name}.tmp"
            tmp.write_bytes(samples.invoice_json(f"PACED-{i}"))
            tmp.rename(watch / name)
            paced[name] = time.time()
            time.sleep(1 / rate)
        assert wait_for(lambda: all(n in archived_at(log) for n in paced), 600, 0.5)
        expected.update(f"PACED-{i}" for i in range(args.paced))
        moves = archived_at(log)
        latency = [moves[n] - t for n, t in paced.items()]
        p50, p99 = percentile(latency, .5), percentile(latency, .99)
        print(f"paced        : {args.paced} files at {rate:.0f} files/s: complete → archived p50 {p50:.3f} s, "
              f"p99 {p99:.3f} s (target p50 < 1 s: {'met' if p50 < 1 else 'NOT met'})")

        # ------------------------------------------------------------ large files
        probe = post_probe(centre, context)
        large: dict[str, float] = {}
        docs_large = 0
        start = time.perf_counter()
        for f in range(args.large):
            first = 1_000_000 + f * 1000
            if probe:
                folder, name, data = sage, f"sage{f:02}.csv", sage50_csv(first, 1000)
            else:
                folder, name = watch, f"batch{f:02}.json"
                data = samples.batch_json([str(n) for n in range(first, first + 1000)])
            tmp = folder / f"{name}.tmp"
            tmp.write_bytes(data)
            tmp.rename(folder / name)
            large[name] = time.time()
            expected.update(str(n) for n in range(first, first + 1000))
            docs_large += 1000
        assert wait_for(lambda: all(n in archived_at(log) for n in large), 1800, 0.5)
        large_seconds = time.perf_counter() - start
        layout = "Sage 50 audit trail CSV (profile sage50-audit-trail)" if probe else "canonical JSON batches"
        print(f"large        : {args.large} files × 1000 invoices ({layout}) in {large_seconds:.1f} s = "
              f"{docs_large / large_seconds:.0f} documents/s, {args.large / large_seconds:.2f} files/s")
    finally:
        agent.terminate()

    # ---------------------------------------------------------------- loss check
    numbers = Counter(d["number"] for d in centre.documents())
    missing = [n for n in expected if numbers[n] == 0]
    doubled = [n for n in expected if numbers[n] > 1]
    left = [p.name for folder in (watch, sage) for p in folder.iterdir() if p.is_file()]
    quarantined = sum(1 for _ in files_under(root / "quarantine"))
    print(f"loss check   : {len(expected)} documents expected, {len(missing)} missing, {len(doubled)} doubled; "
          f"{len(left)} files left in the folder, {quarantined} quarantined")
    if missing or doubled or left or quarantined:
        sys.exit(1)


def post_probe(centre: DataCentre, context: object) -> bool:
    """Whether the centre takes the Sage 50 layout (it needs the seller from a profile extension)."""
    with httpx.Client(base_url=centre.url, verify=context, timeout=60,  # type: ignore[arg-type]
                      headers={"Authorization": f"Bearer {centre.key}"}) as client:
        answer = client.post("/v1/documents", params={"profile": "sage50-audit-trail"},
                             content=sage50_csv(999_999_000, 1), headers={"Content-Type": "text/csv"})
    if answer.status_code != 201:
        print(f"note         : sage50-audit-trail probe answered {answer.status_code}; using JSON batches")
        return False
    return True


if __name__ == "__main__":
    main()
