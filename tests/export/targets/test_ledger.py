from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledgerlink.export.ledger import AttachmentFile, Entry, EntryKind, Posting, split_description


def test_imbalance_is_empty_for_a_balanced_entry_and_names_each_currency_otherwise() -> None:
    balanced = Entry("k", "k", EntryKind.JOURNAL, date(2026, 1, 2), "x",
                     (Posting("A", Decimal("1.10"), "EUR"), Posting("B", Decimal("-1.10"), "EUR")))
    assert balanced.imbalance() == {}
    off = Entry("k", "k", EntryKind.JOURNAL, date(2026, 1, 2), "x",
                (Posting("A", Decimal("1.10"), "EUR"), Posting("B", Decimal("-1.00"), "EUR"),
                 Posting("C", Decimal("2"), "USD"), Posting("D", Decimal("-2"), "USD")))
    assert off.imbalance() == {"EUR": Decimal("0.10")}


def test_posting_refuses_float_amounts() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        Posting("A", 1.1, "EUR")  # type: ignore[arg-type]


def test_attachment_digest() -> None:
    file = AttachmentFile.of("a.pdf", b"abc", "application/pdf")
    assert file.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert file.digest_matches()
    assert not AttachmentFile("a.pdf", b"abd", "application/pdf", file.sha256).digest_matches()


def test_split_description() -> None:
    assert split_description("ACME — pens") == ("ACME", "pens")
    assert split_description("no supplier") == (None, "no supplier")
