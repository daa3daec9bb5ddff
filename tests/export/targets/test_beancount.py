"""The beancount target against real ledgers, checked by beancount's loader and bean-check."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from beancount import loader

from ledgerlink.export.ledger import AttachmentFile, Entry, EntryKind, PostingStatus
from ledgerlink.export.targets import TargetRejected, TargetUnreachable, open_target
from ledgerlink.export.targets.beancount import BeancountTarget

from .conftest import bean_check, entry, pdf_bytes


def target(path: Path) -> BeancountTarget:
    made = open_target({"kind": "beancount", "path": str(path)})
    assert isinstance(made, BeancountTarget)
    return made


def test_chart_codes_and_lock_come_from_the_ledger(beancount_file: Path) -> None:
    books = target(beancount_file)
    books.check()
    names = {a.name: a for a in books.chart()}
    assert names["Expenses:Office"].code == "6110" and names["Expenses:Office"].currency == "EUR"
    assert names["Expenses:Office"].opened == date(2026, 1, 1)
    assert books.find_account("6650").name == "Expenses:Travel"  # type: ignore[union-attr]
    assert books.find_account("Assets:Wallet").code == "1800"  # type: ignore[union-attr]
    assert books.find_account("9999") is None
    assert books.lock_date() == date(2026, 1, 31)


def test_post_writes_entries_bean_check_accepts_with_status_flags(beancount_file: Path) -> None:
    books = target(beancount_file)
    ids = books.post([entry("a", tags=(("project", "Alpha 1"),), posting_tags=(("department", "Sales"),))],
                     PostingStatus.DRAFT)
    ids += books.post([entry("b/bill", kind=EntryKind.BILL,
                             credit="Liabilities:Payable")], PostingStatus.FINALISED)
    assert bean_check(beancount_file).returncode == 0, bean_check(beancount_file).stderr
    entries, errors, _ = loader.load_file(str(beancount_file))
    assert errors == []
    txns = {e.meta["ledgerlink-key"]: e for e in entries if "ledgerlink-key" in e.meta}
    assert txns["a"].flag == "!" and txns["b/bill"].flag == "*"
    assert txns["a"].payee == "ACME Büro GmbH" and txns["a"].narration == "pens"
    assert txns["a"].meta["item-id"] == "a" and txns["a"].meta["reconciliation-id"] == "R-a"
    assert txns["a"].meta["project"] == "Alpha 1" and "project-Alpha-1" in txns["a"].tags
    assert txns["a"].postings[0].meta["department"] == "Sales"
    assert txns["a"].postings[0].meta["memo"] == "printer paper"
    assert str(txns["a"].postings[0].units) == "100.00 EUR"
    assert ids == [f"main.beancount:{txns['a'].meta['lineno']}", f"main.beancount:{txns['b/bill'].meta['lineno']}"]


def test_posting_twice_writes_nothing_and_returns_the_existing_id(beancount_file: Path) -> None:
    books = target(beancount_file)
    first = books.post([entry("a")], PostingStatus.DRAFT)
    size = beancount_file.stat().st_size
    assert books.render([entry("a")], PostingStatus.DRAFT) == ""
    assert books.post([entry("a")], PostingStatus.FINALISED) == first
    assert beancount_file.stat().st_size == size
    # a fresh instance (another worker) finds it through the loader
    assert target(beancount_file).exists("a") == first[0]
    assert target(beancount_file).exists("zzz") is None


def test_render_is_exactly_what_post_appends(beancount_file: Path) -> None:
    books = target(beancount_file)
    batch = [entry("a"), entry("b", amount="12.345")]
    before = beancount_file.read_text()
    preview = books.render(batch, PostingStatus.FINALISED)
    assert beancount_file.read_text() == before
    books.post(batch, PostingStatus.FINALISED)
    assert beancount_file.read_text() == before + preview


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (Entry("x", "x", EntryKind.JOURNAL, date(2026, 3, 5), "d",
               (entry().postings[0], entry(amount="99.99").postings[1])), "does not balance"),
        (entry("x", debit="Expenses:Unknown"), "not in the ledger's chart"),
        (entry("x", day=date(2026, 1, 15)), "locked up to 2026-01-31"),
        (entry("x", credit="Assets:Old", day=date(2026, 3, 1)), "closed on 2026-02-28"),
        (entry("x", currency="USD"), "allows EUR, found USD"),
        (entry("x", metadata=(("item_id", "other"),)), "reserved"),
    ],
)
def test_refused_batches_write_nothing(beancount_file: Path, bad: object, message: str) -> None:
    books = target(beancount_file)
    before = beancount_file.read_bytes()
    with pytest.raises(TargetRejected, match=message) as caught:
        books.post([entry("fine"), bad], PostingStatus.DRAFT)  # type: ignore[list-item]
    assert caught.value.reason_type == "accounting_system_validation_failure"
    assert beancount_file.read_bytes() == before
    assert books.exists("fine") is None


def test_balance_assertion_after_the_entry_refuses_it(beancount_file: Path) -> None:
    with beancount_file.open("a") as handle:
        handle.write("2026-06-01 balance Assets:Wallet 0 EUR\n")
    books = target(beancount_file)
    with pytest.raises(TargetRejected, match="balance assertion on 2026-06-01"):
        books.post([entry("a")], PostingStatus.DRAFT)
    books.post([entry("b", day=date(2026, 6, 2))], PostingStatus.DRAFT)
    assert bean_check(beancount_file).returncode == 0


def test_a_broken_or_missing_ledger_is_reported(tmp_path: Path, beancount_file: Path) -> None:
    with pytest.raises(TargetUnreachable, match="missing"):
        target(tmp_path / "nope.beancount").check()
    beancount_file.write_text(beancount_file.read_text() + "2026-03-01 * \"x\"\n  Expenses:Nope 1 EUR\n"
                              "  Assets:Wallet -1 EUR\n")
    with pytest.raises(TargetRejected, match="error"):
        target(beancount_file).check()


def test_attachments_are_document_directives_stored_by_convention_and_idempotent(beancount_file: Path) -> None:
    receipt = AttachmentFile.of("receipt 1.pdf", pdf_bytes(), "application/pdf")
    books = target(beancount_file)
    books.post([entry("a", attachments=(receipt,))], PostingStatus.DRAFT)
    other = AttachmentFile.of("receipt 1.pdf", b"%PDF-1.4 other bytes", "application/pdf")
    paths = books.attach("a", [receipt, other])
    assert paths[0] == "documents/Expenses/Office/2026-03-05.receipt_1.pdf"
    assert paths[1].startswith("documents/Expenses/Office/2026-03-05.") and paths[1] != paths[0]
    size = beancount_file.stat().st_size
    assert target(beancount_file).attach("a", [other, receipt]) == paths[::-1]
    assert beancount_file.stat().st_size == size
    assert (beancount_file.parent / paths[1]).read_bytes() == other.content
    assert bean_check(beancount_file).returncode == 0
    entries, errors, _ = loader.load_file(str(beancount_file))
    docs = [e for e in entries if type(e).__name__ == "Document"]
    assert errors == [] and len(docs) == 2 and {d.account for d in docs} == {"Expenses:Office"}
    with pytest.raises(TargetRejected, match="post it before"):
        books.attach("never-posted", [receipt])


def test_another_process_writing_is_seen_without_reparsing_per_entry(beancount_file: Path) -> None:
    mine, theirs = target(beancount_file), target(beancount_file)
    assert mine.exists("a") is None
    theirs.post([entry("a")], PostingStatus.DRAFT)
    assert mine.exists("a") is not None
    assert mine.post([entry("a"), entry("b")], PostingStatus.DRAFT)[0] == theirs.exists("a")
    text = beancount_file.read_text()
    assert text.count('ledgerlink-key: "a"') == 1 and text.count('ledgerlink-key: "b"') == 1


CRASH = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from conftest import entry
    from ledgerlink.export.ledger import PostingStatus
    from ledgerlink.export.targets import open_target
    from ledgerlink.export.targets import _files
    mode = sys.argv[2]
    real_write, real_unlink = os.write, Path.unlink
    def half_write(fd, data):
        if os.readlink(f"/proc/self/fd/{{fd}}") != sys.argv[1]:
            return real_write(fd, data)  # the intent record goes through whole
        real_write(fd, bytes(data[: len(data) // 2]))
        os.kill(os.getpid(), signal.SIGKILL)
    def die_on_intent_removal(self, missing_ok=False):
        if self.name.endswith(".ledgerlink-intent"):
            os.kill(os.getpid(), signal.SIGKILL)
        return real_unlink(self, missing_ok=missing_ok)
    books = open_target({{"kind": sys.argv[3], "path": sys.argv[1]}})
    books.exists("warm-up")
    if mode == "mid-write":
        os.write = half_write
    else:
        Path.unlink = die_on_intent_removal
    books.post([entry("k1"), entry("k2"), entry("k3")], PostingStatus.DRAFT)
""")


def run_killed(path: Path, mode: str, kind: str) -> None:
    script = CRASH.format(tests=str(Path(__file__).parent))
    done = subprocess.run([sys.executable, "-c", script, str(path.resolve()), mode, kind], capture_output=True, text=True,
                          check=False)
    assert done.returncode == -9, done.stderr


def test_killed_mid_write_leaves_no_half_entry_and_no_duplicate_on_repost(beancount_file: Path) -> None:
    run_killed(beancount_file, "mid-write", "beancount")
    assert beancount_file.with_name("main.beancount.ledgerlink-intent").exists()
    assert bean_check(beancount_file).returncode != 0  # the kill really cut an entry in half
    books = target(beancount_file)
    assert books.exists("k1") is None  # opening settles the interrupted append: cut off
    assert bean_check(beancount_file).returncode == 0
    books.post([entry("k1"), entry("k2"), entry("k3")], PostingStatus.DRAFT)
    assert bean_check(beancount_file).returncode == 0
    assert beancount_file.read_text().count('ledgerlink-key: "k1"') == 1


def test_killed_after_the_write_keeps_the_complete_append_and_reposts_nothing(beancount_file: Path) -> None:
    run_killed(beancount_file, "after-write", "beancount")
    assert beancount_file.with_name("main.beancount.ledgerlink-intent").exists()
    assert bean_check(beancount_file).returncode == 0
    books = target(beancount_file)
    first = books.exists("k2")
    assert first is not None
    size = beancount_file.stat().st_size
    assert books.post([entry("k1"), entry("k2"), entry("k3")], PostingStatus.DRAFT)[1] == first
    assert beancount_file.stat().st_size == size
