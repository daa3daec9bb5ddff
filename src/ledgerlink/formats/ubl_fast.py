"""Fast path of the UBL reader: the same mapping as :mod:`ledgerlink.formats.ubl`, without error reporting.

The Python reader in :mod:`ledgerlink.formats.ubl` is the reference and the only source of violations.
This module reads a document the lean way and gives up (``None``) wherever the reference reader would
report anything.

Rules:

* **One pass, declared as tables.** Each UBL aggregate is a :class:`Part`: its children by tag, each
  with the model field it fills and how (:data:`TEXT`, :data:`AMOUNT`, a nested part, ...).
  :meth:`_Reader.fill` visits the children once and dispatches on their tag; no XPath, no ``find``.
* **The first element of a tag is the one read**, as the reference reader's ``Source.first``. Children
  are visited last to first, so the first one's value is written last. A later duplicate is read too:
  if it is unusual the document is left to the reference reader, which only costs time.
* Every value is taken exactly as the reference reader takes it: the element's text, stripped, empty
  counts as absent, capped at :class:`~ledgerlink.formats.xml_safety.XmlLimits`; decimals through the
  ``xs:decimal`` lexical rule (:func:`xs_decimal`, the rule of ``xml_common._DECIMAL``) and
  ``Decimal(text)``, never float; dates through the same ``YYYY-MM-DD`` pattern and
  ``date.fromisoformat``; embedded objects through the same base64 decoding.
* Wherever the reference reader records a violation — error or warning — this one raises
  :class:`Unusual`, and :func:`read_document` returns ``None``: the caller then runs the reference
  reader on the same parsed tree (no second parse) to get the precise violations with their XPaths.
* **No second validation.** Every value is of its model type and meets the model's constraints when it
  is taken here (non-empty identifiers, required terms present, tuples, finite decimals), so the parts are
  built with :func:`construct`, which sets the fields without validating them again. The tests validate
  every document read here again with pydantic and require the result to be equal.
* So a document read here equals the one the reference reader gives; ``tests/formats/test_ubl_fast.py``
  checks it over every Peppol sample, generated invoices and credit notes, and damaged documents.

Children are taken from lxml as lists (``el[::-1]``, ``el[:]``, ``el[0]``): starting lxml's child
iterator costs more than reading a small aggregate's children.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, TypeVar

from lxml import etree
from pydantic import BaseModel

from ledgerlink.domain import documents as m
from ledgerlink.formats.xml_common import _ISO_DATE, _WHITESPACE
from ledgerlink.formats.xml_safety import DEFAULT_LIMITS, XmlLimits

_NAMESPACES = {
    "cac": "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}",
    "cbc": "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}",
}
CREDIT_NOTE_TAG = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
INVOICE_TAG = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"

DOCUMENT_REFERENCES = (
    ("despatch_advice_reference", "DespatchDocumentReference"),
    ("receiving_advice_reference", "ReceiptDocumentReference"),
    ("tender_reference", "OriginatorDocumentReference"),
    ("contract_reference", "ContractDocumentReference"),
    ("project_reference", "ProjectReference"),
)
"""Model field and UBL element of the simple document references (BT-16, BT-15, BT-17, BT-12, BT-11)."""

SUBJECT_NOTE = re.compile(r"#([A-Za-z0-9]{1,3})#(.*)\Z", re.DOTALL)
"""BT-21 in UBL (Peppol convention): ``#CODE#text``; shared with the reference reader."""


class Unusual(Exception):
    """The reference reader would report something here: leave this document to it.

    Raised as the class (a new instance each time): a shared instance would keep the traceback, and
    with it the last document's tree, alive.
    """


def clark(prefixed: str) -> str:
    """``cbc:ID`` → ``{urn:…CommonBasicComponents-2}ID``, the tag lxml gives that element."""
    prefix, local = prefixed.split(":")
    return _NAMESPACES[prefix] + local


def xs_decimal(text: str) -> Decimal:
    """The ``xs:decimal`` text (stripped, not empty) as a ``Decimal``; anything else is unusual.

    The rule of ``xml_common._DECIMAL`` (``[+-]?(\\d+(\\.\\d*)?|\\.\\d+)``): one optional sign, then
    digits with at most one point and at least one digit. ``str.isdecimal`` is the pattern's ``\\d``
    (Unicode category Nd); checked without the regex engine, which costs more.
    """
    if not text.replace(".", "", 1).isdecimal() and (
        text[0] not in "+-" or not text[1:].replace(".", "", 1).isdecimal()
    ):
        raise Unusual
    return Decimal(text)


def first_child(el: etree._Element, tag: str) -> etree._Element | None:
    """The element's first ``tag`` child (the reference reader's ``Source.first``)."""
    if len(el) == 1:  # the common wrapper: one child, by index
        child = el[0]
        return child if child.tag == tag else None
    for child in el[:]:
        if child.tag == tag:
            return child
    return None


# ---------------------------------------------------------------------------- building model parts

M = TypeVar("M", bound=BaseModel)
_new = object.__new__
_ALL_FIELDS: dict[type[BaseModel], set[str]] = {}


def _slot_setter(name: str) -> Callable[[BaseModel, Any], None]:
    """The setter of a ``BaseModel`` instance slot, bound once: cheaper than ``object.__setattr__``,
    which finds the slot by name on every call."""
    setter: Callable[[BaseModel, Any], None] = BaseModel.__dict__[name].__set__
    return setter


_set_dict = _slot_setter("__dict__")
_set_fields_set = _slot_setter("__pydantic_fields_set__")
_set_extra = _slot_setter("__pydantic_extra__")
_set_private = _slot_setter("__pydantic_private__")


def defaults(cls: type[BaseModel]) -> dict[str, Any]:
    """Every field of ``cls`` in declaration order: its default, or ``None`` for a required one.

    Also registers ``cls`` for :func:`construct` (which needs the set of its fields).
    """
    _ALL_FIELDS[cls] = set(cls.model_fields)
    return {
        name: None if field.is_required() else field.get_default(call_default_factory=True)
        for name, field in cls.model_fields.items()
    }


def construct(cls: type[M], values: dict[str, Any]) -> M:
    """An instance of a frozen model from its field values, without validating them again.

    ``values`` holds every field of ``cls`` in declaration order (serialisation follows it), each
    already of its type and within its constraints. Every field counts as set (one set per model
    class, shared: pydantic copies it before changing it). The tests check that validating the result
    again gives an equal document.
    """
    obj = _new(cls)
    _set_dict(obj, values)
    _set_fields_set(obj, _ALL_FIELDS[cls])
    _set_extra(obj, None)
    _set_private(obj, None)
    return obj


def construct_from(cls: type[M], values: dict[str, Any]) -> M:
    """:func:`construct` from some of the fields; the others take their defaults."""
    return construct(cls, {**DEFAULTS[cls], **values})


# ---------------------------------------------------------------------------- tables

# How a child fills its field (the kinds, most frequent first: :meth:`_Reader.fill` tests them in order).
TEXT: Final = 0  # its text
AMOUNT: Final = 1  # a decimal whose currencyID must be BT-5
WRAPPED: Final = 2  # the text of its first child of a given tag (a wrapper such as cac:Country)
ELEMENT: Final = 3  # the element itself, read further by the caller
INLINE: Final = 4  # a nested table filling fields of this part; at most one such child, the field is a marker
ELEMENTS: Final = 5  # as a list: every element,
PART: Final = 6  # a nested Part
DECIMAL: Final = 7
CALLS: Final = 8  # as a list: every function result,
PARTS: Final = 9  # every nested part
CALL: Final = 10  # what a function makes of the element
DATE: Final = 11

Child = tuple[str, int, Any]
"""How a field is read, as declared: (prefixed element name, kind, what the kind needs)."""
Entry = tuple[str, int, Any]
"""A table's entry: (field, kind, what the kind needs: a Part, a Table, a function or a tag)."""
Table = dict[str, Entry]
"""An aggregate's children that are read, by Clark tag."""
Finish = Callable[["_Reader", dict[str, Any]], Any]
ElementFunction = Callable[["_Reader", etree._Element], Any]


@dataclass(frozen=True, slots=True)
class Part:
    """One UBL aggregate: which children fill which fields, and what the filled fields become.

    With a ``model``, the fields start from the model's defaults (``start``), every ``required`` field
    must have a value, and the part is the model; ``finish`` replaces these steps where the mapping needs
    more (it also removes the helper fields that are not the model's). Without a model the part is
    ``finish`` of the fields read, or the dict of them.
    """

    table: Table
    model: type[BaseModel] | None = None
    required: tuple[str, ...] = ()
    finish: Finish | None = None
    start: dict[str, Any] | None = None

    @classmethod
    def of(
        cls,
        model: type[BaseModel] | None,
        *,
        required: tuple[str, ...] = (),
        finish: Finish | None = None,
        **fields: Child,
    ) -> Part:
        """``Part.of(m.Contact, name=text("cbc:Name"), ...)``: the fields by name, each read as declared."""
        return cls.from_fields(model, fields, required=required, finish=finish)

    @classmethod
    def from_fields(
        cls,
        model: type[BaseModel] | None,
        fields: dict[str, Child],
        *,
        required: tuple[str, ...] = (),
        finish: Finish | None = None,
    ) -> Part:
        table = {clark(element): (field, kind, arg) for field, (element, kind, arg) in fields.items()}
        return cls(table, model, required, finish, None if model is None else defaults(model))


def text(element: str) -> Child:
    return element, TEXT, None


def amount(element: str) -> Child:
    return element, AMOUNT, None


def decimal(element: str) -> Child:
    return element, DECIMAL, None


def date(element: str) -> Child:
    return element, DATE, None


def element(name: str) -> Child:
    return name, ELEMENT, None


def wrapped(name: str, inner: str, *, required: bool = False) -> Child:
    """The value of the wrapper's first ``inner`` child; ``required``: it must be there and not empty."""
    return name, WRAPPED, (clark(inner), required)


def elements(name: str) -> Child:
    return name, ELEMENTS, None


def one(name: str, part: Part) -> Child:
    return name, PART, part


def each(name: str, part: Part) -> Child:
    return name, PARTS, part


def call(name: str, function: ElementFunction) -> Child:
    return name, CALL, function


def calls(name: str, function: ElementFunction) -> Child:
    return name, CALLS, function


def inline(name: str, part: Part) -> Child:
    """The child's own fields fill this part's fields (``cac:Item`` into the line); the field is a marker."""
    return name, INLINE, part.table


def child_identifier(element: str) -> ElementFunction:
    """A wrapper's first ``element`` child as a required identifier (value and ``schemeID``)."""
    tag = clark(element)
    return lambda reader, el: reader.identifier(first_child(el, tag), True)


# ---------------------------------------------------------------------------- reading


def read_document(
    root: etree._Element, limits: XmlLimits = DEFAULT_LIMITS
) -> m.Invoice | m.CreditNote | None:
    """The UBL document when the reference reader would read it without any violation, else ``None``."""
    credit = root.tag == CREDIT_NOTE_TAG
    if not credit and root.tag != INVOICE_TAG:
        return None
    try:
        return _Reader(limits, credit).document(root)
    except Unusual:
        return None


def _present(value: Any) -> Any:
    """A value the model requires: absent or empty leaves the document to the reference reader."""
    if value is None:
        raise Unusual
    return value


def _indicator(value: str | None) -> bool:
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise Unusual


class _Reader:
    """One document's reading: the limits, BT-5 once known, whether BT-90 moves to the payment means."""

    __slots__ = ("credit", "currency", "divert", "maxb", "maxf")

    def __init__(self, limits: XmlLimits, credit: bool):
        self.maxf = limits.max_field_chars
        self.maxb = limits.max_binary_chars
        self.credit = credit
        self.currency: str | None = None
        self.divert = False

    # ------------------------------------------------------------------ the one pass

    def read(self, el: etree._Element, part: Part) -> Any:
        """The part ``el`` is: its model, what ``finish`` makes of its fields, or the fields."""
        start = part.start
        out = {} if start is None else start.copy()
        self.fill(el, part.table, out)
        if (finish := part.finish) is not None:
            return finish(self, out)
        for name in part.required:
            if out[name] is None:
                raise Unusual
        if (model := part.model) is None:
            return out
        return construct(model, out)

    def fill(self, el: etree._Element, table: Table, out: dict[str, Any]) -> None:
        """Each child ``table`` names into its field; last child first, so the first of a tag wins.

        List fields collect last to first (the finishers turn them round). The kinds are tested most
        frequent first; texts, amounts and decimals are read here, as :meth:`value`, :meth:`amount` and
        :meth:`decimal` read them (a call per child would cost as much as the read).
        """
        maxf = self.maxf
        for child in el[::-1]:
            try:
                field, kind, arg = table[child.tag]
            except KeyError:  # a child that is not read
                continue
            if kind == TEXT:
                text: str | None = child.text
                if text is None or not (text := text.strip()):
                    out[field] = None
                elif len(text) > maxf:
                    raise Unusual
                else:
                    out[field] = text
            elif kind == AMOUNT:
                text = child.text
                if text is None or not (text := text.strip()):
                    out[field] = None
                    continue
                if len(text) > maxf:
                    raise Unusual
                cur = child.get("currencyID")
                if cur is not None and cur != self.currency and self.currency is not None:
                    if cur.strip() != self.currency:
                        raise Unusual
                out[field] = xs_decimal(text)
            elif kind == WRAPPED:
                inner_tag, required = arg
                if len(child) == 1:  # the usual wrapper: read as first_child does
                    inner = child[0]
                    text = inner.text if inner.tag == inner_tag else None
                else:
                    text = None if (found := first_child(child, inner_tag)) is None else found.text
                if text is None or not (text := text.strip()):
                    if required:
                        raise Unusual
                    out[field] = None
                elif len(text) > maxf:
                    raise Unusual
                else:
                    out[field] = text
            elif kind == ELEMENT:
                out[field] = child
            elif kind == INLINE:
                if field in out:
                    raise Unusual  # a second such child: the reference reads only the first
                out[field] = True
                self.fill(child, arg, out)
            elif kind == ELEMENTS:
                if items := out.get(field):
                    items.append(child)
                else:
                    out[field] = [child]
            elif kind == PART:
                out[field] = self.read(child, arg)
            elif kind == DECIMAL:
                text = child.text
                if text is None or not (text := text.strip()):
                    out[field] = None
                elif len(text) > maxf:
                    raise Unusual
                else:
                    out[field] = xs_decimal(text)
            elif kind == CALLS:
                if items := out.get(field):  # a list, or absent, or the default ()
                    items.append(arg(self, child))
                else:
                    out[field] = [arg(self, child)]
            elif kind == PARTS:
                if items := out.get(field):
                    items.append(self.read(child, arg))
                else:
                    out[field] = [self.read(child, arg)]
            elif kind == CALL:
                out[field] = arg(self, child)
            else:
                out[field] = self.date(child)

    # ------------------------------------------------------------------ values (as Source does)

    def value(self, el: etree._Element | None, *, required: bool = False) -> str | None:
        text: str | None = None if el is None else el.text
        if text is None or not (text := text.strip()):
            if required:
                raise Unusual
            return None
        if len(text) > self.maxf:
            raise Unusual
        return text

    def attr(self, el: etree._Element, name: str) -> str | None:
        raw: str | None = el.get(name)
        if raw is None or not (raw := raw.strip()):
            return None
        if len(raw) > self.maxf:
            raise Unusual
        return raw

    def decimal(self, el: etree._Element) -> Decimal | None:
        text: str | None = el.text
        if text is None or not (text := text.strip()):
            return None
        if len(text) > self.maxf:
            raise Unusual
        return xs_decimal(text)

    def amount(self, el: etree._Element) -> Decimal | None:
        """A decimal whose ``currencyID``, when given, is BT-5."""
        text: str | None = el.text
        if text is None or not (text := text.strip()):
            return None
        if len(text) > self.maxf:
            raise Unusual
        cur = el.get("currencyID")
        if (
            cur is not None
            and cur != self.currency
            and self.currency is not None
            and cur.strip() != self.currency
        ):
            raise Unusual
        return xs_decimal(text)

    def date(self, el: etree._Element) -> dt.date | None:
        text = self.value(el)
        if text is None:
            return None
        if _ISO_DATE.match(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        raise Unusual

    def binary(self, el: etree._Element) -> bytes | None:
        text: str | None = el.text
        if text is None or not (text := text.strip()):
            return None
        if len(text) > self.maxb:
            raise Unusual
        try:
            return base64.b64decode(_WHITESPACE.sub(b"", text.encode("ascii")), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise Unusual from None

    def identifier(self, el: etree._Element | None, required: bool = False) -> m.Identifier | None:
        """The value with its ``schemeID``; ``None`` when empty, unless ``required``.

        :meth:`value` and :meth:`attr`, read here (an identifier is frequent and small).
        """
        text: str | None = None if el is None else el.text
        if text is None or not (text := text.strip()):
            if required:
                raise Unusual
            return None
        maxf = self.maxf
        if len(text) > maxf:
            raise Unusual
        assert el is not None
        scheme: str | None = el.get("schemeID")
        if scheme is not None and (scheme := scheme.strip()):
            if len(scheme) > maxf:
                raise Unusual
        else:
            scheme = None
        return construct(m.Identifier, {"value": text, "scheme": scheme})

    def optional_identifier(self, el: etree._Element) -> m.Identifier | None:
        return self.identifier(el)

    # ------------------------------------------------------------------ document

    def document(self, root: etree._Element) -> m.Invoice | m.CreditNote:
        f: dict[str, Any] = {}
        self.fill(root, (CREDIT_NOTE_ROOT if self.credit else INVOICE_ROOT).table, f)
        self.currency = _present(f.get("currency"))
        for name in ("number", "issue_date", "type_code"):
            _present(f.get(name))
        if (notes := f.get("notes")) is not None:
            f["notes"] = tuple([note for note in reversed(notes) if note is not None])
        if (preceding := f.get("preceding_invoices")) is not None:
            f["preceding_invoices"] = tuple(reversed(preceding))
        if (order := f.pop("order", None)) is not None:
            f["order_reference"], f["sales_order_reference"] = order
        if (references := f.pop("document_references", None)) is not None:
            attachments = []
            for el in reversed(references):
                g = self.read(el, ADDITIONAL_DOCUMENT_REFERENCE)
                code = g.get("code")
                if code == "130":
                    f["invoiced_object"] = self.identifier(g.get("id"), True)
                elif code == "50" and self.credit:
                    f["project_reference"] = self.value(g.get("id"), required=True)
                else:
                    attachments.append(self.attachment(g))
            f["attachments"] = tuple(attachments)

        means = f.pop("payment_means", None)
        self.divert = means is not None
        sepa: list[str] = []
        f["seller"] = self.party(_present(first_child(_present(f.get("seller")), PARTY_TAG)), "seller", sepa)
        f["buyer"] = self.party(_present(first_child(_present(f.get("buyer")), PARTY_TAG)), "buyer", [])
        if (payee := f.get("payee")) is not None:
            payee_sepa: list[str] = []
            f["payee"] = self.party(payee, "payee", payee_sepa)
            sepa = payee_sepa or sepa
        if (taxrep := f.get("tax_representative")) is not None:
            f["tax_representative"] = self.party(taxrep, "taxrep", [])
        if (deliveries := f.pop("deliveries", None)) is not None:
            if len(deliveries) > 1:
                raise Unusual  # the reference reader warns
            f["delivery"] = self.delivery(deliveries[0])
        if means is not None:
            means.reverse()
            payment, due = self.payment(means, sepa)
            f["payment"] = payment
            if due is not None and self.credit:
                f["due_date"] = due
        if (allowance_charges := f.pop("allowance_charges", None)) is not None:
            f["allowances"], f["charges"] = _split(
                [self.read(el, DOCUMENT_ALLOWANCE_CHARGE) for el in reversed(allowance_charges)]
            )
        tax_amount, tax_accounting = self.tax_totals(f.pop("tax_totals", []), f)
        f["totals"] = self.totals(_present(f.get("totals")), tax_amount, tax_accounting)
        line = CREDIT_NOTE_LINE if self.credit else INVOICE_LINE
        f["lines"] = tuple([self.read(el, line) for el in reversed(_present(f.get("lines")))])
        if self.credit:
            return construct_from(m.CreditNote, f)
        return construct_from(m.Invoice, f)

    def attachment(self, g: dict[str, Any]) -> m.Attachment:
        f: dict[str, Any] = {
            "id": self.value(g.get("id"), required=True),
            "description": g.get("description"),
        }
        if (att := g.get("attachment")) is not None:
            a = self.read(att, ATTACHMENT)
            if (obj := a.get("content")) is not None:
                f["content"] = self.binary(obj)
                f["mime_code"] = self.attr(obj, "mimeCode")
                f["filename"] = self.attr(obj, "filename")
            if "uri" in a:
                f["uri"] = a["uri"]
        return construct_from(m.Attachment, f)

    # ------------------------------------------------------------------ parties

    def party(self, el: etree._Element, role: str, sepa: list[str]) -> m.Party:
        f = PARTY.start.copy()  # type: ignore[union-attr]
        self.fill(el, PARTY.table, f)
        if (endpoint := f.pop("endpoint", None)) is not None:
            value = self.value(endpoint, required=True)
            scheme = _present(self.attr(endpoint, "schemeID"))
            f["electronic_address"] = construct(m.ElectronicAddress, {"value": value, "scheme": scheme})
        identifiers = f["identifiers"]
        if identifiers:  # a list, last first
            identifiers.reverse()
            if self.divert and role in ("seller", "payee"):
                kept = []
                for ident in identifiers:
                    if ident.scheme == "SEPA":
                        sepa.append(ident.value)
                    else:
                        kept.append(ident)
                identifiers = kept
            f["identifiers"] = tuple(identifiers)
        if (schemes := f.pop("tax_schemes", None)) is not None:
            for is_vat, company in reversed(schemes):
                f["vat_id" if is_vat else "tax_registration_id"] = company
        party_name = f.pop("party_name", None)
        legal_name = f.pop("legal_name", None)
        f.pop("legal_entity", None)
        if role in ("seller", "buyer"):
            # without a registration name the party name is the only name given: it is taken as BT-27/BT-44
            if legal_name is not None:
                f["name"], f["trading_name"] = legal_name, party_name
            else:
                f["name"] = _present(party_name)
        else:
            f["name"] = _present(party_name)
            f["trading_name"] = legal_name
        return construct(m.Party, f)

    # ------------------------------------------------------------------ delivery, payment

    def delivery(self, el: etree._Element) -> m.Delivery:
        f = DELIVERY.start.copy()  # type: ignore[union-attr]
        self.fill(el, DELIVERY.table, f)
        if (location := f.pop("location", None)) is not None:
            f["location_id"] = location.get("location_id")
            if (address := location.get("address")) is not None:
                f["address"] = address
        party = f.pop("party", None)
        if party is not None and (name := first_child(party, PARTY_NAME_TAG)) is not None:
            f["party_name"] = self.value(first_child(name, NAME_TAG))
        return construct(m.Delivery, f)

    def payment(
        self, means: list[etree._Element], sepa: list[str]
    ) -> tuple[m.PaymentInstructions, dt.date | None]:
        first = self.read(means[0], FIRST_PAYMENT_MEANS)
        code_el = _present(first.get("code"))
        code = self.value(code_el, required=True)
        f: dict[str, Any] = {
            "means_code": code,
            "means_text": self.attr(code_el, "name"),
            "remittance_information": first.get("remittance"),
        }
        transfers = []
        if (transfer := first.get("transfer")) is not None:
            transfers.append(transfer)
        for pm in means[1:]:
            g = self.read(pm, OTHER_PAYMENT_MEANS)
            if g.get("code") != code:
                raise Unusual  # the reference reader warns: a second means code is not kept
            if (transfer := g.get("transfer")) is not None:
                transfers.append(transfer)
        f["credit_transfers"] = tuple(transfers)
        if (card := first.get("card")) is not None:
            f["card"] = card
        debit: dict[str, Any] = first.get("mandate") or {}
        if sepa:
            debit["creditor_id"] = sepa[0]
        if any(v is not None for v in debit.values()):
            f["direct_debit"] = construct_from(m.DirectDebit, debit)
        return construct_from(m.PaymentInstructions, f), first.get("due")

    # ------------------------------------------------------------------ tax, totals

    def tax_totals(
        self, elements: list[etree._Element], f: dict[str, Any]
    ) -> tuple[Decimal | None, Decimal | None]:
        """The VAT breakdown into ``f``; BT-110 and BT-111 returned."""
        breakdown: list[m.VatBreakdown] = []
        document_total = accounting_total = None
        seen_document_total = False
        accounting_currency = f.get("vat_accounting_currency")
        for tt in elements[::-1]:
            g = self.read(tt, TAX_TOTAL)
            amount_el = _present(g.get("amount"))
            subtotals = g.get("subtotals", ())
            cur = (amount_el.get("currencyID") or "").strip()
            accounting = (
                not subtotals
                and accounting_currency is not None
                and cur == accounting_currency
                and cur != self.currency
            )
            value = _present(self.decimal(amount_el) if accounting else self.amount(amount_el))
            if accounting:
                accounting_total = value
            else:
                if seen_document_total:
                    raise Unusual
                seen_document_total = True
                document_total = value
            breakdown.extend(reversed(subtotals))
        f["vat_breakdown"] = tuple(breakdown)
        return document_total, accounting_total

    def totals(
        self, el: etree._Element, tax_amount: Decimal | None, tax_accounting: Decimal | None
    ) -> m.Totals:
        f = TOTALS.start.copy()  # type: ignore[union-attr]
        self.fill(el, TOTALS.table, f)
        for name in TOTALS.required:
            if f[name] is None:
                raise Unusual
        f["tax_amount"] = tax_amount
        f["tax_amount_accounting_currency"] = tax_accounting
        return construct(m.Totals, f)


# ---------------------------------------------------------------------------- finishers


def _split(
    items: list[tuple[bool, m.AllowanceCharge]],
) -> tuple[tuple[m.AllowanceCharge, ...], tuple[m.AllowanceCharge, ...]]:
    """(allowances, charges), each in the order given."""
    if not items:
        return (), ()
    return (
        tuple([item for is_charge, item in items if not is_charge]),
        tuple([item for is_charge, item in items if is_charge]),
    )


def _allowance_charge(reader: _Reader, f: dict[str, Any]) -> tuple[bool, m.AllowanceCharge]:
    """Whether it is a charge, and the allowance or charge (document level: with its VAT category)."""
    is_charge = _indicator(f.pop("indicator", None))
    if f["amount"] is None:
        raise Unusual
    if f.pop("category", None) is not None and f["vat_category"] is None:
        raise Unusual
    return is_charge, construct(m.AllowanceCharge, f)


def _document_allowance_charge(reader: _Reader, f: dict[str, Any]) -> tuple[bool, m.AllowanceCharge]:
    """A document-level one needs its ``cac:TaxCategory`` (BT-95 / BT-102)."""
    if "category" not in f:
        raise Unusual
    return _allowance_charge(reader, f)


def _subtotal(reader: _Reader, f: dict[str, Any]) -> m.VatBreakdown:
    """BG-23: both amounts and the category (BT-118) of its ``cac:TaxCategory`` are required."""
    if f.pop("tax_category", None) is None:
        raise Unusual
    if f["category"] is None or f["taxable_amount"] is None or f["tax_amount"] is None:
        raise Unusual
    return construct(m.VatBreakdown, f)


def _note(reader: _Reader, el: etree._Element) -> m.Note | None:
    text = reader.value(el)
    if text is None:
        return None
    match = SUBJECT_NOTE.match(text)
    if match:
        return construct(m.Note, {"text": match.group(2).strip(), "subject_code": match.group(1)})
    return construct(m.Note, {"text": text, "subject_code": None})


def _line(reader: _Reader, f: dict[str, Any]) -> m.InvoiceLine:
    """BG-25 from the line's, its item's and its price's fields; lists were collected last first."""
    quantity = f["quantity"]
    if f["id"] is None or f["net_amount"] is None or quantity is None:
        raise Unusual
    f["quantity"] = _present(reader.decimal(quantity))
    f["unit_code"] = _present(reader.attr(quantity, "unitCode"))
    if f.pop("item", None) is None or f.pop("price", None) is None or f.pop("category", None) is None:
        raise Unusual
    if f["name"] is None or f["vat_category"] is None or f["net_price"] is None:
        raise Unusual
    if (allowance_charges := f.pop("allowance_charges", None)) is not None:
        allowance_charges.reverse()
        f["allowances"], f["charges"] = _split(allowance_charges)
    if classifications := f["classifications"]:
        classifications.reverse()
        f["classifications"] = tuple(classifications)
    if attributes := f["attributes"]:
        attributes.reverse()
        f["attributes"] = tuple(attributes)
    if (base := f.pop("base", None)) is not None:
        f["price_base_quantity"] = reader.decimal(base)
        f["price_base_unit_code"] = reader.attr(base, "unitCode")
    if f.pop("discount", None) is not None:
        if _indicator(f.pop("discount_indicator", None)):
            raise Unusual  # a price can only carry a discount
        if f["price_discount"] is None:
            raise Unusual
    return construct(m.InvoiceLine, f)


def _order_reference(reader: _Reader, f: dict[str, Any]) -> tuple[str | None, str | None]:
    """BT-13 and BT-14; an order id ``NA`` beside a sales order id means no BT-13."""
    order, sales = _present(f.get("order")), f.get("sales")
    return (None if order == "NA" and sales else order), sales


def _billing_reference(reader: _Reader, f: dict[str, Any]) -> m.DocumentReference:
    reference: m.DocumentReference = _present(f.get("reference"))
    return reference


def _address(reader: _Reader, f: dict[str, Any]) -> m.Address:
    if f.get("country") is None:
        raise Unusual
    lines = (f.pop("street", None), f.pop("additional_street", None), f.pop("address_line", None))
    f["lines"] = tuple([line for line in lines if line is not None])
    return construct_from(m.Address, f)


def _party_tax_scheme(reader: _Reader, f: dict[str, Any]) -> tuple[bool, str]:
    """Whether the scheme is VAT (BT-31 / BT-48) or not (BT-32), and the id."""
    return f.get("scheme") == "VAT", _present(f.get("company"))


def _classification(reader: _Reader, el: etree._Element) -> m.Identifier:
    code = _present(first_child(el, CLASSIFICATION_CODE_TAG))
    return construct(
        m.Identifier, {"value": reader.value(code, required=True), "scheme": reader.attr(code, "listID")}
    )


def _card(reader: _Reader, f: dict[str, Any]) -> m.CardPayment:
    values = {"primary_account_number": _present(f.get("pan")), "holder_name": f.get("holder")}
    return construct(m.CardPayment, values)


# ---------------------------------------------------------------------------- the UBL aggregates

DEFAULTS: dict[type[BaseModel], dict[str, Any]] = {
    cls: defaults(cls)
    for cls in (
        m.Invoice,
        m.CreditNote,
        m.Attachment,
        m.Address,
        m.DirectDebit,
        m.PaymentInstructions,
        m.CardPayment,
        m.Identifier,
        m.ElectronicAddress,
        m.Note,
    )
}
ID = "cbc:ID"
NAME_TAG = clark("cbc:Name")
PARTY_TAG = clark("cac:Party")
PARTY_NAME_TAG = clark("cac:PartyName")
CLASSIFICATION_CODE_TAG = clark("cbc:ItemClassificationCode")

PERIOD = Part.of(
    m.Period,
    start=date("cbc:StartDate"),
    end=date("cbc:EndDate"),
    description_code=text("cbc:DescriptionCode"),
)
ORDER_REFERENCE = Part.of(None, finish=_order_reference, order=text("cbc:ID"), sales=text("cbc:SalesOrderID"))
BILLING_REFERENCE = Part.of(
    None,
    finish=_billing_reference,
    reference=one(
        "cac:InvoiceDocumentReference",
        Part.of(
            m.DocumentReference, required=("number",), number=text("cbc:ID"), issue_date=date("cbc:IssueDate")
        ),
    ),
)
ADDITIONAL_DOCUMENT_REFERENCE = Part.of(
    None,
    id=element("cbc:ID"),
    code=text("cbc:DocumentTypeCode"),
    description=text("cbc:DocumentDescription"),
    attachment=element("cac:Attachment"),
)
ATTACHMENT = Part.of(
    None, content=element("cbc:EmbeddedDocumentBinaryObject"), uri=wrapped("cac:ExternalReference", "cbc:URI")
)

ADDRESS = Part.of(
    None,
    finish=_address,
    street=text("cbc:StreetName"),
    additional_street=text("cbc:AdditionalStreetName"),
    address_line=wrapped("cac:AddressLine", "cbc:Line"),
    city=text("cbc:CityName"),
    postal_code=text("cbc:PostalZone"),
    subdivision=text("cbc:CountrySubentity"),
    country=wrapped("cac:Country", "cbc:IdentificationCode", required=True),
)
PARTY = Part.of(
    m.Party,
    endpoint=element("cbc:EndpointID"),
    identifiers=calls("cac:PartyIdentification", child_identifier(ID)),
    party_name=wrapped("cac:PartyName", "cbc:Name", required=True),
    address=one("cac:PostalAddress", ADDRESS),
    tax_schemes=each(
        "cac:PartyTaxScheme",
        Part.of(
            None, finish=_party_tax_scheme, company=text("cbc:CompanyID"), scheme=wrapped("cac:TaxScheme", ID)
        ),
    ),
    legal_entity=inline(
        "cac:PartyLegalEntity",
        Part.of(
            None,
            legal_name=text("cbc:RegistrationName"),
            legal_id=call("cbc:CompanyID", _Reader.optional_identifier),
            legal_form=text("cbc:CompanyLegalForm"),
        ),
    ),
    contact=one(
        "cac:Contact",
        Part.of(
            m.Contact, name=text("cbc:Name"), phone=text("cbc:Telephone"), email=text("cbc:ElectronicMail")
        ),
    ),
)
DELIVERY = Part.of(
    m.Delivery,
    date=date("cbc:ActualDeliveryDate"),
    location=one(
        "cac:DeliveryLocation",
        Part.of(
            None, location_id=call("cbc:ID", _Reader.optional_identifier), address=one("cac:Address", ADDRESS)
        ),
    ),
    party=element("cac:DeliveryParty"),
)
CREDIT_TRANSFER = Part.of(
    m.CreditTransfer,
    required=("account_id",),
    account_id=text("cbc:ID"),
    account_name=text("cbc:Name"),
    bic=wrapped("cac:FinancialInstitutionBranch", ID),
)
FIRST_PAYMENT_MEANS = Part.of(
    None,
    code=element("cbc:PaymentMeansCode"),
    remittance=text("cbc:PaymentID"),
    due=date("cbc:PaymentDueDate"),
    transfer=one("cac:PayeeFinancialAccount", CREDIT_TRANSFER),
    card=one(
        "cac:CardAccount",
        Part.of(None, finish=_card, pan=text("cbc:PrimaryAccountNumberID"), holder=text("cbc:HolderName")),
    ),
    mandate=one(
        "cac:PaymentMandate",
        Part.of(
            None,
            mandate_reference=text("cbc:ID"),
            debited_account_id=wrapped("cac:PayerFinancialAccount", ID),
        ),
    ),
)
OTHER_PAYMENT_MEANS = Part.of(
    None, code=text("cbc:PaymentMeansCode"), transfer=one("cac:PayeeFinancialAccount", CREDIT_TRANSFER)
)

TAX_CATEGORY = Part.of(None, vat_category=text("cbc:ID"), vat_rate=decimal("cbc:Percent"))
_ALLOWANCE_CHARGE_FIELDS: dict[str, Child] = {
    "indicator": text("cbc:ChargeIndicator"),
    "amount": amount("cbc:Amount"),
    "base_amount": amount("cbc:BaseAmount"),
    "percentage": decimal("cbc:MultiplierFactorNumeric"),
    "reason": text("cbc:AllowanceChargeReason"),
    "reason_code": text("cbc:AllowanceChargeReasonCode"),
}
LINE_ALLOWANCE_CHARGE = Part.from_fields(
    m.AllowanceCharge, _ALLOWANCE_CHARGE_FIELDS, finish=_allowance_charge
)
DOCUMENT_ALLOWANCE_CHARGE = Part.from_fields(
    m.AllowanceCharge,
    {**_ALLOWANCE_CHARGE_FIELDS, "category": inline("cac:TaxCategory", TAX_CATEGORY)},
    finish=_document_allowance_charge,
)
TAX_SUBTOTAL = Part.of(
    m.VatBreakdown,
    finish=_subtotal,
    taxable_amount=amount("cbc:TaxableAmount"),
    tax_amount=amount("cbc:TaxAmount"),
    tax_category=inline(
        "cac:TaxCategory",
        Part.of(
            None,
            category=text("cbc:ID"),
            rate=decimal("cbc:Percent"),
            exemption_reason=text("cbc:TaxExemptionReason"),
            exemption_reason_code=text("cbc:TaxExemptionReasonCode"),
        ),
    ),
)
TAX_TOTAL = Part.of(None, amount=element("cbc:TaxAmount"), subtotals=each("cac:TaxSubtotal", TAX_SUBTOTAL))
TOTALS = Part.of(
    m.Totals,
    required=("line_extension_amount", "tax_exclusive_amount", "tax_inclusive_amount", "payable_amount"),
    line_extension_amount=amount("cbc:LineExtensionAmount"),
    tax_exclusive_amount=amount("cbc:TaxExclusiveAmount"),
    tax_inclusive_amount=amount("cbc:TaxInclusiveAmount"),
    allowance_total=amount("cbc:AllowanceTotalAmount"),
    charge_total=amount("cbc:ChargeTotalAmount"),
    prepaid_amount=amount("cbc:PrepaidAmount"),
    rounding_amount=amount("cbc:PayableRoundingAmount"),
    payable_amount=amount("cbc:PayableAmount"),
)

ITEM = Part.of(
    None,
    name=text("cbc:Name"),
    description=text("cbc:Description"),
    buyer_item_id=wrapped("cac:BuyersItemIdentification", ID, required=True),
    seller_item_id=wrapped("cac:SellersItemIdentification", ID, required=True),
    standard_item_id=call("cac:StandardItemIdentification", child_identifier(ID)),
    origin_country=wrapped("cac:OriginCountry", "cbc:IdentificationCode", required=True),
    classifications=calls("cac:CommodityClassification", _classification),
    category=inline("cac:ClassifiedTaxCategory", TAX_CATEGORY),
    attributes=each(
        "cac:AdditionalItemProperty",
        Part.of(m.ItemAttribute, required=("name", "value"), name=text("cbc:Name"), value=text("cbc:Value")),
    ),
)
PRICE = Part.of(
    None,
    net_price=amount("cbc:PriceAmount"),
    base=element("cbc:BaseQuantity"),
    discount=inline(
        "cac:AllowanceCharge",
        Part.of(
            None,
            discount_indicator=text("cbc:ChargeIndicator"),
            price_discount=amount("cbc:Amount"),
            gross_price=amount("cbc:BaseAmount"),
        ),
    ),
)


def _line_part(quantity: str) -> Part:
    """A line: its own children, ``cac:Item`` and ``cac:Price`` fill the one InvoiceLine (BG-25)."""
    return Part.of(
        m.InvoiceLine,
        finish=_line,
        id=text("cbc:ID"),
        note=text("cbc:Note"),
        net_amount=amount("cbc:LineExtensionAmount"),
        accounting_reference=text("cbc:AccountingCost"),
        quantity=element(quantity),
        period=one("cac:InvoicePeriod", PERIOD),
        order_line_reference=wrapped("cac:OrderLineReference", "cbc:LineID", required=True),
        object_id=call("cac:DocumentReference", child_identifier(ID)),
        allowance_charges=each("cac:AllowanceCharge", LINE_ALLOWANCE_CHARGE),
        item=inline("cac:Item", ITEM),
        price=inline("cac:Price", PRICE),
    )


INVOICE_LINE = _line_part("cbc:InvoicedQuantity")
CREDIT_NOTE_LINE = _line_part("cbc:CreditedQuantity")


def _root_part(type_code: str, line: str) -> Part:
    """The document element's children. Parts that need BT-5 (amounts), BT-6 or to know whether there are
    payment means are kept as elements, read once every child has been seen."""
    references = {field: wrapped(f"cac:{name}", ID, required=True) for field, name in DOCUMENT_REFERENCES}
    return Part.from_fields(
        None,
        dict(
            customization_id=text("cbc:CustomizationID"),
            profile_id=text("cbc:ProfileID"),
            number=text("cbc:ID"),
            issue_date=date("cbc:IssueDate"),
            type_code=text(type_code),
            currency=text("cbc:DocumentCurrencyCode"),
            vat_accounting_currency=text("cbc:TaxCurrencyCode"),
            tax_point_date=date("cbc:TaxPointDate"),
            due_date=date("cbc:DueDate"),
            buyer_reference=text("cbc:BuyerReference"),
            accounting_reference=text("cbc:AccountingCost"),
            notes=calls("cbc:Note", _note),
            invoicing_period=one("cac:InvoicePeriod", PERIOD),
            order=one("cac:OrderReference", ORDER_REFERENCE),
            preceding_invoices=each("cac:BillingReference", BILLING_REFERENCE),
            document_references=elements("cac:AdditionalDocumentReference"),
            seller=element("cac:AccountingSupplierParty"),
            buyer=element("cac:AccountingCustomerParty"),
            payee=element("cac:PayeeParty"),
            tax_representative=element("cac:TaxRepresentativeParty"),
            deliveries=elements("cac:Delivery"),
            payment_means=elements("cac:PaymentMeans"),
            payment_terms=wrapped("cac:PaymentTerms", "cbc:Note"),
            allowance_charges=elements("cac:AllowanceCharge"),
            tax_totals=elements("cac:TaxTotal"),
            totals=element("cac:LegalMonetaryTotal"),
            lines=elements(line),
            **references,
        ),
    )


INVOICE_ROOT = _root_part("cbc:InvoiceTypeCode", "cac:InvoiceLine")
CREDIT_NOTE_ROOT = _root_part("cbc:CreditNoteTypeCode", "cac:CreditNoteLine")
