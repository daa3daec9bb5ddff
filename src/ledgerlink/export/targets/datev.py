"""DATEV EXTF Buchungsstapel target (header version 700, category 21, format version 13).

One ``post()`` writes one file ``EXTF_Buchungsstapel_<created>.csv`` into the configured folder:
Windows-1252, ``;`` separator, text fields in double quotes (``"`` doubled), CRLF line ends.
Line 1 is the header (31 fields, Festschreibung in field 21: 0 draft / 1 finalised), line 2 the 125
column titles, then one row per booking.

Rows: an entry's postings are paired debit-against-credit per currency (in posting order) into
two-sided bookings: Umsatz = the paired amount (positive, 2 decimals, decimal comma), Soll/Haben ``S``,
Konto = debit account, Gegenkonto = credit account. Belegfeld 1 = the entry key (or the item id when the
key does not fit DATEV's 36 characters ``[A-Za-z0-9_$%-/]``); Zusatzinformation 1 = ``ledgerlink-key`` /
the full key (what ``exists`` reads); Zusatzinformation 2 = ``item-id``. Buchungstext = description cut
to 60 characters. KOST1/KOST2 from the dimension groups configured as ``kost1`` / ``kost2`` (when neither is configured:
the first and second dimension group seen), debit posting before credit posting before entry level. Entry metadata
``datev_bu_key`` → BU-Schlüssel, ``eu_vat_id`` → EU-Land u. UStID (Bestimmung), ``eu_tax_rate`` →
EU-Steuersatz (Bestimmung), ``service_date`` (ISO date) → Leistungsdatum. Attachments are merged into
one PDF (see ``pdf.py``) whose path goes into Beleglink.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledgerlink.export.ledger import AttachmentFile, Entry, Posting, PostingStatus
from ledgerlink.export.targets._files import safe_file_name, write_atomic
from ledgerlink.export.targets._validate import AccountRule, validate_batch
from ledgerlink.export.targets.base import (
    LedgerAccount,
    TargetMisconfigured,
    TargetRejected,
    TargetUnreachable,
)
from ledgerlink.export.targets.pdf import merge_to_pdf

ENCODING = "cp1252"
KEY_INFO = "ledgerlink-key"
FILE_GLOB = "EXTF_*.csv"
BELEGFELD1 = re.compile(r"[A-Za-z0-9_$%/-]{1,36}")

# Column titles of format version 13 (125 columns), in order.
COLUMNS: tuple[str, ...] = (
    "Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs", "Basis-Umsatz",
    "WKZ Basis-Umsatz", "Konto", "Gegenkonto (ohne BU-Schlüssel)", "BU-Schlüssel", "Belegdatum",
    "Belegfeld 1", "Belegfeld 2", "Skonto", "Buchungstext", "Postensperre", "Diverse Adressnummer",
    "Geschäftspartnerbank", "Sachverhalt", "Zinssperre", "Beleglink",
    *(title for n in range(1, 9) for title in (f"Beleginfo - Art {n}", f"Beleginfo - Inhalt {n}")),
    "KOST1 - Kostenstelle", "KOST2 - Kostenstelle", "Kost-Menge", "EU-Land u. UStID (Bestimmung)",
    "EU-Steuersatz (Bestimmung)", "Abw. Versteuerungsart", "Sachverhalt L+L", "Funktionsergänzung L+L",
    "BU 49 Hauptfunktionstyp", "BU 49 Hauptfunktionsnummer", "BU 49 Funktionsergänzung",
    *(title for n in range(1, 21) for title in (f"Zusatzinformation - Art {n}", f"Zusatzinformation- Inhalt {n}")),
    "Stück", "Gewicht", "Zahlweise", "Forderungsart", "Veranlagungsjahr", "Zugeordnete Fälligkeit",
    "Skontotyp", "Auftragsnummer", "Buchungstyp", "USt-Schlüssel (Anzahlungen)", "EU-Land (Anzahlungen)",
    "Sachverhalt L+L (Anzahlungen)", "EU-Steuersatz (Anzahlungen)", "Erlöskonto (Anzahlungen)",
    "Herkunft-Kz", "Buchungs GUID", "KOST-Datum", "SEPA-Mandatsreferenz", "Skontosperre",
    "Gesellschaftername", "Beteiligtennummer", "Identifikationsnummer", "Zeichnernummer",
    "Postensperre bis", "Bezeichnung SoBil-Sachverhalt", "Kennzeichen SoBil-Buchung", "Festschreibung",
    "Leistungsdatum", "Datum Zuord. Steuerperiode", "Fälligkeit", "Generalumkehr (GU)", "Steuersatz",
    "Land", "Abrechnungsreferenz", "BVV-Position", "EU-Land u. UStID (Ursprung)",
    "EU-Steuersatz (Ursprung)", "Abw. Skontokonto",
)
COL = {title: number for number, title in enumerate(COLUMNS)}  # 0-based position
TEXT_COLUMNS = frozenset({
    "Soll/Haben-Kennzeichen", "WKZ Umsatz", "BU-Schlüssel", "Belegfeld 1", "Buchungstext", "Beleglink",
    "KOST1 - Kostenstelle", "KOST2 - Kostenstelle", "EU-Land u. UStID (Bestimmung)",
    *(f"Zusatzinformation - Art {n}" for n in range(1, 21)),
    *(f"Zusatzinformation- Inhalt {n}" for n in range(1, 21)),
})
MAX_LENGTH = {"Belegfeld 1": 36, "Buchungstext": 60, "Beleglink": 210, "KOST1 - Kostenstelle": 36,
              "KOST2 - Kostenstelle": 36, "EU-Land u. UStID (Bestimmung)": 15,
              **{f"Zusatzinformation - Art {n}": 20 for n in range(1, 21)},
              **{f"Zusatzinformation- Inhalt {n}": 210 for n in range(1, 21)}}


def quoted(text: str) -> str:
    flat = " ".join(text.splitlines())
    return '"' + flat.replace('"', '""') + '"'


def decimal_comma(amount: Decimal, where: str, key: str) -> str:
    """A positive amount with exactly two decimals and a decimal comma, no thousands separator."""
    cents = amount.quantize(Decimal("0.01"))
    if cents != amount:
        raise TargetRejected(f"DATEV takes two decimals, found {amount}", key=key, path=where)
    if cents <= 0 or cents >= Decimal("10000000000"):
        raise TargetRejected(f"Umsatz must be positive with at most 10 digits, found {amount}", key=key,
                             path=where)
    return f"{cents:f}".replace(".", ",")


@dataclass(frozen=True)
class DatevConfig:
    folder: Path
    accounts: tuple[LedgerAccount, ...]
    consultant_number: int
    client_number: int
    fiscal_year_start: tuple[int, int]  # (month, day)
    account_length: int = 4
    lock: date | None = None
    documents_dir: Path | None = None
    currency: str = "EUR"
    description: str = "ledgerlink"
    created_by: str = "ledgerlink"
    kost1: str | None = None
    kost2: str | None = None
    labels: tuple[tuple[str, str], ...] = ()  # (account label, account number), e.g. ("Bürobedarf", "4930")

    @classmethod
    def parse(cls, config: Mapping[str, Any]) -> DatevConfig:
        """Build from the integration's ``target`` object; every bad field raises ``TargetMisconfigured``."""
        def need(name: str) -> Any:
            if config.get(name) in (None, ""):
                raise TargetMisconfigured("required for a DATEV target", path=f"target.{name}")
            return config[name]

        def number(name: str, low: int, high: int, default: int | None = None) -> int:
            raw = config.get(name, default) if default is not None else need(name)
            if isinstance(raw, bool) or not isinstance(raw, (int, str)) or not str(raw).isdigit():
                raise TargetMisconfigured(f"expected a whole number {low}..{high}, found {raw!r}",
                                          path=f"target.{name}")
            if not low <= int(raw) <= high:
                raise TargetMisconfigured(f"expected {low}..{high}, found {raw}", path=f"target.{name}")
            return int(raw)

        def day(name: str, raw: Any) -> date:
            try:
                return date.fromisoformat(str(raw))
            except ValueError as exc:
                raise TargetMisconfigured(f"expected YYYY-MM-DD, found {raw!r}", path=f"target.{name}") from exc

        length = number("account_length", 4, 8, 4)
        raw_accounts = need("accounts")
        if not isinstance(raw_accounts, list):
            raise TargetMisconfigured("expected a list of {code, name}", path="target.accounts")
        accounts: list[LedgerAccount] = []
        labels: list[tuple[str, str]] = []
        for number_, item in enumerate(raw_accounts):
            code = str(item.get("code", "")) if isinstance(item, Mapping) else ""
            if not code.isdigit() or len(code) > length + 1:
                raise TargetMisconfigured(f"expected an account number of at most {length + 1} digits, found "
                                          f"{code!r}", path=f"target.accounts[{number_}].code")
            accounts.append(LedgerAccount(code, code, str(item.get("currency") or "") or None, None))
            if item.get("name"):
                labels.append((str(item["name"]), code))
        start = day("fiscal_year_start", need("fiscal_year_start"))
        lock = day("lock_date", config["lock_date"]) if config.get("lock_date") else None
        documents = config.get("documents_dir")
        folder = Path(str(need("path")))
        return cls(folder, tuple(accounts), number("consultant_number", 1001, 9999999),
                   number("client_number", 1, 99999), (start.month, start.day), length, lock,
                   Path(str(documents)) if documents else None, str(config.get("currency") or "EUR"),
                   str(config.get("description") or "ledgerlink")[:30],
                   str(config.get("created_by") or "ledgerlink")[:25],
                   config.get("kost1"), config.get("kost2"), tuple(labels))


@dataclass
class _Folder:
    stamp: tuple[tuple[str, int, int], ...]
    posted: dict[str, str] = field(default_factory=dict)  # key → external id


class DatevTarget:
    kind = "datev"

    def __init__(self, config: DatevConfig, clock: Callable[[], datetime] = datetime.now) -> None:
        """``clock`` gives the header's "Erzeugt am" — the only field that depends on the time of writing."""
        self.config = config
        self.clock = clock
        self.folder = config.folder
        self.documents_dir = config.documents_dir or config.folder / "documents"
        self._index: _Folder | None = None
        self._by_label = dict(config.labels)

    # -- reading -------------------------------------------------------------------------------------

    def _stamp(self) -> tuple[tuple[str, int, int], ...]:
        return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in self.folder.glob(FILE_GLOB)))

    def _current(self) -> _Folder:
        if not self.folder.is_dir():
            raise TargetUnreachable(f"DATEV export folder {self.folder} does not exist")
        stamp = self._stamp()
        if self._index is None or self._index.stamp != stamp:
            self._index = self._scan(stamp)
        return self._index

    def _scan(self, stamp: tuple[tuple[str, int, int], ...]) -> _Folder:
        """Read every EXTF file of the folder: key (Zusatzinformation ``ledgerlink-key``, else Belegfeld 1)."""
        found = _Folder(stamp)
        for name, _, _ in stamp:
            try:
                text = (self.folder / name).read_bytes().decode(ENCODING)
            except (OSError, UnicodeDecodeError) as exc:
                raise TargetUnreachable(f"cannot read {name}: {exc}") from exc
            for line, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=";"), start=1):
                if line <= 2 or len(row) <= COL["Belegfeld 1"]:
                    continue
                key = row[COL["Belegfeld 1"]]
                art, inhalt = COL["Zusatzinformation - Art 1"], COL["Zusatzinformation- Inhalt 1"]
                if len(row) > inhalt and row[art] == KEY_INFO and row[inhalt]:
                    key = row[inhalt]
                if key:
                    found.posted.setdefault(key, f"{name}:{line}")
        return found

    def check(self) -> None:
        if not self.folder.is_dir():
            raise TargetUnreachable(f"DATEV export folder {self.folder} does not exist")
        probe = self.folder / ".ledgerlink-write-probe"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise TargetUnreachable(f"DATEV export folder {self.folder} is not writable: {exc}") from exc
        if not self.config.accounts:
            raise TargetMisconfigured("no accounts configured", path="target.accounts")
        self._current()

    def chart(self) -> list[LedgerAccount]:
        return list(self.config.accounts)

    def find_account(self, code_or_name: str) -> LedgerAccount | None:
        number = self._by_label.get(code_or_name, code_or_name)
        return next((a for a in self.config.accounts if number in (a.name, a.code)), None)

    def lock_date(self) -> date | None:
        return self.config.lock

    def exists(self, key: str) -> str | None:
        return self._current().posted.get(key)

    # -- writing -------------------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            handle = open(self.folder / ".ledgerlink.lock", "a+b")  # noqa: SIM115
        except OSError as exc:
            raise TargetUnreachable(f"cannot lock {self.folder}: {exc}") from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()

    def _fiscal_year(self, day: date) -> date:
        month, first = self.config.fiscal_year_start
        start = date(day.year, month, first)
        return start if day >= start else date(day.year - 1, month, first)

    def _document_path(self, key: str) -> Path:
        return self.documents_dir.resolve() / f"{safe_file_name(key)}.pdf"

    def _render(self, entries: Sequence[Entry], status: PostingStatus, created: datetime
                ) -> tuple[str, list[Entry]]:
        index = self._current()
        fresh = [entry for entry in entries if entry.key not in index.posted]
        rules = {a.name: AccountRule(a.name, currencies=frozenset({a.currency}) if a.currency else None)
                 for a in self.config.accounts}
        validate_batch(fresh, rules, self.config.lock)
        if not fresh:
            return "", fresh
        years = {self._fiscal_year(entry.date) for entry in fresh}
        if len(years) > 1:
            raise TargetRejected("a DATEV Buchungsstapel covers one fiscal year; this batch spans "
                                 + ", ".join(str(y) for y in sorted(years)), key=fresh[0].key)
        first, last = min(e.date for e in fresh), max(e.date for e in fresh)
        header = [
            '"EXTF"', "700", "21", '"Buchungsstapel"', "13", created.strftime("%Y%m%d%H%M%S%f")[:17], "",
            '"RE"', quoted(self.config.created_by), '""', str(self.config.consultant_number),
            str(self.config.client_number), years.pop().strftime("%Y%m%d"), str(self.config.account_length),
            first.strftime("%Y%m%d"), last.strftime("%Y%m%d"), quoted(self.config.description), '""', "1", "0",
            "1" if status is PostingStatus.FINALISED else "0", quoted(self.config.currency), "", '""', "", "",
            '""', "", "", '""', '""',
        ]
        lines = [";".join(header), ";".join(quoted(title) for title in COLUMNS)]
        for number, entry in enumerate(fresh):
            lines += [";".join(row) for row in self._rows(entry, f"entries[{number}]")]
        return "\r\n".join(lines) + "\r\n", fresh

    def _rows(self, entry: Entry, where: str) -> list[list[str]]:
        if BELEGFELD1.fullmatch(entry.key):
            belegfeld = entry.key
        elif BELEGFELD1.fullmatch(entry.item_id):
            belegfeld = entry.item_id
        else:
            raise TargetRejected("neither key nor item id fits Belegfeld 1 (1-36 of A-Z a-z 0-9 _ $ % - /)",
                                 key=entry.key, path=f"{where}.key")
        meta = dict(entry.metadata)
        rows = []
        for debit, credit, amount in self._pairs(entry, where):
            values: dict[str, str] = {
                "Umsatz (ohne Soll/Haben-Kz)": decimal_comma(amount, f"{where}.postings", entry.key),
                "Soll/Haben-Kennzeichen": "S", "WKZ Umsatz": debit.currency, "Konto": debit.account,
                "Gegenkonto (ohne BU-Schlüssel)": credit.account, "Belegdatum": entry.date.strftime("%d%m"),
                "Belegfeld 1": belegfeld, "Buchungstext": " ".join(entry.description.split())[:60],
                "Zusatzinformation - Art 1": KEY_INFO, "Zusatzinformation- Inhalt 1": entry.key,
                "Zusatzinformation - Art 2": "item-id", "Zusatzinformation- Inhalt 2": entry.item_id,
            }
            if entry.attachments:
                values["Beleglink"] = str(self._document_path(entry.key))
            kost = self._cost_centres(entry, debit, credit)
            values.update(kost)
            if meta.get("datev_bu_key"):
                values["BU-Schlüssel"] = meta["datev_bu_key"]
            if meta.get("eu_vat_id"):
                values["EU-Land u. UStID (Bestimmung)"] = meta["eu_vat_id"].replace(" ", "")
            if meta.get("eu_tax_rate"):
                values["EU-Steuersatz (Bestimmung)"] = self._rate(meta["eu_tax_rate"], entry.key, where)
            if meta.get("service_date"):
                try:
                    values["Leistungsdatum"] = date.fromisoformat(meta["service_date"]).strftime("%d%m%Y")
                except ValueError as exc:
                    raise TargetRejected(f"service_date: expected YYYY-MM-DD, found {meta['service_date']!r}",
                                         key=entry.key, path=f"{where}.metadata") from exc
            row = [""] * len(COLUMNS)
            for title, value in values.items():
                limit = MAX_LENGTH.get(title)
                if limit is not None and len(value) > limit:
                    raise TargetRejected(f"{title} takes at most {limit} characters, found {len(value)}",
                                         key=entry.key, path=where)
                try:
                    value.encode(ENCODING)
                except UnicodeEncodeError:
                    value = value.encode(ENCODING, errors="replace").decode(ENCODING)
                row[COL[title]] = quoted(value) if title in TEXT_COLUMNS else value
            rows.append(row)
        return rows

    @staticmethod
    def _rate(text: str, key: str, where: str) -> str:
        """EU-Steuersatz: ``20`` → ``20,00`` (0-99.99, two decimals)."""
        try:
            rate = Decimal(text)
        except ArithmeticError as exc:
            raise TargetRejected(f"eu_tax_rate: expected a number, found {text!r}", key=key,
                                 path=f"{where}.metadata") from exc
        cents = rate.quantize(Decimal("0.01")) if rate.is_finite() else rate
        if not rate.is_finite() or cents != rate or not 0 <= rate < 100:
            raise TargetRejected(f"eu_tax_rate: expected 0..99.99 with two decimals, found {text!r}", key=key,
                                 path=f"{where}.metadata")
        return f"{cents:f}".replace(".", ",")

    def _pairs(self, entry: Entry, where: str) -> list[tuple[Posting, Posting, Decimal]]:
        """Split a balanced entry into debit/credit pairs, per currency, in posting order."""
        pairs: list[tuple[Posting, Posting, Decimal]] = []
        for currency in dict.fromkeys(p.currency for p in entry.postings):
            # [posting, amount still to pair] per side
            debits: list[list[Any]] = [[p, p.amount] for p in entry.postings if p.currency == currency and p.amount > 0]
            credits: list[list[Any]] = [[p, -p.amount] for p in entry.postings
                                        if p.currency == currency and p.amount < 0]
            d = c = 0
            while d < len(debits) and c < len(credits):
                amount = min(debits[d][1], credits[c][1])
                pairs.append((debits[d][0], credits[c][0], amount))
                debits[d][1] -= amount
                credits[c][1] -= amount
                d += debits[d][1] == 0
                c += credits[c][1] == 0
        if not pairs:
            raise TargetRejected("entry moves no money", key=entry.key, path=f"{where}.postings")
        return pairs

    def _cost_centres(self, entry: Entry, debit: Posting, credit: Posting) -> dict[str, str]:
        tags = [*debit.tags, *credit.tags, *entry.tags]
        out: dict[str, str] = {}
        configured = self.config.kost1 is not None or self.config.kost2 is not None
        groups = list(dict.fromkeys(g for g, _ in tags))
        for column, group, fallback in (("KOST1 - Kostenstelle", self.config.kost1, 0),
                                        ("KOST2 - Kostenstelle", self.config.kost2, 1)):
            if not configured and len(groups) > fallback:
                group = groups[fallback]
            value = next((v for g, v in tags if g == group), None) if group is not None else None
            if value:
                out[column] = value
        return out

    def render(self, entries: Sequence[Entry], status: PostingStatus) -> str:
        text, _ = self._render(entries, status, self.clock())
        return text

    def post(self, entries: Sequence[Entry], status: PostingStatus) -> list[str]:
        with self._locked():
            created = self.clock()
            text, fresh = self._render(entries, status, created)
            index = self._current()
            if fresh:
                for entry in fresh:
                    if entry.attachments:
                        self._store_documents(entry.key, entry.attachments)
                name = f"EXTF_Buchungsstapel_{created.strftime('%Y%m%d%H%M%S%f')}.csv"
                while (self.folder / name).exists():
                    name = name.replace(".csv", "_1.csv")
                write_atomic(self.folder / name, text.encode(ENCODING))
                line = 2
                for entry in fresh:
                    index.posted[entry.key] = f"{name}:{line + 1}"
                    line += len(self._pairs(entry, ""))
                index.stamp = self._stamp()
        return [index.posted[entry.key] for entry in entries]

    def _store_documents(self, key: str, files: Sequence[AttachmentFile]) -> tuple[Path, list[str]]:
        """Keep the originals and (re)build the one merged PDF; idempotent by sha256."""
        target = self._document_path(key)
        manifest_path = target.with_suffix(".json")
        manifest: list[dict[str, str]] = json.loads(manifest_path.read_text()) if manifest_path.exists() else []
        known = {item["sha256"] for item in manifest}
        originals = target.with_suffix("")
        new = []
        for file in files:
            digest = file.sha256.lower()
            if digest in known:
                continue
            known.add(digest)
            stored = originals / f"{digest[:12]}-{safe_file_name(file.name)}"
            write_atomic(stored, file.content)
            new.append({"sha256": digest, "name": file.name, "media_type": file.media_type, "file": stored.name})
        if new or not target.exists():
            manifest += new
            merged = merge_to_pdf([AttachmentFile(item["name"], (originals / item["file"]).read_bytes(),
                                                  item["media_type"], item["sha256"]) for item in manifest])
            write_atomic(target, merged)
            write_atomic(manifest_path, json.dumps(manifest, indent=1).encode())
        return target, [item["sha256"] for item in manifest]

    def attach(self, key: str, files: Sequence[AttachmentFile]) -> list[str]:
        if self.exists(key) is None:
            raise TargetRejected("no booking with this key in the DATEV folder; post it before attaching", key=key)
        for number, file in enumerate(files):
            if not file.digest_matches():
                raise TargetRejected(f"sha256 {file.sha256} does not match the file's content", key=key,
                                     path=f"files[{number}].sha256")
        with self._locked():
            target, _ = self._store_documents(key, files)
        return [str(target)] * len(files)

