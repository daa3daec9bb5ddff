from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from ledgerlink.export.ledger import AttachmentFile
from ledgerlink.export.targets import TargetRejected
from ledgerlink.export.targets.pdf import merge_to_pdf

from .conftest import pdf_bytes


def test_pages_in_order_and_other_files_embedded() -> None:
    merged = PdfReader(io.BytesIO(merge_to_pdf([
        AttachmentFile.of("a.pdf", pdf_bytes(2), "application/pdf"),
        AttachmentFile.of("scan.jpg", b"\xff\xd8\xff fake jpeg", "image/jpeg"),
        AttachmentFile.of("b.pdf", pdf_bytes(1), "application/pdf"),
    ])))
    assert len(merged.pages) == 3
    assert merged.attachments["scan.jpg"] == [b"\xff\xd8\xff fake jpeg"]


def test_only_non_pdf_inputs_get_one_blank_page() -> None:
    merged = PdfReader(io.BytesIO(merge_to_pdf([AttachmentFile.of("x.xml", b"<x/>", "application/xml")])))
    assert len(merged.pages) == 1 and list(merged.attachments) == ["x.xml"]


def test_unreadable_pdf_is_refused() -> None:
    with pytest.raises(TargetRejected, match="not a readable PDF"):
        merge_to_pdf([AttachmentFile.of("bad.pdf", b"%PDF-1.4 garbage", "application/pdf")])
