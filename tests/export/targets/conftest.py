"""Fixtures for the export targets: small real ledgers, entry builders, the ledgers' own checkers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerlink.export.ledger import AttachmentFile, Entry, EntryKind, Posting

BIN = Path(sys.executable).parent

BEANCOUNT_LEDGER = """\
option "operating_currency" "EUR"

2026-01-01 open Expenses:Office EUR
  code: "6110"
2026-01-01 open Expenses:Travel
  code: "6650"
2026-01-01 open Assets:Wallet EUR
  code: "1800"
2026-01-01 open Liabilities:Payable
2026-01-01 open Assets:Old
2026-02-28 close Assets:Old
2026-02-01 custom "ledgerlink-lock" 2026-01-31
"""

HLEDGER_JOURNAL = """\
commodity 1000.00 EUR
commodity 1000.00 USD

account Expenses:Office  ; code: 6110
account Expenses:Travel
    ; code: 6650
account Assets:Wallet  ; code: 1800
account Liabilities:Payable

; ledgerlink-lock: 2026-01-31
"""


def entry(key: str = "item-1", *, day: date = date(2026, 3, 5), amount: str = "100.00",
          debit: str = "Expenses:Office", credit: str = "Assets:Wallet", currency: str = "EUR",
          attachments: tuple[AttachmentFile, ...] = (), tags: tuple[tuple[str, str], ...] = (),
          posting_tags: tuple[tuple[str, str], ...] = (), metadata: tuple[tuple[str, str], ...] = (),
          kind: EntryKind = EntryKind.JOURNAL, description: str = "ACME Büro GmbH — pens") -> Entry:
    value = Decimal(amount)
    return Entry(key, key.split("/")[0], kind, day, description,
                 (Posting(debit, value, currency, posting_tags, "printer paper"),
                  Posting(credit, -value, currency)),
                 (("reconciliation_id", f"R-{key}"), *metadata), tags, attachments)


@pytest.fixture
def beancount_file(tmp_path: Path) -> Path:
    path = tmp_path / "books" / "main.beancount"
    path.parent.mkdir()
    path.write_text(BEANCOUNT_LEDGER, encoding="utf-8")
    return path


@pytest.fixture
def hledger_file(tmp_path: Path) -> Path:
    path = tmp_path / "books" / "main.journal"
    path.parent.mkdir()
    path.write_text(HLEDGER_JOURNAL, encoding="utf-8")
    return path


def bean_check(path: Path) -> subprocess.CompletedProcess[str]:
    """The real ``bean-check`` console script of the installed beancount package."""
    return subprocess.run([str(BIN / "bean-check"), str(path)], capture_output=True, text=True, check=False)


def hledger_check(path: Path, *checks: str) -> subprocess.CompletedProcess[str]:
    """The real ``hledger check`` (strict: declared accounts and commodities) — must be installed."""
    exe = shutil.which("hledger")
    if exe is None:
        pytest.fail("hledger is not installed (Debian package `hledger`); the hledger target is checked by it")
    return subprocess.run([exe, "-f", str(path), "check", "--strict", *checks], capture_output=True, text=True,
                          check=False)


def pdf_bytes(pages: int = 1) -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(200, 200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
