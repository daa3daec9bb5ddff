"""The rule registry and its published catalogue stay in step."""

from __future__ import annotations

import re
from pathlib import Path

from ledgerlink.domain.rules import RULES, rules_for
from ledgerlink.domain.rules.catalog import catalog_markdown
from ledgerlink.domain.rules.registry import Applies

DOC = Path(__file__).parents[2] / "docs" / "rules.md"


def test_docs_rules_md_contains_the_generated_catalogue() -> None:
    assert catalog_markdown() in DOC.read_text(encoding="utf-8"), "regenerate the table in docs/rules.md"


def test_every_rule_is_listed_once_with_an_official_or_own_id() -> None:
    listed = re.findall(r"^\| ((?:BR|LL)-[A-Z0-9-]+) \|", catalog_markdown(), flags=re.M)
    assert sorted(listed) == sorted(RULES) and len(listed) == len(set(listed))
    for rid in RULES:
        assert re.fullmatch(
            r"BR-\d\d|BR-(CO|DEC|CL|S|Z|E|AE|IC|G|O|AF|AG)-\d\d|LL-(ST|LU|RANGE)-\d\d", rid
        ), rid


def test_rules_by_kind() -> None:
    assert {r.id for r in rules_for(Applies.STATEMENT)} == {"LL-ST-01", "LL-ST-02", "LL-ST-03", "LL-ST-04"}
    assert {r.id for r in rules_for(Applies.LEDGER_UPDATE)} == {
        "LL-LU-01",
        "LL-LU-02",
        "LL-LU-03",
        "LL-LU-04",
    }
    commercial = {r.id for r in rules_for(Applies.COMMERCIAL)}
    assert {"BR-CO-17", "BR-S-08", "BR-IC-12", "BR-DEC-28", "BR-CL-25"} <= commercial
    assert all(r.description.endswith(".") for r in RULES.values())
