"""``/v1/agents``: heartbeats create then update one row per (organisation, agent); scopes and tenancy hold."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_heartbeat_creates_then_updates_the_agent(api: Any) -> None:
    first = api.post("/v1/agents/heartbeat", json={"agent_id": "acme-01", "version": "0.1.0", "hostname": "srv1",
                                                    "stats": {"queued": 2, "archived": 5}})
    assert first.status_code == 200, first.text
    second = api.post("/v1/agents/heartbeat", json={"agent_id": "acme-01", "version": "0.2.0", "hostname": "srv1",
                                                     "stats": {"queued": 0, "archived": 7}})
    assert second.status_code == 200
    body = second.json()
    assert body["version"] == "0.2.0" and body["stats"] == {"queued": 0, "archived": 7}
    assert body["first_seen_at"] == first.json()["first_seen_at"]
    assert body["last_seen_at"] >= first.json()["last_seen_at"]
    listed = api.get("/v1/agents").json()["agents"]
    assert [(a["agent_id"], a["version"], a["hostname"]) for a in listed] == [("acme-01", "0.2.0", "srv1")]


def test_bad_heartbeats_are_refused_with_the_field(api: Any) -> None:
    answer = api.post("/v1/agents/heartbeat", json={"agent_id": "bad id with spaces", "version": "1"})
    assert answer.status_code == 422
    assert any("agent_id" in e["path"] for e in answer.json()["errors"]), answer.json()
    answer = api.post("/v1/agents/heartbeat", json={"agent_id": "a", "version": "1", "stats": {"x": "y" * 5000}})
    assert answer.status_code == 422 and any("stats" in e["path"] for e in answer.json()["errors"])


def test_agents_are_per_organisation_and_need_the_right_scope(
    api: Any, make_org_key: Callable[..., tuple[str, str]]
) -> None:
    assert api.post("/v1/agents/heartbeat", json={"agent_id": "mine", "version": "1"}).status_code == 200
    _, other_key = make_org_key(scopes={"ingest"})
    other = {"Authorization": f"Bearer {other_key}"}
    assert api.post("/v1/agents/heartbeat", json={"agent_id": "mine", "version": "9"}, headers=other).status_code == 200
    assert api.get("/v1/agents", headers=other).status_code == 403  # ingest-only key cannot list
    assert [a["version"] for a in api.get("/v1/agents").json()["agents"]] == ["1"]
    _, read_key = make_org_key(scopes={"read"})
    answer = api.post("/v1/agents/heartbeat", json={"agent_id": "x", "version": "1"},
                      headers={"Authorization": f"Bearer {read_key}"})
    assert answer.status_code == 403
