"""The 0002_export migration matches ``ledgerlink.export.tables`` (an ``alembic check`` for this area)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import ledgerlink.store.tables  # noqa: F401
from ledgerlink.export import tables
from ledgerlink.store.schema import metadata

EXPORT_TABLES = {t.name for t in vars(tables).values() if hasattr(t, "c") and hasattr(t, "name")}


def _touches_export(diff: Any) -> bool:
    ops = diff if isinstance(diff, list) else [diff]
    for op in ops:
        for part in op[1:]:
            name = getattr(part, "name", None) if not isinstance(part, str) else part
            table = getattr(part, "table", None)
            if name in EXPORT_TABLES or getattr(table, "name", None) in EXPORT_TABLES:
                return True
    return False


def test_migrated_schema_matches_the_tables(db: Any) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, metadata) if _touches_export(d)]
    assert diffs == []
    assert len(EXPORT_TABLES) == 8


def test_every_export_table_carries_org_id() -> None:
    for name in EXPORT_TABLES:
        assert "org_id" in metadata.tables[name].c, name
