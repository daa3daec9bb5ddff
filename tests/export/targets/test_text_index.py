"""The beancount/hledger index kept current with one ``stat`` per question: ``exists_many``, another
writer's posts, an intent record left behind by a writer that died before touching the ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledgerlink.export.ledger import PostingStatus
from ledgerlink.export.targets import TargetUnreachable, open_target

from .conftest import bean_check, entry, hledger_check

KINDS = ["beancount", "hledger"]


def _ledger(kind: str, request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue("beancount_file" if kind == "beancount" else "hledger_file")


def _check(kind: str, path: Path) -> int:
    return (bean_check(path) if kind == "beancount" else hledger_check(path)).returncode


@pytest.mark.parametrize("kind", KINDS)
def test_exists_many_answers_like_exists_and_sees_another_writer(kind: str, request: pytest.FixtureRequest) -> None:
    path = _ledger(kind, request)
    mine, theirs = open_target({"kind": kind, "path": str(path)}), open_target({"kind": kind, "path": str(path)})
    assert mine.exists_many(["a", "b"]) == {"a": None, "b": None}  # type: ignore[attr-defined]
    [their_id] = theirs.post([entry("a")], PostingStatus.DRAFT)
    found = mine.exists_many(["a", "b", "a"])  # type: ignore[attr-defined]
    assert found == {"a": their_id, "b": None} == {key: mine.exists(key) for key in ("a", "b")}


@pytest.mark.parametrize("kind", KINDS)
def test_an_intent_left_before_any_ledger_byte_changes_no_answer_and_is_settled(
        kind: str, request: pytest.FixtureRequest) -> None:
    path = _ledger(kind, request)
    books = open_target({"kind": kind, "path": str(path)})
    books.post([entry("a")], PostingStatus.DRAFT)
    size = path.stat().st_size
    intent = path.with_name(path.name + ".ledgerlink-intent")
    intent.write_text(json.dumps({"size": size, "length": 500, "sha256": "0" * 64}))  # died right after writing it
    assert books.exists("a") is not None and books.exists("b") is None
    books.post([entry("b")], PostingStatus.DRAFT)  # the writer lock settles the record first
    assert not intent.exists()
    text = path.read_text(encoding="utf-8")
    assert text.count("ledgerlink-key: a") + text.count('ledgerlink-key: "a"') == 1
    assert _check(kind, path) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_a_ledger_path_that_is_not_a_file_is_unreachable(kind: str, request: pytest.FixtureRequest) -> None:
    path = _ledger(kind, request)
    books = open_target({"kind": kind, "path": str(path)})
    books.exists("a")
    path.unlink()
    path.mkdir()
    with pytest.raises(TargetUnreachable, match="does not exist"):
        books.exists("a")
