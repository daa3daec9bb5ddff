"""``python -m ledgerlink.cli`` runs the ``ledgerlink`` command."""

from ledgerlink.cli.main import app

if __name__ == "__main__":  # not when a spawned helper process imports this module
    app()
