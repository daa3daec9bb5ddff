"""Imports every module that defines tables, so the metadata is complete (for Alembic and tests)."""

from __future__ import annotations

import importlib

from ledgerlink.store.schema import metadata

_AREA_TABLE_MODULES = ("ledgerlink.export.tables",)

for _name in _AREA_TABLE_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # an area not installed in this build
        if exc.name != _name:
            raise

__all__ = ["metadata"]
