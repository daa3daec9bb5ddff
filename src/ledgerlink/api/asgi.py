"""ASGI entry point for multi-process servers: ``uvicorn --factory ledgerlink.api.asgi:create_app_from_env``."""

from __future__ import annotations

from fastapi import FastAPI

from ledgerlink.api.app import create_app
from ledgerlink.heap import settle_after_startup
from ledgerlink.observability import configure_logging
from ledgerlink.settings import Settings


def create_app_from_env() -> FastAPI:
    """An app configured by ``LEDGERLINK_*`` environment variables (the store must be migrated)."""
    configure_logging()
    app = create_app(Settings.from_env())
    settle_after_startup()
    return app
