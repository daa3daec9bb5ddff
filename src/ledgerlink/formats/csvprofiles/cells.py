"""Reading single cells and sniffing a file: numbers, dates, encoding, delimiter. Pure functions.

Rules:

* Numbers: optional sign, digits, the profile's decimal separator, and — only when the profile
  names one — a thousands separator in groups of three (``1.234,56`` with decimal comma). No
  exponent, no ``NaN``/``Infinity``, no currency symbol. Parsed straight into ``Decimal``.
* Dates: the profile's formats are tried in order; a date must match one in full.
* Encoding ``auto``: a UTF-8 BOM means UTF-8, a UTF-16 BOM means UTF-16; otherwise the first
  64 KiB must decode as UTF-8 (then UTF-8) or else as Windows-1252 (then Windows-1252). Bytes
  that Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) make detection fail: the
  profile must then name the encoding (``latin-1`` reads any byte). A file that looks like
  UTF-8 at its start but has other bytes later gets a row error for each such row.
* Delimiter ``auto``: the one of ``,`` ``;`` TAB ``|`` met most often in the header line
  (outside quotes); a tie or none is an error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

from ledgerlink.formats.csvprofiles.profile import DELIMITERS

SAMPLE_BYTES = 65_536


class CellError(ValueError):
    """A cell that does not hold what the profile says; ``expected`` describes the right form."""

    def __init__(self, message: str, expected: str):
        super().__init__(message)
        self.expected = expected


def number_parser(decimal_separator: str = ".", thousands_separator: str = "") -> Callable[[str], Decimal]:
    """A function reading a stripped cell as an exact ``Decimal`` or raising :class:`CellError`."""
    dec = re.escape(decimal_separator)
    plain = re.compile(rf"[+-]?(?:\d+(?:{dec}\d*)?|{dec}\d+)")
    grouped = None
    if thousands_separator:
        sep = re.escape(thousands_separator)
        grouped = re.compile(rf"[+-]?\d{{1,3}}(?:{sep}\d{{3}})+(?:{dec}\d*)?")
    example = (
        f"1{thousands_separator}234{decimal_separator}56"
        if thousands_separator
        else f"1234{decimal_separator}56"
    )
    expected = f"a number like {example} or -12{decimal_separator}5"
    plain_match = plain.fullmatch
    comma = decimal_separator == ","

    def parse(text: str) -> Decimal:
        if plain_match(text) is None:
            if grouped is None or grouped.fullmatch(text) is None:
                raise CellError("not a number in the profile's format", expected)
            text = text.replace(thousands_separator, "")
        if comma:
            text = text.replace(",", ".")
        return Decimal(text)

    return parse


def percent_parser(number: Callable[[str], Decimal]) -> Callable[[str], Decimal]:
    """Reads ``20``, ``20%`` or ``20 %`` as ``Decimal("20")``; 0–100 only."""

    def parse(text: str) -> Decimal:
        value = number(text[:-1].rstrip() if text.endswith("%") else text)
        if not 0 <= value <= 100:
            raise CellError("a VAT rate must be between 0 and 100", "a percentage such as 20 or 20%")
        return value

    return parse


def date_parser(formats: tuple[str, ...]) -> Callable[[str], dt.date]:
    """A function reading a stripped cell as a date by the first matching format (cached)."""
    cache: dict[str, dt.date] = {}
    strptime = dt.datetime.strptime
    expected = "a date like " + " or ".join(dt.date(2026, 3, 31).strftime(f) for f in formats)

    def parse(text: str) -> dt.date:
        found = cache.get(text)
        if found is not None:
            return found
        for fmt in formats:
            try:
                value = strptime(text, fmt).date()
            except ValueError:
                continue
            if len(cache) > 50_000:
                cache.clear()
            cache[text] = value
            return value
        raise CellError("not a date in the profile's format", expected)

    return parse


class EncodingUndetected(ValueError):
    """``auto`` could not tell the encoding safely."""


def detect_encoding(head: bytes) -> str:
    """The codec for ``encoding = "auto"`` from the first bytes of a file (see the module rules)."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the sample's end is still UTF-8
        if (
            exc.reason == "unexpected end of data"
            and exc.start >= len(head) - 3
            and len(head) >= SAMPLE_BYTES
        ):
            return "utf-8"
    try:
        head.decode("cp1252")
        return "windows-1252"
    except UnicodeDecodeError as exc:
        raise EncodingUndetected(
            f"byte 0x{head[exc.start]:02X} at offset {exc.start} is neither UTF-8 nor Windows-1252"
        ) from None


def detect_delimiter(header_line: str) -> str:
    """The delimiter for ``delimiter = "auto"``: the most frequent candidate outside quotes."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(counts.values())
    winners = [d for d, n in counts.items() if n == best]
    if best == 0 or len(winners) > 1:
        raise ValueError("cannot tell the delimiter from the header line")
    return winners[0]
