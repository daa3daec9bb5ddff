"""Streaming CSV reader: bytes → canonical documents through a layout profile.

Rules:

* Row numbers are records as a spreadsheet shows them: the header is row 1, the first data
  record row 2; a quoted cell spanning lines is still one row. Blank rows are skipped.
* Rows are read one at a time; a document's rows are kept only until its group ends, so memory
  is bounded by the largest document (``format.max_rows_per_document``) and the window of
  remembered keys (``grouping.remember``), never by the file.
* A document's rows must be contiguous: a new key value ends the document before it. A key that
  comes back while still remembered (the last ``grouping.remember`` documents) is an error on that
  row; further back it cannot be told from a new document with the same number.
* Every problem is a ``Violation(rule="CSV", path="row N, column 'Header'")``; a document with
  any problem in any of its rows is not produced at all (no partial document). Problems of the
  file as a whole (empty, header, encoding) use ``row 1`` and stop the read.
* A row that cannot be split into cells names no document: it voids the document before it and
  the one starting right after it. A row with too few or too many cells belongs to the document
  its key cells name; one too short to name any counts as unreadable.
"""

from __future__ import annotations

import csv
import io
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from ledgerlink.domain.violations import Violation
from ledgerlink.formats.base import Found, ReadResult
from ledgerlink.formats.csvprofiles.cells import EncodingUndetected, detect_delimiter
from ledgerlink.formats.csvprofiles.fields import Field
from ledgerlink.formats.csvprofiles.profile import (
    Profile,
    ProfileError,
    load_profile,
    normalise_header,
    with_overrides,
)
from ledgerlink.formats.csvprofiles.rows import Layout, violation
from ledgerlink.formats.csvprofiles.source import CONTROLS, SURROGATES, Lines, open_text


def _header_problems(profile: Profile, header: list[str]) -> list[Violation]:
    problems = []
    fmt = profile.format
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        key = normalise_header(name)
        if key in seen:
            problems.append(violation(1, name, "the column appears twice in the header"))
        seen[key] = i
    for name in fmt.header:
        if normalise_header(name) not in seen:
            problems.append(
                violation(
                    1,
                    name,
                    "the column is missing from the header",
                    expected=f"the {profile.name} layout: " + ", ".join(fmt.header),
                )
            )
    if fmt.extra_columns == "error":
        known = {normalise_header(h) for h in (*fmt.header, *fmt.optional_columns)}
        for name in header:
            if normalise_header(name) not in known:
                problems.append(
                    violation(
                        1,
                        name,
                        "the column is not part of the profile's layout",
                        expected=", ".join(fmt.header),
                    )
                )
    return problems


def _pad_optional(layout_header: list[str], profile: Profile) -> list[str]:
    """The header plus absent optional columns (appended, always empty), so every field has an index."""
    present = {normalise_header(h) for h in layout_header}
    return layout_header + [c for c in profile.format.optional_columns if normalise_header(c) not in present]


def iter_documents(stream: IO[bytes], profile: Profile | str | Path) -> Iterator[Found | Violation]:
    """Each document of the CSV ``stream`` as soon as its rows end, and each problem met.

    ``profile`` is a loaded :class:`Profile`, a built-in name or a path. Yields
    ``Found(document, location="rows 2-5")`` or ``Violation`` items in file order.
    """
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    if Field.SELLER_NAME not in profile.columns and Field.SELLER_NAME not in profile.defaults:
        yield Violation(
            "CSV-PROFILE",
            f"profile '{profile.name}': defaults.seller_name",
            "the export names no seller (BT-27); give the seller's name, VAT id and country as constants",
            expected=f'a profile file with extends = "{profile.name}" and [defaults] seller_name, '
            "seller_vat_id, seller_country",
        )
        return
    try:
        text, _encoding = open_text(stream, profile.format.encoding)
    except EncodingUndetected as exc:
        yield violation(
            1,
            None,
            f"cannot tell the file's encoding: {exc}",
            expected="UTF-8 or Windows-1252, or set format.encoding in the profile",
        )
        return
    if text is None:
        yield violation(
            1, None, "the file is empty", expected="a header row: " + ", ".join(profile.format.header)
        )
        return
    fmt = profile.format
    source = Lines(text, fmt.max_line_length, fmt.max_field_length)
    issues = source.issues
    lines: Iterator[str] = iter(source)
    delimiter = fmt.delimiter
    if delimiter == "auto":
        first = next(lines, "")
        try:
            delimiter = detect_delimiter(first)
        except ValueError as exc:
            yield violation(1, None, str(exc), expected="a header with , or ; or TAB or | between names")
            return
        lines = _chain(first, lines)
    reader = csv.reader(lines, delimiter=delimiter, quotechar=fmt.quote_char, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        yield violation(1, None, f"malformed header row: {exc}")
        return
    except UnicodeDecodeError as exc:
        yield violation(1, None, f"undecodable bytes: {exc.reason}", expected=f"text in {_encoding}")
        return
    if header is None or not any(h.strip() for h in header):
        yield violation(
            1, None, "the file has no header row", expected="a header row: " + ", ".join(fmt.header)
        )
        return
    if issues and issues[0][0] <= reader.line_num:
        yield violation(
            1,
            None,
            "the header row has control characters, bytes not valid in the file's encoding, or is too long",
            expected=f"text in {_encoding}",
        )
        return
    header = [h.lstrip("\ufeff").strip() for h in header]
    header_problems = _header_problems(profile, header)
    if header_problems:
        yield from header_problems
        return
    yield from _GroupReader(
        Layout(profile, _pad_optional(header, profile)), len(header), issues, _encoding
    ).run(reader)


class _Reader(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


class _GroupReader:
    """The row loop: groups rows by key, reports row problems, builds each finished document."""

    def __init__(self, layout: Layout, width: int, issues: list[tuple[int, str, int]], encoding: str):
        self.layout = layout
        self.width = width
        self.issues = issues
        self.encoding = encoding
        self.remember = layout.profile.grouping.remember
        self.recent: OrderedDict[Any, str] = OrderedDict()

    def run(self, reader: _Reader) -> Iterator[Found | Violation]:
        layout, width, issues = self.layout, self.width, self.issues
        key_of, key_reach = layout.key, layout.key_reach
        type_index, skip, types = layout.type_index, layout.skip, layout.types
        recent = self.recent
        pad = len(layout.header) - width
        padding = [""] * pad
        rownum = 1
        current: Any = None
        rows: list[tuple[int, list[str]]] = []
        bad: list[Violation] = []
        first = last = unread = 0
        iterator = iter(reader)
        while True:
            try:
                for row in iterator:
                    rownum += 1
                    if issues and issues[0][0] <= reader.line_num:
                        row_problems = self._issues(rownum, row, reader.line_num)
                        if not row:
                            if current is not None:
                                bad.extend(row_problems)
                            else:
                                yield from row_problems
                            unread = rownum
                            continue
                    elif not row:
                        continue
                    else:
                        row_problems = None
                    if len(row) != width:
                        if len(row) == 1 and not row[0].strip() and not row_problems:
                            continue
                        problem = violation(
                            rownum,
                            None,
                            f"the row has {len(row)} columns, the header {width}",
                            expected=f"{width} columns (a cut or badly quoted row?)",
                            found=str(len(row)),
                        )
                        row_problems = [*(row_problems or ()), problem]
                        if len(row) <= key_reach:  # names no document: like an unreadable row
                            if current is not None:
                                bad.extend(row_problems)
                                last = rownum
                            else:
                                yield from row_problems
                            unread = rownum
                            continue
                        key = key_of(row)
                    else:
                        if pad:
                            row.extend(padding)
                        if type_index is not None:
                            kind = row[type_index].strip()
                            if kind in skip or (kind not in types and kind.casefold() in skip):
                                continue
                        key = key_of(row)
                    if key != current or current is None:
                        if current is not None:
                            yield from self._finish(current, rows, bad, first, last)
                        rows, bad = [], []
                        current = key
                        first = rownum
                        seen = recent.get(key)
                        if seen is not None:
                            bad.append(
                                violation(
                                    rownum,
                                    None,
                                    "the rows of one document must be contiguous; the "
                                    f"document read from {seen} is incomplete",
                                    expected=f"this row together with {seen}",
                                    found=f"document key {_key_text(key)} again",
                                )
                            )
                        if unread:
                            bad.append(
                                violation(
                                    rownum,
                                    None,
                                    f"the document follows unreadable row {unread}, "
                                    "which may have been part of it",
                                    expected=f"a readable row {unread}",
                                )
                            )
                    unread = 0
                    last = rownum
                    if row_problems:
                        bad.extend(row_problems)
                    elif len(rows) < layout.max_rows:
                        rows.append((rownum, row))
                    elif len(rows) == layout.max_rows:  # reported once; later rows are not kept
                        bad.append(
                            violation(
                                rownum,
                                None,
                                "the document has too many rows",
                                expected=f"at most {layout.max_rows} rows (format.max_rows_per_document)",
                            )
                        )
                        rows.append((rownum, row))
                break
            except csv.Error as exc:
                rownum += 1
                while issues and issues[0][0] <= reader.line_num:
                    issues.pop(0)
                problem = violation(rownum, None, f"malformed CSV: {exc}", expected="properly quoted cells")
                if current is not None:
                    bad.append(problem)
                    last = rownum
                else:
                    yield problem
                unread = rownum
            except UnicodeDecodeError as exc:
                problem = violation(
                    rownum + 1, None, f"undecodable bytes: {exc.reason}", expected=f"text in {self.encoding}"
                )
                if current is not None:
                    bad.append(problem)
                    yield from self._finish(current, rows, bad, first, rownum + 1)
                else:
                    yield problem
                return
        if current is not None:
            yield from self._finish(current, rows, bad, first, last)

    def _issues(self, rownum: int, row: list[str], line_num: int) -> list[Violation]:
        out = []
        header, limit = self.layout.header, self.layout.max_field
        mine = []
        while self.issues and self.issues[0][0] <= line_num:
            mine.append(self.issues.pop(0))
        for _line, kind, _size in mine:
            if kind == "chars":
                for i, cell in enumerate(row):
                    control = CONTROLS.search(cell)
                    if control:
                        out.append(
                            violation(
                                rownum,
                                header[i] if i < len(header) else None,
                                "control characters are not allowed in a cell",
                                expected="text without control characters (NUL, BEL, ...)",
                                found=repr(control.group()),
                            )
                        )
                    if SURROGATES.search(cell):
                        raw = cell.encode("utf-8", "surrogateescape")
                        out.append(
                            violation(
                                rownum,
                                header[i] if i < len(header) else None,
                                f"bytes that are not valid {self.encoding}",
                                expected=f"text in {self.encoding} (set format.encoding in the profile)",
                                found=repr(raw[:60]),
                            )
                        )
                if not out:
                    out.append(
                        violation(
                            rownum,
                            None,
                            f"bytes that are not valid {self.encoding} or control characters",
                            expected=f"text in {self.encoding}",
                        )
                    )
            elif kind == "long":
                for i, cell in enumerate(row):
                    if len(cell) > limit:
                        out.append(
                            violation(
                                rownum,
                                header[i] if i < len(header) else None,
                                "the cell is too long",
                                expected=f"at most {limit} characters (format.max_field_length)",
                                found=f"{len(cell)} characters",
                            )
                        )
            elif kind == "cut":
                out.append(
                    violation(
                        rownum,
                        None,
                        "the line is too long and was not read",
                        expected="lines shorter than format.max_line_length",
                        found=f"over {_size} characters",
                    )
                )
        return _unique(out)

    def _finish(
        self, key: Any, rows: list[tuple[int, list[str]]], bad: list[Violation], first: int, last: int
    ) -> Iterator[Found | Violation]:
        location = f"row {first}" if first == last else f"rows {first}-{last}"
        if self.remember:
            self.recent[key] = location
            if len(self.recent) > self.remember:
                self.recent.popitem(last=False)
        if bad or not rows:
            yield from sorted(bad, key=_row_of)
            return
        problems: list[Violation] = []
        document = self.layout.document(rows, problems)
        if document is None:
            yield from sorted(problems, key=_row_of)
        else:
            yield Found(document, location)


def _unique(items: list[Violation]) -> list[Violation]:
    return list(dict.fromkeys(items))


def _row_of(v: Violation) -> int:
    try:
        return int(v.path.split(",")[0].split()[1])
    except (IndexError, ValueError):
        return 0


def _key_text(key: Any) -> str:
    return " / ".join(key) if isinstance(key, tuple) else str(key)


def read_bytes(
    data: bytes, profile: Profile | str | Path, *, defaults: dict[str, str] | None = None
) -> ReadResult:
    """Every document and violation in a CSV file held in memory (see :func:`iter_documents`).

    ``profile`` is a loaded profile, a built-in name or a file path; ``defaults`` adds constants
    (e.g. the organisation's ``seller_name``). A profile that cannot be loaded is reported as a
    ``CSV-PROFILE`` violation, not raised.
    """
    overrides = {"defaults": defaults} if defaults else None
    try:
        if not isinstance(profile, Profile):
            profile = load_profile(profile, overrides)
        elif overrides:
            profile = with_overrides(profile, overrides)
    except ProfileError as exc:
        return ReadResult(
            violations=[
                Violation("CSV-PROFILE", "profile", problem, found=exc.source) for problem in exc.problems
            ]
        )
    result = ReadResult()
    for item in iter_documents(io.BytesIO(data), profile):
        if isinstance(item, Found):
            result.documents.append(item)
        else:
            result.violations.append(item)
    return result
