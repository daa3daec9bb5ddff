"""Shared pieces of the UBL and CII readers and writers: tags, typed field access, errors.

Rules for every value taken from XML:

* Text is stripped of leading and trailing whitespace; an element present but empty counts as absent.
* Decimals must be ``xs:decimal`` lexical forms (``-12.50``, no exponent, no NaN) and are read with
  ``Decimal(text)`` exactly, never through float.
* A field longer than the configured cap is refused (``XML`` rule), binary objects have their own cap.
* Every problem is a :class:`Violation` carrying the XPath of the element
  (``/Invoice/cac:InvoiceLine[2]/cbc:ID``); nothing raises out of a reader.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, NamedTuple, TypeVar

from lxml import etree
from pydantic import ValidationError

from ledgerlink.domain.documents import AllowanceCharge, AnyDocument, CreditNote, Invoice, Totals
from ledgerlink.domain.violations import Severity, Violation, format_path
from ledgerlink.formats.xml_safety import DEFAULT_LIMITS, XmlLimits

T = TypeVar("T")

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)\Z")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATE_102 = re.compile(r"\d{8}\Z")
_WHITESPACE = re.compile(rb"\s+")


class Tag(NamedTuple):
    """An element name twice: Clark notation for lxml, prefixed for error paths."""

    clark: str
    name: str


def tag_factory(namespace: str, prefix: str) -> Callable[[str], Tag]:
    """``factory("ID")`` → the :class:`Tag`; built once per name (readers call it in hot loops)."""

    @cache
    def make(local: str) -> Tag:
        return Tag(f"{{{namespace}}}{local}", f"{prefix}:{local}" if prefix else local)

    return make


class WriteError(ValueError):
    """The document cannot be expressed in the target format; ``violations`` says which term and why."""

    def __init__(self, violations: list[Violation]):
        super().__init__("; ".join(f"{v.path}: {v.message}" for v in violations))
        self.violations = violations


def check_allowance(item: AllowanceCharge, document_level: bool, problems: list[Violation]) -> None:
    """Document-level allowances/charges need their VAT category; line-level ones take the line's."""
    if document_level and not item.vat_category:
        problems.append(
            Violation(
                "SCHEMA",
                "allowances/charges",
                "a document-level allowance or charge needs its VAT category (BT-95 / BT-102)",
                expected="a category code",
                found="none",
            )
        )
    if not document_level and (item.vat_category is not None or item.vat_rate is not None):
        problems.append(
            Violation(
                "SCHEMA",
                "lines[].allowances/charges",
                "a line allowance or charge takes the line's VAT category; its own cannot be written",
                expected="none",
                found=f"{item.vat_category} {item.vat_rate}",
            )
        )


def decimal_text(value: Decimal) -> str:
    """A decimal as written to XML: the value as given, in positional (non-exponent) notation."""
    return format(value, "f")


class Source:
    """Typed, capped field access over one parsed document, collecting violations."""

    __slots__ = ("violations", "limits", "currency", "_children")

    def __init__(self, limits: XmlLimits = DEFAULT_LIMITS):
        self.violations: list[Violation] = []
        self.limits = limits
        self.currency: str | None = None
        self._children: dict[etree._Element, dict[Any, list[etree._Element]]] = {}

    # ------------------------------------------------------------------ navigation

    def children(self, el: etree._Element) -> dict[Any, list[etree._Element]]:
        """The element's children by tag, indexed on first use (one pass; lookups are then O(1))."""
        index = self._children.get(el)
        if index is None:
            index = {}
            for child in el:
                found = index.get(child.tag)
                if found is None:
                    index[child.tag] = [child]
                else:
                    found.append(child)
            self._children[el] = index
        return index

    def first(self, el: etree._Element, tag: Tag) -> etree._Element | None:
        index = self._children.get(el)
        if index is None:
            index = self.children(el)
        found = index.get(tag.clark)
        return None if found is None else found[0]

    def all(self, el: etree._Element, tag: Tag) -> list[etree._Element]:
        return self.children(el).get(tag.clark, [])

    # ------------------------------------------------------------------ reporting

    def error(
        self, rule: str, path: str, message: str, expected: str | None = None, found: str | None = None
    ) -> None:
        self.violations.append(Violation(rule, path, message, expected, found))

    def warning(self, path: str, message: str, found: str | None = None) -> None:
        self.violations.append(Violation("XML", path, message, found=found, severity=Severity.WARNING))

    def missing(self, path: str, what: str) -> None:
        self.error(
            "SCHEMA",
            path,
            f"required element missing: {what}",
            expected="an element with a value",
            found="nothing",
        )

    @property
    def failed(self) -> bool:
        return any(v.severity is Severity.ERROR for v in self.violations)

    # ------------------------------------------------------------------ text

    def value(
        self, el: etree._Element, path: str, *, required: bool = False, binary: bool = False
    ) -> str | None:
        text: str | None = el.text
        if text is None or not (text := text.strip()):
            if required:
                self.missing(path, "a non-empty value")
            return None
        cap = self.limits.max_binary_chars if binary else self.limits.max_field_chars
        if len(text) > cap:
            self.error(
                "XML",
                path,
                "field too long",
                expected=f"at most {cap} characters",
                found=f"{len(text)} characters",
            )
            return None
        return text

    def text(self, parent: etree._Element, tag: Tag, path: str, *, required: bool = False) -> str | None:
        index = self._children.get(parent)
        if index is None:
            index = self.children(parent)
        found = index.get(tag.clark)
        if found is None:
            if required:
                self.missing(f"{path}/{tag.name}", tag.name)
            return None
        text: str | None = found[0].text
        if text is not None and (text := text.strip()) and len(text) <= self.limits.max_field_chars:
            return text  # the common case, without building the element's path
        return self.value(found[0], f"{path}/{tag.name}", required=required)

    def texts(self, parent: etree._Element, tag: Tag, path: str) -> list[str]:
        out = []
        for i, el in enumerate(self.all(parent, tag), 1):
            v = self.value(el, f"{path}/{tag.name}[{i}]")
            if v is not None:
                out.append(v)
        return out

    def attr(self, el: etree._Element, name: str, path: str) -> str | None:
        raw: str | None = el.get(name)
        if raw is None or not (raw := raw.strip()):
            return None
        if len(raw) > self.limits.max_field_chars:
            self.error(
                "XML",
                f"{path}/@{name}",
                "attribute too long",
                expected=f"at most {self.limits.max_field_chars} characters",
                found=f"{len(raw)} characters",
            )
            return None
        return raw

    # ------------------------------------------------------------------ typed values

    def parse_decimal(self, text: str, path: str) -> Decimal | None:
        if not _DECIMAL.match(text):
            self.error(
                "XML", path, "not a decimal number", expected="xs:decimal such as 1234.50", found=_short(text)
            )
            return None
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            self.error("XML", path, "not a decimal number", found=_short(text))
            return None

    def decimal(
        self, parent: etree._Element, tag: Tag, path: str, *, required: bool = False, amount: bool = False
    ) -> Decimal | None:
        el = self.first(parent, tag)
        if el is None:
            if required:
                self.missing(f"{path}/{tag.name}", tag.name)
            return None
        return self.decimal_of(el, f"{path}/{tag.name}", required=required, amount=amount)

    def decimal_of(
        self, el: etree._Element, path: str, *, required: bool = False, amount: bool = False
    ) -> Decimal | None:
        text = self.value(el, path, required=required)
        if text is None:
            return None
        if amount and self.currency is not None:
            cur = el.get("currencyID")
            if cur is not None and cur.strip() != self.currency:
                self.error(
                    "PEPPOL-EN16931-R051",
                    f"{path}/@currencyID",
                    "amount currency differs from the document currency (BT-5)",
                    expected=self.currency,
                    found=cur,
                )
        return self.parse_decimal(text, path)

    def iso_date(
        self, parent: etree._Element, tag: Tag, path: str, *, required: bool = False
    ) -> dt.date | None:
        text = self.text(parent, tag, path, required=required)
        if text is None:
            return None
        return self.parse_iso_date(text, f"{path}/{tag.name}")

    def parse_iso_date(self, text: str, path: str) -> dt.date | None:
        if _ISO_DATE.match(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        self.error("XML", path, "not a date", expected="YYYY-MM-DD", found=_short(text))
        return None

    def parse_date_102(self, text: str, fmt: str | None, path: str) -> dt.date | None:
        if fmt is not None and fmt.strip() != "102":
            self.error("XML", f"{path}/@format", "unsupported date format", expected="102", found=fmt)
            return None
        if _DATE_102.match(text):
            try:
                return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
            except ValueError:
                pass
        self.error("XML", path, "not a date", expected="YYYYMMDD (format 102)", found=_short(text))
        return None

    def binary(self, el: etree._Element, path: str) -> bytes | None:
        text = self.value(el, path, binary=True)
        if text is None:
            return None
        try:
            return base64.b64decode(_WHITESPACE.sub(b"", text.encode("ascii")), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            self.error(
                "XML", path, "embedded object is not valid base64", expected="base64", found=_short(text)
            )
            return None

    def indicator(self, el: etree._Element | None, path: str) -> bool | None:
        if el is None:
            self.missing(path, "a true/false indicator")
            return None
        text = self.value(el, path, required=True)
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        if text is not None:
            self.error("XML", path, "not a boolean", expected="true or false", found=_short(text))
        return None

    # ------------------------------------------------------------------ building models

    def build(self, factory: Callable[..., T], path: str, **fields: Any) -> T | None:
        """Construct a model part; a validation error becomes a ``SCHEMA`` violation at ``path``."""
        try:
            return factory(**fields)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                sub = format_path(tuple(err["loc"]))
                found = err.get("input")
                self.error(
                    "SCHEMA",
                    f"{path} ({sub})" if sub else path,
                    err["msg"],
                    expected=err["type"],
                    found=None if isinstance(found, (dict, list, tuple)) else _short(str(found)),
                )
            return None


def finish(
    src: Source, factory: Callable[..., AnyDocument], path: str, fields: dict[str, Any]
) -> AnyDocument | None:
    """The document, unless the source had an error (then nothing: no partial documents)."""
    if src.failed:
        return None
    return src.build(factory, path, **fields)


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


class ElementWriter:
    """What the UBL and CII writers share: building elements, leaving out absent values, collecting problems."""

    def __init__(self, doc: Any):
        self.doc = doc
        self.problems: list[Violation] = []

    def el(self, parent: etree._Element, tag: Tag, text: str | None = None, **attrs: str | None) -> etree._Element:
        child = etree.SubElement(parent, tag.clark, {k: v for k, v in attrs.items() if v is not None})
        if text is not None:
            child.text = text
        return child

    def opt(self, parent: etree._Element, tag: Tag, text: str | None, **attrs: str | None) -> None:
        """The element only when there is a value."""
        if text is not None:
            self.el(parent, tag, text, **attrs)


REQUIRED_TOTALS = ("line_extension_amount", "tax_exclusive_amount", "tax_inclusive_amount", "payable_amount")


def totals_or_none(values: dict[str, Any]) -> Totals | None:
    """The document totals, or None when a required one is missing (the reader reported it already)."""
    if any(values[name] is None for name in REQUIRED_TOTALS):
        return None
    return Totals(**values)


def commercial_only(doc: AnyDocument, syntax: str) -> Invoice | CreditNote:
    """The document, when ``syntax`` can carry it: only invoices and credit notes have an XML form."""
    if not isinstance(doc, (Invoice, CreditNote)):
        raise WriteError([Violation("SCHEMA", "kind", f"only invoices and credit notes can be written as {syntax}",
                                    expected="invoice or credit_note", found=doc.kind)])
    return doc
