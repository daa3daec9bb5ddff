"""``ledgerlink rules``: the business rules every document is checked against."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ledgerlink.domain.rules import RULES


def list_rules(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per rule, for machines")] = False,
    prefix: Annotated[str, typer.Option("--prefix", help="only rules whose id starts with this, e.g. BR-CO")] = "",
) -> None:
    """List the EN 16931 and ledgerlink rules (id, documents it applies to, severity, what it checks)."""
    for rule in sorted(RULES.values(), key=lambda r: r.id):
        if not rule.id.startswith(prefix):
            continue
        if as_json:
            print(json.dumps({"id": rule.id, "applies": rule.applies.value, "severity": rule.severity.value,
                              "description": rule.description}))
        else:
            print(f"{rule.id}\t{rule.applies.value}\t{rule.severity.value}\t{rule.description}")
