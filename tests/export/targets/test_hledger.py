"""The hledger target against real journals, checked by the real `hledger check --strict`."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerlink.export.ledger import AttachmentFile, Entry, EntryKind, Posting, PostingStatus
from ledgerlink.export.targets import TargetRejected, open_target
from ledgerlink.export.targets.hledger import HledgerTarget

from .conftest import entry, hledger_check, pdf_bytes
from .test_beancount import run_killed


def target(path: Path) -> HledgerTarget:
    made = open_target({"kind": "hledger", "path": str(path)})
    assert isinstance(made, HledgerTarget)
    return made


def hledger_json(path: Path, query: str) -> list[dict]:  # type: ignore[type-arg]
    exe = shutil.which("hledger")
    assert exe is not None
    done = subprocess.run([exe, "-f", str(path), "print", "-O", "json", query], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_chart_codes_and_lock_come_from_the_journal(hledger_file: Path) -> None:
    books = target(hledger_file)
    books.check()
    assert {a.name for a in books.chart()} == {"Expenses:Office", "Expenses:Travel", "Assets:Wallet",
                                              "Liabilities:Payable"}
    assert books.find_account("6110").name == "Expenses:Office"  # type: ignore[union-attr]
    assert books.find_account("6650").name == "Expenses:Travel"  # type: ignore[union-attr]
    assert books.lock_date() == date(2026, 1, 31)


def test_posted_journal_passes_hledger_check_with_pending_and_cleared(hledger_file: Path) -> None:
    books = target(hledger_file)
    books.post([entry("a", tags=(("project", "Alpha, 1"),), posting_tags=(("department", "Sales"),))],
               PostingStatus.DRAFT)
    books.post([entry("b/bill", kind=EntryKind.BILL, credit="Liabilities:Payable", amount="7.5", currency="USD",
                      debit="Expenses:Travel")], PostingStatus.FINALISED)
    done = hledger_check(hledger_file, "accounts", "commodities")
    assert done.returncode == 0, done.stderr
    [a] = hledger_json(hledger_file, "tag:ledgerlink-key=a")
    [b] = hledger_json(hledger_file, "tag:ledgerlink-key=b/bill")
    assert a["tstatus"] == "Pending" and b["tstatus"] == "Cleared"
    assert a["tcode"] == "a" and a["tdescription"] == "ACME Büro GmbH — pens"
    tags = dict(a["ttags"])
    assert tags["item-id"] == "a" and tags["reconciliation_id"] == "R-a" and tags["project"] == "Alpha; 1"
    office = a["tpostings"][0]
    assert office["paccount"] == "Expenses:Office" and dict(office["ptags"])["department"] == "Sales"
    assert office["pamount"][0]["acommodity"] == "EUR"
    assert b["tpostings"][0]["pamount"][0]["acommodity"] == "USD"


def test_idempotent_render_equals_post_and_other_instances_see_it(hledger_file: Path) -> None:
    books = target(hledger_file)
    before = hledger_file.read_text()
    preview = books.render([entry("a"), entry("b")], PostingStatus.DRAFT)
    ids = books.post([entry("a"), entry("b")], PostingStatus.DRAFT)
    assert hledger_file.read_text() == before + preview
    assert ids == ["main.journal#a", "main.journal#b"]
    assert target(hledger_file).post([entry("b"), entry("a")], PostingStatus.FINALISED) == ids[::-1]
    assert hledger_file.read_text() == before + preview


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (Entry("x", "x", EntryKind.JOURNAL, date(2026, 3, 5), "d",
               (entry().postings[0], entry(amount="1").postings[1])), "does not balance"),
        (entry("x", debit="Expenses:Unknown"), "not in the ledger's chart"),
        (entry("x", day=date(2026, 1, 31)), "locked"),
        (entry("x", currency="GBP"), "not declared"),
        (entry("x,y"), "may not contain"),
    ],
)
def test_refused_batches_write_nothing(hledger_file: Path, bad: Entry, message: str) -> None:
    before = hledger_file.read_bytes()
    with pytest.raises(TargetRejected, match=message):
        target(hledger_file).post([entry("fine"), bad], PostingStatus.DRAFT)
    assert hledger_file.read_bytes() == before


def test_an_undeclared_commodity_is_refused_at_its_posting(hledger_file: Path) -> None:
    fine = entry("b")
    mixed = Entry("c", "c", EntryKind.JOURNAL, date(2026, 3, 5), "d",
                  (fine.postings[0], fine.postings[1], Posting("Expenses:Office", Decimal(1), "GBP"),
                   Posting("Assets:Wallet", Decimal(-1), "GBP")))
    with pytest.raises(TargetRejected) as refused:
        target(hledger_file).post([entry("a"), mixed, entry("x", currency="USD")], PostingStatus.DRAFT)
    assert (refused.value.key, refused.value.path) == ("c", "entries[1].postings[2].currency")
    assert refused.value.message.startswith("commodity GBP is not declared in the journal (declared: ")


def test_attachments_are_tags_with_stored_paths_idempotent(hledger_file: Path) -> None:
    books = target(hledger_file)
    receipt = AttachmentFile.of("r.pdf", pdf_bytes(), "application/pdf")
    books.post([entry("a"), entry("b")], PostingStatus.DRAFT)
    paths = books.attach("a", [receipt])
    assert paths == ["documents/Expenses/Office/2026-03-05.r.pdf"]
    assert (hledger_file.parent / paths[0]).read_bytes() == receipt.content
    text = hledger_file.read_text()
    assert target(hledger_file).attach("a", [receipt]) == paths
    assert hledger_file.read_text() == text
    assert hledger_check(hledger_file, "accounts", "commodities").returncode == 0
    [a] = hledger_json(hledger_file, "tag:attachment")
    assert a["tcode"] == "a" and dict(a["ttags"])["attachment"] == paths[0]


def test_killed_mid_write_is_cut_off_and_reposted_once(hledger_file: Path) -> None:
    run_killed(hledger_file, "mid-write", "hledger")
    books = target(hledger_file)
    assert books.exists("k1") is None
    assert hledger_check(hledger_file).returncode == 0
    books.post([entry("k1"), entry("k2"), entry("k3")], PostingStatus.DRAFT)
    assert hledger_check(hledger_file).returncode == 0
    assert hledger_file.read_text().count("; ledgerlink-key: k1\n") == 1


def test_a_later_balance_assertion_refuses_the_entry(hledger_file: Path) -> None:
    hledger_file.write_text(hledger_file.read_text() + "\n2026-06-01 opening\n    Assets:Wallet  0 EUR = 0 EUR\n"
                            "    Liabilities:Payable  0 EUR\n")
    books = target(hledger_file)
    with pytest.raises(TargetRejected, match="balance assertion on 2026-06-01"):
        books.post([entry("a")], PostingStatus.DRAFT)
    books.post([entry("b", day=date(2026, 6, 2))], PostingStatus.DRAFT)
    assert hledger_check(hledger_file).returncode == 0
