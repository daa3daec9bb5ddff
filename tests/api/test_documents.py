"""POST/GET /v1/documents: receipts, idempotency, duplicates and held versions, listing — on both stores."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ledgerlink.demo import demo_documents
from ledgerlink.domain.documents import Invoice
from ledgerlink.formats import canonical
from ledgerlink.services import idempotency
from ledgerlink.services.tenancy import Principal
from ledgerlink.store.schema import audit_log, documents


def invoices() -> list[Invoice]:
    return [d for d in demo_documents() if isinstance(d, Invoice)]


def invoice_obj(n: int = 0, **changes: Any) -> dict[str, Any]:
    obj = canonical.to_obj(invoices()[n])
    obj.update(changes)
    return obj


def count_documents(db: Any) -> int:
    with db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(documents)).scalar_one()


def test_single_document_gets_a_receipt_and_reads_back(api: Any) -> None:
    response = api.post("/v1/documents", json=invoice_obj())
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["receipt_id"]
    assert receipt["errors"] == []
    [entry] = receipt["documents"]
    assert entry["kind"] == "invoice"
    assert entry["number"] == "INV-2026-1001"
    assert entry["status"] == "received"

    fetched = api.get(f"/v1/documents/{entry['id']}")
    assert fetched.status_code == 200
    body = fetched.json()
    assert body["totals"]["payable_amount"] == str(invoices()[0].totals.payable_amount)
    assert isinstance(body["totals"]["payable_amount"], str)
    assert body["_meta"]["status"] == "received"
    body.pop("_meta")
    assert canonical.document_from_obj(body) == invoices()[0]


def test_batch_of_documents_is_stored_whole(api: Any, db: Any) -> None:
    docs = [canonical.to_obj(d) for d in demo_documents()]
    response = api.post("/v1/documents", json={"documents": docs})
    assert response.status_code == 201, response.text
    statuses = [d["status"] for d in response.json()["documents"]]
    assert statuses == ["received"] * len(docs)
    assert count_documents(db) == len(docs)


def test_decimal_numbers_in_json_are_read_exactly(api: Any) -> None:
    obj = invoice_obj()
    raw = json.dumps(obj).replace(f'"payable_amount": "{obj["totals"]["payable_amount"]}"',
                                  f'"payable_amount": {obj["totals"]["payable_amount"]}')
    assert '"payable_amount": "' not in raw
    response = api.post("/v1/documents", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    doc_id = response.json()["documents"][0]["id"]
    assert Decimal(api.get(f"/v1/documents/{doc_id}").json()["totals"]["payable_amount"]) == Decimal(
        obj["totals"]["payable_amount"])


# --------------------------------------------------------------------------- idempotency


def test_same_idempotency_key_and_body_replays_the_same_receipt(api: Any, db: Any) -> None:
    body = json.dumps(invoice_obj()).encode()
    headers = {"Idempotency-Key": "upload-1", "Content-Type": "application/json"}
    first = api.post("/v1/documents", content=body, headers=headers)
    second = api.post("/v1/documents", content=body, headers=headers)
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert count_documents(db) == 1


def test_same_idempotency_key_with_another_body_is_422(api: Any, db: Any) -> None:
    headers = {"Idempotency-Key": "upload-2"}
    assert api.post("/v1/documents", json=invoice_obj(0), headers=headers).status_code == 201
    response = api.post("/v1/documents", json=invoice_obj(1), headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "different request" in response.json()["detail"]
    assert count_documents(db) == 1


def test_idempotency_key_still_in_flight_is_409(api: Any, db: Any) -> None:
    body = json.dumps(invoice_obj()).encode()
    principal = Principal(api.org_id, api.key.split("_")[1], frozenset({"ingest"}))
    fingerprint = idempotency.request_fingerprint("POST", "/v1/documents", "", "application/json", body)
    assert isinstance(idempotency.claim(db, principal, "busy-key", fingerprint), idempotency.Claimed)
    response = api.post("/v1/documents", content=body,
                        headers={"Idempotency-Key": "busy-key", "Content-Type": "application/json"})
    assert response.status_code == 409
    assert response.headers["Retry-After"] == "1"
    assert count_documents(db) == 0


def test_idempotency_keys_are_scoped_per_api_key(api: Any, make_org_key: Any, db: Any) -> None:
    with db.begin() as conn:
        from ledgerlink.services import tenancy

        second_key = tenancy.create_key(conn, api.org_id, frozenset({"ingest", "read"}), actor="test").secret
    other = api.as_key(second_key)
    headers = {"Idempotency-Key": "same-key"}
    assert api.post("/v1/documents", json=invoice_obj(0), headers=headers).status_code == 201
    # another agent's key may use the same idempotency key for its own upload
    assert other.post("/v1/documents", json=invoice_obj(1), headers=headers).status_code == 201
    assert count_documents(db) == 2


def test_rejected_request_is_not_half_claimed(api: Any) -> None:
    headers = {"Idempotency-Key": "bad-then-good"}
    bad = api.post("/v1/documents", content=b"{not json", headers={**headers, "Content-Type": "application/json"})
    assert bad.status_code == 422
    replay = api.post("/v1/documents", content=b"{not json", headers={**headers, "Content-Type": "application/json"})
    assert replay.status_code == 422
    assert replay.headers["Idempotent-Replayed"] == "true"


# --------------------------------------------------------------------------- duplicates and versions


def test_identical_document_again_is_a_duplicate_stored_once(api: Any, db: Any) -> None:
    first = api.post("/v1/documents", json=invoice_obj()).json()["documents"][0]
    again = api.post("/v1/documents", json=invoice_obj()).json()["documents"][0]
    assert again["status"] == "duplicate"
    assert again["id"] == first["id"]
    assert count_documents(db) == 1


def test_changed_document_is_held_until_approved(api: Any, db: Any) -> None:
    first = api.post("/v1/documents", json=invoice_obj()).json()["documents"][0]
    changed = invoice_obj(payment_terms="14 days net")
    held = api.post("/v1/documents", json=changed).json()["documents"][0]
    assert held["status"] == "held"
    assert held["version"] == 2
    assert held["id"] != first["id"]
    assert api.get("/v1/documents", params={"status": "held"}).json()["documents"][0]["id"] == held["id"]

    # the held version again is a duplicate of itself, not a third version
    assert api.post("/v1/documents", json=changed).json()["documents"][0] == {**held, "status": "duplicate"}

    approved = api.post(f"/v1/documents/{held['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "received"
    assert api.get(f"/v1/documents/{first['id']}").json()["_meta"]["status"] == "superseded"
    assert api.get(f"/v1/documents/{held['id']}").json()["payment_terms"] == "14 days net"
    assert api.post(f"/v1/documents/{held['id']}/approve").status_code == 409
    with db.read() as conn:
        actions = [r.action for r in conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.id))]
    assert "document.held" in actions and "document.approved" in actions


def test_approve_unknown_document_is_404(api: Any) -> None:
    assert api.post("/v1/documents/00000000-0000-0000-0000-000000000000/approve").status_code == 404


# --------------------------------------------------------------------------- listing


def test_listing_paginates_with_a_cursor_and_filters(api: Any) -> None:
    docs = [canonical.to_obj(d) for d in demo_documents()]
    assert api.post("/v1/documents", json=docs).status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/documents", params=params).json()
        seen.extend(d["id"] for d in page["documents"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == len(docs)

    credit_notes = api.get("/v1/documents", params={"kind": "credit_note"}).json()["documents"]
    assert [d["number"] for d in credit_notes] == ["CN-2026-501", "CN-2026-502"]
    customer = api.get("/v1/documents", params={"customer": "C1002", "kind": "invoice"}).json()["documents"]
    assert {d["number"] for d in customer} == {i.number for i in invoices() if i.customer_account == "C1002"}
    ranged = api.get("/v1/documents", params={"kind": "invoice", "from": "2026-09-07", "to": "2026-09-13"}).json()
    assert [d["number"] for d in ranged["documents"]] == ["INV-2026-1002", "INV-2026-1003"]
    assert api.get("/v1/documents", params={"cursor": "garbage!"}).status_code == 422


def test_embedded_attachment_survives_json_and_ubl(api: Any) -> None:
    import base64

    pdf = b"%PDF-1.4\n\x00\xff\xfe binary \x80"
    obj = invoice_obj(attachments=[{"id": "ATT-1", "filename": "timesheet.pdf", "mime_code": "application/pdf",
                                    "content": base64.b64encode(pdf).decode()}])
    doc_id = api.post("/v1/documents", json=obj).json()["documents"][0]["id"]
    back = api.get(f"/v1/documents/{doc_id}").json()
    assert base64.b64decode(back["attachments"][0]["content"]) == pdf
    ubl = api.get(f"/v1/documents/{doc_id}", params={"format": "ubl"})
    assert ubl.status_code == 200
    assert base64.b64encode(pdf) in ubl.content
    bad = invoice_obj(attachments=[{"id": "ATT-2", "content": "not base64!"}])
    response = api.post("/v1/documents", json=bad)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "attachments[0].content"


def test_document_in_every_format(api: Any) -> None:
    doc_id = api.post("/v1/documents", json=invoice_obj()).json()["documents"][0]["id"]
    ubl = api.get(f"/v1/documents/{doc_id}", params={"format": "ubl"})
    assert ubl.headers["content-type"].startswith("application/xml") and b"<Invoice" in ubl.content
    cii = api.get(f"/v1/documents/{doc_id}", params={"format": "cii"})
    assert b"CrossIndustryInvoice" in cii.content
    pdf = api.get(f"/v1/documents/{doc_id}", headers={"Accept": "application/pdf"})
    assert pdf.content.startswith(b"%PDF")
    xml = api.get(f"/v1/documents/{doc_id}", headers={"Accept": "application/xml"})
    assert xml.content == ubl.content
    assert api.get(f"/v1/documents/{doc_id}", params={"format": "docx"}).status_code == 422


def test_statement_has_no_xml_form(api: Any) -> None:
    statement = next(d for d in demo_documents() if d.kind == "statement")
    doc_id = api.post("/v1/documents", json=canonical.to_obj(statement)).json()["documents"][0]["id"]
    assert api.get(f"/v1/documents/{doc_id}", params={"format": "ubl"}).status_code == 406
