"""Real parts for collector tests: a test CA, the real ``ledgerlink serve`` over HTTPS, the agent as a
process, and a loopback TLS proxy that injects 503s and dropped connections."""

from __future__ import annotations

import os
import random
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import tomli_w
import trustme

PYTHON = sys.executable
CLI = [PYTHON, "-c", "from ledgerlink.cli.main import app; app()"]
AGENT = [PYTHON, "-m", "ledgerlink.collector"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Pki:
    """A test CA and a server certificate for 127.0.0.1 / localhost, written as PEM files."""

    folder: Path
    ca: trustme.CA = field(default_factory=trustme.CA)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.server = self.ca.issue_cert("127.0.0.1", "localhost")
        self.ca_pem = self.folder / "ca.pem"
        self.cert_pem = self.folder / "server.crt"
        self.key_pem = self.folder / "server.key"
        self.ca.cert_pem.write_to_path(str(self.ca_pem))
        self.server.private_key_pem.write_to_path(str(self.key_pem))
        with open(self.cert_pem, "wb") as out:
            for blob in self.server.cert_chain_pems:
                out.write(blob.bytes())

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


class DataCentre:
    """``ledgerlink serve`` as a subprocess on its own SQLite store, over HTTPS."""

    def __init__(self, folder: Path, pki: Pki):
        self.folder = folder
        self.pki = pki
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.env = {**os.environ, "LEDGERLINK_DATA_DIR": str(folder / "data")}
        self.env.pop("LEDGERLINK_DATABASE_URL", None)
        self.process: subprocess.Popen[bytes] | None = None
        self.key = ""

    def cli(self, *args: str) -> str:
        done = subprocess.run([*CLI, *args], env=self.env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"ledgerlink {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout.strip().splitlines()[-1].strip()

    def provision(self) -> str:
        org = self.cli("org", "create", "Collector Test Org")
        self.key = self.cli("key", "create", "--org", org, "--scope", "ingest", "--scope", "read")
        return self.key

    def start(self) -> None:
        log = open(self.folder / "serve.log", "ab")
        self.process = subprocess.Popen(
            [*CLI, "serve", "--port", str(self.port), "--tls-cert", str(self.pki.cert_pem),
             "--tls-key", str(self.pki.key_pem)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ledgerlink serve exited: {(self.folder / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", verify=self.pki.client_context(), timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("ledgerlink serve did not become healthy in 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self.pki.client_context(),
                            headers={"Authorization": f"Bearer {self.key}"}, timeout=30)

    def documents(self) -> list[dict[str, Any]]:
        """Every document row of the organisation (all pages)."""
        out: list[dict[str, Any]] = []
        cursor = None
        with self.client() as client:
            while True:
                params: dict[str, Any] = {"limit": 1000}
                if cursor:
                    params["cursor"] = cursor
                page = client.get("/v1/documents", params=params)
                page.raise_for_status()
                body = page.json()
                out.extend(body["documents"])
                cursor = body.get("next_cursor")
                if not cursor:
                    return out


class FaultProxy:
    """A loopback TLS proxy in front of the data centre that answers 503, drops the connection
    before forwarding, or forwards and then drops the answer — each with the given probability."""

    def __init__(self, pki: Pki, backend_port: int, *, p503: float = 0.0, p_drop_before: float = 0.0,
                 p_drop_after: float = 0.0, seed: int = 0):
        self.pki = pki
        self.backend_port = backend_port
        self.p503, self.p_drop_before, self.p_drop_after = p503, p_drop_before, p_drop_after
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counts = {"forwarded": 0, "503": 0, "drop_before": 0, "drop_after": 0}
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._server_context = pki.server_context()
        self._client_context = pki.client_context()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _pick(self) -> str:
        with self.lock:
            roll = self.rng.random()
            if roll < self.p503:
                choice = "503"
            elif roll < self.p503 + self.p_drop_before:
                choice = "drop_before"
            elif roll < self.p503 + self.p_drop_before + self.p_drop_after:
                choice = "drop_after"
            else:
                choice = "forwarded"
            self.counts[choice] += 1
            return choice

    def _handle(self, raw: socket.socket) -> None:
        try:
            tls = self._server_context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            request = _read_request(tls)
            if request is None:
                return
            choice = self._pick()
            if choice == "drop_before":
                return
            if choice == "503":
                tls.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 0\r\n"
                            b"Connection: close\r\n\r\n")
                return
            with socket.create_connection(("127.0.0.1", self.backend_port), timeout=30) as back_raw:
                with self._client_context.wrap_socket(back_raw, server_hostname="127.0.0.1") as back:
                    back.sendall(request)
                    answer = _read_response(back)
            if choice == "drop_after":
                return
            tls.sendall(answer)
        except (OSError, ssl.SSLError):
            return
        finally:
            try:
                tls.close()
            except OSError:
                pass


def _read_head(sock: socket.socket) -> tuple[bytes, bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _read_request(sock: socket.socket) -> bytes | None:
    parts = _read_head(sock)
    if parts is None:
        return None
    head, body = parts
    need = _content_length(head)
    while len(body) < need:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    # force the backend to close after answering, so the response ends with the connection
    head = head.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1) if b"connection:" not in head.lower() else head
    return head + body


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ssl.SSLError:
            break
        if not chunk:
            break
        data += chunk
    return data


def write_config(path: Path, *, watch: Path, server_url: str, key_file: Path, ca: Path, state_dir: Path,
                 **overrides: Any) -> Path:
    data: dict[str, Any] = {
        "agent": {"state_dir": str(state_dir), "parallel_uploads": 4},
        "server": {"url": server_url, "key_file": str(key_file), "ca_bundle": str(ca), "timeout_seconds": 10},
        "intervals": {"stable_seconds": 0.3, "rescan_seconds": 1.0, "heartbeat_seconds": 1.0,
                      "retry_base_seconds": 0.05, "retry_cap_seconds": 0.5},
        "folders": [{"path": str(watch), "format": "auto", "archive": str(watch.parent / "archive"),
                     "quarantine": str(watch.parent / "quarantine")}],
    }
    for section, values in overrides.items():
        if isinstance(values, dict):
            data.setdefault(section, {}).update(values)
        else:
            data[section] = values
    path.write_text(tomli_w.dumps(data))
    return path


class AgentProcess:
    """The collector as a separate process (so it can be killed with SIGKILL)."""

    def __init__(self, config: Path, log: Path):
        self.config, self.log = config, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        out = open(self.log, "ab")
        self.process = subprocess.Popen([*AGENT, "--config", str(self.config)], stdout=out, stderr=subprocess.STDOUT)
        return self.process

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None


def wait_for(predicate: Any, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def files_under(folder: Path) -> Iterator[Path]:
    if folder.exists():
        yield from (p for p in folder.rglob("*") if p.is_file())
