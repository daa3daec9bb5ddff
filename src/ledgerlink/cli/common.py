"""Options every store-touching command shares, and opening the store from them.

``--data-dir`` / ``LEDGERLINK_DATA_DIR`` and ``--database-url`` / ``LEDGERLINK_DATABASE_URL``: the
CLI and a running server given the same values share one store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from ledgerlink.settings import Settings
from ledgerlink.store.database import Database

console = Console()
err_console = Console(stderr=True)

DataDir = Annotated[
    Optional[Path],
    typer.Option("--data-dir", envvar="LEDGERLINK_DATA_DIR",
                 help="Folder of the embedded store and local files [default: ./ledgerlink-data]"),
]
DatabaseUrl = Annotated[
    Optional[str],
    typer.Option("--database-url", envvar="LEDGERLINK_DATABASE_URL",
                 help="Store URL, e.g. postgresql+psycopg://user@host/db [default: SQLite under --data-dir]"),
]


def settings_from(data_dir: Path | None, database_url: str | None) -> Settings:
    settings = Settings.from_env(data_dir=data_dir, database_url=database_url)
    if settings.is_embedded:
        settings.prepare()
    return settings


def open_store(data_dir: Path | None, database_url: str | None, *, migrate: bool | None = None) -> Database:
    """Open the store; the embedded one is migrated on open, PostgreSQL must be current (``db upgrade``)."""
    from ledgerlink.store.migrate import current, heads  # alembic loads only for commands that need it

    settings = settings_from(data_dir, database_url)
    db = Database.from_url(settings.resolved_database_url)
    if migrate if migrate is not None else settings.is_embedded:
        db.migrate()
    elif current(db) not in heads():
        err_console.print(
            f"[red]The store at {db.url.render_as_string(hide_password=True)} is not at the newest schema "
            f"(it is at {current(db)!r}). Run `ledgerlink db upgrade` first.[/red]"
        )
        raise typer.Exit(2)
    return db


def fail(message: str, code: int = 1) -> "typer.Exit":
    err_console.print(f"[red]{message}[/red]")
    return typer.Exit(code)
