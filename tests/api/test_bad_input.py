"""Every bad input gets a precise problem+json answer and stores nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from ledgerlink.demo import demo_documents
from ledgerlink.formats import canonical
from ledgerlink.store.schema import documents, receipts

from tests.api.test_documents import count_documents, invoice_obj


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return body


def test_malformed_json_is_422(api: Any, db: Any) -> None:
    body = problem(api.post("/v1/documents", content=b'{"kind": "invoice",',
                            headers={"Content-Type": "application/json"}), 422)
    assert body["errors"][0]["rule"] == "JSON"
    assert "malformed JSON" in body["errors"][0]["message"]
    assert count_documents(db) == 0


def test_unknown_field_is_422_with_its_path(api: Any, db: Any) -> None:
    obj = invoice_obj()
    obj["lines"][0]["colour"] = "red"
    body = problem(api.post("/v1/documents", json=obj), 422)
    assert {"path": "lines[0].colour", "rule": "SCHEMA"}.items() <= body["errors"][0].items()
    assert count_documents(db) == 0


def test_wrong_type_is_422_with_its_path(api: Any) -> None:
    obj = invoice_obj()
    obj["totals"]["payable_amount"] = "twelve"
    obj["issue_date"] = "31/12/2026"
    body = problem(api.post("/v1/documents", json=obj), 422)
    paths = {e["path"] for e in body["errors"]}
    assert paths == {"totals.payable_amount", "issue_date"}
    assert any(e.get("found") == "twelve" for e in body["errors"])


def test_missing_required_field_and_unknown_kind(api: Any) -> None:
    obj = invoice_obj()
    del obj["seller"]
    assert problem(api.post("/v1/documents", json=obj), 422)["errors"][0]["path"] == "seller"
    body = problem(api.post("/v1/documents", json={"kind": "purchase_order", "number": "1"}), 422)
    assert body["errors"][0]["rule"] == "SCHEMA"


def test_batch_with_one_bad_document_is_rejected_whole(api: Any, db: Any) -> None:
    docs = [canonical.to_obj(d) for d in demo_documents()[:4]]
    docs[2]["currency"] = 978
    body = problem(api.post("/v1/documents", json={"documents": docs}), 422)
    assert body["errors"][0]["path"] == "documents[2].currency"
    assert "nothing was stored" in body["detail"]
    assert count_documents(db) == 0
    with db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(receipts)).scalar_one() == 0


def test_partial_batch_stores_the_valid_and_lists_the_rejected(api: Any, db: Any) -> None:
    docs = [canonical.to_obj(d) for d in demo_documents()[:4]]
    docs[1]["issue_date"] = "not a date"
    response = api.post("/v1/documents", params={"partial": "true"}, json={"documents": docs})
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert [d["number"] for d in receipt["documents"]] == [docs[0]["number"], docs[2]["number"], docs[3]["number"]]
    assert receipt["errors"][0]["path"] == "documents[1].issue_date"
    assert count_documents(db) == 3


def test_rule_violation_names_rule_path_expected_and_found(api: Any, db: Any) -> None:
    obj = invoice_obj()
    obj["totals"]["payable_amount"] = "1.00"
    body = problem(api.post("/v1/documents", json=obj), 422)
    rules = {e["rule"]: e for e in body["errors"]}
    assert "BR-CO-16" in rules, body["errors"]
    assert rules["BR-CO-16"]["path"] == "totals.payable_amount"
    assert rules["BR-CO-16"]["found"] == "1.00"
    assert count_documents(db) == 0


def test_body_over_the_limit_is_413(app: Any, api: Any, db: Any) -> None:
    from ledgerlink.api.middleware import BodyLimitMiddleware

    limit = next(m.kwargs["max_bytes"] for m in app.user_middleware if m.cls is BodyLimitMiddleware)
    oversized = b'{"documents": [' + b" " * (limit + 1) + b"]}"
    body = problem(api.post("/v1/documents", content=oversized, headers={"Content-Type": "application/json"}), 413)
    assert str(limit) in body["detail"]
    assert count_documents(db) == 0


def test_streamed_body_over_the_limit_is_413(app: Any, api: Any, db: Any) -> None:
    from ledgerlink.api.middleware import BodyLimitMiddleware

    limit = next(m.kwargs["max_bytes"] for m in app.user_middleware if m.cls is BodyLimitMiddleware)

    def chunks() -> Any:
        chunk = b" " * 1_048_576
        for _ in range(limit // len(chunk) + 2):
            yield chunk

    problem(api.post("/v1/documents", content=chunks(), headers={"Content-Type": "application/json"}), 413)
    assert count_documents(db) == 0


def test_batch_over_1000_documents_is_413(api: Any, db: Any) -> None:
    one = invoice_obj()
    body = problem(api.post("/v1/documents", json={"documents": [one] * 1001}), 413)
    assert "1000" in body["detail"]
    assert count_documents(db) == 0


@pytest.mark.parametrize("content_type", ["application/msword", "image/png"])
def test_unsupported_content_type_is_415(api: Any, content_type: str) -> None:
    problem(api.post("/v1/documents", content=b"x", headers={"Content-Type": content_type}), 415)


def test_csv_without_a_profile_is_422(api: Any) -> None:
    body = problem(api.post("/v1/documents", content=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"}), 422)
    assert body["errors"][0]["rule"] == "CSV-PROFILE"


def test_batch_field_must_be_a_list(api: Any) -> None:
    assert problem(api.post("/v1/documents", json={"documents": {"a": 1}}), 422)["errors"][0]["path"] == "documents"
    assert problem(api.post("/v1/documents", json={"documents": [], "extra": 1}), 422)["errors"][0]["path"] == "extra"


def test_bad_query_parameters_are_422_with_path(api: Any) -> None:
    body = problem(api.get("/v1/documents", params={"limit": "many"}), 422)
    assert body["errors"][0]["path"] == "limit"
    body = problem(api.get("/v1/documents", params={"kind": "order"}), 422)
    assert body["errors"][0]["path"] == "kind"


def test_empty_body_is_422(api: Any, db: Any) -> None:
    problem(api.post("/v1/documents", content=b"", headers={"Content-Type": "application/json"}), 422)
    assert count_documents(db) == 0
    with db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(documents)).scalar_one() == 0


def test_json_null_and_scalar_bodies_are_422(api: Any) -> None:
    for raw in (b"null", b"42", b'"text"', json.dumps([1]).encode()):
        problem(api.post("/v1/documents", content=raw, headers={"Content-Type": "application/json"}), 422)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", "sNaN"])
def test_non_finite_amounts_are_422(api: Any, db: Any, value: str) -> None:
    obj = invoice_obj()
    obj["lines"][0]["net_price"] = value
    body = problem(api.post("/v1/documents", json=obj), 422)
    assert body["errors"][0]["path"] == "lines[0].net_price"
    assert "finite" in body["errors"][0]["message"]
    assert count_documents(db) == 0
