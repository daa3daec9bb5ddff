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

from beancount import loader
from beancount.core import data

from ledgerlink.export.ledger import DESCRIPTION_SEPARATOR, Entry, PostingStatus, plain_number
from ledgerlink.export.targets._textledger import Index, PlannedDocument, Posted, TextLedgerTarget, document_account
from ledgerlink.export.targets._validate import AccountRule
from ledgerlink.export.targets.base import LedgerAccount, TargetRejected

LOCK_DIRECTIVE = "ledgerlink-lock"
KEY_META = "ledgerlink-key"
RESERVED_META = {KEY_META, "item-id", "entry-kind", "filename", "lineno", "sha256"}
_META_KEY_BAD = re.compile(r"[^a-z0-9_-]+")
_TAG_BAD = re.compile(r"[^A-Za-z0-9_./-]+")
_FINALISED = PostingStatus.FINALISED  # looked up once (an Enum member access costs a call)


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


def tag_name(group: str, value: str) -> str:
    return _TAG_BAD.sub("-", f"{group}-{value}").strip("-")


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
        head = f"{quote(payee)} {quote(narration)}" if separated else quote(description)
        if entry.tags:
            tags = sorted({tag_name(group, value) for group, value in entry.tags} - {""})
            head += "".join(f" #{tag}" for tag in tags)
        day = entry.date.isoformat()
        key = quote(entry.key)
        item_id = key if entry.item_id == entry.key else quote(entry.item_id)
        # the three ledgerlink keys are reserved, so entry metadata can never clash with them
        parts = [f"\n{day} {'*' if status is _FINALISED else '!'} {head}\n  {KEY_META}: {key}\n"
                 f"  item-id: {item_id}\n  entry-kind: \"{entry.kind}\"\n"]
        if entry.metadata or entry.tags:
            meta: dict[str, str] = {}  # name → value: one line per name; the same name twice must agree
            for number, (name, value) in enumerate(entry.metadata):
                name = meta_key(name)
                if name in meta or name in RESERVED_META:
                    self._put(meta, name, value, entry, "metadata", number)  # refuses a clash
                    continue  # the same pair again: one line
                meta[name] = value
                parts.append(f"  {name}: {quote(value)}\n")
            for number, (group, value) in enumerate(entry.tags):
                name = meta_key(group)
                if name in meta or name in RESERVED_META:
                    self._put(meta, name, value, entry, "tags", number)
                    continue
                meta[name] = value
                parts.append(f"  {name}: {quote(value)}\n")
        for number, posting in enumerate(entry.postings):
            amount = str(posting.amount)
            if "E" in amount:
                amount = plain_number(posting.amount)
            parts.append(f"  {posting.account}  {amount} {posting.currency}\n")
            if posting.tags and not posting.memo and len(posting.tags) == 1:  # the usual dimension
                group, value = posting.tags[0]
                name = meta_key(group)
                if name in RESERVED_META:
                    self._put({}, name, value, entry, f"postings[{number}].tags", 0)  # refuses the entry
                parts.append(f"    {name}: {quote(value)}\n")
            elif posting.tags or posting.memo:
                posting_meta: dict[str, str] = {}
                for tag_number, (group, value) in enumerate(posting.tags):
                    self._put(posting_meta, meta_key(group), value, entry, f"postings[{number}].tags", tag_number)
                if posting.memo:
                    self._put(posting_meta, "memo", posting.memo, entry, f"postings[{number}].memo", None)
                parts += [f"    {name}: {quote(value)}\n" for name, value in posting_meta.items()]
        if documents:
            account = document_account(entry)
            for document in documents:
                parts.append(f"\n{day} document {account} {quote(document.reference)}\n"
                             f"  {KEY_META}: {quote(entry.key)}\n  sha256: {quote(document.file.sha256.lower())}\n")
        return "".join(parts)

    @staticmethod
    def _put(meta: dict[str, str], name: str, value: str, entry: Entry, field: str, number: int | None) -> None:
        """Add one metadata pair; a clash (reserved name, or same key with another value) refuses the entry.
        The refusal's path is ``field[number]`` (``field`` alone when ``number`` is None)."""
        if name not in RESERVED_META and meta.get(name, value) == value:
            meta[name] = value  # the common case: built without formatting the path
            return
        path = field if number is None else f"{field}[{number}]"
        if name in RESERVED_META:
            raise TargetRejected(f"metadata name {name!r} is reserved by the beancount target", key=entry.key,
                                 path=path)
        if name in meta and meta[name] != value:
            raise TargetRejected(f"metadata {name!r} given twice with different values "
                                 f"({meta[name]!r}, {value!r})", key=entry.key, path=path)
        meta[name] = value

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
