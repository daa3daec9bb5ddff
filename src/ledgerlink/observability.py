"""Metrics (Prometheus) and structured JSON logs.

Rule: logs carry ids (organisation, key id, receipt, document), never API keys, secrets or
document contents.
"""

from __future__ import annotations

import logging
import sys

from prometheus_client import Counter, Histogram
from pythonjsonlogger.json import JsonFormatter

DOCUMENTS_RECEIVED = Counter(
    "ledgerlink_documents_received_total", "Documents accepted by the data centre", ["kind", "status"]
)
DOCUMENTS_REJECTED = Counter(
    "ledgerlink_documents_rejected_total", "Documents or sources refused with errors", ["source_format"]
)
BATCHES_PREPARED = Counter(
    "ledgerlink_batches_prepared_total", "Large JSON batches prepared in slices, by who prepared them",
    ["by"],  # "helpers": helper processes took their slices; "request": a helper failed, the request did it
)
REQUEST_LATENCY = Histogram(
    "ledgerlink_http_request_duration_seconds", "HTTP request latency", ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    """Send ledgerlink's logs to stderr, one JSON object a line."""
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                           rename_fields={"asctime": "time", "levelname": "level"}))
    root = logging.getLogger("ledgerlink")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
