"""Tenant isolation and authentication: one organisation never sees another's data (404, not 403)."""

from __future__ import annotations

from typing import Any

from ledgerlink.services import tenancy

from tests.api.test_documents import invoice_obj


def test_requests_without_a_valid_key_are_401(api: Any) -> None:
    anonymous = api.as_key("")
    del anonymous.headers["Authorization"]
    for response in (anonymous.get("/v1/documents"), api.as_key("ll_nope_nope").get("/v1/documents"),
                     api.as_key("not-a-key").get("/v1/documents")):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"] == "application/problem+json"


def test_a_revoked_key_stops_working(api: Any, db: Any) -> None:
    assert api.get("/v1/documents").status_code == 200
    key_id = api.key.split("_")[1]
    with db.begin() as conn:
        assert tenancy.revoke_key(conn, key_id)
    assert api.get("/v1/documents").status_code == 401


def test_only_a_hash_of_the_key_is_stored(api: Any, db: Any) -> None:
    import sqlalchemy as sa

    from ledgerlink.store.schema import api_keys

    secret = api.key.split("_", 2)[2]
    with db.read() as conn:
        stored = [tuple(r) for r in conn.execute(sa.select(api_keys))]
    assert stored and not any(secret in str(value) for row in stored for value in row)


def test_scopes_are_enforced(api: Any, make_org_key: Any) -> None:
    _, read_only = make_org_key({"read"})
    _, ingest_only = make_org_key({"ingest"})
    assert api.as_key(read_only).post("/v1/documents", json=invoice_obj()).status_code == 403
    assert api.as_key(ingest_only).get("/v1/documents").status_code == 403
    assert api.as_key(ingest_only).post("/v1/documents", json=invoice_obj()).status_code == 201
    assert api.as_key(read_only).get("/v1/audit-log").status_code == 403


def test_one_organisation_cannot_reach_anothers_data(api: Any, make_org_key: Any) -> None:
    doc = api.post("/v1/documents", json=invoice_obj()).json()["documents"][0]
    api.post("/v1/documents", json=invoice_obj(payment_terms="changed"))
    _, other_key = make_org_key()
    other = api.as_key(other_key)
    assert other.get(f"/v1/documents/{doc['id']}").status_code == 404
    assert other.get("/v1/documents").json()["documents"] == []
    assert other.post(f"/v1/documents/{doc['id']}/approve").status_code == 404
    assert other.get("/v1/customers").json()["customers"] == []
    assert other.get("/v1/customers/C1001/account").status_code == 404
    assert other.get("/v1/documents", params={"customer": "C1001"}).json()["documents"] == []
    assert other.get("/v1/audit-log").json()["entries"] != []  # its own key creation only
    assert all(e["entity_id"] != doc["id"] for e in other.get("/v1/audit-log").json()["entries"])
    # the same number in another organisation is a different document, not a duplicate
    mine = other.post("/v1/documents", json=invoice_obj()).json()["documents"][0]
    assert mine["status"] == "received" and mine["id"] != doc["id"]
