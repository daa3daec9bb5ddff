"""The ``ledgerlink`` command: one typer app, each command group in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="ledgerlink",
    help="ledgerlink: accounting integration hub (data centre, collector agent, export worker).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

# Command groups register here, one line each (module: what it adds).
from ledgerlink.cli import datacentre as _datacentre; _datacentre.register(app)  # noqa: E402,E702
from ledgerlink.cli import collect as _collect; app.add_typer(_collect.app, name="collect")  # noqa: E402,E702
from ledgerlink.cli import formats as _formats; _formats.register(app)  # noqa: E402,E702
from ledgerlink.cli import export as _export; _export.register(app)  # noqa: E402,E702
from ledgerlink.cli import rules as _rules; app.command("rules")(_rules.list_rules)  # noqa: E402,E702
