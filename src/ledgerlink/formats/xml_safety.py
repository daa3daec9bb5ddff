"""Hardened XML parsing for untrusted input: one parse, nothing resolved, nothing fetched.

Rules:

* A document type declaration of any kind (``<!DOCTYPE``, internal subset, ``<!ENTITY``) is refused
  with rule ``XML-SECURITY``: UBL and CII never need one, and refusing it closes XXE, external DTDs
  and entity-expansion ("billion laughs") at once. Entities are never resolved and the parser never
  touches the network (``no_network``, ``load_dtd=False``, ``resolve_entities=False``).
* ``huge_tree`` stays off (libxml2's own depth and text-node limits apply) and the input is capped
  at :attr:`XmlLimits.max_document_bytes` before parsing.
* Field length caps (:attr:`XmlLimits.max_field_chars`, :attr:`XmlLimits.max_binary_chars`) are
  enforced by the readers where they take a value.
* Malformed, truncated or wrongly encoded bytes give a ``XML`` violation with libxml2's line and
  column; nothing raises.
* Whitespace-only text between elements is not kept (``remove_blank_text``): no reader value can
  change, since every value is stripped and empty counts as absent.
* Each thread parses with its own parser: lxml serialises parses that share one.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from lxml import etree

from ledgerlink.domain.violations import Violation


@dataclass(frozen=True, slots=True)
class XmlLimits:
    """Size caps for untrusted XML (bytes of input, characters of one text field)."""

    max_document_bytes: int = 50 * 1024 * 1024
    max_field_chars: int = 10_000
    max_binary_chars: int = 20 * 1024 * 1024


DEFAULT_LIMITS = XmlLimits()

# A DTD can only appear in the prolog, at the start: look in the first 64 KiB (any common encoding).
_DTD_MARKERS = re.compile(
    rb"<!(?:\x00)?D(?:\x00)?O(?:\x00)?C(?:\x00)?T(?:\x00)?Y(?:\x00)?P(?:\x00)?E|<!ENTITY"
)
HEAD_BYTES = 65536
"""How far :func:`has_dtd_marker` looks."""


def has_dtd_marker(data: bytes) -> bool:
    """Whether ``_DTD_MARKERS`` matches in the first :data:`HEAD_BYTES` bytes (``search(data[:HEAD_BYTES])``).

    Every match starts with ``<!``, and ``!`` is rare in XML (comments): each ``!`` is found with
    ``bytes.find`` (``memchr``) and the pattern tried where a ``<`` precedes it; past a few of them the
    rest of the head is searched with the pattern in one go.
    """
    bang = data.find(b"!", 1, HEAD_BYTES)
    for _ in range(8):
        if bang == -1:
            return False
        if data[bang - 1] == 0x3C and _DTD_MARKERS.match(data, bang - 1, HEAD_BYTES):
            return True
        bang = data.find(b"!", bang + 1, HEAD_BYTES)
    return bang != -1 and _DTD_MARKERS.search(data, bang - 1, HEAD_BYTES) is not None


def _parser() -> etree.XMLParser:
    """The hardened parser. ``remove_blank_text`` drops whitespace-only text between elements (it
    never touches a value: readers strip every text and take empty as absent), which makes both the
    parse and the readers' walk cheaper."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=True,
        collect_ids=False,
    )


_PER_THREAD = threading.local()


def _thread_parser() -> etree.XMLParser:
    """This thread's parser: lxml serialises the parses that share one parser (a lock per parser)."""
    parser: etree.XMLParser | None = getattr(_PER_THREAD, "parser", None)
    if parser is None:
        parser = _PER_THREAD.parser = _parser()
    return parser


def parse(data: bytes, limits: XmlLimits = DEFAULT_LIMITS) -> tuple[etree._Element | None, list[Violation]]:
    """Parse untrusted bytes; return the root element, or ``None`` and the violations why not."""
    if not isinstance(data, (bytes, bytearray)):
        return None, [
            Violation("XML", "/", "XML input must be bytes", expected="bytes", found=type(data).__name__)
        ]
    if len(data) > limits.max_document_bytes:
        return None, [
            Violation(
                "XML",
                "/",
                "document too large",
                expected=f"at most {limits.max_document_bytes} bytes",
                found=f"{len(data)} bytes",
            )
        ]
    if not data or data.isspace():  # as "not data.strip()", without copying the input
        return None, [Violation("XML", "/", "empty document", expected="an XML document", found="no content")]
    if has_dtd_marker(data):
        return None, [_dtd_refused()]
    try:
        root = etree.fromstring(bytes(data), _thread_parser())
    except etree.XMLSyntaxError as exc:
        return None, [_syntax_violation(exc, bytes(data))]
    except ValueError as exc:  # e.g. an unknown encoding declaration
        return None, [Violation("XML", "/", f"unreadable XML: {exc}")]
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        return None, [_dtd_refused()]
    return root, []


def _dtd_refused() -> Violation:
    return Violation(
        "XML-SECURITY",
        "/",
        "document type declarations and entities are refused (XXE / entity expansion protection)",
        expected="no <!DOCTYPE> and no <!ENTITY>",
        found="<!DOCTYPE ...>",
    )


def _syntax_violation(exc: etree.XMLSyntaxError, data: bytes) -> Violation:
    """A parse error as a violation; an error at the very end of the input means the file is truncated."""
    line, column = exc.position if exc.position else (0, 0)
    message = str(exc.msg or exc)
    lowered = message.lower()
    if "entity" in lowered and ("not defined" in lowered or "amplification" in lowered or "loop" in lowered):
        return Violation("XML-SECURITY", f"line {line}, column {column}", f"entity refused: {message}")
    if "encoding" in lowered or "utf-8" in lowered or ("char" in lowered and "invalid" in lowered):
        return Violation(
            "XML",
            f"line {line}, column {column}",
            f"wrong encoding: {message}",
            expected="bytes in the declared encoding (UTF-8 by default)",
        )
    last_line = data.rstrip().rsplit(b"\n", 1)[-1].decode("utf-8", "replace")
    at_end = line >= data.rstrip().count(b"\n") + 1 and column >= len(last_line) - 1
    if (
        "premature end" in lowered
        or "end of data" in lowered
        or (at_end and "empty" not in lowered and "mismatch" not in lowered)
    ):
        return Violation("XML", f"line {line}, column {column}", f"truncated document: {message}")
    return Violation("XML", f"line {line}, column {column}", f"malformed XML: {message}")
