"""Export commands: ``ledgerlink worker``, ``ledgerlink export run``, ``ledgerlink integration set|show``."""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ledgerlink.cli.common import DatabaseUrl, DataDir, console, err_console, fail, open_store
from ledgerlink.export import repository
from ledgerlink.export.config import ConfigInvalid, check_name, config_json
from ledgerlink.export.model import Preview
from ledgerlink.store.audit import record

export_app = typer.Typer(help="Run export jobs into the ledgers.", no_args_is_help=True)
integration_app = typer.Typer(help="An organisation's integrations (where and how to export).", no_args_is_help=True)


def worker(
    poll_seconds: Annotated[float, typer.Option(help="Sleep between polls when there is no work")] = 1.0,
    lease_seconds: Annotated[int, typer.Option(help="Claim lease; renewed every third of it")] = 60,
    worker_id: Annotated[Optional[str], typer.Option(help="Name in claims and the audit log")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Claim and process export jobs until SIGINT/SIGTERM (many workers may share a PostgreSQL store)."""
    from ledgerlink.export.worker import run_forever

    db = open_store(data_dir, database_url)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    err_console.print("export worker running; Ctrl-C stops it")
    run_forever(db, stop=stop, poll_seconds=poll_seconds, worker_id=worker_id,
                lease=dt.timedelta(seconds=lease_seconds))
    db.dispose()


@export_app.command("run")
def export_run(
    integration: Annotated[Optional[str], typer.Option(help="Only jobs of this integration")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the exact entries; write nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Process every eligible export job once (or preview them with --dry-run)."""
    from ledgerlink.export.worker import run_once

    db = open_store(data_dir, database_url)
    try:
        results = run_once(db, integration=integration, dry_run=dry_run)
    except repository.ExportError as exc:
        raise fail(exc.detail) from None
    finally:
        db.dispose()
    if dry_run:
        previews = [r for r in results if isinstance(r, Preview)]
        if as_json:
            sys.stdout.write(json.dumps([p.model_dump(mode="json") for p in previews], indent=2) + "\n")
            return
        for preview in previews:
            console.print(f"[bold]job {preview.job_id}[/bold] → {preview.integration} ({preview.target}, "
                          f"{preview.posting_status})")
            for item in preview.items:
                line = f"  {item.id}: {item.status}"
                if item.failure_reason_type:
                    line += f" [{item.failure_reason_type.value}] {item.failure_reason}"
                console.print(line, markup=False, highlight=False)
            sys.stdout.write(preview.text + ("\n" if preview.text and not preview.text.endswith("\n") else ""))
        if not previews:
            console.print("no open export jobs")
        return
    rows = [{"job_id": r.job_id, "org_id": r.org_id, "integration": r.integration,
             "status": r.status.value if r.status else "claim_lost", "recovered": r.recovered}
            for r in results if not isinstance(r, Preview)]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    for row in rows:
        console.print(f"job {row['job_id']} ({row['integration']}): {row['status']}")
    if not rows:
        console.print("no eligible export jobs")


@integration_app.command("set")
def integration_set(
    name: str,
    file: Annotated[str, typer.Argument(help="JSON file with the configuration, or - for stdin")],
    org: Annotated[str, typer.Option("--org", help="Organisation id")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create or replace an integration from JSON (validated; errors name the field)."""
    text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"{file}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    db = open_store(data_dir, database_url)
    try:
        with db.begin() as conn:
            check_name(name)
            config = repository.put_integration(conn, org, name, raw)
            record(conn, org_id=org, actor="cli", action="integration.saved", entity="integration", entity_id=name,
                   detail={"target": config.target.kind.value})
    except ConfigInvalid as exc:
        for v in exc.violations:
            err_console.print(f"{v.path}: {v.message}" + (f" (found {v.found})" if v.found else ""),
                              markup=False, highlight=False)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    console.print(f"integration {name} saved ({config.target.kind.value} → {config.target.path})")


@integration_app.command("show")
def integration_show(
    name: str,
    org: Annotated[str, typer.Option("--org", help="Organisation id")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Print an integration's configuration as JSON."""
    db = open_store(data_dir, database_url)
    try:
        with db.read() as conn:
            config = repository.get_integration(conn, org, name)
    finally:
        db.dispose()
    if config is None:
        raise fail(f"no integration named {name!r} in organisation {org}")
    sys.stdout.write(json.dumps(config_json(config), indent=2, sort_keys=True) + "\n")


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.add_typer(export_app, name="export")
    app.add_typer(integration_app, name="integration")
