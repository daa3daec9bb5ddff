"""Format benchmarks: figures and ratios against raw baselines, all measured in this run.

    python bench/formats.py [--rows N] [--gb X] [--repeat R] [--skip-rss]

(a) N rows (default 1,000,000) in the Sage 50 audit-trail layout (generated) → canonical
    documents via ``csvprofiles.iter_documents``, against ``csv.reader`` over the same file.
    Wall and CPU time (CPU is steadier on a shared machine), and the floor: the time to only
    construct the same number of model objects, without any parsing.
(b) the Peppol BIS 3 samples parsed to canonical via ``xml_reader.read`` against a bare
    ``lxml.etree.fromstring`` of the same bytes, each repeated R times (skipped with a message
    while ``xml_reader`` is missing).
(c) peak RSS of a child process reading a generated X GB Sage 50 file (default 1.0) through
    ``iter_documents``, from ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` read by a small
    launcher process, next to a child that only runs ``csv.reader`` over it.

Targets: (a) and (b) ≤ 3× the baseline, (c) < 300 MB. Generated files go to ``bench/out/``.
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SAMPLES = ROOT / ".." / "shared" / "samples" / "peppol-bis3"
HEADER = (
    "Type,Account Ref,Nominal Code,Department,Date,Reference,Details,Net Amount,Tax Code,Tax Amount,"
    "Exchange Rate,Extra Ref,User Name,Project Ref,Cost Code\n"
)
SELLER = {"seller_name": "Bench Trading Ltd", "seller_vat_id": "GB123456789"}
_CODES = (("T1", 20), ("T1", 20), ("T1", 20), ("T0", 0), ("T5", 5), ("T2", 0))
_DETAILS = ("Consulting services", "Hardware supply", "Support contract", "Training day", "Licence renewal")


def generate_sage50(
    path: Path, *, rows: int | None = None, size_bytes: int | None = None, seed: int = 7
) -> int:
    """Write a Sage 50 audit trail with sales invoices (1–5 lines), credit notes and receipts.

    Stops after ``rows`` data rows or once the file reaches ``size_bytes``; returns the row count.
    """
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    doc = 0
    size = len(HEADER)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        chunk: list[str] = []
        while True:
            doc += 1
            kind = "SC" if doc % 10 == 0 else ("SR" if doc % 17 == 0 else "SI")
            account = f"CUST{rng.randrange(5000):04d}"
            date = f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/2026"
            reference = f"{'CN' if kind == 'SC' else 'INV'}{doc:08d}"
            for _ in range(1 if kind == "SR" else rng.randrange(1, 6)):
                code, rate = rng.choice(_CODES)
                net = rng.randrange(100, 500_000)
                tax = (net * rate + 50) // 100
                line = (
                    f"{kind},{account},{4000 + rng.randrange(10)},0,{date},{reference},{rng.choice(_DETAILS)},"
                    f"{net // 100}.{net % 100:02d},{code if kind != 'SR' else 'T9'},{tax // 100}.{tax % 100:02d},"
                    f"1.00,PO{doc},MANAGER,,\n"
                )
                chunk.append(line)
                size += len(line)
                written += 1
                if (rows is not None and written >= rows) or (size_bytes is not None and size >= size_bytes):
                    fh.write("".join(chunk))
                    return written
            if len(chunk) > 10_000:
                fh.write("".join(chunk))
                chunk.clear()


def _measure(fn, repeat: int = 1) -> tuple[float, float]:
    """Best wall and best CPU (this process) seconds of ``repeat`` runs; the result is kept in ``.last``."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        _measure.last = fn()  # type: ignore[attr-defined]
        wall, cpu = min(wall, time.perf_counter() - w), min(cpu, time.process_time() - c)
    return wall, cpu


def bench_csv(rows: int, repeat: int) -> None:
    from ledgerlink.formats.base import Found
    from ledgerlink.formats.csvprofiles import iter_documents, load_profile

    path = OUT / f"sage50-{rows}.csv"
    if not path.exists():
        generate_sage50(path, rows=rows)
    profile = load_profile("sage50-audit-trail", {"defaults": SELLER})

    def raw() -> int:
        with path.open(newline="", encoding="utf-8") as fh:
            return sum(1 for _ in csv.reader(fh))

    def ours() -> tuple[int, int]:
        docs = problems = 0
        with path.open("rb") as fh:
            for item in iter_documents(fh, profile):
                if isinstance(item, Found):
                    docs += 1
                else:
                    problems += 1
        return docs, problems

    raw_wall, raw_cpu = _measure(raw, repeat)
    raw_rows = _measure.last  # type: ignore[attr-defined]
    our_wall, our_cpu = _measure(ours, repeat)
    docs, problems = _measure.last  # type: ignore[attr-defined]
    _, floor_cpu = _measure(lambda: _construct_only(docs, rows), repeat)
    print(
        f"(a) CSV Sage 50, {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB (best of {repeat}; wall / CPU)"
    )
    print(f"    csv.reader baseline      {raw_wall:8.3f} s / {raw_cpu:8.3f} s  ({raw_rows:,} rows)")
    print(
        f"    iter_documents           {our_wall:8.3f} s / {our_cpu:8.3f} s  ({docs:,} documents, {problems} violations)"
    )
    print(
        f"    ratio                    {our_wall / raw_wall:8.2f} x / {our_cpu / raw_cpu:8.2f} x   (target <= 3x)"
    )
    print(
        f"    floor: only constructing {docs:,} documents' model objects (no parsing): "
        f"{floor_cpu:.3f} s CPU = {floor_cpu / raw_cpu:.2f} x the baseline"
    )


def _construct_only(docs: int, rows: int) -> int:
    """Build ``docs`` invoices with ``rows`` lines in all, with the reader's own fast constructor."""
    import datetime as dt
    from decimal import Decimal

    from ledgerlink.domain.documents import Invoice, InvoiceLine, Party, Totals, VatBreakdown
    from ledgerlink.formats.csvprofiles.build import make

    amount, rate, day = Decimal("10.00"), Decimal(20), dt.date(2026, 3, 1)
    party = make(Party, {"name": "Bench"})
    per_doc = max(1, round(rows / max(docs, 1)))
    for _ in range(docs):
        lines = tuple(
            make(
                InvoiceLine,
                {
                    "id": "1",
                    "quantity": Decimal(1),
                    "unit_code": "C62",
                    "net_amount": amount,
                    "net_price": amount,
                    "vat_category": "S",
                    "vat_rate": rate,
                    "name": "x",
                },
            )
            for _ in range(per_doc)
        )
        breakdown = (
            make(
                VatBreakdown, {"category": "S", "rate": rate, "taxable_amount": amount, "tax_amount": amount}
            ),
        )
        totals = make(
            Totals,
            {
                "line_extension_amount": amount,
                "tax_exclusive_amount": amount,
                "tax_amount": amount,
                "tax_inclusive_amount": amount,
                "payable_amount": amount,
            },
        )
        make(
            Invoice,
            {
                "number": "1",
                "issue_date": day,
                "currency": "GBP",
                "seller": party,
                "buyer": party,
                "totals": totals,
                "vat_breakdown": breakdown,
                "lines": lines,
            },
        )
    return docs


def bench_ubl(repeat: int) -> None:
    from lxml import etree

    try:
        from ledgerlink.formats import xml_reader
    except ImportError as exc:
        print(f"(b) UBL: skipped, ledgerlink.formats.xml_reader is not available yet ({exc})")
        return
    samples = sorted(SAMPLES.resolve().glob("*.xml"))
    if not samples:
        print(f"(b) UBL: skipped, no samples in {SAMPLES}")
        return
    blobs = [p.read_bytes() for p in samples]
    parser = etree.XMLParser(resolve_entities=False, no_network=True)

    def raw() -> int:
        return sum(len(etree.fromstring(b, parser)) for b in blobs)

    def ours() -> tuple[int, int]:
        docs = problems = 0
        for b in blobs:
            result = xml_reader.read(b)
            docs += len(result.documents)
            problems += len(result.violations)
        return docs, problems

    rounds = max(1, repeat) * 20
    raw_wall, raw_cpu = _measure(lambda: [raw() for _ in range(rounds)], 3)
    our_wall, our_cpu = _measure(lambda: [ours() for _ in range(rounds)], 3)
    docs, problems = _measure.last[0]  # type: ignore[attr-defined]
    n = len(blobs) * rounds
    print(f"(b) UBL to canonical, {len(blobs)} Peppol samples x {rounds} rounds (best of 3; wall / CPU)")
    print(
        f"    lxml.etree.fromstring    {raw_wall:8.3f} s / {raw_cpu:8.3f} s  ({raw_cpu / n * 1e6:8.1f} us/file CPU)"
    )
    print(
        f"    xml_reader.read          {our_wall:8.3f} s / {our_cpu:8.3f} s  ({our_cpu / n * 1e6:8.1f} us/file CPU, "
        f"{docs} documents, {problems} violations per round)"
    )
    print(
        f"    ratio                    {our_wall / raw_wall:8.2f} x / {our_cpu / raw_cpu:8.2f} x   (target <= 3x)"
    )


_CHILD_OURS = """
import sys
from ledgerlink.formats.base import Found
from ledgerlink.formats.csvprofiles import iter_documents, load_profile
profile = load_profile("sage50-audit-trail", {"defaults": {"seller_name": "Bench Trading Ltd"}})
docs = 0
with open(sys.argv[1], "rb") as fh:
    for item in iter_documents(fh, profile):
        docs += isinstance(item, Found)
print(docs)
"""

_CHILD_RAW = """
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as fh:
    print(sum(1 for _ in csv.reader(fh)))
"""


_LAUNCHER = """
import resource, subprocess, sys, time
start = time.perf_counter()
out = subprocess.run([sys.executable, "-c", sys.argv[1], sys.argv[2]], check=True, capture_output=True, text=True)
elapsed = time.perf_counter() - start
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, elapsed, out.stdout.strip())
"""


def _child_peak(code: str, path: Path) -> tuple[float, float, str]:
    """Run ``code`` in a fresh interpreter; its peak RSS in MB, wall time and output.

    The child is started by a small launcher interpreter that reads
    ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: started from this (large) process directly, a
    forked child would count this process's pages before its ``exec``.
    """
    out = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, code, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    peak_kb, elapsed, output = out.stdout.split(maxsplit=2)
    return int(peak_kb) / 1024, float(elapsed), output.strip()


def bench_rss(gb: float) -> None:
    size = int(gb * 1024**3)
    path = OUT / f"sage50-{gb:g}gb.csv"
    if not path.exists() or abs(path.stat().st_size - size) > 4096:
        start = time.perf_counter()
        rows = generate_sage50(path, size_bytes=size, seed=11)
        print(f"    generated {path.name}: {rows:,} rows in {time.perf_counter() - start:.1f} s")
    raw_mb, raw_s, raw_out = _child_peak(_CHILD_RAW, path)
    our_mb, our_s, our_out = _child_peak(_CHILD_OURS, path)
    print(f"(c) peak RSS reading {path.stat().st_size / 1e9:.2f} GB Sage 50 CSV in a child process")
    print(f"    csv.reader child         {raw_mb:8.1f} MB  {raw_s:7.1f} s  ({raw_out} rows)")
    print(f"    iter_documents child     {our_mb:8.1f} MB  {our_s:7.1f} s  ({our_out} documents)")
    print(
        f"    ratio                    {our_mb / raw_mb:8.2f} x   (target < 300 MB: "
        f"{'met' if our_mb < 300 else 'NOT met'}); time ratio {our_s / raw_s:.2f} x"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for (a)")
    parser.add_argument("--gb", type=float, default=1.0, help="file size for (c), e.g. 0.1 for a quick run")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (best time is kept)")
    parser.add_argument("--skip-rss", action="store_true", help="leave out (c)")
    parser.add_argument("--only", choices=["a", "b", "c"], help="run one part")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]  # figures appear as they come
    sys.path.insert(0, str(ROOT / "src"))
    if args.only in (None, "a"):
        bench_csv(args.rows, args.repeat)
    if args.only in (None, "b"):
        bench_ubl(args.repeat)
    if args.only in (None, "c") and not args.skip_rss:
        bench_rss(args.gb)


if __name__ == "__main__":
    main()
