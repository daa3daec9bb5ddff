"""One document's rows → typed values: the profile compiled against the header found in the file.

Rules:

* Cells are stripped of surrounding spaces; an empty cell takes the profile's default, if any.
* Document fields come from the document's first row; the currency, issue date and stated totals
  must be the same on every row of the document (a differing row is an error on that row).
* Every problem is a :class:`Violation` with rule ``CSV`` and path ``row N, column 'Header'``
  (the header as written in the file); a document with any problem is not built.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from operator import itemgetter
from typing import Any

from ledgerlink.domain.documents import AnyDocument
from ledgerlink.domain.violations import Violation
from ledgerlink.formats.csvprofiles import build
from ledgerlink.formats.csvprofiles.cells import CellError, date_parser, number_parser, percent_parser
from ledgerlink.formats.csvprofiles.fields import (
    CONSTANT_PER_DOCUMENT,
    DATE_FIELDS,
    DOCUMENT_AMOUNT_FIELDS,
    LINE_FIELDS,
    Field,
)
from ledgerlink.formats.csvprofiles.profile import Profile, normalise_header

RULE = "CSV"
_line_data = build.LineData._make
_head_data = build.HeadData._make
_VAT_CATEGORIES = frozenset({"S", "Z", "E", "AE", "K", "G", "O", "L", "M"})
_PARTY_FIELDS = frozenset(p + part for p in ("seller_", "buyer_") for part in build.PARTY_PARTS)
_DOC_TEXT_FIELDS = tuple(
    f
    for f in Field
    if f.value not in _PARTY_FIELDS
    and f not in LINE_FIELDS
    and f not in DATE_FIELDS
    and f not in DOCUMENT_AMOUNT_FIELDS
    and f not in (Field.NUMBER, Field.DOCUMENT_TYPE, Field.CURRENCY)
)


def violation(
    row: int, column: str | None, message: str, expected: str | None = None, found: str | None = None
) -> Violation:
    """A ``CSV`` violation at ``row N`` or ``row N, column 'Header'`` (long found values shortened)."""
    path = f"row {row}" if column is None else f"row {row}, column '{column}'"
    if found is not None and len(found) > 80:
        found = found[:77] + "..."
    return Violation(RULE, path, message, expected, found)


class Layout:
    """A profile compiled against the header actually found: column indices and cell parsers."""

    def __init__(self, profile: Profile, header: list[str]):
        self.profile = profile
        self.header = header
        self.width = len(header)
        position = {normalise_header(h): i for i, h in enumerate(header)}
        self.index: dict[Field, int] = {
            f: position[normalise_header(h)]
            for f, h in profile.columns.items()
            if normalise_header(h) in position
        }
        fmt = profile.format
        self.number = number_parser(fmt.decimal_separator, fmt.thousands_separator)
        self.percent = percent_parser(self.number)
        self.date = date_parser(fmt.date_formats)
        self.defaults = {f.value: v for f, v in profile.defaults.items()}
        self.key = itemgetter(*(self.index[f] for f in profile.grouping.key))
        self.key_reach = max(self.index[f] for f in profile.grouping.key)
        spec = profile.document_type
        self.type_index = self.index.get(Field.DOCUMENT_TYPE)
        self.skip = frozenset(spec.skip) | frozenset(value.casefold() for value in spec.skip)
        self.types: dict[str, bool] = {}
        for value in spec.invoice:
            self.types[value] = False
            self.types[value.casefold()] = False
        for value in spec.credit_note:
            self.types[value] = True
            self.types[value.casefold()] = True
        self.type_expected = ", ".join((*spec.invoice, *spec.credit_note))
        self.tax_expected = ", ".join(profile.tax_codes)
        self.tax_inclusive = profile.amounts.line_amounts_include_tax
        due_days = profile.terms.due_days
        self.due_days = None if due_days is None else dt.timedelta(days=due_days)
        self.max_field = fmt.max_field_length
        self.max_rows = fmt.max_rows_per_document
        self.constants = [(f, self.index[f]) for f in CONSTANT_PER_DOCUMENT if f in self.index]
        plain = [f for f in _DOC_TEXT_FIELDS if f.value in build.PLAIN_TEXT_FIELDS]
        other = [f for f in _DOC_TEXT_FIELDS if f.value not in build.PLAIN_TEXT_FIELDS]
        self.plain_text = [(f.value, self.index[f]) for f in plain if f in self.index]
        self.plain_defaults = {f.value: self.defaults[f.value] for f in plain if f.value in self.defaults}
        self.doc_text = [(f.value, self.index[f]) for f in other if f in self.index]
        self.doc_defaults = {f.value: self.defaults[f.value] for f in other if f.value in self.defaults}
        self.parties: dict[str, tuple[list[tuple[int, int, str | None]], list[str | None]]] = {}
        for prefix in ("seller_", "buyer_"):
            mapped, constant = [], []
            for part_index, part in enumerate(build.PARTY_PARTS):
                field = Field(prefix + part)
                default = self.defaults.get(field.value) or None
                constant.append(default)
                if field in self.index:
                    mapped.append((part_index, self.index[field], default))
            self.parties[prefix] = (mapped, constant)
        self.party_cache: dict[tuple[Any, ...], Any] = {}
        self.doc_dates = [
            (f.value, self.index[f]) for f in DATE_FIELDS if f is not Field.ISSUE_DATE and f in self.index
        ]
        self.doc_amounts = [(f.value, self.index[f]) for f in DOCUMENT_AMOUNT_FIELDS if f in self.index]
        ix = self.index.get
        self.i_line_id = ix(Field.LINE_ID)
        self.i_name = ix(Field.ITEM_NAME)
        self.i_description = ix(Field.ITEM_DESCRIPTION)
        self.i_item_id = ix(Field.SELLER_ITEM_ID)
        self.i_quantity = ix(Field.QUANTITY)
        self.i_unit = ix(Field.UNIT_CODE)
        self.i_price = ix(Field.UNIT_PRICE)
        self.i_discount = ix(Field.LINE_DISCOUNT_PERCENT)
        self.i_net = ix(Field.LINE_NET_AMOUNT)
        self.i_tax = ix(Field.LINE_TAX_AMOUNT)
        self.i_code = ix(Field.TAX_CODE)
        self.i_rate = ix(Field.TAX_RATE)
        self.i_category = ix(Field.TAX_CATEGORY)
        self.i_accounting = ix(Field.LINE_ACCOUNTING_REFERENCE)
        self.i_note = ix(Field.LINE_NOTE)
        line_amount_fields = (
            Field.QUANTITY,
            Field.UNIT_PRICE,
            Field.LINE_NET_AMOUNT,
            Field.LINE_TAX_AMOUNT,
            Field.LINE_DISCOUNT_PERCENT,
        )
        self.line_amounts = [
            (slot, self.index[f]) for slot, f in enumerate(line_amount_fields) if f in self.index
        ]
        line_text_fields = (
            Field.LINE_ID,
            Field.ITEM_NAME,
            Field.ITEM_DESCRIPTION,
            Field.SELLER_ITEM_ID,
            Field.UNIT_CODE,
            Field.LINE_ACCOUNTING_REFERENCE,
            Field.LINE_NOTE,
        )
        self.line_texts = [(n, self.index[f]) for n, f in enumerate(line_text_fields) if f in self.index]
        self.line_text_defaults = [self.defaults.get(f.value) or None for f in line_text_fields]
        self.tax_lookup: dict[str, tuple[Any, ...]] = {}
        for code, tax_code in profile.tax_codes.items():
            category = tax_code.category.value
            self.tax_lookup[code] = (
                category,
                None if category == "O" else tax_code.rate,
                tax_code.exemption_reason,
                tax_code.exemption_reason_code,
            )
        for code in profile.tax_codes:
            self.tax_lookup.setdefault(code.casefold(), self.tax_lookup[code])
        d = self.defaults
        self.d_quantity = Decimal(d["quantity"]) if "quantity" in d else Decimal(1)
        self.d_unit = d.get("unit_code", "C62")
        self.d_code = d.get("tax_code")
        self.d_rate = d.get("tax_rate")
        self.d_category = d.get("tax_category")
        self.d_name = d.get("item_name")
        self.mode_code = self.i_code is not None or self.d_code is not None

    # ------------------------------------------------------------------ cells

    def cell(self, row: list[str], index: int | None, name: str) -> str:
        if index is not None:
            value = row[index].strip()
            if value:
                return value
        return self.defaults.get(name, "")

    # ------------------------------------------------------------------ document

    def document(self, rows: list[tuple[int, list[str]]], problems: list[Violation]) -> AnyDocument | None:
        """The document of one group, or ``None`` with ``problems`` filled."""
        first_row, first = rows[0]
        for field, index in self.constants:
            expected = first[index].strip()
            for number, row in rows[1:]:
                found = row[index].strip()
                if found != expected:
                    problems.append(self._inconsistent(number, index, field, expected, found))
        head = self._head(first_row, first, problems)
        lines = []
        for number, row in rows:
            line = self._line(number, row, problems)
            if line is not None:
                lines.append(line)
        if problems or head is None:
            return None
        mode = self.profile.document_type.credit_note_amounts
        negate = False
        if head.credit_note and mode == "negative":
            negate = True
        elif (
            (head.credit_note and mode == "auto")
            or (
                not head.credit_note
                and self.type_index is None
                and self.profile.document_type.negative_total_is_credit_note
            )
        ) and sum(build.line_net(line, self.tax_inclusive) for line in lines) < 0:
            negate = True
            head = head._replace(credit_note=True)
        return build.build(head, lines, self.tax_inclusive, negate)

    def _inconsistent(self, number: int, index: int, field: Field, expected: str, found: str) -> Violation:
        """A row disagreeing with its document's first row: a bad cell, or a different value."""
        try:
            if field in DATE_FIELDS:
                self.date(found)
            elif field is not Field.CURRENCY and found:
                self.number(found)
        except CellError as exc:
            return violation(number, self.header[index], str(exc), exc.expected, found)
        return violation(
            number,
            self.header[index],
            f"every row of a document must have the same {field.value}",
            expected=expected,
            found=found,
        )

    def _head(self, number: int, row: list[str], problems: list[Violation]) -> build.HeadData | None:
        header, index, count = self.header, self.index, len(problems)
        doc_number = row[index[Field.NUMBER]].strip()
        if not doc_number:
            problems.append(
                violation(
                    number,
                    header[index[Field.NUMBER]],
                    "the document number (BT-1) is empty",
                    expected="a document number",
                )
            )
        credit = False
        if self.type_index is not None:
            value = row[self.type_index].strip()
            kind = self.types.get(value)
            if kind is None:
                kind = self.types.get(value.casefold())
            if kind is None:
                problems.append(
                    violation(
                        number,
                        header[self.type_index],
                        "unknown document type",
                        expected=self.type_expected,
                        found=value,
                    )
                )
            credit = bool(kind)
        issue_date = None
        i = index[Field.ISSUE_DATE]
        try:
            issue_date = self.date(row[i].strip())
        except CellError as exc:
            problems.append(violation(number, header[i], str(exc), exc.expected, row[i].strip()))
        currency = self.cell(row, index.get(Field.CURRENCY), "currency")
        if not currency:
            i = index[Field.CURRENCY]
            problems.append(
                violation(number, header[i], "the currency (BT-5) is empty", expected="an ISO 4217 code")
            )
        dates = {}
        for name, i in self.doc_dates:
            if row[i].strip():
                try:
                    dates[name] = self.date(row[i].strip())
                except CellError as exc:
                    problems.append(violation(number, header[i], str(exc), exc.expected, row[i].strip()))
        if "due_date" not in dates and self.due_days is not None and issue_date is not None:
            dates["due_date"] = issue_date + self.due_days
        stated = {}
        for name, i in self.doc_amounts:
            text = row[i].strip()
            if text:
                try:
                    stated[name] = self.number(text)
                except CellError as exc:
                    problems.append(violation(number, header[i], str(exc), exc.expected, text))
        plain = self.plain_defaults.copy()
        for name, i in self.plain_text:
            value = row[i].strip()
            if value:
                plain[name] = value
        text_values = self.doc_defaults.copy()
        for name, i in self.doc_text:
            value = row[i].strip()
            if value:
                text_values[name] = value
        seller = self._party("seller_", row, None)
        if not seller.name:
            seller_column = index.get(Field.SELLER_NAME)
            problems.append(
                violation(
                    number,
                    header[seller_column] if seller_column is not None else None,
                    "the seller name (BT-27) is empty",
                    expected="a seller name in the row or defaults.seller_name in the profile",
                )
            )
        buyer = self._party("buyer_", row, plain.get("customer_account"))
        if len(problems) != count or issue_date is None:
            return None
        return _head_data(
            (doc_number, credit, issue_date, currency, plain, text_values, dates, stated, seller, buyer)
        )

    def _party(self, prefix: str, row: list[str], fallback_name: str | None) -> Any:
        """The seller or buyer of a row; rows with the same values share one (immutable) object."""
        mapped, constant = self.parties[prefix]
        key = (prefix, fallback_name, *[(row[i].strip() or default) for _, i, default in mapped])
        party = self.party_cache.get(key)
        if party is None:
            parts = list(constant)
            for (position, _, _), value in zip(mapped, key[2:]):
                parts[position] = value
            if not parts[0]:
                parts[0] = fallback_name
            if len(self.party_cache) > 10_000:
                self.party_cache.clear()
            party = self.party_cache[key] = build.party(tuple(parts))
        return party

    def _line(self, number: int, row: list[str], problems: list[Violation]) -> build.LineData | None:
        count = len(problems)
        amounts: list[Decimal | None] = [None, None, None, None, None]  # quantity, price, net, tax, discount
        parse = self.number
        for slot, i in self.line_amounts:
            text = row[i].strip()
            if text:
                try:
                    amounts[slot] = parse(text)
                except CellError as exc:
                    problems.append(violation(number, self.header[i], str(exc), exc.expected, text))
        quantity, price, net, tax, discount = amounts
        if net is None and price is None and len(problems) == count:
            column = self.i_net if self.i_net is not None else self.i_price
            problems.append(
                violation(
                    number,
                    self.header[column] if column is not None else None,
                    "the line has no amount",
                    expected="a net amount or a unit price",
                )
            )
        texts = self.line_text_defaults.copy()
        for position, i in self.line_texts:
            value = row[i].strip()
            if value:
                texts[position] = value
        line_id, name, description, item_id, unit_code, accounting, note = texts
        if self.mode_code:
            code_column = self.i_code
            code = (row[code_column].strip() if code_column is not None else "") or self.d_code or ""
            tax_spec = self.tax_lookup.get(code) or self.tax_lookup.get(code.casefold())
            if tax_spec is None:
                problems.append(
                    violation(
                        number,
                        self.header[code_column] if code_column is not None else None,
                        "unknown tax code",
                        expected=self.tax_expected,
                        found=code,
                    )
                )
        else:
            tax_spec = self._rate_tax(number, row, problems)
        if not name:
            name = description
            if not name:
                column = self.i_name if self.i_name is not None else self.i_description
                problems.append(
                    violation(
                        number,
                        self.header[column] if column is not None else None,
                        "the item name (BT-153) is empty",
                        expected="a description of the item",
                    )
                )
        if len(problems) != count:
            return None
        return _line_data(
            (
                number,
                line_id,
                name,
                description if description != name else None,
                item_id,
                self.d_quantity if quantity is None else quantity,
                unit_code or "C62",
                price,
                discount,
                net,
                tax,
                *tax_spec,
                accounting,
                note,  # type: ignore[misc]
            )
        )

    def _rate_tax(self, number: int, row: list[str], problems: list[Violation]) -> tuple[Any, ...] | None:
        header = self.header
        i = self.i_rate
        text = (row[i].strip() if i is not None else "") or self.d_rate or ""
        try:
            rate = self.percent(text)
        except CellError as exc:
            problems.append(
                violation(number, header[i] if i is not None else None, str(exc), exc.expected, text)
            )
            return None
        j = self.i_category
        category = (row[j].strip() if j is not None else "") or self.d_category or ""
        if not category:
            category = "S" if rate > 0 else self.profile.zero_rate_category.value
        elif category not in _VAT_CATEGORIES:
            problems.append(
                violation(
                    number,
                    header[j] if j is not None else None,
                    "unknown VAT category",
                    expected=", ".join(sorted(_VAT_CATEGORIES)),
                    found=category,
                )
            )
            return None
        reason = self.profile.exemption_reasons.get(category)  # type: ignore[call-overload]
        return category, (None if category == "O" else rate), reason, None
