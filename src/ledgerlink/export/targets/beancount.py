"""beancount (v3) ledger file target.

- Chart: the ledger's ``open`` directives, read with beancount's own loader; ``code: "6110"`` metadata on
  an ``open`` is the account code; a currency constraint on the ``open`` is enforced; ``close`` ends it.
- Entry: ``YYYY-MM-DD ! "payee" "narration" #group-value`` (``!`` draft, ``*`` finalised) with metadata
  ``ledgerlink-key``, ``item-id``, ``entry-kind``, the entry's metadata (``reconciliation_id`` →
  ``reconciliation-id``) and its dimensions (``group: "value"``); posting dimensions and memo are
  posting metadata.
- Attachments: ``document`` directives (metadata ``ledgerlink-key`` and ``sha256``) for files stored as
  ``<documents>/<Account>/<Path>/YYYY-MM-DD.name``.
- Lock date: ``YYYY-MM-DD custom "ledgerlink-lock" YYYY-MM-DD``; the value is the last locked day; of
  several, the latest directive (by date, then position) wins.
- A ``balance`` assertion dated after an entry, on an account it moves, refuses the batch (the
  assertion would fail).
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from beancount import loader
from beancount.core import data

from ledgerlink.export.ledger import DESCRIPTION_SEPARATOR, Entry, EntryKind, PostingStatus, plain_number
from ledgerlink.export.targets._textledger import (
    Index,
    PlannedDocument,
    Posted,
    TextLedgerTarget,
    day_text,
    document_account,
)
from ledgerlink.export.targets._validate import AccountRule
from ledgerlink.export.targets.base import LedgerAccount, TargetRejected

LOCK_DIRECTIVE = "ledgerlink-lock"
KEY_META = "ledgerlink-key"
RESERVED_META = {KEY_META, "item-id", "entry-kind", "filename", "lineno", "sha256"}
_META_KEY_BAD = re.compile(r"[^a-z0-9_-]+")
_TAG_BAD = re.compile(r"[^A-Za-z0-9_./-]+")
_FINALISED = PostingStatus.FINALISED  # looked up once (an Enum member access costs a call)
_KIND_LINES = {kind: f'  entry-kind: "{kind}"\n' for kind in EntryKind}


@lru_cache(maxsize=4096)
def meta_key(name: str) -> str:
    """A metadata key beancount accepts: lower case, ``[a-z0-9_-]``, ``_`` → ``-``, starting with a letter."""
    key = _META_KEY_BAD.sub("-", name.strip().lower().replace("_", "-")).strip("-")
    return key if key[:1].isalpha() else f"x-{key}"


def quote(text: str) -> str:
    """A beancount string literal (line breaks become spaces)."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    flat = " ".join(text.splitlines())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


quote_repeated = lru_cache(maxsize=1024)(quote)
""":func:`quote` for a payee (supplier names repeat from entry to entry; notes and keys mostly do not)."""


def tag_name(group: str, value: str) -> str:
    return _TAG_BAD.sub("-", f"{group}-{value}").strip("-")


class Refusal(NamedTuple):
    """Why metadata cannot be written: the message and the path inside the entry (or posting)."""

    message: str
    path: str


def _add_meta(meta: dict[str, str], name: str, value: str, path: str) -> Refusal | None:
    """Add one metadata pair: a reserved name, or a name already given another value, is refused; the
    same pair twice is kept once."""
    if name in RESERVED_META:
        return Refusal(f"metadata name {name!r} is reserved by the beancount target", path)
    if meta.get(name, value) != value:
        return Refusal(f"metadata {name!r} given twice with different values ({meta[name]!r}, {value!r})", path)
    meta[name] = value
    return None


def metadata_lines(metadata: tuple[tuple[str, str], ...], tags: tuple[tuple[str, str], ...]) -> str | Refusal:
    """An entry's metadata lines: its metadata, then its dimensions (``group: "value"``), one line per
    name — or the first :class:`Refusal` (a reserved name, or a name given two values)."""
    names: list[str] = []
    text = ""
    for name, value in (*metadata, *tags) if tags else metadata:
        name = meta_key(name)
        if name in names or name in RESERVED_META:
            return _checked_metadata_lines(metadata, tags)  # a repeated or reserved name: pair by pair
        names.append(name)
        text += f"  {name}: {quote(value)}\n"
    return text


def _checked_metadata_lines(metadata: tuple[tuple[str, str], ...], tags: tuple[tuple[str, str], ...]
                            ) -> str | Refusal:
    """:func:`metadata_lines` when a name comes twice or is reserved: the same pair twice is one line."""
    meta: dict[str, str] = {}
    for field, pairs in (("metadata", metadata), ("tags", tags)):
        for number, (name, value) in enumerate(pairs):
            refused = _add_meta(meta, meta_key(name), value, f"{field}[{number}]")
            if refused is not None:
                return refused
    return "".join([f"  {name}: {quote(value)}\n" for name, value in meta.items()])


def posting_metadata_lines(tags: tuple[tuple[str, str], ...], memo: str | None) -> str | Refusal:
    """A posting's metadata lines: its dimensions, then ``memo`` — or the first :class:`Refusal` (its
    path relative to the posting)."""
    return _dimension_lines(tags) if not memo else _posting_metadata_lines(tags, memo)


@lru_cache(maxsize=1024)
def _dimension_lines(tags: tuple[tuple[str, str], ...]) -> str | Refusal:
    """:func:`posting_metadata_lines` without a memo: pure and kept per distinct set of dimensions, as the
    same few repeat from posting to posting (a memo, the line's own note, is not cached)."""
    return _posting_metadata_lines(tags, None)


def _posting_metadata_lines(tags: tuple[tuple[str, str], ...], memo: str | None) -> str | Refusal:
    meta: dict[str, str] = {}
    for number, (group, value) in enumerate(tags):
        refused = _add_meta(meta, meta_key(group), value, f"tags[{number}]")
        if refused is not None:
            return refused
    if memo:
        refused = _add_meta(meta, "memo", memo, "memo")
        if refused is not None:
            return refused
    return "".join([f"    {name}: {quote(value)}\n" for name, value in meta.items()])


class BeancountTarget(TextLedgerTarget):
    kind = "beancount"

    def _read_index(self, text: str, stamp: tuple[int, int]) -> Index:
        entries, errors, _ = loader.load_file(str(self.path))
        if errors:
            shown = "; ".join(
                f"{e.source.get('filename', '?')}:{e.source.get('lineno', '?')}: {e.message}" for e in errors[:5])
            raise TargetRejected(f"beancount reports {len(errors)} error(s) in the ledger: {shown}")
        accounts: dict[str, LedgerAccount] = {}
        rules: dict[str, AccountRule] = {}
        closed: dict[str, date] = {}
        locks: list[tuple[date, int, date]] = []
        posted: dict[str, Posted] = {}
        documents: dict[str, dict[str, str]] = {}
        assertions: dict[tuple[str, str], list[date]] = {}
        for entry in entries:
            meta = entry.meta or {}
            if isinstance(entry, data.Open):
                code = meta.get("code")
                currencies = frozenset(entry.currencies) if entry.currencies else None
                single = entry.currencies[0] if entry.currencies and len(entry.currencies) == 1 else None
                accounts[entry.account] = LedgerAccount(entry.account, None if code is None else str(code),
                                                        single, entry.date)
                rules[entry.account] = AccountRule(entry.account, entry.date, None, currencies)
            elif isinstance(entry, data.Close):
                closed[entry.account] = entry.date
            elif isinstance(entry, data.Custom) and entry.type == LOCK_DIRECTIVE:
                if len(entry.values) != 1 or not isinstance(entry.values[0].value, date):
                    raise TargetRejected(f"{meta.get('filename')}:{meta.get('lineno')}: custom "
                                         f"\"{LOCK_DIRECTIVE}\" takes exactly one date (the last locked day)")
                locks.append((entry.date, int(meta.get("lineno", 0)), entry.values[0].value))
            elif isinstance(entry, data.Transaction) and KEY_META in meta:
                line = meta.get("lineno", 0)
                name = Path(str(meta.get("filename", self.path))).name
                first = next((p.account for p in entry.postings if p.units and p.units.number
                              and p.units.number > 0), entry.postings[0].account)
                posted[str(meta[KEY_META])] = Posted(f"{name}:{line}", entry.date, first)
            elif isinstance(entry, data.Document) and KEY_META in meta and "sha256" in meta:
                documents.setdefault(str(meta[KEY_META]), {})[str(meta["sha256"]).lower()] = \
                    self._reference(Path(entry.filename))
            elif isinstance(entry, data.Balance):
                assertions.setdefault((entry.account, entry.amount.currency), []).append(entry.date)
        for account, day in closed.items():
            if account in rules:
                rule = rules[account]
                rules[account] = AccountRule(rule.name, rule.opened, day, rule.currencies)
        index = Index(stamp, text.count("\n"), accounts, rules, max(locks)[2] if locks else None,
                      posted, documents)
        self._assertions = assertions
        return index

    def _extra_checks(self, entries: Sequence[Entry], index: Index) -> None:
        """Refuse a batch that would change an account's balance before one of its later assertions."""
        assertions = getattr(self, "_assertions", {})
        if not assertions:
            return
        moved: dict[tuple[str, str, date], Decimal] = {}
        first_key: dict[tuple[str, str, date], str] = {}
        for entry in entries:
            for posting in entry.postings:
                parts = posting.account.split(":")
                for depth in range(1, len(parts) + 1):
                    account = ":".join(parts[:depth])
                    for day in assertions.get((account, posting.currency), ()):
                        if entry.date < day:
                            slot = (account, posting.currency, day)
                            moved[slot] = moved.get(slot, Decimal(0)) + posting.amount
                            first_key.setdefault(slot, entry.key)
        for (account, currency, day), total in moved.items():
            if total != 0:
                raise TargetRejected(
                    f"would change {account} by {total:f} {currency} before its balance assertion on {day}",
                    key=first_key[(account, currency, day)])

    def _entry_text(self, entry: Entry, status: PostingStatus, documents: Sequence[PlannedDocument]) -> str:
        description = entry.description
        payee, separated, narration = description.partition(DESCRIPTION_SEPARATOR)  # as split_description
        head = f"{quote_repeated(payee)} {quote(narration)}" if separated else quote(description)
        if entry.tags:
            tags = sorted({tag_name(group, value) for group, value in entry.tags} - {""})
            head += "".join(f" #{tag}" for tag in tags)
        day = day_text(entry.date)
        key = quote(entry.key)
        item_id = key if entry.item_id == entry.key else quote(entry.item_id)
        # the three ledgerlink keys are reserved, so entry metadata can never clash with them
        parts = [f"\n{day} {'*' if status is _FINALISED else '!'} {head}\n  {KEY_META}: {key}\n"
                 f"  item-id: {item_id}\n{_KIND_LINES[entry.kind]}"]
        if entry.metadata or entry.tags:
            lines = metadata_lines(entry.metadata, entry.tags)
            if isinstance(lines, Refusal):
                raise TargetRejected(lines.message, key=entry.key, path=lines.path)
            parts.append(lines)
        for posting in entry.postings:
            amount = str(posting.amount)
            if "E" in amount:
                amount = plain_number(posting.amount)
            parts.append(f"  {posting.account}  {amount} {posting.currency}\n")
            if posting.tags or posting.memo:
                lines = posting_metadata_lines(posting.tags, posting.memo)
                if isinstance(lines, Refusal):  # (an equal posting before this one would have been refused)
                    raise TargetRejected(lines.message, key=entry.key,
                                         path=f"postings[{entry.postings.index(posting)}].{lines.path}")
                parts.append(lines)
        if documents:
            account = document_account(entry)
            for document in documents:
                parts.append(f"\n{day} document {account} {quote(document.reference)}\n"
                             f"  {KEY_META}: {quote(entry.key)}\n  sha256: {quote(document.file.sha256.lower())}\n")
        return "".join(parts)

    def _external_id(self, entry: Entry, header_line: int) -> str:
        return f"{self._name}:{header_line}"

    def _write_references(self, key: str, posted: Posted, planned: Sequence[PlannedDocument],
                          index: Index) -> None:
        lines: list[str] = [] if self._file.ends_with_newline() else [""]
        for document in planned:
            lines += ["", f"{posted.date.isoformat()} document {posted.document_account} {quote(document.reference)}",
                      f"  {KEY_META}: {quote(key)}", f"  sha256: {quote(document.file.sha256.lower())}"]
        text = "\n".join(lines) + "\n"
        self._file.append(text.encode("utf-8"))
        index.lines += text.count("\n")
