"""Fetching receipt files for export items.

Rules:

* A file is located by ``url``, by ``id`` through the integration's ``attachments.url_template``
  (``https://files.example/{id}``), or carried in the item as ``content_base64``.
* Network errors, HTTP 429 and 5xx are retried (``retries`` times, exponential back-off from 0.2 s);
  other HTTP errors fail at once. Whatever cannot be fetched fails the item with
  ``receipt_download_failure`` — a receipt is never silently dropped.
* Size limit (default and maximum 30 MB): a declared size or a body over it → ``receipt_file_size``
  (the download stops as soon as the limit is passed).
* Media type (``Content-Type`` of the answer, else the item's ``type``) must be allowed, else
  ``receipt_file_type``.
* The result carries the sha256 of the bytes, which makes attaching idempotent.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import time
from urllib.parse import quote, urlsplit

import httpx

from ledgerlink.export.config import AttachmentSettings
from ledgerlink.export.ledger import AttachmentFile
from ledgerlink.export.model import FileRef, ItemFailureReasonType


class AttachmentFailure(Exception):
    def __init__(self, reason_type: ItemFailureReasonType, message: str):
        super().__init__(message)
        self.reason_type = reason_type
        self.message = message


def resolve_url(ref: FileRef, settings: AttachmentSettings) -> str:
    if ref.url:
        return ref.url
    if ref.id and settings.url_template:
        return settings.url_template.replace("{id}", quote(ref.id, safe=""))
    raise AttachmentFailure(ItemFailureReasonType.RECEIPT_DOWNLOAD_FAILURE,
                            f"file {ref.id!r} has no url and the integration has no attachments.url_template")


def fetch_file(ref: FileRef, settings: AttachmentSettings, client: httpx.Client) -> AttachmentFile:
    """Fetch (or decode) one file and check it against the limits."""
    if ref.size is not None and ref.size > settings.max_bytes:
        raise AttachmentFailure(ItemFailureReasonType.RECEIPT_FILE_SIZE,
                                f"file {ref.ref!r} declares {ref.size} bytes; the limit is {settings.max_bytes}")
    if ref.content_base64 is not None:
        try:
            content = base64.b64decode(ref.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AttachmentFailure(ItemFailureReasonType.RECEIPT_DOWNLOAD_FAILURE,
                                    f"file {ref.ref!r}: content_base64 is not valid base64 ({exc})") from None
        media_type = ref.type
        url = None
    else:
        url = resolve_url(ref, settings)
        content, header_type = _download(url, settings, client)
        media_type = header_type or ref.type
    if len(content) > settings.max_bytes:
        raise AttachmentFailure(ItemFailureReasonType.RECEIPT_FILE_SIZE,
                                f"file {ref.ref!r} has {len(content)} bytes; the limit is {settings.max_bytes}")
    if media_type is None or media_type.lower() not in {t.lower() for t in settings.allowed_types}:
        raise AttachmentFailure(ItemFailureReasonType.RECEIPT_FILE_TYPE,
                                f"file {ref.ref!r} is {media_type or 'of unknown type'}; allowed: "
                                + ", ".join(settings.allowed_types))
    return AttachmentFile.of(_name(ref, url, media_type.lower()), content, media_type.lower())


def _download(url: str, settings: AttachmentSettings, client: httpx.Client) -> tuple[bytes, str | None]:
    last_error = "no attempt"
    for attempt in range(settings.retries + 1):
        if attempt:
            time.sleep(min(0.2 * 2 ** (attempt - 1), 5.0))
        try:
            with client.stream("GET", url, headers=settings.headers, timeout=settings.timeout_seconds,
                               follow_redirects=True) as response:
                if response.status_code == 429 or response.status_code >= 500:
                    last_error = f"HTTP {response.status_code}"
                    continue
                if response.status_code != 200:
                    raise AttachmentFailure(ItemFailureReasonType.RECEIPT_DOWNLOAD_FAILURE,
                                            f"GET {url}: HTTP {response.status_code}")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > settings.max_bytes:
                    raise AttachmentFailure(ItemFailureReasonType.RECEIPT_FILE_SIZE,
                                            f"GET {url}: {declared} bytes; the limit is {settings.max_bytes}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > settings.max_bytes:
                        raise AttachmentFailure(ItemFailureReasonType.RECEIPT_FILE_SIZE,
                                                f"GET {url}: more than {settings.max_bytes} bytes")
                content_type = response.headers.get("content-type")
                media = content_type.split(";", 1)[0].strip() if content_type else None
                return bytes(body), media or None
        except httpx.HTTPError as exc:
            last_error = f"{type(exc).__name__}: {exc}"
    raise AttachmentFailure(ItemFailureReasonType.RECEIPT_DOWNLOAD_FAILURE,
                            f"GET {url} failed after {settings.retries + 1} attempt(s): {last_error}")


def _name(ref: FileRef, url: str | None, media_type: str) -> str:
    if ref.name:
        return ref.name
    if url:
        tail = urlsplit(url).path.rsplit("/", 1)[-1]
        if "." in tail:
            return tail
    stem = (ref.id or "receipt").replace("/", "_")
    return stem + (mimetypes.guess_extension(media_type) or ".bin")
