"""What the beancount and hledger targets share: a plain-text ledger file appended to, an index of it.

The index (chart, lock date, posted keys, attached sha256 per key, line count) is read from the file once
per target instance and kept current by our own writes. Before every read the file's (size, mtime) is
compared with the index's; if another process wrote meanwhile, the index is read again — so ``exists``
never re-parses per entry, yet never misses an entry another worker posted.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from ledgerlink.export.ledger import AttachmentFile, Entry, PostingStatus
from ledgerlink.export.targets._files import LedgerFile, plan_document, write_document
from ledgerlink.export.targets._validate import AccountRule, validate_batch
from ledgerlink.export.targets.base import (
    LedgerAccount,
    TargetMisconfigured,
    TargetRejected,
    TargetUnreachable,
)


_ZERO = Decimal(0)


@dataclass(slots=True)
class Posted:
    """An entry already in the ledger."""

    external_id: str
    date: date
    document_account: str  # where its documents are filed (first debit posting's account)


@dataclass
class Index:
    stamp: tuple[int, int]
    lines: int
    accounts: dict[str, LedgerAccount]
    rules: dict[str, AccountRule]
    lock: date | None
    posted: dict[str, Posted] = field(default_factory=dict)
    documents: dict[str, dict[str, str]] = field(default_factory=dict)  # key → sha256 → stored path
    codes: dict[str, str] = field(default_factory=dict)  # code → account name

    def __post_init__(self) -> None:
        for account in self.accounts.values():
            if account.code is not None:
                self.codes.setdefault(account.code, account.name)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A batch validated and rendered for appending: its ``text`` (``lines`` line breaks; empty when every
    entry is in the ledger already), the external id of each entry (already posted, or new), the index
    rows of the new entries, and the documents planned for those with attachments."""

    text: str
    lines: int
    ids: list[str]
    rows: dict[str, Posted]
    documents: dict[str, list[PlannedDocument]]


@dataclass(frozen=True)
class PlannedDocument:
    file: AttachmentFile
    path: Path  # absolute
    reference: str  # as written in the ledger (relative to the ledger's folder when inside it)


@lru_cache(maxsize=4096)
def day_text(day: date) -> str:
    """``YYYY-MM-DD`` (a batch's entries share a few days; formatting one costs more than finding it)."""
    return day.isoformat()


def document_account(entry: Entry) -> str:
    """The account an entry's documents are filed under: its first debit posting, else its first posting."""
    for posting in entry.postings:
        if posting.amount > _ZERO:
            return posting.account
    return entry.postings[0].account


class TextLedgerTarget(ABC):
    """A ledger file that entries are appended to (see module docstring)."""

    kind = "text"

    def __init__(self, path: Path, documents_dir: Path | None = None) -> None:
        self.path = path
        self.documents_dir = documents_dir if documents_dir is not None else path.parent / "documents"
        self._file = LedgerFile(path)
        self._name = path.name
        self._index: Index | None = None

    # -- reading -------------------------------------------------------------------------------------

    @abstractmethod
    def _read_index(self, text: str, stamp: tuple[int, int]) -> Index:
        """Parse the ledger (raise ``TargetRejected`` if the ledger itself is broken)."""

    def _current(self) -> Index:
        """The index, re-read only when someone else changed the file since we last saw it.

        One ``stat`` per call. An unchanged (size, mtime) means the file holds exactly what the index was
        read from (the index is only ever read or updated under the writer lock), so an intent record
        left by a writer that died before touching the ledger cannot make it stale; any byte written by
        another process changes the stamp, and the re-read happens under the lock, after ``recover()``.
        """
        index = self._index
        stamp = self._file.stamp_if_file()
        if stamp is None:
            raise TargetUnreachable(f"ledger file {self.path} does not exist")
        if index is None or stamp != index.stamp:
            with self._file.locked():
                index = self._index = self._load()
        return index

    def _load(self) -> Index:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TargetUnreachable(f"cannot read ledger file {self.path}: {exc}") from exc
        return self._read_index(text, self._file.stamp())

    def check(self) -> None:
        if not self.path.parent.is_dir():
            raise TargetUnreachable(f"folder {self.path.parent} does not exist")
        if not os.access(self.path, os.R_OK | os.W_OK):
            raise TargetUnreachable(f"ledger file {self.path} is missing or not readable and writable")
        index = self._current()
        if not index.accounts:
            raise TargetMisconfigured(f"{self.path} declares no accounts; the chart is read from the ledger")
        seen: dict[str, str] = {}
        for account in index.accounts.values():
            if account.code is None:
                continue
            if account.code in seen:
                raise TargetMisconfigured(
                    f"account code {account.code!r} is declared on both {seen[account.code]} and {account.name}")
            seen[account.code] = account.name

    def chart(self) -> list[LedgerAccount]:
        return list(self._current().accounts.values())

    def find_account(self, code_or_name: str) -> LedgerAccount | None:
        index = self._current()
        found = index.accounts.get(code_or_name)
        if found is None and code_or_name in index.codes:
            found = index.accounts[index.codes[code_or_name]]
        return found

    def lock_date(self) -> date | None:
        return self._current().lock

    def exists(self, key: str) -> str | None:
        posted = self._current().posted.get(key)
        return posted.external_id if posted else None

    def exists_many(self, keys: Sequence[str]) -> dict[str, str | None]:
        """``exists`` for many keys against one look at the file (stage 10 asks once per batch)."""
        posted = self._current().posted
        found: dict[str, str | None] = dict.fromkeys(keys)
        if not posted.keys().isdisjoint(found):  # (usually none is posted yet)
            for key in found.keys() & posted.keys():
                found[key] = posted[key].external_id
        return found

    # -- writing -------------------------------------------------------------------------------------

    @abstractmethod
    def _entry_text(self, entry: Entry, status: PostingStatus, documents: Sequence[PlannedDocument]) -> str:
        """One entry (and its documents' references) as ledger text: ``"\\n"`` then the entry's first line."""

    @abstractmethod
    def _external_id(self, entry: Entry, header_line: int) -> str:
        """The id reported for an entry whose first line is ``header_line`` (1-based)."""

    def _extra_checks(self, entries: Sequence[Entry], index: Index) -> None:
        """Target-specific refusals (e.g. balance assertions) — nothing by default."""

    def _reference(self, path: Path) -> str:
        try:
            return path.relative_to(self.path.parent.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def _plan(self, account: str, day: date, files: Sequence[AttachmentFile], known: dict[str, str],
              taken: dict[Path, str]) -> list[PlannedDocument]:
        """Documents to store for one entry, skipping sha256 values already attached."""
        if not files:
            return []
        folder = self.documents_dir.resolve().joinpath(*account.split(":"))
        planned: list[PlannedDocument] = []
        seen = set(known)
        for file in files:
            digest = file.sha256.lower()
            if digest in seen:
                continue
            seen.add(digest)
            path = plan_document(folder, day.isoformat(), file.name, digest, taken)
            planned.append(PlannedDocument(file, path, self._reference(path)))
        return planned

    def _batch(self, entries: Sequence[Entry], status: PostingStatus, index: Index) -> Rendered:
        """Validate, then render the entries not in the ledger yet (see :class:`Rendered`)."""
        posted = index.posted
        fresh = [entry for entry in entries if entry.key not in posted]
        validate_batch(fresh, index.rules, index.lock)
        self._extra_checks(fresh, index)
        prefix = "" if self._file.ends_with_newline() else "\n"
        chunks = [prefix]
        line = index.lines + prefix.count("\n")
        taken: dict[Path, str] = {}
        rows: dict[str, Posted] = {}
        documents: dict[str, list[PlannedDocument]] = {}
        entry_text, external_id = self._entry_text, self._external_id  # looked up once
        no_documents: list[PlannedDocument] = []
        new_ids: list[str] = []
        for entry in fresh:
            account = document_account(entry)
            planned = no_documents
            if entry.attachments:
                planned = documents[entry.key] = self._plan(account, entry.date, entry.attachments, {}, taken)
            text = entry_text(entry, status, planned)
            new_id = external_id(entry, line + 2)  # its first line comes after one blank line
            rows[entry.key] = Posted(new_id, entry.date, account)
            new_ids.append(new_id)
            chunks.append(text)
            line += text.count("\n")
        ids = new_ids if len(fresh) == len(entries) else [  # the usual case: every entry is new
            posted[e.key].external_id if e.key in posted else rows[e.key].external_id for e in entries]
        return Rendered("".join(chunks) if fresh else "", line - index.lines, ids, rows, documents)

    def render(self, entries: Sequence[Entry], status: PostingStatus) -> str:
        return self._batch(entries, status, self._current()).text

    def post(self, entries: Sequence[Entry], status: PostingStatus) -> list[str]:
        self._current()
        with self._file.locked():
            index = self._index
            if index is None or self._file.stamp() != index.stamp:
                index = self._index = self._load()
            batch = self._batch(entries, status, index)
            for planned in batch.documents.values():
                for document in planned:
                    write_document(document.path, document.file.content)
            self._file.append(batch.text.encode("utf-8"))
            index.posted.update(batch.rows)
            for key, planned in batch.documents.items():
                if planned:
                    index.documents[key] = {d.file.sha256.lower(): d.reference for d in planned}
            if batch.text:
                index.lines += batch.lines
            index.stamp = self._file.stamp()
        return batch.ids

    def attach(self, key: str, files: Sequence[AttachmentFile]) -> list[str]:
        self._current()
        with self._file.locked():
            index = self._index
            if index is None or self._file.stamp() != index.stamp:
                index = self._index = self._load()
            posted = index.posted.get(key)
            if posted is None:
                raise TargetRejected("no entry with this key in the ledger; post it before attaching", key=key)
            for number, file in enumerate(files):
                if not file.digest_matches():
                    raise TargetRejected(f"sha256 {file.sha256} does not match the file's content", key=key,
                                         path=f"files[{number}].sha256")
            known = index.documents.setdefault(key, {})
            planned = self._plan(posted.document_account, posted.date, files, known, {})
            if planned:
                for document in planned:
                    write_document(document.path, document.file.content)
                self._write_references(key, posted, planned, index)
                known.update({d.file.sha256.lower(): d.reference for d in planned})
                index.stamp = self._file.stamp()
        return [known[file.sha256.lower()] for file in files]

    @abstractmethod
    def _write_references(self, key: str, posted: Posted, planned: Sequence[PlannedDocument],
                          index: Index) -> None:
        """Record new documents of an already posted entry in the ledger (caller holds the lock)."""
