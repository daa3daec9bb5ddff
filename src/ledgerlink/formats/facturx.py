"""Factur-X / ZUGFeRD 2 PDF: the CII XML embedded in a PDF/A-3, read out and written in.

Rules:

* Reading takes the embedded ``factur-x.xml`` (or ``zugferd-invoice.xml`` / ``xrechnung.xml``) out of the
  PDF's embedded files with pypdf and reads it with the hardened XML reader: nothing in the PDF is
  trusted, and a PDF without the attachment, or one pypdf cannot read, is a ``PDF`` violation.
* Writing makes a simple one-page visual rendering with reportlab (fonts embedded), gives it the
  PDF/A output intent (sRGB, with its ICC profile embedded) that PDF/A requires of a document drawing
  in device colours, then the ``factur-x`` library embeds the CII (checked against the Factur-X
  EN 16931 XSD) and writes the PDF/A-3 XMP metadata. BT-24 is always ``urn:cen.eu:en16931:2017`` in a
  Factur-X PDF.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path

from ledgerlink.domain import documents as m
from ledgerlink.domain.violations import Violation
from ledgerlink.formats import cii, xml_reader
from ledgerlink.formats.base import Found, ReadResult
from ledgerlink.formats.xml_common import WriteError, decimal_text
from ledgerlink.formats.xml_safety import DEFAULT_LIMITS, XmlLimits

XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
_FONT = "LedgerlinkVera"


# =========================================================================== reading


def read(pdf: bytes, limits: XmlLimits = DEFAULT_LIMITS) -> ReadResult:
    """The invoice carried by a Factur-X PDF, or the violations why not."""
    if len(pdf) > limits.max_document_bytes:
        return ReadResult(
            violations=[
                Violation(
                    "PDF",
                    "/",
                    "document too large",
                    expected=f"at most {limits.max_document_bytes} bytes",
                    found=f"{len(pdf)} bytes",
                )
            ]
        )
    if not pdf.lstrip()[:5] == b"%PDF-":
        return ReadResult(
            violations=[Violation("PDF", "/", "not a PDF file", expected="%PDF- header", found=repr(pdf[:8]))]
        )
    found = _embedded_xml(pdf)
    if isinstance(found, Violation):
        return ReadResult(violations=[found])
    name, data = found
    result = xml_reader.read(data, limits)
    result.documents = [Found(f.document, f"{name}:{f.location}") for f in result.documents]
    return result


def _embedded_xml(pdf: bytes) -> tuple[str, bytes] | Violation:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        attachments = reader.attachments
        by_name = {name.lower(): (name, contents) for name, contents in attachments.items()}
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
        OSError,
        AssertionError,
    ) as exc:
        return Violation("PDF", "/", f"unreadable PDF: {exc}")
    for wanted in XML_NAMES:
        if wanted in by_name:
            name, contents = by_name[wanted]
            if contents:
                return name, contents[0]
    return Violation(
        "PDF",
        "/EmbeddedFiles",
        "no Factur-X XML attachment in the PDF",
        expected=" or ".join(XML_NAMES),
        found=", ".join(sorted(attachments)) or "no attachments",
    )


# =========================================================================== writing


def write(doc: m.AnyDocument) -> bytes:
    """A Factur-X (EN 16931 profile) PDF/A-3 of the invoice or credit note."""
    from facturx import generate_from_binary

    xml = cii.write(doc, guideline=cii.EN16931_GUIDELINE)
    assert isinstance(doc, (m.Invoice, m.CreditNote))  # cii.write refused anything else
    visual = with_output_intent(render(doc))
    metadata = {
        "author": doc.seller.name,
        "keywords": "Factur-X, EN 16931",
        "title": f"{doc.seller.name}: {_title(doc)} {doc.number}",
        "subject": f"{_title(doc)} {doc.number} of {doc.issue_date.isoformat()} from {doc.seller.name}",
    }
    logging.getLogger("facturx").setLevel(logging.ERROR)
    try:
        pdf: bytes = generate_from_binary(
            visual,
            xml,
            flavor="factur-x",
            level="en16931",
            check_xsd=True,
            pdf_metadata=metadata,
            lang="en-GB",
        )
    except Exception as exc:  # the library raises bare Exception on XSD failures
        raise WriteError([Violation("SCHEMA", "/", f"Factur-X embedding failed: {exc}")]) from exc
    return pdf


SRGB_CONDITION = "sRGB IEC61966-2.1"


@functools.cache
def srgb_icc_profile() -> bytes:
    """An sRGB ICC profile, built by littleCMS through Pillow (no profile file is shipped)."""
    from PIL import ImageCms

    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def with_output_intent(pdf: bytes) -> bytes:
    """``pdf`` with a PDF/A output intent (``GTS_PDFA1``) for sRGB, its ICC profile embedded."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, StreamObject, TextStringObject

    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    profile = StreamObject()
    profile.set_data(srgb_icc_profile())
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFA1"),
        NameObject("/OutputConditionIdentifier"): TextStringObject(SRGB_CONDITION),
        NameObject("/Info"): TextStringObject(SRGB_CONDITION),
        NameObject("/DestOutputProfile"): writer._add_object(profile),
    })
    writer.root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _title(doc: m.Invoice | m.CreditNote) -> str:
    return "Credit note" if isinstance(doc, m.CreditNote) else "Invoice"


def render(doc: m.Invoice | m.CreditNote) -> bytes:
    """A plain visual rendering: parties, references, lines, VAT breakdown and totals (A4, embedded font)."""
    import reportlab
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(_FONT, str(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf")))
    buf = io.BytesIO()
    c = canvas.Canvas(
        buf, pagesize=A4, pageCompression=1, invariant=1, initialFontName=_FONT, initialFontSize=9
    )
    c.setTitle(f"{_title(doc)} {doc.number}")
    c.setAuthor(doc.seller.name)
    width, height = A4
    y = height - 50

    def line(text: str, size: int = 9, x: float = 40) -> None:
        nonlocal y
        if y < 50:
            c.showPage()
            y = height - 50
        c.setFont(_FONT, size)
        c.drawString(x, y, text[:110])
        y -= size + 5

    line(f"{_title(doc)} {doc.number}", 16)
    line(
        f"Issue date {doc.issue_date.isoformat()}"
        + (f"   Due {doc.due_date.isoformat()}" if doc.due_date else "")
    )
    line(f"Seller: {doc.seller.name}" + (f"   VAT {doc.seller.vat_id}" if doc.seller.vat_id else ""))
    line(f"Buyer: {doc.buyer.name}" + (f"   VAT {doc.buyer.vat_id}" if doc.buyer.vat_id else ""))
    if doc.buyer_reference or doc.order_reference:
        line(f"Buyer reference: {doc.buyer_reference or '-'}   Order: {doc.order_reference or '-'}")
    y -= 6
    line("Line  Item                                      Quantity        Price          Net   VAT", 9)
    for ln in doc.lines:
        line(
            f"{ln.id:<5} {ln.name[:40]:<40} {decimal_text(ln.quantity):>9} {ln.unit_code:<4}"
            f" {decimal_text(ln.net_price):>10} {decimal_text(ln.net_amount):>12}   {ln.vat_category}"
            f" {decimal_text(ln.vat_rate) + '%' if ln.vat_rate is not None else ''}"
        )
    y -= 6
    for b in doc.vat_breakdown:
        rate = f"{decimal_text(b.rate)}%" if b.rate is not None else ""
        line(
            f"VAT {b.category} {rate}: taxable {decimal_text(b.taxable_amount)},"
            f" VAT {decimal_text(b.tax_amount)}"
        )
    t = doc.totals
    line(f"Total without VAT {decimal_text(t.tax_exclusive_amount)} {doc.currency}")
    if t.tax_amount is not None:
        line(f"VAT total {decimal_text(t.tax_amount)} {doc.currency}")
    line(f"Total with VAT {decimal_text(t.tax_inclusive_amount)} {doc.currency}")
    line(f"Amount due {decimal_text(t.payable_amount)} {doc.currency}", 11)
    if doc.payment is not None:
        for ct in doc.payment.credit_transfers:
            line(f"Pay to {ct.account_id}" + (f" ({ct.bic})" if ct.bic else ""))
    c.showPage()
    c.save()
    return buf.getvalue()
