"""The rule catalogue as text, for ``docs/rules.md`` and command-line listings."""

from __future__ import annotations

from ledgerlink.domain.rules.registry import RULES, Applies

SECTIONS = (
    ("Guard (every document)", lambda rid: rid.startswith("LL-RANGE")),
    ("EN 16931 mandatory content (BR-01 … BR-65)", lambda rid: rid[3:5].isdigit()),
    ("EN 16931 conditions and calculations (BR-CO-*)", lambda rid: rid.startswith("BR-CO-")),
    (
        "EN 16931 VAT categories (BR-S/Z/E/AE/IC/G/O/AF/AG-*)",
        lambda rid: rid.split("-")[1] in {"S", "Z", "E", "AE", "IC", "G", "O", "AF", "AG"},
    ),
    ("EN 16931 decimals (BR-DEC-*)", lambda rid: rid.startswith("BR-DEC-")),
    ("EN 16931 code lists (BR-CL-*)", lambda rid: rid.startswith("BR-CL-")),
    ("ledgerlink statements (LL-ST-*)", lambda rid: rid.startswith("LL-ST-")),
    ("ledgerlink ledger updates (LL-LU-*)", lambda rid: rid.startswith("LL-LU-")),
)

_APPLIES = {
    Applies.COMMERCIAL: "invoice, credit note",
    Applies.STATEMENT: "statement",
    Applies.LEDGER_UPDATE: "ledger update",
    Applies.ANY: "all",
}


def catalog_markdown() -> str:
    """Every registered rule as Markdown tables, one per family, in registration order."""
    out = []
    for title, member in SECTIONS:
        rows = [r for r in RULES.values() if member(r.id)]
        out.append(f"### {title}\n\n| Rule | Applies to | Severity | What it checks |\n|---|---|---|---|")
        out += [
            f"| {r.id} | {_APPLIES[r.applies]} | {r.severity.value} | {r.description.replace('|', '/')} |"
            for r in rows
        ]
        out.append("")
    return "\n".join(out)
