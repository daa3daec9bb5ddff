"""CSV read on the agent with the user's profile file: canonical JSON out, or the rows that refuse it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from ledgerlink.collector import csvlocal
from ledgerlink.domain.documents import CreditNote, Invoice
from ledgerlink.formats.csvprofiles import Profile
from ledgerlink.formats import registry

HEADER = ("Type,Account Ref,Nominal Code,Department,Date,Reference,Details,Net Amount,Tax Code,Tax Amount,"
          "Exchange Rate,Extra Ref,User Name,Project Ref,Cost Code")
PROFILE = """
extends = "sage50-audit-trail"
name = "acme-sage50"
[defaults]
seller_name = "Acme Widgets Ltd"
seller_vat_id = "GB980780684"
seller_city = "Leeds"
"""


def _csv(*rows: str) -> bytes:
    return ("\r\n".join((HEADER, *rows)) + "\r\n").encode()


@pytest.fixture()
def profile(tmp_path: Path) -> Profile:
    path = tmp_path / "acme.toml"
    path.write_text(PROFILE)
    return csvlocal.load(path)


def test_a_sage_export_becomes_one_canonical_batch_with_the_sellers_details(profile: Profile) -> None:
    data = _csv("SI,CUST001,4000,0,15/03/2026,1001,Consultancy,1250.00,T1,250.00,1.00,PO-1,U,,",
                "SI,CUST001,4010,0,15/03/2026,1001,Manuals,80.00,T0,0.00,1.00,PO-1,U,,",
                "SR,CUST001,1200,0,16/03/2026,R1,Receipt,100.00,T9,0.00,1.00,,U,,",
                "SC,CUST002,4000,0,17/03/2026,1002,Refund,100.00,T1,20.00,1.00,,U,,")
    converted = csvlocal.convert(data, profile)
    assert isinstance(converted, csvlocal.Converted)
    assert converted.locations == ("rows 2-3", "row 5")
    assert converted == csvlocal.convert(data, profile)  # deterministic: same bytes for a re-send
    read = registry.read_bytes(converted.body, "application/json")  # what the centre will read
    assert not read.violations
    invoice, credit = (f.document for f in read.documents)
    assert isinstance(invoice, Invoice) and isinstance(credit, CreditNote)
    assert (invoice.kind, invoice.number, credit.kind, credit.number) == ("invoice", "1001", "credit_note", "1002")
    assert invoice.seller.name == "Acme Widgets Ltd" and invoice.seller.vat_id == "GB980780684"
    assert invoice.totals.payable_amount == Decimal("1580.00")
    assert json.loads(converted.body)["documents"][0]["number"] == "1001"


def test_rows_the_profile_cannot_read_refuse_the_file_with_their_row_and_column(profile: Profile) -> None:
    data = _csv("SI,CUST001,4000,0,15/03/2026,1001,Consultancy,1250.00,T1,250.00,1.00,,U,,",
                "SI,CUST001,4000,0,31/02/2026,1003,Consultancy,10.00,T1,2.00,1.00,,U,,",
                "SI,CUST001,4000,0,15/03/2026,1004,Consultancy,10.00,T7,2.00,1.00,,U,,")
    refused = csvlocal.convert(data, profile)
    assert isinstance(refused, csvlocal.NotConverted)
    assert "nothing was sent" in refused.detail and "acme-sage50" in refused.detail
    paths = [e["path"] for e in refused.errors]
    assert any(p.startswith("row 3") and "Date" in p for p in paths), refused.errors
    assert any(p.startswith("row 4") and "Tax Code" in p for p in paths), refused.errors
    assert all(e["rule"] == "CSV" for e in refused.errors)


def test_errors_of_the_centre_are_mapped_back_to_csv_rows() -> None:
    errors = [{"path": "totals.payable_amount", "rule": "BR-CO-16", "message": "m", "location": "documents[1]"},
              {"path": "", "rule": "X", "message": "no location"},
              {"path": "", "rule": "Y", "message": "out of range", "location": "documents[7]"}]
    mapped = csvlocal.map_locations(errors, ("rows 2-3", "rows 4-9"))
    assert mapped[0]["location"] == "rows 4-9 (sent as documents[1])"
    assert mapped[1] == errors[1] and mapped[2] == errors[2]
