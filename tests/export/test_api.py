"""The export API: items, jobs, job items, events (valid transitions only), integrations — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.export.helpers import config, item


def _setup(api: Any, *ids: str) -> None:
    assert api.put("/v1/integrations/books", json=config()).status_code == 200
    response = api.post("/v1/export-items", json={"items": [item(i) for i in ids]})
    assert response.status_code == 200, response.text
    assert {r["status"] for r in response.json()["items"]} == {"accepted"}


def _job(api: Any, **body: Any) -> dict[str, Any]:
    response = api.post("/v1/export-jobs", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _event(api: Any, job_id: str, type_: str, **extra: Any) -> Any:
    return api.post("/v1/export-job-events", json={"job_id": job_id, "type": type_, **extra})


def test_integration_is_validated_on_save_with_paths(api: Any) -> None:
    bad = config(closed_period={"strategy": "sometimes"}, accounts={"vat": {"S19": {}}})
    bad["target"] = {"path": "x"}
    response = api.put("/v1/integrations/books", json=bad)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    paths = {e["path"] for e in response.json()["errors"]}
    assert {"target.kind", "closed_period.strategy", "accounts.vat.S19"} <= paths
    assert api.put("/v1/integrations/bad name!", json=config()).status_code == 422
    assert api.put("/v1/integrations/books", json=config()).status_code == 200
    shown = api.get("/v1/integrations/books").json()
    assert shown["config"]["accounts"]["wallet"] == "1200" and shown["config"]["post_as_draft"] is False
    assert api.get("/v1/integrations").json() == {"integrations": ["books"]}
    assert api.get("/v1/integrations/other").status_code == 404


def test_items_are_validated_with_paths_and_money_as_strings(api: Any) -> None:
    wrong_total = item("x", amount={"value": "120.00", "currency": "EUR"})
    response = api.post("/v1/export-items", json={"items": [item("a"), wrong_total]})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["path"] == "items[1]" and "add up to 119.00" in error["message"]
    response = api.post("/v1/export-items", json={"items": [item("a", type="teleport")]})
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "items[0].type"
    response = api.post("/v1/export-items", json={"items": [item("a", amount={"value": 119.0, "currency": "EUR"})]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "items[0].amount.value"
    assert "decimal string" in response.json()["errors"][0]["message"]


def test_an_unknown_or_missing_item_field_is_named_in_the_schema_s_words(api: Any) -> None:
    assert api.put("/v1/integrations/books", json=config()).status_code == 200
    body = item("a", colour="blue", supplier={"name": "Acme", "vat": "DE1"})
    del body["date"]
    response = api.post("/v1/export-items", json={"items": [body, item("b")]})
    assert response.status_code == 422
    found = {(e["path"], e["message"]) for e in response.json()["errors"]}
    assert found == {("items[0].colour", "Extra inputs are not permitted"),
                     ("items[0].supplier.vat", "Extra inputs are not permitted"),
                     ("items[0].date", "Field required")}
    refused = api.post("/v1/export-jobs", json={"integration": "books"})  # nothing stored, not even item b
    assert refused.status_code == 422 and refused.json()["errors"][0]["rule"] == "LL-EXPORT-EMPTY"
    assert api.post("/v1/export-items", json={"items": [item("b")]}).json()["items"] == [
        {"id": "b", "status": "accepted"}]  # the sender fixes the batch and sends again


def test_a_refused_only_result_gets_its_own_error_and_no_spurious_count_error(api: Any) -> None:
    _setup(api, "a")
    job = _job(api, integration="books")
    response = api.put(f"/v1/export-jobs/{job['id']}/items", json={"items": [{"id": "a", "status": "failed"}]})
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == ["items[0]"]
    assert "needs failure_reason_type" in response.json()["errors"][0]["message"]
    [kept] = api.get(f"/v1/export-jobs/{job['id']}/items").json()["items"]  # nothing recorded
    assert kept["status"] == "pending" and kept["failure_reason_type"] is None


def test_job_lifecycle_through_events_and_item_results(api: Any) -> None:
    _setup(api, "a", "b")
    job = _job(api, integration="books", item_ids=["a", "b"])
    assert job["status"] == "pending" and job["item_count"] == 2
    assert _event(api, job["id"], "started").status_code == 201
    assert api.get(f"/v1/export-jobs/{job['id']}").json()["status"] == "in_progress"
    # 'completed' while items have no result → invalid transition
    assert _event(api, job["id"], "completed").status_code == 422
    response = api.put(f"/v1/export-jobs/{job['id']}/items", json={"items": [
        {"id": "a", "status": "successful", "external_id": "ext-a"},
        {"id": "b", "status": "failed", "failure_reason": "no such account", "failure_reason_type": "account_unknown"},
    ]})
    assert response.status_code == 200, response.text
    items = {i["id"]: i for i in api.get(f"/v1/export-jobs/{job['id']}/items").json()["items"]}
    assert items["a"]["status"] == "successful" and items["a"]["external_id"] == "ext-a" and items["a"]["exported_at"]
    assert items["b"]["failure_reason_type"] == "account_unknown"
    assert _event(api, job["id"], "completed").status_code == 422  # one failed: not 'completed'
    assert _event(api, job["id"], "completed_with_errors").status_code == 201
    # final: no more results, no more events
    again = api.put(f"/v1/export-jobs/{job['id']}/items", json={"items": [{"id": "b", "status": "successful"}]})
    assert again.status_code == 409
    assert _event(api, job["id"], "failed", failure_reason_type="canceled_by_user").status_code == 422
    events = api.get(f"/v1/export-jobs/{job['id']}/events").json()["events"]
    assert [e["type"] for e in events] == ["started", "completed_with_errors"]
    assert api.get("/v1/export-jobs", params={"status": "completed_with_errors"}).json()["jobs"][0]["id"] == job["id"]


def test_409_when_the_organisation_has_a_job_in_progress(api: Any) -> None:
    _setup(api, "a", "b")
    first = _job(api, item_ids=["a"])  # the only integration is taken by default
    assert first["integration"] == "books"
    assert _event(api, first["id"], "started").status_code == 201
    response = api.post("/v1/export-jobs", json={"item_ids": ["b"]})
    assert response.status_code == 409
    assert first["id"] in response.json()["detail"]


def test_item_results_at_most_100_per_call_and_only_for_the_jobs_items(api: Any) -> None:
    _setup(api, "a")
    job = _job(api)
    assert _event(api, job["id"], "started").status_code == 201
    many = [{"id": f"x{i}", "status": "successful"} for i in range(101)]
    assert api.put(f"/v1/export-jobs/{job['id']}/items", json={"items": many}).status_code == 422
    response = api.put(f"/v1/export-jobs/{job['id']}/items", json={"items": [{"id": "zzz", "status": "successful"}]})
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "items[0].id"
    response = api.put(f"/v1/export-jobs/{job['id']}/items", json={"items": [{"id": "a", "status": "failed"}]})
    assert response.status_code == 422  # a failed item needs its reason type


@pytest.mark.parametrize(("first", "second"), [("completed", None), ("started", "started")])
def test_invalid_transitions_are_422(api: Any, first: str, second: str | None) -> None:
    _setup(api, "a")
    job = _job(api)
    response = _event(api, job["id"], first)
    if second is not None:
        assert response.status_code == 201
        response = _event(api, job["id"], second)
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "LL-EXPORT-TRANSITION"


def test_cancel_a_pending_job_abandons_its_items(api: Any) -> None:
    _setup(api, "a", "b")
    job = _job(api)
    response = _event(api, job["id"], "failed", failure_reason="user stopped it", failure_reason_type="canceled_by_user")
    assert response.status_code == 201
    got = api.get(f"/v1/export-jobs/{job['id']}").json()
    assert (got["status"], got["failure_reason_type"]) == ("failed", "canceled_by_user")
    assert {i["status"] for i in api.get(f"/v1/export-jobs/{job['id']}/items").json()["items"]} == {"abandoned"}
    # abandoned items can go into a new job
    assert _job(api, item_ids=["a", "b"])["item_count"] == 2


def test_job_creation_errors_name_the_field(api: Any) -> None:
    assert api.post("/v1/export-jobs", json={}).status_code == 422  # no integration yet
    _setup(api, "a")
    response = api.post("/v1/export-jobs", json={"integration": "books", "item_ids": ["a", "nope"]})
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "item_ids[1]"
    response = api.post("/v1/export-jobs", json={"integration": "other"})
    assert response.status_code == 422 and response.json()["errors"][0]["path"] == "integration"
    _job(api)
    assert api.post("/v1/export-jobs", json={}).status_code == 422  # no pending items left
    assert api.post("/v1/export-jobs", json={"item_ids": ["a"]}).status_code == 409  # waiting in a job


def test_another_organisation_sees_nothing(api: Any, make_org_key: Any) -> None:
    _setup(api, "a")
    job = _job(api)
    _org, other_key = make_org_key()
    other = api.as_key(other_key)
    assert other.get(f"/v1/export-jobs/{job['id']}").status_code == 404
    assert other.get("/v1/export-jobs").json()["jobs"] == []
    assert _event(other, job["id"], "started").status_code == 404


def test_scopes_are_enforced(api: Any, make_org_key: Any) -> None:
    _org, read_key = make_org_key(scopes={"read"})
    reader = api.as_key(read_key)
    assert reader.post("/v1/export-items", json={"items": [item("a")]}).status_code == 403
    assert reader.put("/v1/integrations/books", json=config()).status_code == 403


def test_an_export_key_reads_the_jobs_and_integrations_it_works_with(api: Any, db: Any) -> None:
    """An integration holding only the ``export`` scope follows its jobs (the control layer); a key for
    sending documents (``ingest``) sees none of it, and the integration's configuration is an admin's."""
    from ledgerlink.services import tenancy

    _setup(api, "a")
    job = _job(api, integration="books")
    with db.begin() as conn:
        exporter = api.as_key(tenancy.create_key(conn, api.org_id, frozenset({"export"}), actor="test").secret)
        sender = api.as_key(tenancy.create_key(conn, api.org_id, frozenset({"ingest"}), actor="test").secret)
    assert [j["id"] for j in exporter.get("/v1/export-jobs").json()["jobs"]] == [job["id"]]
    assert exporter.get(f"/v1/export-jobs/{job['id']}").json()["status"] == "pending"
    assert [i["id"] for i in exporter.get(f"/v1/export-jobs/{job['id']}/items").json()["items"]] == ["a"]
    assert exporter.get(f"/v1/export-jobs/{job['id']}/events").status_code == 200
    assert exporter.get("/v1/integrations/books").status_code == 200
    assert exporter.put("/v1/integrations/books", json=config(post_as_draft=True)).status_code == 403
    assert api.get("/v1/integrations/books").json()["config"]["post_as_draft"] is False  # unchanged
    for path in ("/v1/export-jobs", f"/v1/export-jobs/{job['id']}/items", "/v1/integrations/books"):
        refused = sender.get(path)
        assert refused.status_code == 403 and "lacks the 'export' or 'read' scope" in refused.json()["detail"]