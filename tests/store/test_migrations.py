"""The Alembic scripts build exactly the tables the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ledgerlink.store.migrate import current, heads
from ledgerlink.store.schema import metadata


def test_store_is_at_the_newest_revision(db: Any) -> None:
    assert current(db) in heads()


def test_migrations_match_the_declared_tables(db: Any) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_upgrade_is_idempotent(db: Any) -> None:
    db.migrate()
    db.migrate()
    assert current(db) in heads()
