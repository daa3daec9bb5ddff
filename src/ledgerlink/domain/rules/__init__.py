"""EN 16931 and ledgerlink rules as pure functions: ``check(document) -> list[Violation]``."""

from __future__ import annotations

from ledgerlink.domain.documents import AnyDocument
from ledgerlink.domain.violations import Violation


def check(document: AnyDocument) -> list[Violation]:
    """Every rule that applies to the document's kind; empty when the document is valid."""
    return []
