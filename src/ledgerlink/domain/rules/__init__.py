"""EN 16931 and ledgerlink rules as pure functions: ``check(document) -> list[Violation]``.

* Invoices and credit notes: EN 16931 business rules (BR-*, BR-CO-*, VAT category rules, BR-DEC-*,
  BR-CL-*), checked against the canonical model.
* Statements: ``LL-ST-*``; ledger updates: ``LL-LU-*``.
* Every document first: ``LL-RANGE-01`` (amounts small enough to check exactly); when it fails it is
  reported alone.

``RULES`` lists every rule (id → :class:`~ledgerlink.domain.rules.registry.Rule`) for docs and the CLI.
:func:`check` walks a commercial document once to collect the shared facts, then runs only the rules
whose subject is present (an invoice without allowances skips the allowance rules).
"""

from __future__ import annotations

from ledgerlink.domain.documents import AnyDocument, CreditNote, Invoice, LedgerUpdate, Statement
from ledgerlink.domain.rules import accounts, calculation, code_lists, core, decimals, guard, vat  # noqa: F401
from ledgerlink.domain.rules.facts import facts_of
from ledgerlink.domain.rules.registry import RULES, Applies, Rule, RuleFunc
from ledgerlink.domain.violations import Violation

__all__ = ["RULES", "Rule", "check", "rules_for"]


def rules_for(applies: Applies) -> list[Rule]:
    """The registered rules for one kind of document, in registration order."""
    return [r for r in RULES.values() if r.applies is applies]


def _by_need(applies: Applies) -> dict[str | None, tuple[RuleFunc, ...]]:
    groups: dict[str | None, list[RuleFunc]] = {}
    for r in rules_for(applies):
        groups.setdefault(r.needs, []).append(r.func)
    return {needs: tuple(funcs) for needs, funcs in groups.items()}


_GUARDS = tuple(r.func for r in rules_for(Applies.ANY))
_COMMERCIAL = _by_need(Applies.COMMERCIAL)
_ALWAYS = _COMMERCIAL.pop(None, ())
_STATEMENT = tuple(r.func for r in rules_for(Applies.STATEMENT))
_LEDGER_UPDATE = tuple(r.func for r in rules_for(Applies.LEDGER_UPDATE))
_ORDER = {rule_id: index for index, rule_id in enumerate(RULES)}


def _registration_order(v: Violation) -> int:
    return _ORDER.get(v.rule, -1)


def check(document: AnyDocument) -> list[Violation]:
    """Every rule that applies to the document's kind; empty when the document is valid."""
    out: list[Violation] = []
    for guard_rule in _GUARDS:  # out-of-range amounts: report them alone, the arithmetic would be meaningless
        out.extend(guard_rule(document, None))
    if out:
        return out
    if isinstance(document, (Invoice, CreditNote)):
        facts = facts_of(document)
        for func in _ALWAYS:
            found = func(document, facts)
            if found:
                out.extend(found)
        for need in facts.present:  # only the rules whose subject the document has
            for func in _COMMERCIAL.get(need, ()):
                found = func(document, facts)
                if found:
                    out.extend(found)
        if out:
            out.sort(key=_registration_order)  # deterministic: registration order, stable within a rule
        return out
    funcs = (
        _STATEMENT
        if isinstance(document, Statement)
        else _LEDGER_UPDATE
        if isinstance(document, LedgerUpdate)
        else ()
    )
    for func in funcs:
        found = func(document, None)
        if found:
            out.extend(found)
    return out
