"""The DATEV EXTF target: the written file field by field against the published format (EXTF 700, v13)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from ledgerlink.export.ledger import AttachmentFile, Entry, EntryKind, Posting, PostingStatus
from ledgerlink.export.targets import TargetMisconfigured, TargetRejected, TargetUnreachable, open_target
from ledgerlink.export.targets.datev import COL, COLUMNS, DatevConfig, DatevTarget

from .conftest import pdf_bytes

CONFIG: dict[str, Any] = {
    "kind": "datev", "consultant_number": 1234567, "client_number": 54321, "fiscal_year_start": "2026-01-01",
    "account_length": 4, "lock_date": "2026-01-31", "description": "Spend März", "kost1": "department",
    "accounts": [{"code": "4930", "name": "Bürobedarf"}, {"code": "1576", "name": "Vorsteuer 19 %"},
                 {"code": "1800", "name": "Bank"}, {"code": "70001", "name": "Lieferant ACME"}],
}
CREATED = datetime(2026, 3, 31, 14, 5, 9, 123456)


def target(folder: Path, **extra: Any) -> DatevTarget:
    made = DatevTarget(DatevConfig.parse({**CONFIG, "path": str(folder), **extra}), clock=lambda: CREATED)
    return made


def bill(key: str = "item-1/bill", *, files: tuple[AttachmentFile, ...] = (), **meta: str) -> Entry:
    return Entry(key, key.split("/")[0], EntryKind.BILL, date(2026, 3, 5), "ACME Bürobedarf GmbH — Toner „XL“",
                 (Posting("4930", Decimal("1000.00"), "EUR", (("department", "100"), ("project", "P7"))),
                  Posting("1576", Decimal("190.00"), "EUR"),
                  Posting("70001", Decimal("-1190.00"), "EUR")),
                 tuple(meta.items()), (), files)


def read_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n")  # CRLF only
    return list(csv.reader(io.StringIO(raw.decode("cp1252"), newline=""), delimiter=";"))


def test_header_line_fields(tmp_path: Path) -> None:
    books = target(tmp_path)
    books.post([bill()], PostingStatus.FINALISED)
    [file] = tmp_path.glob("EXTF_*.csv")
    raw_header = file.read_bytes().split(b"\r\n")[0].decode("cp1252").split(";")
    assert len(raw_header) == 31
    assert raw_header[0] == '"EXTF"' and raw_header[3] == '"Buchungsstapel"'  # text fields quoted
    header = read_rows(file)[0]
    assert header[1:5] == ["700", "21", "Buchungsstapel", "13"]
    assert header[5] == "20260331140509123"  # Erzeugt am: YYYYMMDDHHMMSSFFF
    assert header[7] == "RE" and header[8] == "ledgerlink"
    assert header[10:14] == ["1234567", "54321", "20260101", "4"]  # Berater, Mandant, WJ-Beginn, Sachkontenlänge
    assert header[14:16] == ["20260305", "20260305"]  # Datum vom / bis
    assert header[16] == "Spend März"  # Bezeichnung
    assert header[18] == "1" and header[19] == "0"  # Buchungstyp Finanzbuchführung, Rechnungslegungszweck
    assert header[20] == "1"  # Festschreibung: finalised
    assert header[21] == "EUR"


def test_festschreibung_is_zero_for_drafts(tmp_path: Path) -> None:
    target(tmp_path).post([bill()], PostingStatus.DRAFT)
    [file] = tmp_path.glob("EXTF_*.csv")
    assert read_rows(file)[0][20] == "0"


def test_column_line_and_booking_rows(tmp_path: Path) -> None:
    books = target(tmp_path)
    books.post([bill(eu_vat_id="AT U12345678", eu_tax_rate="20", datev_bu_key="19",
                     service_date="2026-02-28")], PostingStatus.DRAFT)
    [file] = tmp_path.glob("EXTF_*.csv")
    rows = read_rows(file)
    assert len(COLUMNS) == 125 and rows[1] == list(COLUMNS)
    assert rows[1][COL["Beleglink"]] == "Beleglink" and COL["Beleglink"] == 19
    assert COL["KOST1 - Kostenstelle"] == 36 and COL["Festschreibung"] == 113
    office, tax = rows[2], rows[3]
    assert len(office) == 125 and len(tax) == 125 and len(rows) == 4
    assert office[:11] == ["1000,00", "S", "EUR", "", "", "", "4930", "70001", "19", "0503", "item-1/bill"]
    assert tax[0] == "190,00" and tax[6:8] == ["1576", "70001"]
    assert office[COL["Buchungstext"]] == "ACME Bürobedarf GmbH — Toner „XL“"
    assert office[COL["KOST1 - Kostenstelle"]] == "100" and office[COL["KOST2 - Kostenstelle"]] == ""
    assert office[COL["EU-Land u. UStID (Bestimmung)"]] == "ATU12345678"
    assert office[COL["EU-Steuersatz (Bestimmung)"]] == "20,00"
    assert office[COL["Leistungsdatum"]] == "28022026"
    assert office[COL["Zusatzinformation - Art 1"]:COL["Zusatzinformation- Inhalt 2"] + 1] == [
        "ledgerlink-key", "item-1/bill", "item-id", "item-1"]
    line = file.read_bytes().split(b"\r\n")[2]
    assert line.startswith(b'1000,00;"S";"EUR";;;;4930;70001;"19";0503;"item-1/bill";')
    assert "Bürobedarf".encode("cp1252") in line and "—".encode("cp1252") in line


def test_idempotent_across_instances_and_render_equals_post(tmp_path: Path) -> None:
    books = target(tmp_path)
    preview = books.render([bill()], PostingStatus.DRAFT)
    ids = books.post([bill()], PostingStatus.DRAFT)
    [file] = tmp_path.glob("EXTF_*.csv")
    assert file.read_bytes() == preview.encode("cp1252")
    assert ids == [f"{file.name}:3"]
    fresh = target(tmp_path)
    assert fresh.exists("item-1/bill") == ids[0] and fresh.exists("item-1") is None
    assert fresh.render([bill()], PostingStatus.DRAFT) == ""
    assert fresh.post([bill()], PostingStatus.FINALISED) == ids
    assert len(list(tmp_path.glob("EXTF_*.csv"))) == 1


def test_long_keys_keep_the_item_id_in_belegfeld_1_and_the_key_in_zusatzinformation(tmp_path: Path) -> None:
    item = "0f8fad5b-d9cb-469f-a165-70867728950e"
    books = target(tmp_path)
    books.post([bill(f"{item}/payment")], PostingStatus.DRAFT)
    [file] = tmp_path.glob("EXTF_*.csv")
    row = read_rows(file)[2]
    assert row[COL["Belegfeld 1"]] == item and row[COL["Zusatzinformation- Inhalt 1"]] == f"{item}/payment"
    assert target(tmp_path).exists(f"{item}/payment") is not None


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (Entry("k", "k", EntryKind.JOURNAL, date(2026, 3, 5), "x",
               (Posting("4930", Decimal("1"), "EUR"), Posting("1800", Decimal("-2"), "EUR"))), "does not balance"),
        (Entry("k", "k", EntryKind.JOURNAL, date(2026, 3, 5), "x",
               (Posting("4930", Decimal("1.005"), "EUR"), Posting("1800", Decimal("-1.005"), "EUR"))),
         "two decimals"),
        (Entry("k", "k", EntryKind.JOURNAL, date(2026, 1, 5), "x",
               (Posting("4930", Decimal("1"), "EUR"), Posting("1800", Decimal("-1"), "EUR"))), "locked"),
        (Entry("k", "k", EntryKind.JOURNAL, date(2026, 3, 5), "x",
               (Posting("4931", Decimal("1"), "EUR"), Posting("1800", Decimal("-1"), "EUR"))), "chart"),
        (Entry("k ü", "k ü", EntryKind.JOURNAL, date(2026, 3, 5), "x",
               (Posting("4930", Decimal("1"), "EUR"), Posting("1800", Decimal("-1"), "EUR"))), "Belegfeld 1"),
    ],
)
def test_refused_batches_write_no_file(tmp_path: Path, bad: Entry, message: str) -> None:
    with pytest.raises(TargetRejected, match=message):
        target(tmp_path).post([bill(), bad], PostingStatus.DRAFT)
    assert list(tmp_path.glob("EXTF_*.csv")) == []


def test_attachments_merge_into_one_pdf_linked_in_beleglink(tmp_path: Path) -> None:
    pdf = AttachmentFile.of("invoice.pdf", pdf_bytes(2), "application/pdf")
    xml = AttachmentFile.of("invoice.xml", b"<Invoice/>", "application/xml")
    books = target(tmp_path)
    books.post([bill(files=(pdf, xml))], PostingStatus.DRAFT)
    [file] = tmp_path.glob("EXTF_*.csv")
    link = read_rows(file)[2][COL["Beleglink"]]
    merged = PdfReader(link)
    assert len(merged.pages) == 2 and list(merged.attachments) == ["invoice.xml"]
    extra = AttachmentFile.of("photo.pdf", pdf_bytes(1), "application/pdf")
    assert books.attach("item-1/bill", [pdf, extra]) == [link, link]
    assert len(PdfReader(link).pages) == 3
    before = Path(link).read_bytes()
    assert target(tmp_path).attach("item-1/bill", [extra, xml]) == [link, link]
    assert Path(link).read_bytes() == before


def test_chart_lookup_by_number_or_label(tmp_path: Path) -> None:
    books = target(tmp_path)
    books.check()
    assert books.find_account("Bürobedarf").name == "4930"  # type: ignore[union-attr]
    assert books.find_account("70001").code == "70001"  # type: ignore[union-attr]
    assert books.lock_date() == date(2026, 1, 31)
    with pytest.raises(TargetUnreachable):
        target(tmp_path / "missing").check()


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"consultant_number": 999}, "target.consultant_number"),
        ({"client_number": "abc"}, "target.client_number"),
        ({"fiscal_year_start": "01.01.2026"}, "target.fiscal_year_start"),
        ({"accounts": [{"code": "49300000000"}]}, "target.accounts[0].code"),
        ({"account_length": 12}, "target.account_length"),
        ({"path": ""}, "target.path"),
    ],
)
def test_bad_configuration_names_the_field(tmp_path: Path, change: dict[str, Any], path: str) -> None:
    with pytest.raises(TargetMisconfigured) as caught:
        open_target({**CONFIG, "path": str(tmp_path), **change})
    assert caught.value.path == path and caught.value.reason_type == "invalid_configuration"


@pytest.mark.parametrize(("meta", "message"), [({"service_date": "28.02.2026"}, "service_date"),
                                               ({"eu_tax_rate": "zwanzig"}, "eu_tax_rate"),
                                               ({"eu_tax_rate": "19.555"}, "eu_tax_rate")])
def test_bad_datev_metadata_is_a_clear_refusal(tmp_path: Path, meta: dict[str, str], message: str) -> None:
    with pytest.raises(TargetRejected, match=message):
        target(tmp_path).post([bill(**meta)], PostingStatus.DRAFT)
    assert list(tmp_path.glob("EXTF_*.csv")) == []
