"""``python -m ledgerlink.cli`` runs the ``ledgerlink`` command."""

from ledgerlink.cli.main import app

app()
