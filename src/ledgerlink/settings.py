"""Runtime settings, from options or ``LEDGERLINK_*`` environment variables.

``LEDGERLINK_DATA_DIR`` (default ``./ledgerlink-data``) holds the SQLite store and local files;
``LEDGERLINK_DATABASE_URL`` selects another store (``postgresql+psycopg://...``);
``LEDGERLINK_MAX_BODY_BYTES`` caps request bodies (default 50 MiB; larger gets HTTP 413);
``LEDGERLINK_PREPARE_PROCESSES`` sets how many processes help each API process prepare large JSON
batches (default 1 where the machine has two CPUs per API process, else 0 = off; see ``services.parallel``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ledgerlink.store.database import sqlite_url

DEFAULT_DATA_DIR = Path("ledgerlink-data")
DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024


def default_prepare_processes(api_processes: int = 1) -> int:
    """One helper per API process where every API process can have a second CPU for it, none otherwise."""
    return 1 if (os.cpu_count() or 1) >= 2 * api_processes else 0


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    prepare_processes: int = 0
    """Built from the environment (:meth:`from_env`) the default is :func:`default_prepare_processes`."""

    @classmethod
    def from_env(cls, data_dir: Path | None = None, database_url: str | None = None) -> "Settings":
        env = os.environ
        return cls(
            data_dir=Path(data_dir or env.get("LEDGERLINK_DATA_DIR") or DEFAULT_DATA_DIR),
            database_url=database_url or env.get("LEDGERLINK_DATABASE_URL") or None,
            max_body_bytes=int(env.get("LEDGERLINK_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
            prepare_processes=int(env.get("LEDGERLINK_PREPARE_PROCESSES", default_prepare_processes())),
        )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or sqlite_url(self.data_dir)

    @property
    def is_embedded(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def prepare(self) -> None:
        """Create the data directory the embedded store lives in."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
