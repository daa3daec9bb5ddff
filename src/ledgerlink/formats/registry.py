"""Which reader and writer serve which media type.

Readers: canonical JSON (``application/json``: one document, a JSON array, or ``{"documents": [...]}``),
XML (``application/xml``, ``text/xml``: UBL Invoice/CreditNote or CII, told apart by the root element),
Factur-X PDF (``application/pdf``) and CSV (``text/csv`` with a layout profile).
Writers: ``json``, ``ubl``, ``cii``, ``facturx``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from ledgerlink.domain.documents import AnyDocument, Document
from ledgerlink.domain.violations import Violation
from ledgerlink.formats import canonical
from ledgerlink.formats.base import Found, ReadResult, UnsupportedMediaType

JSON_TYPES = frozenset({"application/json", "application/ld+json"})
XML_TYPES = frozenset({"application/xml", "text/xml"})
PDF_TYPES = frozenset({"application/pdf"})
CSV_TYPES = frozenset({"text/csv", "application/csv"})

WRITE_MEDIA_TYPES = {
    "json": "application/json",
    "ubl": "application/xml",
    "cii": "application/xml",
    "facturx": "application/pdf",
}


def media_type_of(content_type: str | None) -> str:
    return (content_type or "application/json").split(";")[0].strip().lower()


def source_format_of(media_type: str) -> str:
    if media_type in JSON_TYPES:
        return "json"
    if media_type in XML_TYPES:
        return "xml"
    if media_type in PDF_TYPES:
        return "facturx"
    if media_type in CSV_TYPES:
        return "csv"
    raise UnsupportedMediaType(media_type)


def read_bytes(data: bytes, media_type: str, *, profile: Any = None) -> ReadResult:
    """Every document in ``data``, with reader violations; raises :class:`UnsupportedMediaType`.

    ``profile`` (CSV only) is a loaded ``csvprofiles.Profile``, a built-in name, or — from the command
    line only — a profile file path. The API resolves names itself and never passes a path.
    """
    kind = source_format_of(media_type_of(media_type))
    if kind == "json":
        return read_canonical_json(data)
    if kind == "xml":
        from ledgerlink.formats import xml_reader

        return xml_reader.read(data)
    if kind == "facturx":
        from ledgerlink.formats import facturx

        return facturx.read(data)
    if not profile:
        return ReadResult(violations=[Violation("CSV-PROFILE", "profile", "a CSV body needs a layout profile",
                                                expected="?profile=NAME (e.g. sage50-audit-trail)")])
    from ledgerlink.formats import csvprofiles

    return csvprofiles.read_bytes(data, profile)


class _Batch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: list[Document]


_ONE: TypeAdapter[Any] = TypeAdapter(Document)
_LIST: TypeAdapter[list[Any]] = TypeAdapter(list[Document])
_BATCH: TypeAdapter[_Batch] = TypeAdapter(_Batch)


def _fast_shapes(data: bytes) -> tuple[TypeAdapter[Any], ...]:
    """The body shapes worth trying, most likely first (a union would validate a batch twice)."""
    start = data.lstrip()[:1]
    if start == b"[":
        return (_LIST,)
    if start == b"{":
        return (_BATCH, _ONE) if b'"documents"' in data else (_ONE,)
    return ()


def read_canonical_json(data: bytes) -> ReadResult:
    """One document, a list, or ``{"documents": [...]}``.

    Canonical JSON (decimals as strings) is parsed and validated in one pass by pydantic's Rust
    parser. Anything that pass refuses — JSON number tokens with a fraction (which that parser
    would read through a binary float), or any error at all — is read again exactly
    (``parse_float=Decimal``), which also gives every error its path.
    """
    for shape in _fast_shapes(data):
        try:
            parsed = shape.validate_json(data)
            break
        except ValidationError:
            continue
    else:
        return _read_canonical_json_exactly(data)
    if isinstance(parsed, _Batch):
        return ReadResult([Found(d, f"documents[{i}]") for i, d in enumerate(parsed.documents)])
    if isinstance(parsed, list):
        return ReadResult([Found(d, f"[{i}]") for i, d in enumerate(parsed)])
    return ReadResult([Found(parsed, "")])


def _read_canonical_json_exactly(data: bytes) -> ReadResult:
    result = ReadResult()
    try:
        parsed = canonical.loads(data)
    except canonical.CanonicalJsonError as exc:
        result.violations.extend(exc.violations)
        return result
    items: list[tuple[str, Any]]
    if isinstance(parsed, list):
        items = [(f"[{i}]", obj) for i, obj in enumerate(parsed)]
    elif isinstance(parsed, dict) and "documents" in parsed and "kind" not in parsed:
        extra = sorted(set(parsed) - {"documents"})
        if extra:
            result.violations.append(Violation("SCHEMA", extra[0], "unknown field in a batch", expected="documents"))
        docs = parsed["documents"]
        if not isinstance(docs, list):
            result.violations.append(Violation("SCHEMA", "documents", "must be a list of documents",
                                               found=type(docs).__name__))
            return result
        items = [(f"documents[{i}]", obj) for i, obj in enumerate(docs)]
    else:
        items = [("", parsed)]
    for location, obj in items:
        try:
            result.documents.append(Found(canonical.document_from_obj(obj, path_prefix=location), location))
        except canonical.CanonicalJsonError as exc:
            result.violations.extend(exc.violations)
    return result


def write_bytes(document: AnyDocument, fmt: str) -> bytes:
    """The document in ``fmt`` (json, ubl, cii, facturx)."""
    if fmt == "json":
        return canonical.dumps(document)
    if fmt in ("ubl", "cii", "facturx"):
        import importlib

        module = importlib.import_module(f"ledgerlink.formats.{fmt}")
        data: bytes = module.write(document)
        return data
    raise UnsupportedMediaType(fmt)
