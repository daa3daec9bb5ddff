"""hledger / ledger journal file target.

- Chart: ``account NAME  ; code: 6110`` declarations (the tag may also sit on an indented comment line
  right below). If the journal declares commodities (``commodity ...``), only those may be posted.
- Entry::

      2026-03-05 ! (item-1) ACME GmbH — pens
          ; ledgerlink-key: item-1
          ; item-id: item-1
          ; entry-kind: journal
          ; reconciliation_id: R-1
          Expenses:Office  100.00 EUR
              ; department: Sales
          Assets:Wallet  -100.00 EUR

  status ``!`` pending (draft) / ``*`` cleared (finalised); the key is also the transaction code; every
  amount carries its commodity and the postings balance exactly. Attachments: ``; attachment: PATH`` and
  ``; attachment-sha256: HEX`` tags, files stored like beancount documents.
- Lock date: a top-level comment line ``; ledgerlink-lock: 2026-03-31`` (last locked day; the last such
  line in the file wins). hledger has no lock of its own.
- Text rules: ``;`` in the description becomes ``,``; ``,`` in a tag value becomes ``;`` (a comma ends an
  hledger tag value); keys may not contain ``,``, ``(`` or ``)``.
- ``include`` directives are not followed: the chart and posted keys are read from this file only.
"""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from ledgerlink.export.ledger import Entry, EntryKind, Posting, PostingStatus, plain_number
from ledgerlink.export.targets._textledger import Index, PlannedDocument, Posted, TextLedgerTarget, day_text
from ledgerlink.export.targets._validate import AccountRule
from ledgerlink.export.targets.base import LedgerAccount, TargetRejected

KEY_TAG = "ledgerlink-key"
LOCK_TAG = "ledgerlink-lock"
RESERVED_TAGS = {KEY_TAG, "attachment", "attachment-sha256", "item-id", "entry-kind"}
_KEY_OK = re.compile(r"[^,()\s][^,()]*[^,()\s]|[^,()\s]")
_HEADER = re.compile(r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2})")
_ACCOUNT = re.compile(r"^account\s+(.+)$")
_COMMODITY = re.compile(r"^commodity\s+(.+)$")
_LOCK = re.compile(r"^[;#*]\s*" + LOCK_TAG + r":\s*(\d{4}-\d{2}-\d{2})\s*$")
_TAG_NAME_BAD = re.compile(r"[\s:,]+")
_SYMBOL = re.compile(r'"[^"]+"|[^\d\s.,+\-"]+')
_FIELD_GAP = re.compile(r"\s{2,}|\t")  # what separates an account name from the rest of its line
_DATE_PARTS = re.compile(r"[-/.]")
_FINALISED = PostingStatus.FINALISED  # looked up once (an Enum member access costs a call)
_KIND_LINES = {kind: f"    ; entry-kind: {kind}\n" for kind in EntryKind}


def key_fits(key: str) -> bool:
    """An hledger transaction code: no ``,``, ``(`` or ``)``, and no whitespace at either end (exactly
    what :data:`_KEY_OK` matches; plain string tests, as every entry of every batch is checked)."""
    return bool(key) and "," not in key and "(" not in key and ")" not in key and key.strip() == key


def _tags_in(comment: str) -> list[tuple[str, str]]:
    """hledger tags ``name: value`` in a comment (a value ends at a comma)."""
    found = []
    for part in comment.split(","):
        name, sep, value = part.partition(":")
        name = name.strip().rsplit(" ", 1)[-1]
        if sep and name and " " not in name:
            found.append((name, value.strip()))
    return found


@lru_cache(maxsize=4096)
def tag_name(name: str) -> str:
    """An hledger tag name: no spaces, colons or commas (each run becomes ``-``)."""
    return _TAG_NAME_BAD.sub("-", name.strip()).strip("-") or "tag"


def tag_value(value: str) -> str:
    """A tag value hledger reads back whole: a comma becomes ``;`` (a comma ends a tag value), line
    breaks become spaces, surrounding spaces go."""
    if "," in value or not value.isprintable():
        value = " ".join(value.replace(",", ";").splitlines())
    return value.strip()


def tag_text(name: str, value: str) -> str:
    """``name: value`` as an hledger tag: the name as :func:`tag_name` makes it, the value as
    :func:`tag_value` makes it."""
    return f"{tag_name(name)}: {tag_value(value)}"


def posting_tag_lines(tags: tuple[tuple[str, str], ...], memo: str | None) -> str:
    """A posting's dimensions, then its memo, as comment lines under it."""
    lines = _dimension_lines(tags) if tags else ""
    return f"{lines}        ; {tag_text('memo', memo)}\n" if memo else lines


@lru_cache(maxsize=1024)
def _dimension_lines(tags: tuple[tuple[str, str], ...]) -> str:
    """A posting's dimensions as comment lines: pure and kept per distinct set, as the same few repeat."""
    return "".join([f"        ; {tag_text(name, value)}\n" for name, value in tags])


def _undeclared_commodity(entry: Entry, number: int, posting: Posting, commodities: set[str]) -> TargetRejected:
    """The refusal of ``entries[number]`` for a posting in a commodity the journal does not declare."""
    at = entry.postings.index(posting)  # (an equal posting before it would have been refused first)
    return TargetRejected(f"commodity {posting.currency} is not declared in the journal "
                          f"(declared: {', '.join(sorted(commodities))})", key=entry.key,
                          path=f"entries[{number}].postings[{at}].currency")


def _split_fields(text: str) -> tuple[str, str]:
    """``NAME  rest`` → (NAME, rest): hledger separates an account name by two spaces or a tab."""
    parts = _FIELD_GAP.split(text.strip(), maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def _parse_date(text: str) -> date:
    year, month, day = _DATE_PARTS.split(text)
    return date(int(year), int(month), int(day))


class HledgerTarget(TextLedgerTarget):
    kind = "hledger"

    def _read_index(self, text: str, stamp: tuple[int, int]) -> Index:
        accounts: dict[str, LedgerAccount] = {}
        commodities: set[str] = set()
        lock: date | None = None
        posted: dict[str, Posted] = {}
        documents: dict[str, dict[str, str]] = {}
        assertions: dict[str, list[date]] = {}
        current_account: str | None = None
        txn_date: date | None = None
        txn_key: str | None = None
        txn_first: str | None = None
        pending_path: str | None = None

        def close_txn() -> None:
            if txn_key is not None and txn_date is not None:
                posted[txn_key] = Posted(f"{self.path.name}#{txn_key}", txn_date, txn_first or "")

        for number, raw in enumerate(text.split("\n"), start=1):  # hledger breaks lines at \n only
            line = raw.rstrip()
            indented = line[:1] in (" ", "\t")
            body = line.strip()
            if not indented:
                close_txn()
                txn_date, txn_key, txn_first, current_account = None, None, None, None
                if match := _ACCOUNT.match(line):
                    name, rest = _split_fields(match.group(1))
                    name = name.split(";", 1)[0].strip()
                    code = dict(_tags_in(rest.lstrip(";"))).get("code") if rest.startswith(";") else None
                    accounts[name] = LedgerAccount(name, code or None, None, None)
                    current_account = name
                elif match := _COMMODITY.match(line):
                    symbol = _SYMBOL.search(match.group(1).split(";", 1)[0])
                    if symbol:
                        commodities.add(symbol.group(0).strip('"'))
                elif match := _LOCK.match(line):
                    try:
                        lock = date.fromisoformat(match.group(1))
                    except ValueError as exc:
                        raise TargetRejected(f"{self.path.name}:{number}: bad {LOCK_TAG} date: {exc}") from exc
                elif match := _HEADER.match(line):
                    try:
                        txn_date = _parse_date(match.group(1))
                    except ValueError as exc:
                        raise TargetRejected(f"{self.path.name}:{number}: bad date: {exc}") from exc
                continue
            if current_account is not None and body.startswith(";"):
                code = dict(_tags_in(body[1:])).get("code")
                if code:
                    old = accounts[current_account]
                    accounts[current_account] = LedgerAccount(old.name, code, None, None)
                continue
            if txn_date is None or not body:
                continue
            if body.startswith(";"):
                tags = _tags_in(body[1:])
                for name, value in tags:
                    if name == KEY_TAG and txn_key is None:
                        txn_key = value
                    elif name == "attachment":
                        pending_path = value
                    elif name == "attachment-sha256" and txn_key is not None and pending_path is not None:
                        documents.setdefault(txn_key, {})[value.lower()] = pending_path
                        pending_path = None
                continue
            account, rest = _split_fields(body.lstrip("*! "))
            amount = rest.split(";", 1)[0]
            if txn_first is None and amount.strip() and not amount.strip().startswith("-"):
                txn_first = account
            if "=" in amount:
                assertions.setdefault(account, []).append(txn_date)
        close_txn()
        rules = {name: AccountRule(name) for name in accounts}
        self._commodities = commodities
        self._assertions = assertions
        return Index(stamp, text.count("\n"), accounts, rules, lock, posted, documents)

    def _extra_checks(self, entries: Sequence[Entry], index: Index) -> None:
        commodities: set[str] = getattr(self, "_commodities", set())
        assertions: dict[str, list[date]] = getattr(self, "_assertions", {})
        moved: dict[tuple[str, str, date], Decimal] = {}
        for number, entry in enumerate(entries):
            if not key_fits(entry.key):
                raise TargetRejected("an hledger key may not contain ',', '(', ')' or start/end with space",
                                     key=entry.key, path=f"entries[{number}].key")
            if commodities:
                for posting in entry.postings:
                    if posting.currency not in commodities:
                        raise _undeclared_commodity(entry, number, posting, commodities)
            if assertions:
                for posting in entry.postings:
                    for day in assertions.get(posting.account, ()):
                        if entry.date < day:
                            slot = (posting.account, posting.currency, day)
                            moved[slot] = moved.get(slot, Decimal(0)) + posting.amount
        for (account, currency, day), total in moved.items():
            if total != 0:
                raise TargetRejected(
                    f"would change {account} by {total:f} {currency} before its balance assertion on {day}")

    def _entry_text(self, entry: Entry, status: PostingStatus, documents: Sequence[PlannedDocument]) -> str:
        flag = "*" if status is _FINALISED else "!"
        description = entry.description
        if ";" in description or not description.isprintable():
            description = " ".join(description.replace(";", ",").splitlines())
        description = description.strip()
        head = f"{day_text(entry.date)} {flag} ({entry.key}) {description}".rstrip()
        # the key passed _extra_checks (no comma, no line break); the three ledgerlink tags are reserved
        parts = [f"\n{head}\n    ; {KEY_TAG}: {entry.key}\n    ; item-id: {tag_value(entry.item_id)}\n",
                 _KIND_LINES[entry.kind]]
        for number, (name, value) in enumerate((*entry.metadata, *entry.tags) if entry.tags else entry.metadata):
            tag = tag_name(name)
            if tag in RESERVED_TAGS:
                raise TargetRejected(f"tag name {name!r} is reserved by the hledger target", key=entry.key,
                                     path=f"metadata/tags[{number}]")
            parts.append(f"    ; {tag}: {tag_value(value)}\n")
        for document in documents:
            parts.append(f"    ; {tag_text('attachment', document.reference)}\n"
                         f"    ; attachment-sha256: {document.file.sha256.lower()}\n")
        for posting in entry.postings:
            currency = posting.currency
            amount = str(posting.amount)
            if "E" in amount:
                amount = plain_number(posting.amount)
            symbol = currency if currency.isalpha() else f'"{currency}"'  # a symbol that is not all letters is quoted
            parts.append(f"    {posting.account}  {amount} {symbol}\n")
            if posting.tags or posting.memo:
                parts.append(posting_tag_lines(posting.tags, posting.memo))
        return "".join(parts)

    def _external_id(self, entry: Entry, header_line: int) -> str:
        return f"{self._name}#{entry.key}"

    def _write_references(self, key: str, posted: Posted, planned: Sequence[PlannedDocument],
                          index: Index) -> None:
        """Insert the attachment tags under the entry's key tag; the file is replaced atomically."""
        text = self.path.read_text(encoding="utf-8")
        lines = text.split("\n")
        marker = f"    ; {tag_text(KEY_TAG, key)}"
        try:
            at = lines.index(marker) + 1
        except ValueError as exc:
            raise TargetRejected("the entry's key tag line was not found; it was not written by ledgerlink",
                                 key=key) from exc
        added = []
        for document in planned:
            added += [f"    ; {tag_text('attachment', document.reference)}",
                      f"    ; {tag_text('attachment-sha256', document.file.sha256.lower())}"]
        lines[at:at] = added
        self._file.replace("\n".join(lines).encode("utf-8"))
        index.lines += len(added)
