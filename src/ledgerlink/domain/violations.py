"""How a broken rule is reported: rule id, field path, message, expected and found values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Violation:
    """One failed rule.

    ``path`` locates the field in the canonical model (``lines[2].net_amount``,
    ``totals.payable_amount``) or, from a reader, in the source (``/Invoice/cbc:ID``, ``row 7``).
    ``rule`` is the official id (``BR-CO-10``) or ours (``LL-*``, ``SCHEMA``, ``XML``, ``CSV``).
    """

    rule: str
    path: str
    message: str
    expected: str | None = None
    found: str | None = None
    severity: Severity = Severity.ERROR

    def as_dict(self) -> dict[str, str]:
        out = {"path": self.path, "rule": self.rule, "message": self.message}
        if self.expected is not None:
            out["expected"] = self.expected
        if self.found is not None:
            out["found"] = self.found
        if self.severity is not Severity.ERROR:
            out["severity"] = self.severity.value
        return out


def errors_only(violations: list[Violation]) -> list[Violation]:
    """The violations that make a document invalid (warnings pass)."""
    return [v for v in violations if v.severity is Severity.ERROR]


def format_path(loc: tuple[int | str, ...]) -> str:
    """A path tuple as the dotted form used in every error: ``("lines", 2, "name")`` → ``lines[2].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
