"""Imports every module that defines tables, so the metadata is complete (for Alembic and tests)."""

from __future__ import annotations

import ledgerlink.export.tables  # noqa: F401  (export jobs, items, integrations)
from ledgerlink.store.schema import metadata

__all__ = ["metadata"]
