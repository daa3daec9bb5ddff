"""``python -m ledgerlink.collector``: the ``ledgerlink collect`` command without the data centre's imports
(a lighter process for small client machines and Windows service wrappers)."""

from ledgerlink.cli.collect import app

app(prog_name="ledgerlink-collect")
