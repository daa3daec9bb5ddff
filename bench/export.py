"""Export benchmark: 10,000 items into beancount and into hledger, against plain string formatting.

Measures, in one run and per ledger kind:

* engine → target: stages 4–10 for every item (bookkeeping method, accounts, data mapping with VAT,
  periods, posting status, ``exists`` + ``post`` into the real ledger file, one durable post per batch
  of 100 items as the worker does) → items/s;
* raw baseline: the same entries written with plain string formatting (f-strings, one write) → items/s;
* ratio engine / baseline (target ≤ 5×);
* the ledger's own check on the result (``bean-check`` / ``hledger check -s``), timed;
* with ``--worker``: the full worker (``run_once``: claim, SQLite store, per-item results and audit) → items/s.

Run: ``.venv/bin/python bench/export.py [--items N] [--worker]``
"""

from __future__ import annotations

import argparse
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
from ledgerlink.export.model import ExportItem  # noqa: E402
from ledgerlink.export.pipeline import DEFAULT_BATCH  # noqa: E402
from ledgerlink.export.stages import (  # noqa: E402
    ExportRun,
    ItemWork,
    apply_accounting_period,
    create_entries,
    fetch_attachments,
    map_accounts,
    map_data,
    resolve_bookkeeping_method,
    resolve_posting_status,
)
from ledgerlink.export.targets import open_target  # noqa: E402
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
        out.append(ExportItem.model_validate(body))
    return out


def engine_into_target(kind: str, path: Path, items: list[ExportItem]) -> tuple[float, list[Entry]]:
    run = ExportRun(db=None, org_id="bench", job_id="bench", integration="books", claim=None)  # type: ignore[arg-type]
    run.config = parse_config(config(target={"kind": kind, "path": str(path)}))
    start = time.perf_counter()
    run.target = open_target(run.config.target.model_dump(mode="json"))
    run.target.check()
    run.target_lock = run.target.lock_date()
    entries: list[Entry] = []
    for first in range(0, len(items), DEFAULT_BATCH):  # batches as the worker posts them
        works = [ItemWork(export_item) for export_item in items[first:first + DEFAULT_BATCH]]
        run.account_cache.clear()
        for work in works:
            resolve_bookkeeping_method(run, work)
            map_accounts(run, work)
            map_data(run, work)
            fetch_attachments(run, work)
            apply_accounting_period(run, work)
            resolve_posting_status(run, work)
        create_entries(run, works)
        assert all(work.failure is None for work in works)
        entries.extend(entry for work in works for entry in work.entries)
    return time.perf_counter() - start, entries


def plain(kind: str, path: Path, entries: list[Entry]) -> float:
    """The raw baseline: the same entries as text with f-strings, written once."""
    start = time.perf_counter()
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
    return time.perf_counter() - start


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
    parser.add_argument("--worker", action="store_true", help="also time the full worker with its SQLite store")
    args = parser.parse_args()
    items = make_items(args.items)
    kinds = ["beancount"] + (["hledger"] if shutil.which("hledger") else [])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"export benchmark: {args.items:,} items")
        print(f"{'ledger':<10} {'engine items/s':>15} {'plain items/s':>14} {'ratio':>7} {'entries':>8} "
              f"{'check s':>8} {'check ok':>9}")
        for kind in kinds:
            make = beancount_ledger if kind == "beancount" else hledger_journal
            ledger = make(folder / f"engine.{kind}")
            baseline = make(folder / f"plain.{kind}")
            engine_s, entries = engine_into_target(kind, ledger, items)
            plain_s = plain(kind, baseline, entries)
            check_s, ok = ledger_check(kind, ledger)
            print(f"{kind:<10} {args.items / engine_s:>15,.0f} {args.items / plain_s:>14,.0f} "
                  f"{engine_s / plain_s:>6.1f}× {len(entries):>8,} {check_s:>8.2f} {str(ok):>9}")
        if args.worker:
            worker_s = full_worker(args.items, folder)
            print(f"full worker (claim, SQLite store, per-item results + audit, beancount): "
                  f"{args.items / worker_s:,.0f} items/s ({worker_s:.1f} s)")


if __name__ == "__main__":
    main()
