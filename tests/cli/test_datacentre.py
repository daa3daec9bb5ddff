"""The data centre commands as a user runs them: org and key management, serve over HTTPS, up --demo."""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ledgerlink.cli.main import app

runner = CliRunner()
CLI = [sys.executable, "-m", "ledgerlink.cli"]


def invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result


def test_every_command_has_help() -> None:
    for args in ([], ["serve"], ["up"], ["demo"], ["db"], ["db", "upgrade"], ["org"], ["org", "create"],
                 ["key"], ["key", "create"], ["key", "revoke"]):
        result = invoke(*args, "--help")
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_org_and_key_lifecycle(database_url: str, api: Any) -> None:
    result = invoke("org", "create", "Acme Ltd", "--database-url", database_url)
    assert result.exit_code == 0, result.output
    org_id = result.output.strip()
    assert re.fullmatch(r"[0-9a-f-]{36}", org_id)

    result = invoke("key", "create", "--org", org_id, "--scope", "read", "--database-url", database_url)
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert key.startswith("ll_")
    client = api.as_key(key)
    assert client.get("/v1/documents").status_code == 200
    assert client.post("/v1/documents", json={}).status_code == 403

    listed = invoke("key", "list", "--org", org_id, "--database-url", database_url)
    key_id = key.split("_")[1]
    assert key_id in listed.output and key.split("_", 2)[2] not in listed.output

    assert invoke("key", "revoke", key_id, "--database-url", database_url).exit_code == 0
    assert client.get("/v1/documents").status_code == 401


def test_key_create_refuses_unknown_org_and_scope(database_url: str) -> None:
    result = invoke("key", "create", "--org", "nope", "--database-url", database_url)
    assert result.exit_code == 1
    org_id = invoke("org", "create", "x", "--database-url", database_url).output.strip()
    result = invoke("key", "create", "--org", org_id, "--scope", "superuser", "--database-url", database_url)
    assert result.exit_code == 1
    assert invoke("key", "revoke", "nope", "--database-url", database_url).exit_code == 1


def test_data_dir_from_environment_is_shared(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("LEDGERLINK_DATA_DIR", str(tmp_path / "store"))
    org_id = invoke("org", "create", "EnvOrg").output.strip()
    assert (tmp_path / "store" / "ledgerlink.sqlite3").exists()
    assert org_id in invoke("org", "list").output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, verify: Any = True, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", verify=verify, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"server at {url} did not come up")


def stop(process: subprocess.Popen[Any]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_serve_over_https_with_a_certificate(tmp_path: Path, database_url: str) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "server.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "server.key"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    port = free_port()
    env = {**os.environ, "LEDGERLINK_DATABASE_URL": database_url}
    server = subprocess.Popen([*CLI, "serve", "--port", str(port), "--tls-cert", str(tmp_path / "server.pem"),
                               "--tls-key", str(tmp_path / "server.key")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    trusted = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
    try:
        url = f"https://127.0.0.1:{port}"
        wait_until_up(url, verify=trusted)
        health = httpx.get(f"{url}/healthz", verify=trusted).json()
        assert health["status"] == "ok"
        with pytest.raises(httpx.ConnectError):  # an untrusted client refuses the server's certificate
            httpx.get(f"{url}/healthz", verify=True)
        assert httpx.get(f"{url}/openapi.json", verify=trusted).json()["info"]["title"]
    finally:
        stop(server)


def test_up_with_demo_creates_org_key_and_documents_once(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "LEDGERLINK_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}
    env.pop("LEDGERLINK_DATABASE_URL", None)
    url = f"http://127.0.0.1:{port}"
    counts = []
    for run in range(2):
        server = subprocess.Popen([*CLI, "up", "--demo", "--port", str(port)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            wait_until_up(url)
            key = (tmp_path / "data" / "default-api-key").read_text().strip()
            assert oct((tmp_path / "data" / "default-api-key").stat().st_mode)[-3:] == "600"
            listing = httpx.get(f"{url}/v1/documents", params={"limit": 1000},
                                headers={"Authorization": f"Bearer {key}"}).json()
            counts.append(len(listing["documents"]))
            account = httpx.get(f"{url}/v1/customers/C1001/account", headers={"Authorization": f"Bearer {key}"})
            assert account.status_code == 200
        finally:
            stop(server)
        output = server.stdout.read() if server.stdout else ""
        assert url in output
        if run == 0:
            assert key in output
            assert "16 received" in output
        else:
            assert "16 duplicate" in output
    assert counts == [16, 16]


def test_rules_lists_every_registered_rule() -> None:
    import json

    from ledgerlink.domain.rules import RULES

    result = invoke("rules", "--json")
    assert result.exit_code == 0
    listed = [json.loads(line) for line in result.output.splitlines()]
    assert {r["id"] for r in listed} == set(RULES)
    assert "BR-CO-16" in invoke("rules", "--prefix", "BR-CO").output
