"""What every reader returns: the documents found, each with where it was found, and the violations."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledgerlink.domain.documents import AnyDocument
from ledgerlink.domain.violations import Violation


@dataclass(frozen=True, slots=True)
class Found:
    """A document read from a source, with its location there (``row 2-5``, ``/Invoice``, ``[3]``)."""

    document: AnyDocument
    location: str


@dataclass(slots=True)
class ReadResult:
    """Documents read and violations met. A source with any violation stores nothing unless partial."""

    documents: list[Found] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)


class UnsupportedMediaType(ValueError):
    """No reader for this media type (HTTP 415)."""
