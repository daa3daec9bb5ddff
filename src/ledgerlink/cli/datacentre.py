"""Data centre commands: ``serve``, ``up``, ``demo``, ``db``, ``org``, ``key``."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.panel import Panel
from rich.progress import Progress

from ledgerlink.cli.common import DatabaseUrl, DataDir, console, fail, open_store, settings_from
from ledgerlink.heap import settle_after_startup
from ledgerlink.observability import configure_logging
from ledgerlink.services import tenancy
from ledgerlink.settings import default_prepare_processes
from ledgerlink.store.database import Database

KEY_FILE = "default-api-key"

db_app = typer.Typer(help="Store schema (Alembic migrations).", no_args_is_help=True)
org_app = typer.Typer(help="Organisations (tenants).", no_args_is_help=True)
key_app = typer.Typer(help="API keys (only a hash is stored; the key is shown once).", no_args_is_help=True)

Host = Annotated[str, typer.Option("--host", help="Address to listen on")]
Port = Annotated[int, typer.Option("--port", help="Port to listen on")]
TlsCert = Annotated[Optional[Path], typer.Option("--tls-cert", help="PEM certificate (chain): serve HTTPS")]
TlsKey = Annotated[Optional[Path], typer.Option("--tls-key", help="PEM private key of --tls-cert")]


def _uvicorn_config(app: Any, host: str, port: int, tls_cert: Path | None, tls_key: Path | None,
                    **extra: Any) -> Any:
    import uvicorn

    if bool(tls_cert) != bool(tls_key):
        raise fail("--tls-cert and --tls-key go together")
    return uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, server_header=False,
        ssl_certfile=str(tls_cert) if tls_cert else None, ssl_keyfile=str(tls_key) if tls_key else None,
        timeout_graceful_shutdown=10, **extra,
    )


def serve(
    host: Host = "127.0.0.1",
    port: Port = 8080,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    tls_cert: TlsCert = None,
    tls_key: TlsKey = None,
    workers: Annotated[int, typer.Option(help="API processes (PostgreSQL stores scale out)")] = 1,
) -> None:
    """Run the data centre API (HTTPS with --tls-cert/--tls-key). SQLite stores are migrated on start."""
    configure_logging()
    db = open_store(data_dir, database_url)
    settings = settings_from(data_dir, database_url)
    if workers > 1:
        db.dispose()
        os.environ["LEDGERLINK_DATA_DIR"] = str(settings.data_dir)
        if settings.database_url:
            os.environ["LEDGERLINK_DATABASE_URL"] = settings.database_url
        os.environ.setdefault("LEDGERLINK_PREPARE_PROCESSES", str(default_prepare_processes(workers)))
        config = _uvicorn_config("ledgerlink.api.asgi:create_app_from_env", host, port, tls_cert, tls_key,
                                 factory=True, workers=workers)
        _run(config)
        return
    from ledgerlink.api.app import create_app

    app = create_app(settings, db)
    _run(_uvicorn_config(app, host, port, tls_cert, tls_key))


def _run(config: Any) -> None:
    import uvicorn

    if not isinstance(config.app, str):  # built here; a factory's worker processes settle their own heap
        settle_after_startup()
    uvicorn.Server(config).run()


def _default_key(db: Database, data_dir: Path) -> tuple[str, str | None]:
    """The default organisation and its key: created on first start, the key kept in the data dir (0600)."""
    key_path = data_dir / KEY_FILE
    with db.begin() as conn:
        orgs = tenancy.list_organisations(conn)
        if orgs:
            key = key_path.read_text().strip() if key_path.exists() else None
            return orgs[0].id, key
        org_id = tenancy.create_organisation(conn, "default", actor="up")
        issued = tenancy.create_key(conn, org_id, tenancy.ALL_SCOPES, name="default", actor="up")
    key_path.touch(mode=0o600)
    key_path.write_text(issued.secret + "\n")
    return org_id, issued.secret


def load_demo(db: Database, org_id: str) -> dict[str, int]:
    """Ingest the demo documents through the same service as the API; a second load stores nothing new."""
    from ledgerlink.demo import demo_documents
    from ledgerlink.formats.base import Found, ReadResult
    from ledgerlink.services.ingest import ingest

    docs = demo_documents()
    principal = tenancy.Principal(org_id=org_id, key_id="demo", scopes=tenancy.ALL_SCOPES)
    counts: dict[str, int] = {}
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Loading demo documents", total=len(docs))
        for doc in docs:
            with db.begin() as conn:
                receipt = ingest(conn, principal, ReadResult([Found(doc, doc.number)]), source_format="demo")
            for item in receipt.documents:
                counts[item["status"]] = counts.get(item["status"], 0) + 1
            progress.advance(task)
    return counts


def up(
    host: Host = "127.0.0.1",
    port: Port = 8080,
    data_dir: DataDir = None,
    demo: Annotated[bool, typer.Option("--demo", help="Load sample documents so there is something to see")] = False,
    tls_cert: TlsCert = None,
    tls_key: TlsKey = None,
) -> None:
    """All-in-one data centre on embedded SQLite: API plus background worker in one process."""
    configure_logging()
    settings = settings_from(data_dir, None)
    db = open_store(settings.data_dir, None, migrate=True)
    org_id, key = _default_key(db, settings.data_dir)
    if demo:
        counts = load_demo(db, org_id)
        console.print(f"Demo documents: {', '.join(f'{n} {s}' for s, n in sorted(counts.items()))}")
    scheme = "https" if tls_cert else "http"
    url = f"{scheme}://{host}:{port}"
    key_text = key or f"(shown at first start; kept in {settings.data_dir / KEY_FILE} if not deleted)"
    console.print(Panel.fit(
        f"[bold]ledgerlink data centre[/bold]\n"
        f"URL:      {url}   (API docs: {url}/docs)\n"
        f"API key:  {key_text}\n"
        f"Store:    {settings.resolved_database_url}",
        title="up"))
    console.print(f"Try:  curl -H 'Authorization: Bearer {key or '<key>'}' {url}/v1/documents", soft_wrap=True)
    stop = threading.Event()
    worker = _start_worker(db, stop)
    from ledgerlink.api.app import create_app

    app = create_app(settings, db)
    try:
        _run(_uvicorn_config(app, host, port, tls_cert, tls_key))
    finally:
        stop.set()
        worker.join(timeout=10)


def _start_worker(db: Database, stop: threading.Event) -> threading.Thread:
    """The export worker in a background thread."""
    from ledgerlink.export.worker import run_forever

    thread = threading.Thread(target=run_forever, args=(db,), kwargs={"stop": stop}, name="export-worker",
                              daemon=True)
    thread.start()
    return thread


def demo_command(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    org: Annotated[Optional[str], typer.Option("--org", help="Organisation id [default: the first one]")] = None,
) -> None:
    """Load the sample documents into the store (safe to repeat: duplicates are stored once)."""
    db = open_store(data_dir, database_url)
    with db.read() as conn:
        orgs = tenancy.list_organisations(conn)
    if org is None:
        if not orgs:
            raise fail("no organisation yet: run `ledgerlink up` once or `ledgerlink org create NAME`")
        org = orgs[0].id
    counts = load_demo(db, org)
    console.print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Apply every pending migration."""
    from ledgerlink.store.migrate import current

    db = open_store(data_dir, database_url, migrate=True)
    console.print(f"Store at revision {current(db)}")


@db_app.command("current")
def db_current(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Print the store's schema revision."""
    from ledgerlink.store.database import Database as _Database
    from ledgerlink.store.migrate import current, heads

    settings = settings_from(data_dir, database_url)
    db = _Database.from_url(settings.resolved_database_url)
    console.print(f"current: {current(db)}   newest: {', '.join(heads())}")


@org_app.command("create")
def org_create(name: str, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Create an organisation and print its id."""
    db = open_store(data_dir, database_url)
    with db.begin() as conn:
        org_id = tenancy.create_organisation(conn, name)
    print(org_id)


@org_app.command("list")
def org_list(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """List organisations."""
    db = open_store(data_dir, database_url)
    with db.read() as conn:
        rows = [(r.id, r.name, r.created_at.isoformat()) for r in tenancy.list_organisations(conn)]
    _print_rows(("id", "name", "created"), rows)


@key_app.command("create")
def key_create(
    org: Annotated[str, typer.Option("--org", help="Organisation id")],
    scope: Annotated[list[str], typer.Option("--scope", help="ingest, read, export, admin (repeat)")] = [],  # noqa: B006
    name: Annotated[Optional[str], typer.Option(help="A label for the key")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an API key and print it once (default scopes: ingest and read)."""
    scopes = frozenset(scope or ("ingest", "read"))
    db = open_store(data_dir, database_url)
    try:
        with db.begin() as conn:
            issued = tenancy.create_key(conn, org, scopes, name=name)
    except tenancy.UnknownOrganisation:
        raise fail(f"no organisation {org}") from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    print(issued.secret)


@key_app.command("revoke")
def key_revoke(key_id: str, data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Revoke a key by its id (the part after `ll_` and before the next `_`)."""
    db = open_store(data_dir, database_url)
    with db.begin() as conn:
        if not tenancy.revoke_key(conn, key_id):
            raise fail(f"no key {key_id}")
    console.print(f"revoked {key_id}")


@key_app.command("list")
def key_list(org: Annotated[Optional[str], typer.Option("--org")] = None, data_dir: DataDir = None,
             database_url: DatabaseUrl = None) -> None:
    """List keys (ids and scopes; never the secrets)."""
    db = open_store(data_dir, database_url)
    with db.read() as conn:
        rows = [(r.id, r.org_id, r.name or "", r.scopes, r.created_at.isoformat(),
                 r.revoked_at.isoformat() if r.revoked_at else "") for r in tenancy.list_keys(conn, org)]
    _print_rows(("id", "org", "name", "scopes", "created", "revoked"), rows)


def _print_rows(header: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
    """Tab-separated lines with a header: readable, and easy to use from scripts."""
    print("\t".join(header))
    for row in rows:
        print("\t".join(str(value) for value in row))


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("up")(up)
    app.command("demo")(demo_command)
    app.add_typer(db_app, name="db")
    app.add_typer(org_app, name="org")
    app.add_typer(key_app, name="key")
