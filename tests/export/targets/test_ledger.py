from __future__ import annotations

import gc
from datetime import date
from decimal import Decimal

import msgspec
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


def test_entries_and_postings_are_immutable_structs_with_their_fields_in_order() -> None:
    posting = Posting(account="A", amount=Decimal("1.10"), currency="EUR", memo="m")
    assert posting == Posting("A", Decimal("1.10"), "EUR", (), "m") and hash(posting) == hash(
        Posting("A", Decimal("1.10"), "EUR", (), "m"))
    assert msgspec.structs.replace(posting, memo=None).memo is None
    with pytest.raises(AttributeError):
        posting.amount = Decimal(0)  # type: ignore[misc]
    entry = Entry(key="k", item_id="i", kind=EntryKind.BILL, date=date(2026, 1, 2), description="x",
                  postings=(posting,))
    assert (entry.metadata, entry.tags, entry.attachments) == ((), (), ())
    assert msgspec.structs.replace(entry, key="z") == Entry("z", "i", EntryKind.BILL, date(2026, 1, 2), "x",
                                                            (posting,))
    with pytest.raises(AttributeError):
        entry.key = "other"  # type: ignore[misc]
    assert [f.name for f in msgspec.structs.fields(Entry)] == ["key", "item_id", "kind", "date", "description",
                                                               "postings", "metadata", "tags", "attachments"]
    assert [f.name for f in msgspec.structs.fields(Posting)] == ["account", "amount", "currency", "tags", "memo"]


@pytest.mark.parametrize("amount", [1.5, 2, "3.00", None, Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"),
                                    Decimal("-Infinity")])
def test_a_posting_takes_a_finite_decimal_only(amount: object) -> None:
    with pytest.raises((TypeError, ValueError), match="Posting.amount must be"):
        Posting("A", amount, "EUR")  # type: ignore[arg-type]
    with pytest.raises((TypeError, ValueError), match="Posting.amount must be"):
        msgspec.structs.replace(Posting("A", Decimal(1), "EUR"), amount=amount)


def test_entries_and_postings_are_kept_out_of_the_cyclic_collector() -> None:
    """They are built by the ten thousand per job and hold no reference cycle (``gc=False``)."""
    posting = Posting("A", Decimal("1.00"), "EUR", (("dept", "sales"),), "memo")
    entry = Entry("k", "i", EntryKind.JOURNAL, date(2026, 1, 1), "d", (posting, posting))
    assert not gc.is_tracked(posting) and not gc.is_tracked(entry)


def test_imbalance_sums_exactly_in_any_order_of_currencies() -> None:
    postings = (Posting("A", Decimal("2"), "USD"), Posting("B", Decimal("1.10"), "EUR"),
                Posting("C", Decimal("-2"), "USD"), Posting("D", Decimal("-1.05"), "EUR"))
    assert Entry("k", "k", EntryKind.JOURNAL, date(2026, 1, 2), "x", postings).imbalance() == {
        "EUR": Decimal("0.05")}
    assert Entry("k", "k", EntryKind.JOURNAL, date(2026, 1, 2), "x", ()).imbalance() == {}
    assert Entry("k", "k", EntryKind.JOURNAL, date(2026, 1, 2), "x",
                 (Posting("A", Decimal("0.1"), "EUR"),)).imbalance() == {"EUR": Decimal("0.1")}
