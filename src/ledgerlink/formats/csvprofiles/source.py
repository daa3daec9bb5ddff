"""Bytes to physical text lines for ``csv.reader``: encoding, bounded memory, suspicious lines noted.

Rules:

* The first 64 KiB are sniffed for the encoding (``encoding = "auto"``, see :mod:`.cells`) and then
  given back: the stream is never seeked, so pipes and uploads work.
* Undecodable bytes become lone surrogates (``surrogateescape``) so that the row holding them can
  be reported with its bytes instead of stopping the read.
* Text is read in 1 MiB blocks and split into lines in C. A line with control characters or
  undecodable bytes, a line longer than the longest allowed cell, and a line longer than
  ``max_line_length`` are noted as ``(line number, kind, size)``; the row loop matches them to rows
  by ``csv.reader.line_num``. An over-long line is cut: its first 64 Ki characters (enough to name
  its document) are kept and the rest is skipped, so memory stays bounded whatever the input.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from itertools import chain
from typing import IO, Any

from ledgerlink.formats.csvprofiles.cells import SAMPLE_BYTES, detect_encoding

CUT_KEEP = 65_536
SURROGATES = re.compile("[\udc80-\udcff]")
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SUSPECT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\udc80-\udcff]")  # either of the above


class _Prepend(io.RawIOBase):
    """A raw stream giving ``head`` first, then the rest of ``stream`` (sniffing without seeking)."""

    def __init__(self, head: bytes, stream: IO[bytes]):
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_text(stream: IO[bytes], encoding: str) -> tuple[io.TextIOWrapper | None, str]:
    """A text stream over ``stream`` and the encoding used; ``(None, "")`` for an empty stream.

    Raises :class:`EncodingUndetected` when ``encoding`` is ``auto`` and the start of the file is
    neither UTF-8 nor Windows-1252.
    """
    head = stream.read(SAMPLE_BYTES)
    if isinstance(head, str):
        raise TypeError("the CSV reader needs a binary stream (open the file with 'rb')")
    if not head:
        return None, ""
    if encoding == "auto":
        encoding = detect_encoding(head)
    raw = io.BufferedReader(_Prepend(head, stream), buffer_size=SAMPLE_BYTES)
    return io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline=""), encoding


class Lines:
    """Physical lines for ``csv.reader`` (see the module rules); ``issues`` lists suspicious lines."""

    BLOCK = 1 << 20

    def __init__(self, text: io.TextIOBase, max_line: int, long_line: int):
        self.text = text
        self.max_line = max_line
        self.long_line = long_line
        self.issues: list[tuple[int, str, int]] = []
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        return chain.from_iterable(self._blocks())

    def _blocks(self) -> Iterator[list[str]]:
        carry = ""
        while True:
            block = self.text.read(self.BLOCK)  # self.text changes after a skipped line
            if not block:
                if carry:
                    yield self._checked([carry])
                return
            if carry:
                block = carry + block
            end = len(block) - 1
            if block[end] == "\r":  # may be the first half of \r\n
                end -= 1
            cut = max(block.rfind("\n", 0, end + 1), block.rfind("\r", 0, end + 1))
            if cut < 0:
                carry = block
                if len(carry) > self.max_line:
                    yield self._checked([self._skip_long(carry)])
                    carry = ""
                continue
            carry = block[cut + 1 :]
            yield self._checked(io.StringIO(block[: cut + 1], newline="").readlines())
            if len(carry) > self.max_line:
                yield self._checked([self._skip_long(carry)])
                carry = ""

    def _skip_long(self, start: str) -> str:
        """Drop the rest of an over-long line; keep the start of the line and what follows it."""
        self.issues.append((self.count + 1, "cut", len(start)))
        read = self.text.read
        size = len(start)
        while True:
            block = read(self.BLOCK)
            if not block:
                break
            size += len(block)
            ends = [i for i in (block.find("\n"), block.find("\r")) if i >= 0]
            if ends:
                rest = block[min(ends) + 1 :]
                self.issues[-1] = (self.count + 1, "cut", size)
                self.text = _Rest(rest, self.text)
                break
        return start[:CUT_KEEP] + "\n"

    def _checked(self, lines: list[str]) -> list[str]:
        first = self.count + 1
        self.count += len(lines)
        joined = None
        if (
            len(lines) == 1
            or _SUSPECT.search(joined := "".join(lines))
            or (len(joined) > self.long_line and max(map(len, lines)) > self.long_line)
        ):
            for number, line in enumerate(lines, start=first):
                if _SUSPECT.search(line):
                    self.issues.append((number, "chars", 0))
                if len(line) > self.long_line:
                    self.issues.append((number, "long", len(line)))
            self.issues.sort(key=lambda issue: issue[0])
        return lines


class _Rest(io.TextIOBase):
    """``text`` continued after a skipped over-long line: ``rest`` first, then the stream."""

    def __init__(self, rest: str, text: io.TextIOBase):
        self._rest, self._text = rest, text

    def read(self, size: int | None = -1) -> str:
        if self._rest:
            out, self._rest = self._rest, ""
            return out
        return self._text.read(size)
