"""Canonical JSON: the model's own serialisation, read and written without loss.

Rules: decimals are written as strings and read from strings or JSON numbers (numbers are
parsed exactly, never through float); unknown fields and wrong types are errors with their path.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ledgerlink.domain.documents import AnyDocument, Document
from ledgerlink.domain.violations import Violation, format_path

_DOCUMENT = TypeAdapter(Document)


class CanonicalJsonError(ValueError):
    """The bytes are not canonical JSON documents; ``violations`` says where and why."""

    def __init__(self, violations: list[Violation]):
        super().__init__("; ".join(f"{v.path}: {v.message}" for v in violations))
        self.violations = violations


def loads(data: bytes | str) -> Any:
    """Parse JSON with exact decimals; raises :class:`CanonicalJsonError` on malformed input."""
    try:
        return json.loads(data, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CanonicalJsonError([Violation("JSON", "", f"malformed JSON: {exc}")]) from None


def document_from_obj(obj: Any, *, path_prefix: str = "") -> AnyDocument:
    """Validate one parsed JSON object as a canonical document."""
    try:
        return _DOCUMENT.validate_python(obj)
    except ValidationError as exc:
        raise CanonicalJsonError(_violations(exc, path_prefix)) from None


def _violations(exc: ValidationError, prefix: str) -> list[Violation]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        # drop the union tag pydantic inserts after the discriminator ("invoice", ...)
        if loc and isinstance(loc[0], str) and loc[0] in {"invoice", "credit_note", "statement", "ledger_update"}:
            loc = loc[1:]
        if not loc and err["type"].startswith("union_tag"):
            loc = ("kind",)  # the discriminator itself is what is wrong or missing
        path = format_path(loc)
        if prefix:
            path = f"{prefix}.{path}" if path and not path.startswith("[") else f"{prefix}{path}"
        found = err.get("input")
        out.append(
            Violation(
                rule="SCHEMA",
                path=path,
                message=err["msg"],
                expected=expected_of(err["type"], err.get("ctx") or {}),
                found=None if isinstance(found, (dict, list)) else _short(found),
            )
        )
    return out


_EXPECTED = {
    "missing": "a value (the field is required)",
    "extra_forbidden": "no such field (see the Document schema in /openapi.json)",
    "string_type": "text",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "list_type": "a JSON array",
    "tuple_type": "a JSON array",
    "dict_type": "a JSON object",
    "model_type": "a JSON object",
    "model_attributes_type": "a JSON object",
    "decimal_type": 'a decimal number, best as text ("12.50")',
    "decimal_parsing": 'a decimal number, best as text ("12.50")',
    "finite_number": "a finite number",
    "date_type": "a date YYYY-MM-DD",
    "date_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_parsing": "a date YYYY-MM-DD",
    "date_from_datetime_inexact": "a date YYYY-MM-DD",
    "union_tag_invalid": "a kind: invoice, credit_note, statement or ledger_update",
    "union_tag_not_found": "a kind: invoice, credit_note, statement or ledger_update",
    "bytes_type": "standard base64 text",
}


def expected_of(error_type: str, ctx: dict[str, Any]) -> str:
    """What a field wanted, in words, for a pydantic error type (with its context where it has one)."""
    if error_type in ("literal_error", "enum") and "expected" in ctx:
        return f"one of {ctx['expected']}"
    unit = "character" if error_type.startswith("string_") else "item"
    if error_type in ("string_too_short", "too_short") and "min_length" in ctx:
        count = ctx["min_length"]
        return f"at least {count} {unit}{'' if count == 1 else 's'}"
    if error_type in ("string_too_long", "too_long") and "max_length" in ctx:
        count = ctx["max_length"]
        return f"at most {count} {unit}{'' if count == 1 else 's'}"
    if error_type == "value_error":
        return "a valid value (see the message)"
    return _EXPECTED.get(error_type, error_type)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def to_obj(document: AnyDocument) -> dict[str, Any]:
    """The document as a JSON-ready dict (decimals as strings, empty and absent fields left out)."""
    return document.model_dump(mode="json", exclude_none=True, exclude_defaults=False)


def dumps(document: AnyDocument) -> bytes:
    """Canonical bytes: compact UTF-8 JSON, fields in model order, absent fields left out.

    Equal documents give equal bytes (the content hash relies on it).
    """
    return type(document).__pydantic_serializer__.to_json(document, exclude_none=True)  # bytes, no str round trip


def content_hash(document: AnyDocument) -> str:
    """sha256 of the canonical bytes: the identity used for duplicate detection."""
    return hashlib.sha256(dumps(document)).hexdigest()
