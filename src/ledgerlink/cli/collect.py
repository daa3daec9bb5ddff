"""``ledgerlink collect``: run the collector agent, show its status, re-queue a quarantined file."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

import typer

from ledgerlink.collector import filing
from ledgerlink.collector.config import CollectorConfig, CollectorConfigError, from_dict, load
from ledgerlink.collector.spool import Spool

app = typer.Typer(help="The collector agent: push exports from local folders to the data centre.",
                  invoke_without_command=True, no_args_is_help=False)


def _config(config: Path | None, watch: Path | None, server: str | None, key_file: Path | None,
            ca_bundle: Path | None, folder_format: str, state_dir: Path | None, insecure_allow_http: bool,
            stable_seconds: float | None = None) -> CollectorConfig:
    try:
        if config is not None:
            loaded = load(config)
            if insecure_allow_http and not loaded.server.insecure_allow_http:
                data = loaded.model_dump()
                data["server"]["insecure_allow_http"] = True
                loaded = from_dict(data, source=str(config))
            return loaded
        if watch is None or server is None or key_file is None:
            raise typer.BadParameter("give --config FILE, or all of --watch DIR --server URL --key-file FILE")
        data = {
            "agent": {"state_dir": str(state_dir or watch / ".ledgerlink-collector")},
            "server": {"url": server, "key_file": str(key_file), "insecure_allow_http": insecure_allow_http},
            "folders": [{"path": str(watch), "format": folder_format}],
        }
        if ca_bundle is not None:
            data["server"]["ca_bundle"] = str(ca_bundle)
        if stable_seconds is not None:
            data["intervals"] = {"stable_seconds": stable_seconds}
        return from_dict(data, source="command line")
    except CollectorConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@app.callback()
def collect(
    ctx: typer.Context,
    config: Path | None = typer.Option(None, "--config", "-c", help="collector.toml"),
    watch: Path | None = typer.Option(None, "--watch", help="Quick start: the folder to watch"),
    server: str | None = typer.Option(None, "--server", help="Quick start: the data centre's URL (https://)"),
    key_file: Path | None = typer.Option(None, "--key-file", help="Quick start: file holding the API key"),
    ca_bundle: Path | None = typer.Option(None, "--ca-bundle", help="Quick start: PEM CA bundle to trust"),
    folder_format: str = typer.Option("auto", "--format", help="Quick start: auto, json, a CSV profile name or a CSV profile file (*.toml)"),
    state_dir: Path | None = typer.Option(None, "--state-dir", help="Quick start: spool and log folder"),
    stable_seconds: float | None = typer.Option(None, "--stable-seconds", help="Quick start: completion delay"),
    insecure_allow_http: bool = typer.Option(False, "--insecure-allow-http",
                                             help="Allow plain http:// (local testing only)"),
) -> None:
    """Run the agent (without a sub-command), or pass the configuration on to ``status`` / ``retry``."""
    ctx.obj = {"args": (config, watch, server, key_file, ca_bundle, folder_format, state_dir,
                        insecure_allow_http, stable_seconds)}
    if ctx.invoked_subcommand is not None:
        return
    cfg = _config(config, watch, server, key_file, ca_bundle, folder_format, state_dir, insecure_allow_http,
                  stable_seconds)
    from ledgerlink.collector.agent import Agent
    from ledgerlink.collector.config import read_key
    from ledgerlink.collector.logs import setup

    setup(cfg.log_path, max_bytes=cfg.agent.log_max_bytes, backups=cfg.agent.log_backups,
          secrets=[read_key(cfg.server.key_file)])
    agent = Agent(cfg)
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    if hasattr(signal, "SIGBREAK"):  # Windows console / service stop
        signal.signal(signal.SIGBREAK, _on_signal)
    agent.run(stop)


def _resolved(ctx: typer.Context, config: Path | None) -> CollectorConfig:
    args: list[Any] = list(ctx.obj["args"]) if ctx.obj else [None, None, None, None, None, "auto", None, False, None]
    if config is not None:
        args[0] = config
    return _config(*args)


@app.command()
def status(
    ctx: typer.Context,
    config: Path | None = typer.Option(None, "--config", "-c", help="collector.toml"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
) -> None:
    """Queued, in flight, archived and quarantined files, the last error and the last contact."""
    cfg = _resolved(ctx, config)
    spool = Spool(cfg.spool_path)
    try:
        counts = spool.counts()
        last_error = spool.last_error()
        info = {
            "agent_id": spool.agent_id(cfg.agent.id, _hostname()),
            "queued": counts["queued"],
            "in_flight": counts["uploading"] + counts["archiving"] + counts["quarantining"],
            "archived": counts["archived"],
            "quarantined": counts["quarantined"],
            "retried": counts["retried"],
            "vanished": counts["vanished"],
            "last_error": None if last_error is None else {
                "file": last_error[0], "error": last_error[1],
                "at": dt.datetime.fromtimestamp(last_error[2], dt.UTC).isoformat()},
            "last_contact": spool.get_meta("last_contact"),
        }
    finally:
        spool.close()
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    for key, value in info.items():
        if isinstance(value, dict):
            value = f"{value['at']} {value['file']}: {value['error']}"
        typer.echo(f"{key.replace('_', ' '):>12}: {value if value is not None else '-'}")


@app.command()
def retry(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="Quarantined file(s) (path in quarantine/ or original path)"),
    config: Path | None = typer.Option(None, "--config", "-c", help="collector.toml"),
) -> None:
    """Put quarantined files back into their watched folder so they are sent again (once)."""
    cfg = _resolved(ctx, config)
    spool = Spool(cfg.spool_path)
    failed = False
    try:
        for file in files:
            message, ok = _retry_one(spool, file)
            typer.echo(message, err=not ok)
            failed |= not ok
    finally:
        spool.close()
    if failed:
        raise typer.Exit(1)


def _retry_one(spool: Spool, file: Path) -> tuple[str, bool]:
    candidates = [r for r in spool.find(str(file.resolve())) if r.state == "quarantined"]
    if not candidates:
        candidates = [r for r in spool.find(str(file.absolute())) if r.state == "quarantined"]
    if not candidates:
        return f"{file}: not a quarantined file known to this collector", False
    record = candidates[0]
    assert record.dest_path is not None
    source, back = Path(record.dest_path), Path(record.path)
    if back.exists():
        return f"{file}: {back} already exists in the watched folder; move it away first", False
    if not source.exists():
        return f"{file}: the quarantined file {source} is missing", False
    filing.move_durably(source, back)
    spool.update(record.id, state="retried")
    for side in filing.error_paths(source):
        try:
            os.unlink(side)
        except FileNotFoundError:
            pass
    return f"{file}: re-queued as {back}", True


def _hostname() -> str:
    import platform

    return platform.node() or "unknown-host"
