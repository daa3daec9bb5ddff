"""Receipts fetched over real HTTP: retries, size limit, allowed types, failures fail the item, cache."""

from __future__ import annotations

import base64
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pydantic import TypeAdapter

from ledgerlink.export.attachments import AttachmentFailure, fetch_file
from ledgerlink.export.config import AttachmentSettings
from ledgerlink.export.model import FileRef, ItemStatus
from ledgerlink.export.worker import run_once
from tests.export.helpers import MemoryTarget, config, item, make_job, make_org

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class _Files(BaseHTTPRequestHandler):
    hits: Counter[str] = Counter()

    def log_message(self, *_args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        _Files.hits[path] += 1
        if path == "/flaky.pdf" and _Files.hits[path] < 3:
            self.send_response(503)
            self.end_headers()
            return
        if path in ("/ok.pdf", "/flaky.pdf", "/files/r-1"):
            self._send(200, PDF, "application/pdf")
        elif path == "/big.pdf":
            self._send(200, b"x" * 5000, "application/pdf")
        elif path == "/tool.exe":
            self._send(200, b"MZ....", "application/x-msdownload")
        else:
            self._send(404, b"not here", "text/plain")

    def _send(self, status: int, body: bytes, media: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def files_url() -> Iterator[str]:
    _Files.hits.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _fetch(ref: dict[str, Any], **settings: Any) -> Any:
    with httpx.Client() as client:
        return fetch_file(TypeAdapter(FileRef).validate_python(ref), AttachmentSettings(**settings), client)


def test_fetch_by_url_and_by_id_through_the_template(files_url: str) -> None:
    got = _fetch({"url": f"{files_url}/ok.pdf"})
    assert got.content == PDF and got.media_type == "application/pdf" and got.name == "ok.pdf" and got.digest_matches()
    got = _fetch({"id": "r-1"}, url_template=f"{files_url}/files/{{id}}")
    assert got.content == PDF and got.name.startswith("r-1")


def test_server_errors_are_retried(files_url: str) -> None:
    assert _fetch({"url": f"{files_url}/flaky.pdf"}, retries=3).content == PDF
    assert _Files.hits["/flaky.pdf"] == 3


@pytest.mark.parametrize(
    ("ref", "settings", "reason"),
    [
        ({"url": "/big.pdf"}, {"max_bytes": 1000}, "receipt_file_size"),
        ({"url": "/ok.pdf", "size": 50_000_000}, {}, "receipt_file_size"),
        ({"url": "/tool.exe"}, {}, "receipt_file_type"),
        ({"url": "/gone.pdf"}, {}, "receipt_download_failure"),
        ({"url": "http://127.0.0.1:9/refused.pdf"}, {"retries": 1}, "receipt_download_failure"),
        ({"id": "r-1"}, {}, "receipt_download_failure"),  # no url_template to resolve the id
        ({"content_base64": "***", "type": "application/pdf"}, {}, "receipt_download_failure"),
    ],
)
def test_failures_have_their_reason_type(files_url: str, ref: dict[str, Any], settings: dict[str, Any],
                                         reason: str) -> None:
    if "url" in ref and ref["url"].startswith("/"):
        ref = {**ref, "url": files_url + ref["url"]}
    with pytest.raises(AttachmentFailure) as failed:
        _fetch(ref, **settings)
    assert failed.value.reason_type.value == reason


def test_inline_content_is_accepted() -> None:
    got = _fetch({"content_base64": base64.b64encode(PDF).decode(), "type": "application/pdf", "name": "r.pdf"})
    assert got.content == PDF and got.name == "r.pdf"


def test_receipts_reach_the_entry_and_failures_fail_the_item(db: Any, files_url: str) -> None:
    org = make_org(db, integration=config(attachments={"url_template": f"{files_url}/files/{{id}}", "retries": 0}))
    job_id = make_job(db, org, [item("a", files=[{"id": "r-1", "type": "application/pdf"}]),
                                item("b", files=[{"url": f"{files_url}/gone.pdf"}]),
                                item("c", files=[{"url": f"{files_url}/big.pdf", "size": 40_000_000}])])
    target = MemoryTarget()
    run_once(db, open_target=lambda _c: target, worker_id="w1")
    from ledgerlink.export import repository

    with db.read() as conn:
        items = {i.id: i for i in repository.job_items(conn, org, job_id)}
    assert items["a"].status is ItemStatus.SUCCESSFUL
    assert items["b"].failure_reason_type.value == "receipt_download_failure"
    assert items["c"].failure_reason_type.value == "receipt_file_size"
    entry, _status = target.posted["a"]
    assert [a.content for a in entry.attachments] == [PDF]
    assert "b" not in target.posted and "c" not in target.posted


def test_a_fetched_file_is_cached_and_not_downloaded_again(db: Any, files_url: str) -> None:
    from ledgerlink.export.config import parse_config
    from ledgerlink.export.model import ITEM
    from ledgerlink.export.stages import ExportRun, ItemWork, fetch_attachments, map_accounts, map_data, \
        resolve_bookkeeping_method

    org = make_org(db)
    run = ExportRun(db, org, "job", "books", None)
    run.config, run.target = parse_config(config()), MemoryTarget()
    for _ in range(2):
        work = ItemWork(ITEM.validate_python(item("a", files=[{"url": f"{files_url}/ok.pdf"},
                                                                    {"url": f"{files_url}/ok.pdf?copy=1"}])))
        resolve_bookkeeping_method(run, work)
        map_accounts(run, work)
        map_data(run, work)
        fetch_attachments(run, work)
        assert len(work.entries[0].attachments) == 1  # same sha256 attached once
    assert _Files.hits["/ok.pdf"] == 2  # two distinct references, each fetched once over both runs
    if run.http is not None:
        run.http.close()
