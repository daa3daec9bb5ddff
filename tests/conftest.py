"""Shared fixtures: every store and API test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``LEDGERLINK_TEST_PG_URL`` (default: the local server, trust auth). Each test
session makes its own database and drops it at the end; tables are emptied between tests. With
``CI=true`` an unreachable PostgreSQL fails the suite; elsewhere those tests skip with the reason.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

import ledgerlink.store.tables  # noqa: F401  (complete metadata)
from ledgerlink.api.app import create_app
from ledgerlink.services import tenancy
from ledgerlink.settings import Settings
from ledgerlink.store.database import Database
from ledgerlink.store.schema import metadata

PG_ADMIN_URL = os.environ.get("LEDGERLINK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PEPPOL_SAMPLES = SHARED / "samples" / "peppol-bis3"

# Servers the tests start (``ledgerlink serve`` / ``up`` in subprocesses) run without helper processes
# for large batches, which would only slow their start-up; the tests of those helpers turn them on.
os.environ.setdefault("LEDGERLINK_PREPARE_PROCESSES", "0")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", default=False, help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow") or os.environ.get("LEDGERLINK_SLOW_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def _pg_unavailable(reason: str) -> None:
    message = f"PostgreSQL at {PG_ADMIN_URL} unreachable: {reason}"
    if IN_CI:
        pytest.fail(message + " (mandatory when CI=true)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    name = f"ll_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        _pg_unavailable(str(exc).splitlines()[0])
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    db = Database.from_url(url)
    db.migrate()
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "ledgerlink.sqlite3"
    db = Database.from_url(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return path


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty store: parametrised over SQLite and PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "ledgerlink.sqlite3"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("pg_url")
    _truncate_all(url)
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url)
    yield database
    database.dispose()


@pytest.fixture
def make_org_key(db: Database) -> Callable[..., tuple[str, str]]:
    """``make_org_key(scopes=..., name=...)`` → (org id, API key) of a new organisation."""

    def make(scopes: frozenset[str] | set[str] = tenancy.ALL_SCOPES, name: str = "org") -> tuple[str, str]:
        with db.begin() as conn:
            org_id = tenancy.create_organisation(conn, name, actor="test")
            issued = tenancy.create_key(conn, org_id, frozenset(scopes), actor="test")
        return org_id, issued.secret

    return make


class ApiClient(TestClient):
    """A test client authenticated as one organisation's key (``org_id``, ``key`` attributes)."""

    org_id: str
    key: str

    def as_key(self, key: str) -> "ApiClient":
        other = ApiClient(self.app, raise_server_exceptions=True)
        other.headers["Authorization"] = f"Bearer {key}"
        other.org_id = self.org_id
        other.key = key
        return other


@pytest.fixture
def app(db: Database, tmp_path: Path) -> Any:
    return create_app(Settings(data_dir=tmp_path, database_url=str(db.url.render_as_string(hide_password=False))),
                      db)


@pytest.fixture
def api(app: Any, make_org_key: Callable[..., tuple[str, str]]) -> Iterator[ApiClient]:
    """The API, authenticated as a fresh organisation whose key has every scope."""
    org_id, key = make_org_key()
    with ApiClient(app) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        client.org_id = org_id
        client.key = key
        yield client
