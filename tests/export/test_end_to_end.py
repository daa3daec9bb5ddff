"""End to end: the API and the worker into the real ledgers, each checked by its own tool."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ledgerlink.export.worker import run_forever, run_once
from tests.export.helpers import config, item

BEAN_CHECK = Path(sys.executable).parent / "bean-check"


def _blank_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PDF = _blank_pdf()

ACCOUNTS = [
    ("Assets:Wallet", "1200"), ("Assets:Bank", "1800"), ("Liabilities:OutOfPocket", "1590"),
    ("Liabilities:Payable", "1600"), ("Liabilities:Payable:Acme", "70001"), ("Expenses:Travel", "6110"),
    ("Expenses:Office", "6815"), ("Expenses:Software", "6837"), ("Assets:VAT:Input19", "1576"),
    ("Assets:VAT:Input7", "1571"), ("Liabilities:VAT:Output19", "1776"),
]


def beancount_ledger(path: Path) -> Path:
    lines = ['option "operating_currency" "EUR"', ""]
    for name, code in ACCOUNTS:
        lines += [f"2020-01-01 open {name} EUR", f'  code: "{code}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def hledger_journal(path: Path) -> Path:
    lines = ["commodity 1000.00 EUR", ""] + [f"account {name}  ; code: {code}" for name, code in ACCOUNTS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def spend_items() -> list[dict[str, Any]]:
    receipt = {"content_base64": base64.b64encode(PDF).decode(), "type": "application/pdf", "name": "receipt.pdf"}
    return [
        item("card-1", files=[receipt],
             lines=[{"line_amount": "119.00", "account": {"code": "6110"},
                     "tax": {"code": "S19", "rate": "19", "type": "inclusive"},
                     "tags": [{"group_code": "dept", "code": "sales"}]}]),
        item("saas-1", supplier={"name": "Figma", "country": "US"}, amount={"value": "200.00", "currency": "EUR"},
             lines=[{"line_amount": "200.00", "account": {"code": "6837"},
                     "tax": {"code": "S19", "rate": "19", "type": "reverse"}}]),
        item("inv-1", type="invoice", vendor={"code": "70001"}, supplier={"name": "Acme GmbH"},
             amount={"value": "107.00", "currency": "EUR"},
             lines=[{"line_amount": "100.00", "account": {"code": "6815"},
                     "tax": {"code": "R7", "rate": "7", "type": "exclusive"}}],
             additional_information={"invoice_information": {"invoice_number": "A-17", "payment_date": "2026-03-20"}}),
        item("topup-1", type="wallet_topup", lines=[], amount={"value": "1000.00", "currency": "EUR"}, supplier=None,
             note="Top-up"),
        item("refund-1", type="refund", amount={"value": "-19.00", "currency": "EUR"},
             lines=[{"line_amount": "-19.00", "account": {"code": "6110"}}]),
        item("reimb-1", type="reimbursement", service_period={"from": "2026-02-01", "to": "2026-02-28"},
             lines=[{"line_amount": "119.00", "account": {"name": "Expenses:Travel"},
                     "tax": {"code": "S19", "rate": "19", "type": "inclusive"}}]),
        item("bad-1", lines=[{"line_amount": "119.00", "account": {"code": "4711"}}]),
    ]


def _export_through_api(api: Any, target: dict[str, Any], draft: bool | None) -> dict[str, Any]:
    cfg = config(target=target)
    if draft is None:
        cfg.pop("post_as_draft")
    else:
        cfg["post_as_draft"] = draft
    assert api.put("/v1/integrations/books", json=cfg).status_code == 200
    assert api.post("/v1/export-items", json={"items": spend_items()}).status_code == 200
    job = api.post("/v1/export-jobs", json={"integration": "books"})
    assert job.status_code == 201, job.text
    return job.json()


def _check_results(api: Any, job_id: str) -> dict[str, Any]:
    got = api.get(f"/v1/export-jobs/{job_id}").json()
    assert got["status"] == "completed_with_errors", got
    items = {i["id"]: i for i in api.get(f"/v1/export-jobs/{job_id}/items").json()["items"]}
    assert items["bad-1"]["status"] == "failed" and items["bad-1"]["failure_reason_type"] == "account_unknown"
    assert all(i["status"] == "successful" and i["external_id"] for k, i in items.items() if k != "bad-1"), items
    return items


def test_beancount_end_to_end_with_preview_and_bean_check(api: Any, db: Any, tmp_path: Path) -> None:
    ledger = beancount_ledger(tmp_path / "books.beancount")
    before = ledger.read_bytes()
    job = _export_through_api(api, {"kind": "beancount", "path": str(ledger),
                                    "documents_dir": str(tmp_path / "documents")}, draft=None)
    preview = api.post(f"/v1/export-jobs/{job['id']}/preview")
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["posting_status"] == "draft" and '! "Deutsche Bahn" "Train to Hamburg"' in body["text"]
    assert all(e["balances"] == {"EUR": "0.00"} for i in body["items"] for e in i["entries"])
    assert ledger.read_bytes() == before  # nothing written
    assert api.get(f"/v1/export-jobs/{job['id']}").json()["status"] == "pending"

    outcomes = run_once(db)
    assert [o.job_id for o in outcomes] == [job["id"]]
    _check_results(api, job["id"])
    text = ledger.read_text(encoding="utf-8")
    assert body["text"].strip() in text  # exactly what the preview showed
    check = subprocess.run([str(BEAN_CHECK), str(ledger)], capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.strip() == "" and check.stderr.strip() == "", check.stderr
    from beancount import loader

    entries, errors, _ = loader.load_file(str(ledger))
    assert errors == []
    txns = [e for e in entries if type(e).__name__ == "Transaction"]
    assert len(txns) == 7  # 5 journals + bill + payment
    assert {t.flag for t in txns} == {"!"}  # post_as_draft absent → draft
    assert len([e for e in entries if type(e).__name__ == "Document"]) == 1


@pytest.mark.skipif(shutil.which("hledger") is None, reason="hledger not installed (Debian package hledger)")
def test_hledger_end_to_end_with_the_worker_thread_and_hledger_check(api: Any, db: Any, tmp_path: Path) -> None:
    journal = hledger_journal(tmp_path / "books.journal")
    job = _export_through_api(api, {"kind": "hledger", "path": str(journal)}, draft=False)
    stop = threading.Event()
    worker = threading.Thread(target=run_forever, args=(db,), kwargs={"stop": stop, "poll_seconds": 0.1})
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while api.get(f"/v1/export-jobs/{job['id']}").json()["status"] in ("pending", "in_progress"):
            assert time.monotonic() < deadline, "worker did not finish the job"
            time.sleep(0.1)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()
    _check_results(api, job["id"])
    check = subprocess.run(["hledger", "-f", str(journal), "check", "-s"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    register = subprocess.run(["hledger", "-f", str(journal), "balance", "--cleared", "Assets:Wallet", "-N"],
                              capture_output=True, text=True, check=True).stdout
    # wallet: +1000 top-up −119 card −200 SaaS −107 invoice payment +19 refund = 593.00
    assert "593.00 EUR" in register
    assert journal.read_text(encoding="utf-8").count("ledgerlink-key: inv-1/payment") == 1


def test_datev_end_to_end_through_the_worker(api: Any, db: Any, tmp_path: Path) -> None:
    out = tmp_path / "datev"
    out.mkdir()
    target = {"kind": "datev", "path": str(out), "consultant_number": 1234567, "client_number": 54321,
              "fiscal_year_start": "2026-01-01", "account_length": 4, "kost1": "department",
              "accounts": [{"code": code, "name": name} for name, code in ACCOUNTS]}
    _export_through_api(api, target, draft=False)
    [outcome] = run_once(db)
    _check_results(api, outcome.job_id)
    [extf] = sorted(out.glob("EXTF_*.csv"))
    rows = [line.split(";") for line in extf.read_bytes().decode("cp1252").split("\r\n") if line]
    header, titles, bookings = rows[0], rows[1], rows[2:]
    assert header[0] == '"EXTF"' and header[1] == "700" and header[20] == "1"  # Festschreibung: finalised
    assert titles[0] == '"Umsatz (ohne Soll/Haben-Kz)"' and titles[6] == '"Konto"'
    by_key: dict[str, list[list[str]]] = {}
    for row in bookings:
        by_key.setdefault(row[10].strip('"'), []).append(row)
    card = by_key["card-1"]
    # 119.00 inclusive 19 %: Travel 100,00 and input VAT 19,00 against the wallet
    assert sorted((r[0], r[6], r[7]) for r in card) == [("100,00", "6110", "1200"), ("19,00", "1576", "1200")]
    assert {r[36].strip('"') for r in card if r[6] == "6110"} == {"sales"}  # KOST1 from the dept tag
    assert {"inv-1/bill", "inv-1/payment"} <= set(by_key)
    assert "bad-1" not in by_key
