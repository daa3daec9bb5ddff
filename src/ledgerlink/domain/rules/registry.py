"""The rule registry: every rule's official id, what it checks, and the function that checks it.

A rule function takes the document and the shared :class:`~ledgerlink.domain.rules.facts.Facts`
(computed once per document) and returns the violations it found, ``()`` when none. Rules never
change the document and never recompute its stated totals: they compare.

``needs`` names what must be present for the rule to matter (``"allowances"``, ``"cat:S"``, ...);
the engine skips the rule when it is absent, so a plain invoice runs only the rules that apply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ledgerlink.domain.violations import Severity, Violation


class Applies(StrEnum):
    """Which document kinds a rule is for."""

    COMMERCIAL = "commercial"  # invoices and credit notes (EN 16931)
    STATEMENT = "statement"
    LEDGER_UPDATE = "ledger_update"
    ANY = "any"  # guards run first on every document


RuleFunc = Callable[[Any, Any], Sequence[Violation]]


@dataclass(frozen=True, slots=True)
class Rule:
    """One registered rule."""

    id: str
    description: str
    applies: Applies
    func: RuleFunc
    needs: str | None = None
    severity: Severity = Severity.ERROR


RULES: dict[str, Rule] = {}
"""Every rule by id, in registration order (EN 16931 order within each module)."""

OK: tuple[Violation, ...] = ()
"""What a rule returns when the document passes it."""


def rule(
    rule_id: str,
    description: str,
    *,
    needs: str | None = None,
    applies: Applies = Applies.COMMERCIAL,
    severity: Severity = Severity.ERROR,
) -> Callable[[RuleFunc], RuleFunc]:
    """Register the decorated function as the check of ``rule_id``."""

    def register(func: RuleFunc) -> RuleFunc:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice")
        RULES[rule_id] = Rule(rule_id, description, applies, func, needs, severity)
        return func

    return register


def violation(
    rule_id: str,
    path: str,
    expected: object = None,
    found: object = None,
    message: str | None = None,
) -> Violation:
    """A violation of ``rule_id`` at ``path``; the message defaults to the rule's description."""
    registered = RULES[rule_id]
    return Violation(
        rule=rule_id,
        path=path,
        message=message or registered.description,
        expected=None if expected is None else _text(expected),
        found=None if found is None else _text(found),
        severity=registered.severity,
    )


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
