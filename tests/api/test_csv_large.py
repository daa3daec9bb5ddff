"""CSV uploads beyond one batch: checked whole first, stored in chunks under one receipt."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ledgerlink.store.schema import documents, receipts

from tests.api.test_csv_profiles import MY_SAGE, post_csv
from tests.formats.test_csv_samples import SAGE50

HEADER = SAGE50.splitlines()[0]


def sage_rows(count: int) -> list[str]:
    rows = []
    for n in range(count):
        net = Decimal(100 + n % 50)
        rows.append(f"SI,C{n % 7:03d},4000,0,15/03/2026,{20000 + n},Item {n},{net:.2f},T1,{net / 5:.2f},1.00,,MANAGER,,")
    return rows


def csv_text(rows: list[str]) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def stored(db: Any) -> tuple[int, int]:
    with db.read() as conn:
        docs = conn.execute(sa.select(sa.func.count()).select_from(documents)).scalar_one()
        kept = conn.execute(sa.select(sa.func.count()).select_from(receipts)).scalar_one()
    return docs, kept


def test_a_csv_of_2500_invoices_is_stored_in_chunks_under_one_receipt(api: Any, db: Any) -> None:
    api.put("/v1/csv-profiles/acme-sage", content=MY_SAGE)
    text = csv_text(sage_rows(2500))
    response = api.post("/v1/documents", params={"profile": "acme-sage"}, content=text.encode(),
                        headers={"Content-Type": "text/csv", "Idempotency-Key": "big-1"})
    assert response.status_code == 201, response.text[:500]
    receipt = response.json()
    assert len(receipt["documents"]) == 2500
    assert {d["status"] for d in receipt["documents"]} == {"received"}
    assert receipt["documents"][-1]["location"] == "row 2501"
    assert stored(db) == (2500, 1)
    replay = api.post("/v1/documents", params={"profile": "acme-sage"}, content=text.encode(),
                      headers={"Content-Type": "text/csv", "Idempotency-Key": "big-1"})
    assert replay.status_code == 200 and replay.json() == receipt
    again = post_csv(api, text, "acme-sage").json()  # the same file again, without a key: all duplicates
    assert {d["status"] for d in again["documents"]} == {"duplicate"}
    assert stored(db) == (2500, 2)


def test_one_bad_row_at_the_end_stores_nothing(api: Any, db: Any) -> None:
    api.put("/v1/csv-profiles/acme-sage", content=MY_SAGE)
    rows = sage_rows(1500)
    rows[-1] = rows[-1].replace("15/03/2026", "31/02/2026")
    refused = post_csv(api, csv_text(rows), "acme-sage")
    assert refused.status_code == 422
    body = refused.json()
    assert "nothing was stored" in body["detail"]
    assert any("1501" in e["path"] and "Date" in e["path"] for e in body["errors"]), body["errors"][:3]
    assert stored(db) == (0, 0)

    partial = api.post("/v1/documents", params={"profile": "acme-sage", "partial": "true"},
                       content=csv_text(rows).encode(), headers={"Content-Type": "text/csv"})
    assert partial.status_code == 201
    assert len(partial.json()["documents"]) == 1499
    assert partial.json()["errors"]
    assert stored(db) == (1499, 1)
