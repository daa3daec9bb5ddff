"""Collector benchmark: the agent process against the real data centre (``ledgerlink serve``, SQLite) over HTTPS.

Measures, in one run:

* raw baselines: small invoice files POSTed straight to the centre by this script (one TLS
  connection per file, the agent's parallelism, no spool, no moves), and a large batch likewise;
* burst: ``--files`` small invoice files (default 10,000) dropped at once (written as ``NAME.tmp``,
  renamed) → files/s, documents/s, and the latency under that backlog (p50 / p99);
* steady: ``--steady`` small files arriving at a steady ``--rate`` (default: two phases, at 50 %
  and at 90 % of the burst rate just measured) → latency from the file being complete (renamed
  into the folder) to its archive move, p50 / p99 (target p50 < 1 s);
* large: ``--large`` CSV files (default 10) in the Sage 50 audit-trail layout, 1,000 invoices
  each, in a folder whose format is a user profile file generated here: it extends the built-in
  ``sage50-audit-trail`` with the seller's details (which no Sage export carries) → documents/s;
* loss check: every document is in the centre exactly once, every file archived, none left.

The load average of the machine is printed with the figures (the centre, the agent and this
script share the same cores).

Run: ``.venv/bin/python bench/collector.py [--files N] [--large N] [--steady N] [--rate R] [--workers N]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ledgerlink.collector import csvlocal  # noqa: E402
from tests.collector import samples  # noqa: E402
from tests.collector.harness import AgentProcess, DataCentre, Pki, files_under, write_config  # noqa: E402

SAGE50_HEADER = ("Type,Account Ref,Nominal Code,Department,Date,Reference,Details,Net Amount,Tax Code,Tax Amount,"
                 "Exchange Rate,Extra Ref,User Name,Project Ref,Cost Code")

USER_PROFILE = """\
# What a Sage 50 user writes once: the built-in layout plus the seller's details.
extends = "sage50-audit-trail"
name = "bench-sage50"

[defaults]
seller_name = "Bench Consulting Ltd"
seller_vat_id = "GB980780684"
seller_address_line1 = "1 Mill Lane"
seller_city = "Leeds"
seller_postal_code = "LS1 4AP"
payment_iban = "GB33BUKB20201555555555"

[terms]
due_days = 14
"""


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


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


class LogFollower:
    """Reads the agent's JSON log as it grows: file name → when it was archived / quarantined."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.partial = b""
        self.archived: dict[str, float] = {}
        self.quarantined: dict[str, float] = {}
        self.started = False

    def poll(self) -> None:
        if not self.path.exists():
            return
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        self.offset += len(data)
        lines = (self.partial + data).split(b"\n")
        self.partial = lines.pop()
        for line in lines:
            if b'"file archived"' in line:
                entry = json.loads(line)
                self.archived[Path(entry["file"]).name] = entry["at"]
            elif b'"file quarantined"' in line:
                entry = json.loads(line)
                self.quarantined[Path(entry["file"]).name] = entry["at"]
            elif b'"collector starting"' in line:
                self.started = True

    def wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            if done():
                return
            if self.quarantined:
                raise SystemExit(f"{what}: files were quarantined: {sorted(self.quarantined)[:5]}")
            if time.monotonic() > deadline:
                raise SystemExit(f"{what}: not done in {timeout:.0f} s")
            time.sleep(0.2)


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drop(folder: Path, name: str, data: bytes) -> float:
    """Write ``NAME.tmp`` and rename it into place (the advised way); returns when it was complete."""
    tmp = folder / f"{name}.tmp"
    tmp.write_bytes(data)
    tmp.rename(folder / name)
    return time.time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000, help="small files in the burst")
    parser.add_argument("--large", type=int, default=10, help="large Sage 50 CSV files (1,000 invoices each)")
    parser.add_argument("--steady", type=int, default=600, help="small files arriving at a steady rate")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="files/s of one steady phase (0: two phases, at 50 %% and 90 %% of the burst rate)")
    parser.add_argument("--baseline", type=int, default=2_000, help="small files POSTed directly")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="ll-bench-collector-"))
    pki = Pki(root / "pki")
    centre = DataCentre(root / "centre", pki)
    centre.folder.mkdir()
    centre.provision()
    centre.start()
    print(f"data centre: {centre.url} (ledgerlink serve, SQLite, 1 process); work folder {root}")
    print(f"start        : {load()}")
    try:
        ok = run(root, pki, centre, args)
    finally:
        centre.stop()
    sys.exit(0 if ok else 1)


def run(root: Path, pki: Pki, centre: DataCentre, args: argparse.Namespace) -> bool:
    watch, sage, state = root / "exports", root / "sage-exports", root / "state"
    watch.mkdir()
    sage.mkdir()
    profile_file = root / "profiles" / "bench-sage50.toml"
    profile_file.parent.mkdir()
    profile_file.write_text(USER_PROFILE)
    key_file = root / "collector.key"
    key_file.write_text(centre.key)
    config = write_config(root / "collector.toml", watch=watch, server_url=centre.url, key_file=key_file,
                          ca=pki.ca_pem, state_dir=state,
                          agent={"parallel_uploads": args.workers, "log_max_bytes": 2_000_000_000},
                          intervals={"stable_seconds": 1.0, "rescan_seconds": 30.0, "heartbeat_seconds": 30.0,
                                     "retry_base_seconds": 0.2, "retry_cap_seconds": 5.0},
                          folders=[{"path": str(watch), "format": "auto", "archive": str(root / "archive"),
                                    "quarantine": str(root / "quarantine")},
                                   {"path": str(sage), "format": "profiles/bench-sage50.toml",
                                    "patterns": ["*.csv"], "archive": str(root / "archive"),
                                    "quarantine": str(root / "quarantine")}])
    expected: Counter[str] = Counter()
    context = pki.client_context()

    def post(body: bytes) -> int:
        with httpx.Client(base_url=centre.url, verify=context, timeout=120,
                          headers={"Authorization": f"Bearer {centre.key}", "Connection": "close"}) as client:
            return client.post("/v1/documents", content=body, headers={
                "Content-Type": "application/json", "Idempotency-Key": hashlib.sha256(body).hexdigest()}).status_code

    # ---------------------------------------------------------------- raw baselines
    def raw_small(label: str, count: int) -> float:
        bodies = [samples.invoice_json(f"RAW-{label}-{i}") for i in range(count)]
        start, cpu_start = time.perf_counter(), time.process_time()
        centre_start = cpu_seconds(centre.process.pid if centre.process else None)
        with ThreadPoolExecutor(args.workers) as pool:
            statuses = Counter(pool.map(post, bodies))
        seconds = time.perf_counter() - start
        cpu_client = time.process_time() - cpu_start
        cpu_centre = cpu_seconds(centre.process.pid if centre.process else None) - centre_start
        assert statuses == Counter({201: count}), statuses
        expected.update(f"RAW-{label}-{i}" for i in range(count))
        print(f"raw small    : {count} files in {seconds:.1f} s = {count / seconds:.0f} files/s ({label}; direct POST, "
              f"{args.workers} threads, one TLS connection per file); {load()}")
        print(f"               CPU per file: client {1000 * cpu_client / count:.1f} ms, "
              f"centre {1000 * cpu_centre / count:.1f} ms")
        return count / seconds

    raw_before = raw_small("before", args.baseline)

    profile = csvlocal.load(profile_file)
    raw_large_files = min(args.large, args.workers)

    def convert_and_post(first: int) -> int:
        converted = csvlocal.convert(sage50_csv(first, 1000), profile)
        assert isinstance(converted, csvlocal.Converted), converted
        return post(converted.body)

    firsts = [900_000 + b * 1000 for b in range(raw_large_files)]
    start = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        statuses = Counter(pool.map(convert_and_post, firsts))
    raw_large_seconds = time.perf_counter() - start
    assert statuses == Counter({201: raw_large_files}), statuses
    for first in firsts:
        expected.update(str(n) for n in range(first, first + 1000))
    raw_large_rate = 1000 * raw_large_files / raw_large_seconds if raw_large_files else 0.0
    if raw_large_files:
        print(f"raw large    : {raw_large_files} Sage 50 CSVs × 1000 invoices read with the profile here and POSTed "
              f"as JSON ({args.workers} threads): {raw_large_rate:.0f} documents/s")

    agent = AgentProcess(config, root / "agent.out")
    agent.start()
    log = LogFollower(state / "collector.log")
    log.wait(lambda: log.started, 60, "agent start")
    assert agent.process is not None and centre.process is not None
    try:
        # ------------------------------------------------------------ burst
        cpu_agent, cpu_centre = cpu_seconds(agent.process.pid), cpu_seconds(centre.process.pid)
        completed: dict[str, float] = {}
        start, start_wall = time.perf_counter(), time.time()
        for i in range(args.files):
            completed[f"inv{i:05}.json"] = drop(watch, f"inv{i:05}.json", samples.invoice_json(f"BURST-{i}"))
        drop_seconds = time.perf_counter() - start
        log.wait(lambda: all(n in log.archived for n in completed), 3600, "burst")
        burst_seconds = max(log.archived[n] for n in completed) - start_wall
        expected.update(f"BURST-{i}" for i in range(args.files))
        burst_latency = [log.archived[n] - t for n, t in completed.items()]
        burst_rate = args.files / burst_seconds
        cpu_agent = cpu_seconds(agent.process.pid) - cpu_agent
        cpu_centre = cpu_seconds(centre.process.pid) - cpu_centre
        print(f"burst        : {args.files} files (dropped in {drop_seconds:.1f} s) archived in {burst_seconds:.1f} s"
              f" = {burst_rate:.0f} files/s = {burst_rate:.0f} documents/s")
        print(f"               complete → archived under that backlog: p50 {percentile(burst_latency, .5):.2f} s, "
              f"p99 {percentile(burst_latency, .99):.2f} s; {load()}")
        print(f"               CPU per file: agent {1000 * cpu_agent / args.files:.1f} ms, "
              f"centre {1000 * cpu_centre / args.files:.1f} ms")

        # ------------------------------------------------------------ steady
        rates = [args.rate] if args.rate else [max(1.0, burst_rate * f) for f in (0.5, 0.9)]
        for phase, rate in enumerate(rates):
            steady: dict[str, float] = {}
            start = time.monotonic()
            for i in range(args.steady):
                time.sleep(max(0.0, start + i / rate - time.monotonic()))
                name = f"steady{phase}-{i:05}.json"
                steady[name] = drop(watch, name, samples.invoice_json(f"STEADY{phase}-{i}"))
            log.wait(lambda: all(n in log.archived for n in steady), 600, "steady")
            expected.update(f"STEADY{phase}-{i}" for i in range(args.steady))
            latency = [log.archived[n] - t for n, t in steady.items()]
            p50, p99 = percentile(latency, .5), percentile(latency, .99)
            print(f"steady       : {args.steady} files at {rate:.0f} files/s ({rate / burst_rate:.0%} of the burst rate): "
                  f"complete → archived p50 {p50:.3f} s, p99 {p99:.3f} s, max {max(latency):.3f} s "
                  f"(target p50 < 1 s: {'met' if p50 < 1 else 'NOT met'}); {load()}")

        # ------------------------------------------------------------ large files
        large: dict[str, float] = {}
        start_wall = time.time()
        for f in range(args.large):
            first = 1_000_000 + f * 1000
            large[f"sage{f:02}.csv"] = drop(sage, f"sage{f:02}.csv", sage50_csv(first, 1000))
            expected.update(str(n) for n in range(first, first + 1000))
        if large:
            log.wait(lambda: all(n in log.archived for n in large), 1800, "large")
            large_seconds = max(log.archived[n] for n in large) - start_wall
            docs = 1000 * args.large
            large_latency = [log.archived[n] - t for n, t in large.items()]
            print(f"large        : {args.large} Sage 50 CSVs × 1000 invoices (2 rows each, user profile file extending "
                  f"sage50-audit-trail) in {large_seconds:.1f} s = {docs / large_seconds:.0f} documents/s, "
                  f"{args.large / large_seconds:.2f} files/s; ratio to raw {docs / large_seconds / raw_large_rate:.2f}; "
                  f"per file complete → archived p50 {percentile(large_latency, .5):.1f} s; {load()}")
    finally:
        agent.terminate()

    raw_after = raw_small("after", args.baseline // 2)
    raw_rate = (raw_before + raw_after) / 2
    print(f"ratio        : burst {burst_rate:.0f} files/s ÷ raw {raw_rate:.0f} files/s (mean of before and after, "
          f"same centre, same parallelism) = {burst_rate / raw_rate:.2f}")

    # ---------------------------------------------------------------- loss check
    numbers = Counter(d["number"] for d in centre.documents())
    missing = [n for n in expected if numbers[n] == 0]
    doubled = [n for n in expected if numbers[n] > 1]
    left = [p.name for folder in (watch, sage) for p in folder.iterdir() if p.is_file()]
    archived = sum(1 for p in files_under(root / "archive") if not p.name.endswith(".receipt.json"))
    quarantined = sum(1 for _ in files_under(root / "quarantine"))
    files = args.files + args.steady * (1 if args.rate else 2) + args.large
    print(f"loss check   : {len(expected)} documents expected, {len(missing)} missing, {len(doubled)} doubled, "
          f"{len(numbers)} in the centre; {archived} of {files} files archived, {len(left)} left in the folders, "
          f"{quarantined} quarantined")
    return not (missing or doubled or left or quarantined or archived != files)


if __name__ == "__main__":
    main()
