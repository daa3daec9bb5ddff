"""Awkward text (quotes, backslashes, line breaks, ; , # and non-Latin letters) never breaks a ledger."""

from __future__ import annotations

from pathlib import Path

from beancount import loader

from ledgerlink.export.ledger import PostingStatus
from ledgerlink.export.targets import open_target

from .conftest import bean_check, entry, hledger_check

AWKWARD = ['Müller "Bau" \\ GmbH — pens; ink, paper', "line\nbreak — note\r\nmore", "#hash ^caret — 100% ☃",
           "  spaces  —  ", "日本語 — \u2028sep", 'end with backslash\\ — "']


def batch() -> list:  # type: ignore[type-arg]
    return [entry(f"k{n}", description=text, tags=(("Pro ject", text),), posting_tags=(("dept:x", text),),
                  metadata=(("note", text),)) for n, text in enumerate(AWKWARD)]


def test_beancount_accepts_awkward_text_and_keeps_it(beancount_file: Path) -> None:
    open_target({"kind": "beancount", "path": str(beancount_file)}).post(batch(), PostingStatus.DRAFT)
    assert bean_check(beancount_file).returncode == 0, bean_check(beancount_file).stderr
    entries, errors, _ = loader.load_file(str(beancount_file))
    by_key = {e.meta["ledgerlink-key"]: e for e in entries if "ledgerlink-key" in e.meta}
    assert errors == [] and len(by_key) == len(AWKWARD)
    assert by_key["k0"].payee == 'Müller "Bau" \\ GmbH' and by_key["k0"].meta["note"] == AWKWARD[0]
    assert by_key["k5"].meta["pro-ject"] == AWKWARD[5]


def test_hledger_accepts_awkward_text(hledger_file: Path) -> None:
    books = open_target({"kind": "hledger", "path": str(hledger_file)})
    books.post(batch(), PostingStatus.DRAFT)
    done = hledger_check(hledger_file, "accounts", "commodities")
    assert done.returncode == 0, done.stderr
    fresh = open_target({"kind": "hledger", "path": str(hledger_file)})
    assert all(fresh.exists(f"k{n}") for n in range(len(AWKWARD)))
