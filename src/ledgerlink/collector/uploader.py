"""One upload of one file to ``POST /v1/documents``, classified into what to do next.

Rules:

* One ``httpx.Client`` per upload, closed afterwards: no connection is left open between files.
* ``Idempotency-Key`` = SHA-256 of ``agent id`` + content SHA-256 (+ retry generation when a
  quarantined file is re-queued unchanged), so a re-send after a crash replays the same receipt.
* 2xx with a receipt without errors → :class:`Accepted`. 2xx whose receipt names errors or rejected
  documents, 422 and every other 4xx except 401/403/408/409/429 → :class:`Refused` (quarantine at once).
  408/409/429, 5xx, timeouts and network errors → :class:`Transient` (retry with backoff).
* 401/403 say the agent's key is wrong, revoked or lacks the ``ingest`` scope: a fault of the
  configuration, not of the file. They are :class:`Transient` too, so that files stay queued (with
  the reason in ``collect status``) and go out once the key is fixed, instead of every file landing
  in quarantine.
"""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from ledgerlink import __version__ as _version

TRANSIENT_4XX = frozenset({408, 409, 429})
KEY_REFUSED = frozenset({401, 403})
USER_AGENT = f"ledgerlink-collector/{_version}"


class UnknownContent(ValueError):
    """An ``auto`` folder received a file whose format cannot be told from its name or bytes."""


def idempotency_key(agent_id: str, sha256: str, generation: int = 0) -> str:
    material = f"ledgerlink-collector\n{agent_id}\n{sha256}"
    if generation:
        material += f"\n{generation}"
    return hashlib.sha256(material.encode()).hexdigest()


def content_type(folder_format: str, name: str, head: bytes) -> tuple[str, dict[str, str]]:
    """(media type, query parameters) for a file of a folder with the given format."""
    if folder_format == "json":
        return "application/json", {}
    if folder_format != "auto":
        return "text/csv", {"profile": folder_format}
    suffix = Path(name).suffix.lower()
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"%PDF") or suffix == ".pdf":
        return "application/pdf", {}
    if start.startswith(b"<") or suffix == ".xml":
        return "application/xml", {}
    if suffix == ".json" or start[:1] in (b"{", b"["):
        return "application/json", {}
    raise UnknownContent(
        f"cannot tell the format of {name!r}: expected XML, PDF or JSON in an 'auto' folder"
        " (configure the folder's CSV profile for CSV files)"
    )


@dataclass(frozen=True, slots=True)
class Accepted:
    status: int
    receipt: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Refused:
    """Permanent: the file goes to quarantine. ``errors`` as ``{path, rule, message, location?}``."""

    status: int | None
    title: str
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    body: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Transient:
    reason: str
    status: int | None = None
    retry_after: float | None = None


Outcome = Accepted | Refused | Transient


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how to connect; built once from the configuration."""

    base_url: str
    api_key: str
    ssl_context: ssl.SSLContext
    timeout: float = 60.0
    proxy: str | None = None

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            verify=self.ssl_context,
            timeout=self.timeout,
            proxy=self.proxy,
            trust_env=False,
            headers={"Authorization": f"Bearer {self.api_key}", "User-Agent": USER_AGENT, "Connection": "close"},
        )


def upload(endpoint: Endpoint, *, body: bytes, name: str, folder_format: str, key: str) -> Outcome:
    """Send one file; never raises for network or server trouble (that is a :class:`Transient`)."""
    try:
        media_type, params = content_type(folder_format, name, body[:512])
    except UnknownContent as exc:
        return Refused(None, "unknown file format", str(exc), [{"path": name, "rule": "LL-COLLECT-FORMAT",
                                                                  "message": str(exc)}])
    headers = {"Content-Type": media_type, "Idempotency-Key": key, "X-Filename": _header_safe(name)}
    try:
        with endpoint.client() as client:
            response = client.post("/v1/documents", content=body, headers=headers, params=params)
    except httpx.TimeoutException as exc:
        return Transient(f"timeout: {type(exc).__name__}")
    except (httpx.TransportError, ssl.SSLError, OSError) as exc:
        return Transient(f"connection failed: {type(exc).__name__}: {_short(str(exc))}")
    return classify(response)


def classify(response: httpx.Response) -> Outcome:
    status = response.status_code
    payload = _json(response)
    if 200 <= status < 300:
        if not isinstance(payload, dict) or "receipt_id" not in payload:
            return Transient("the centre answered without a receipt", status)
        errors = list(payload.get("errors") or [])
        rejected = list(payload.get("rejected") or [])
        if errors or rejected:
            rows = errors + [
                {"path": r.get("location", ""), "rule": "REJECTED", "message": str(r)} if isinstance(r, dict)
                else {"path": "", "rule": "REJECTED", "message": str(r)}
                for r in rejected
            ]
            return Refused(status, "documents rejected", "the receipt lists rejected documents", rows, payload)
        return Accepted(status, payload)
    if status >= 500 or status in TRANSIENT_4XX:
        return Transient(f"HTTP {status}", status, _retry_after(response))
    problem = payload if isinstance(payload, dict) else {}
    if status in KEY_REFUSED:
        return Transient(f"HTTP {status}: the data centre refused the agent's API key "
                         f"({problem.get('detail') or response.reason_phrase}); files stay queued until it is fixed",
                         status)
    return Refused(
        status,
        str(problem.get("title") or response.reason_phrase or f"HTTP {status}"),
        str(problem.get("detail") or ""),
        [e for e in problem.get("errors") or [] if isinstance(e, dict)],
        problem or None,
    )


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        import datetime as dt

        when = parsedate_to_datetime(value)
        return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _header_safe(name: str) -> str:
    return name.encode("ascii", "replace").decode().replace("\r", "?").replace("\n", "?")[:200]


def _short(text: str) -> str:
    return text if len(text) <= 200 else text[:197] + "..."
