"""Health, metrics, OpenAPI and the audit log."""

from __future__ import annotations

from typing import Any

from tests.api.test_documents import invoice_obj


def test_healthz_reports_the_store(api: Any, db: Any) -> None:
    body = api.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["store"] == db.dialect


def test_metrics_count_documents_and_latency(api: Any) -> None:
    api.post("/v1/documents", json=invoice_obj())
    api.post("/v1/documents", json={"kind": "invoice"})
    text = api.get("/metrics").text
    assert 'ledgerlink_documents_received_total{kind="invoice",status="received"}' in text
    assert 'ledgerlink_documents_rejected_total{source_format="json"}' in text
    assert 'ledgerlink_http_request_duration_seconds_count{method="POST",route="/v1/documents",status="201"}' in text


def test_openapi_is_published_with_the_document_schema(api: Any) -> None:
    spec = api.get("/openapi.json").json()
    assert "/v1/documents" in spec["paths"]
    body = spec["paths"]["/v1/documents"]["post"]["requestBody"]["content"]
    assert set(body) >= {"application/json", "application/xml", "application/pdf", "text/csv"}
    assert {"Invoice", "CreditNote", "Statement", "LedgerUpdate", "Document"} <= set(spec["components"]["schemas"])


def test_audit_log_records_who_did_what(api: Any) -> None:
    doc = api.post("/v1/documents", json=invoice_obj()).json()["documents"][0]
    entries = api.get("/v1/audit-log", params={"entity_id": doc["id"]}).json()["entries"]
    [entry] = entries
    assert entry["action"] == "document.received"
    assert entry["actor"] == f"key:{api.key.split('_')[1]}"
    assert entry["detail"]["number"] == doc["number"]


def test_logs_never_contain_the_api_key(api: Any, caplog: Any) -> None:
    import logging

    logging.getLogger("ledgerlink").propagate = True
    with caplog.at_level(logging.INFO, logger="ledgerlink"):
        api.post("/v1/documents", json=invoice_obj())
    assert any(r.name == "ledgerlink.access" for r in caplog.records)
    secret = api.key.split("_", 2)[2]
    assert all(secret not in r.getMessage() and secret not in str(r.__dict__) for r in caplog.records)
