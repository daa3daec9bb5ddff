"""Export benchmark: 10,000 items into beancount and into hledger, against plain string formatting.

Measures, in one run and per ledger kind:

* engine → target (timed): opening the target as stage 2 does (its chart, lock and posted keys read
  from the ledger), then, per batch of ``DEFAULT_BATCH`` items, exactly the worker's code for stages
  4–10, ``pipeline.map_and_post``: ``map_items`` (bookkeeping method, accounts, data mapping with VAT
  and the balance check, attachments, periods, posting status) and ``post_items`` (one ``exists``
  question for the batch, then one ``post``: the target's validation, rendering and its crash-safe
  durable append — intent record, folder and ledger flushes, read-back). → items/s.
  Not timed: building the items and their ``ItemWork`` records (what stage 3, ``fetch_item_data``,
  hands on), importing the modules, and the store — claim, marking items in progress, recording
  results and audit rows (that is the ``--worker`` figure);
* raw baseline (timed): the same entries written with plain string formatting (f-strings, one write,
  no fsync) → items/s;
* ratio engine / baseline in wall-clock seconds (target ≤ 5×), and the same ratio in CPU seconds;
* the ledger's own check on the result (``bean-check`` / ``hledger check -s``), timed;
* with ``--breakdown``: one more engine run with its pieces timed (where the time goes);
* with ``--worker``: the full worker (``run_once``: claim, SQLite store, per-item results and audit) → items/s.

Each timed part runs ``--repeat`` times on fresh files and the fastest run counts, for the engine and
the baseline alike (the machine may be shared; the fastest run is the least disturbed one); before each
timed region the garbage left by earlier work is collected (``gc.collect()``), for both alike.

Run: ``.venv/bin/python bench/export.py [--items N] [--repeat R] [--batch B] [--breakdown] [--worker]``
"""

from __future__ import annotations

import argparse
import gc
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ledgerlink.export.config import parse_config  # noqa: E402
from ledgerlink.export.ledger import Entry  # noqa: E402
from ledgerlink.export.model import ITEM, ExportItem  # noqa: E402
from ledgerlink.export.pipeline import (  # noqa: E402
    DEFAULT_BATCH,
    map_and_post,
    map_items,
    post_items,
)
from ledgerlink.export.stages import ExportRun, ItemWork  # noqa: E402
from ledgerlink.export.targets import open_target  # noqa: E402
from ledgerlink.heap import gc_deferred  # noqa: E402
# the target modules imported up front, as in a running worker, so the timed region holds no imports
from ledgerlink.export.targets import beancount as _beancount, hledger as _hledger  # noqa: E402, F401
from tests.export.helpers import config, item  # noqa: E402
from tests.export.test_end_to_end import beancount_ledger, hledger_journal  # noqa: E402

BEAN_CHECK = Path(sys.executable).parent / "bean-check"


def make_items(count: int) -> list[ExportItem]:
    """A mix: inclusive / exclusive / reverse-charge card purchases with tags, and paid supplier invoices."""
    out = []
    for n in range(count):
        kind = n % 4
        cents = Decimal(1000 + (n * 37) % 90000) / 100
        if kind == 0:
            body = item(f"i{n}", amount={"value": str(cents), "currency": "EUR"},
                        lines=[{"line_amount": str(cents), "account": {"code": "6110"},
                                "tax": {"code": "S19", "rate": "19", "type": "inclusive"},
                                "tags": [{"group_code": "dept", "code": "sales"}]}])
        elif kind == 1:
            vat = (cents * Decimal("0.07")).quantize(Decimal("0.01"))
            body = item(f"i{n}", amount={"value": str(cents + vat), "currency": "EUR"},
                        lines=[{"line_amount": str(cents), "account": {"code": "6815"},
                                "tax": {"code": "R7", "rate": "7", "type": "exclusive", "amount": str(vat)}}])
        elif kind == 2:
            body = item(f"i{n}", amount={"value": str(cents), "currency": "EUR"}, supplier={"name": "Figma"},
                        lines=[{"line_amount": str(cents), "account": {"code": "6837"},
                                "tax": {"code": "S19", "rate": "19", "type": "reverse"}}])
        else:
            body = item(f"i{n}", type="invoice", vendor={"code": "70001"}, supplier={"name": "Acme GmbH"},
                        amount={"value": str(cents), "currency": "EUR"},
                        lines=[{"line_amount": str(cents), "account": {"code": "6815"}}],
                        additional_information={"invoice_information": {"paid": True}})
        out.append(ITEM.validate_python(body))
    return out


class Clock:
    """Wall-clock and CPU seconds of a region (CPU time leaves out waiting: fsync, other processes)."""

    def __init__(self) -> None:
        gc.collect()  # garbage left by earlier work is not the region's (engine and baseline alike)
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def engine_into_target(kind: str, path: Path, items: list[ExportItem], parts: dict[str, float] | None = None,
                       batch: int = DEFAULT_BATCH) -> tuple[tuple[float, float], list[Entry]]:
    """(wall, CPU) seconds for the engine part (see the module docstring) and the entries it wrote.
    With ``parts``, the same work is split into its pieces (wall seconds added to ``parts``)."""
    run = ExportRun(db=None, org_id="bench", job_id="bench", integration="books", claim=None)  # type: ignore[arg-type]
    run.config = parse_config(config(target={"kind": kind, "path": str(path)}))
    done = [ItemWork(export_item) for export_item in items]  # what stage 3 (fetch_item_data) hands on
    clock = Clock()
    run.target = open_target(run.config.target.model_dump(mode="json"))
    run.target.check()
    run.target_lock = run.target.lock_date()
    for first in range(0, len(done), batch):  # batches as the worker posts them
        run.start_batch()
        if parts is None:
            map_and_post(run, done[first:first + batch])
        else:
            _split_batch(run, done[first:first + batch], parts)
    elapsed = clock.stop()
    failed = [work.failure for work in done if work.failure is not None or not work.external_ids]
    assert not failed, failed[:3]
    return elapsed, [entry for work in done for entry in work.entries]


def _split_batch(run: ExportRun, works: list[ItemWork], parts: dict[str, float]) -> None:
    """``map_and_post`` with its pieces timed: stages 4–9; the target's checks and rendering (asked
    separately here, so this pass does that work twice); ``post_items`` as a whole; the durable append."""
    from ledgerlink.export.ledger import PostingStatus
    from ledgerlink.export.targets import _files

    real_append = _files.LedgerFile.append

    def timed_append(self: _files.LedgerFile, data: bytes) -> None:
        begun = time.perf_counter()
        real_append(self, data)
        parts["durable append (intent record, write, fdatasync, read-back)"] += time.perf_counter() - begun

    with gc_deferred():
        begun = time.perf_counter()
        ready = map_items(run, works)
        parts["stages 4-9 (map_items)"] += time.perf_counter() - begun
        begun = time.perf_counter()
        run.target.render([e for work in ready for e in work.entries], PostingStatus.DRAFT)  # type: ignore[union-attr]
        parts["  target checks + rendering (inside post)"] += time.perf_counter() - begun
        _files.LedgerFile.append = timed_append  # type: ignore[method-assign]
        try:
            begun = time.perf_counter()
            post_items(run, ready)
            parts["stage 10 (post_items)"] += time.perf_counter() - begun
        finally:
            _files.LedgerFile.append = real_append  # type: ignore[method-assign]


def plain(kind: str, path: Path, entries: list[Entry]) -> tuple[float, float]:
    """The raw baseline: the same entries as text with f-strings, written once."""
    clock = Clock()
    parts = []
    for e in entries:
        if kind == "beancount":
            head = f'{e.date} * "{e.description}"\n  ledgerlink-key: "{e.key}"\n'
            legs = "".join(f"  {p.account}  {p.amount} {p.currency}\n" for p in e.postings)
        else:
            head = f"{e.date} * ({e.key}) {e.description}\n    ; ledgerlink-key: {e.key}\n"
            legs = "".join(f"    {p.account}  {p.amount} {p.currency}\n" for p in e.postings)
        parts.append(head + legs + "\n")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(parts))
    return clock.stop()


def ledger_check(kind: str, path: Path) -> tuple[float, bool]:
    command = [str(BEAN_CHECK), str(path)] if kind == "beancount" else ["hledger", "-f", str(path), "check", "-s"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
    return elapsed, done.returncode == 0


def full_worker(count: int, folder: Path) -> float:
    from ledgerlink.export import repository
    from ledgerlink.export.worker import run_once
    from ledgerlink.services import tenancy
    from ledgerlink.store.database import Database

    db = Database.from_url(f"sqlite:///{folder / 'store.sqlite3'}")
    db.migrate()
    ledger = beancount_ledger(folder / "worker.beancount")
    with db.begin() as conn:
        org = tenancy.create_organisation(conn, "bench", actor="bench")
        repository.put_integration(conn, org, "books", config(target={"kind": "beancount", "path": str(ledger)}))
        repository.put_items(conn, org, make_items(count))
        repository.create_job(conn, org, integration="books", item_ids=None, actor="bench")
    start = time.perf_counter()
    [outcome] = run_once(db, worker_id="bench")
    elapsed = time.perf_counter() - start
    assert outcome.status is not None and outcome.status.value == "completed", outcome
    db.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per timed part; the fastest counts")
    parser.add_argument("--worker", action="store_true", help="also time the full worker with its SQLite store")
    parser.add_argument("--breakdown", action="store_true", help="also show where the engine's time goes")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                        help=f"items per batch (default: the worker's, {DEFAULT_BATCH})")
    args = parser.parse_args()
    items = make_items(args.items)
    kinds = ["beancount"] + (["hledger"] if shutil.which("hledger") else [])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"export benchmark: {args.items:,} items, batches of {args.batch}, fastest of {args.repeat} runs")
        print("engine = open the target + stages 4-10 (map_and_post: mapping, the target's checks, rendering and")
        print("         durable append; not the store); plain = the same entries as f-strings, one write (no fsync).")
        print("ratio = engine s / plain s (wall clock: the target); cpu ratio = the same in CPU seconds.")
        print(f"{'ledger':<10} {'engine items/s':>15} {'plain items/s':>14} {'ratio':>7} {'cpu ratio':>10} "
              f"{'entries':>8} {'check s':>8} {'check ok':>9}")
        for kind in kinds:
            make = beancount_ledger if kind == "beancount" else hledger_journal
            engine, baseline = (float("inf"), float("inf")), (float("inf"), float("inf"))
            for attempt in range(args.repeat):
                ledger = make(folder / f"engine{attempt}.{kind}")
                seconds, entries = engine_into_target(kind, ledger, items, batch=args.batch)
                engine = (min(engine[0], seconds[0]), min(engine[1], seconds[1]))
                seconds = plain(kind, make(folder / f"plain{attempt}.{kind}"), entries)
                baseline = (min(baseline[0], seconds[0]), min(baseline[1], seconds[1]))
            check_s, ok = ledger_check(kind, ledger)
            print(f"{kind:<10} {args.items / engine[0]:>15,.0f} {args.items / baseline[0]:>14,.0f} "
                  f"{engine[0] / baseline[0]:>6.1f}× {engine[1] / baseline[1]:>9.1f}× {len(entries):>8,} "
                  f"{check_s:>8.2f} {str(ok):>9}")
            if args.breakdown:
                parts = dict.fromkeys(("stages 4-9 (map_items)", "  target checks + rendering (inside post)",
                                       "stage 10 (post_items)",
                                       "durable append (intent record, write, fdatasync, read-back)"), 0.0)
                engine_into_target(kind, make(folder / f"parts.{kind}"), items, parts, args.batch)
                for name, seconds_spent in parts.items():
                    print(f"    {name:<62} {seconds_spent * 1000:>7.0f} ms "
                          f"({seconds_spent / args.items * 1e6:.1f} µs/item)")
                print(f"    {'plain baseline, all of it':<62} {baseline[0] * 1000:>7.0f} ms")
        if args.worker:
            worker_s = full_worker(args.items, folder)
            print(f"full worker (claim, SQLite store, per-item results + audit, beancount): "
                  f"{args.items / worker_s:,.0f} items/s ({worker_s:.1f} s)")


if __name__ == "__main__":
    main()
