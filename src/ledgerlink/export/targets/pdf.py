"""Merge several attachments into one PDF, for targets that link one file per booking (DATEV Beleglink).

Rules: the pages of every PDF input are appended in the given order; every input that is not a PDF
(image, XML e-invoice, ...) is embedded unchanged as a PDF file attachment under its own name (pypdf
has no image rasteriser; embedding keeps the original bytes for audit); a result without any page gets
one blank A4 page so that it opens everywhere. A PDF input that pypdf cannot read is an error.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from ledgerlink.export.ledger import AttachmentFile
from ledgerlink.export.targets.base import TargetRejected

A4_POINTS = (595.276, 841.89)


def is_pdf(file: AttachmentFile) -> bool:
    return file.media_type == "application/pdf" or file.content[:5] == b"%PDF-"


def merge_to_pdf(files: Sequence[AttachmentFile]) -> bytes:
    """One PDF holding all ``files`` (see module docstring)."""
    writer = PdfWriter()
    embedded: list[AttachmentFile] = []
    for number, file in enumerate(files):
        if is_pdf(file):
            try:
                writer.append(PdfReader(io.BytesIO(file.content)))
            except (PdfReadError, ValueError, KeyError) as exc:
                raise TargetRejected(f"{file.name}: not a readable PDF ({exc})", path=f"files[{number}]") from exc
        else:
            embedded.append(file)
    if len(writer.pages) == 0:
        writer.add_blank_page(*A4_POINTS)
    used: set[str] = set()
    for file in embedded:
        name = file.name or "attachment"
        if name in used:
            name = f"{file.sha256[:12]}-{name}"
        used.add(name)
        writer.add_attachment(name, file.content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
