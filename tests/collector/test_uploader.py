"""Upload classification, content types and the TLS client context (with a real TLS server)."""

from __future__ import annotations

import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from ledgerlink.collector import tls
from ledgerlink.collector.uploader import (
    Accepted, Endpoint, Refused, Transient, UnknownContent, classify, content_type, idempotency_key, upload,
)


def _response(status: int, body: object = None, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers, request=httpx.Request("POST", "https://x/v1/documents"))


RECEIPT = {"receipt_id": "r", "documents": [{"id": "d", "kind": "invoice", "number": "1", "status": "received"}],
           "errors": [], "rejected": []}


def test_classification_of_answers() -> None:
    assert isinstance(classify(_response(201, RECEIPT)), Accepted)
    assert isinstance(classify(_response(200, RECEIPT)), Accepted)  # replay
    for status in (408, 409, 429, 500, 502, 503):
        assert isinstance(classify(_response(status, {})), Transient), status
    assert classify(_response(429, {}, {"Retry-After": "7"})).retry_after == 7.0  # type: ignore[union-attr]
    problem = {"title": "Documents rejected", "status": 422, "detail": "1 error",
               "errors": [{"path": "totals.payable_amount", "rule": "BR-CO-16", "message": "mismatch"}]}
    refused = classify(_response(422, problem))
    assert isinstance(refused, Refused) and refused.errors[0]["rule"] == "BR-CO-16"
    for status in (400, 404, 413, 415):
        assert isinstance(classify(_response(status, {"title": "no"})), Refused), status
    for status in (401, 403):  # a key problem is the configuration's fault, not the file's: keep it queued
        outcome = classify(_response(status, {"title": "no", "detail": "the API key is unknown or revoked"}))
        assert isinstance(outcome, Transient), status
        assert "refused the agent's API key" in outcome.reason and "revoked" in outcome.reason
    partly = classify(_response(201, {**RECEIPT, "rejected": [{"location": "row 3", "errors": []}]}))
    assert isinstance(partly, Refused) and partly.errors[0]["path"] == "row 3"
    assert isinstance(classify(_response(201, {"no": "receipt"})), Transient)


def test_content_types_per_folder_format() -> None:
    assert content_type("auto", "a.xml", b"<?xml") == ("application/xml", {})
    assert content_type("auto", "noext", b"\xef\xbb\xbf  <Invoice") == ("application/xml", {})
    assert content_type("auto", "a.pdf", b"%PDF-1.7") == ("application/pdf", {})
    assert content_type("auto", "a.json", b"{") == ("application/json", {})
    assert content_type("json", "a.txt", b"x") == ("application/json", {})
    assert content_type("sage50-audit-trail", "a.csv", b"x") == ("text/csv", {"profile": "sage50-audit-trail"})
    with pytest.raises(UnknownContent, match="CSV profile"):
        content_type("auto", "a.csv", b"Type,Account")


def test_idempotency_key_depends_on_agent_content_and_generation() -> None:
    key = idempotency_key("agent-1", "ab" * 32)
    assert key == idempotency_key("agent-1", "ab" * 32) and len(key) == 64
    assert key != idempotency_key("agent-2", "ab" * 32)
    assert key != idempotency_key("agent-1", "cd" * 32)
    assert key != idempotency_key("agent-1", "ab" * 32, generation=1)


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802
        _Handler.seen.append(self.rfile.read(int(self.headers["Content-Length"])))
        body = b'{"receipt_id": "r", "documents": [], "errors": [], "rejected": []}'
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@pytest.fixture()
def mtls_server(tmp_path: Path) -> Iterator[tuple[str, trustme.CA, Path, Path]]:
    """A real HTTPS server that demands a client certificate from the test CA."""
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    client_cert = ca.issue_cert("collector@example.com")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    ca_pem, client_pem = tmp_path / "ca.pem", tmp_path / "client.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    client_cert.private_key_and_cert_chain_pem.write_to_path(str(client_pem))
    _Handler.seen = []
    yield f"https://127.0.0.1:{httpd.server_address[1]}", ca, ca_pem, client_pem
    httpd.shutdown()
    httpd.server_close()


def test_client_certificate_is_presented_and_required(mtls_server: tuple[str, trustme.CA, Path, Path]) -> None:
    url, _, ca_pem, client_pem = mtls_server
    with_cert = tls.client_context(ca_bundle=ca_pem, client_cert=client_pem)
    outcome = upload(Endpoint(url, "k", with_cert), body=b"{}", name="a.json", folder_format="auto", key="k1")
    assert isinstance(outcome, Accepted)
    without = tls.client_context(ca_bundle=ca_pem)
    outcome = upload(Endpoint(url, "k", without), body=b"{}", name="a.json", folder_format="auto", key="k2")
    assert isinstance(outcome, Transient)
    assert _Handler.seen == [b"{}"]


def test_an_untrusted_server_is_refused(mtls_server: tuple[str, trustme.CA, Path, Path], tmp_path: Path) -> None:
    url, _, _, client_pem = mtls_server
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    context = tls.client_context(ca_bundle=other, client_cert=client_pem)
    outcome = upload(Endpoint(url, "k", context), body=b"{}", name="a.json", folder_format="auto", key="k")
    assert isinstance(outcome, Transient) and "CERTIFICATE_VERIFY_FAILED" in outcome.reason
    assert _Handler.seen == []


def test_a_wrong_pin_stops_the_request_before_the_body_is_sent(
    mtls_server: tuple[str, trustme.CA, Path, Path]
) -> None:
    url, _, ca_pem, client_pem = mtls_server
    context = tls.client_context(ca_bundle=ca_pem, client_cert=client_pem, cert_pins=["11" * 32])
    outcome = upload(Endpoint(url, "k", context), body=b"{}", name="a.json", folder_format="auto", key="k")
    assert isinstance(outcome, Transient) and "matches no pin" in outcome.reason
    assert _Handler.seen == []
