"""Structured, rotating logs for the collector.

Rules: one JSON object per line in a size-rotated file (``log_max_bytes`` × ``log_backups``), a
short human line on stderr. Callers log file names, sizes, hashes, states and counts — never a
document's contents or a server's error detail. As a second line of defence a filter replaces
every configured secret (the API key) with ``[redacted]`` wherever it would appear.
"""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterable
from pathlib import Path

from pythonjsonlogger.json import JsonFormatter

LOGGER_NAME = "ledgerlink.collector"
REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]):
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, REDACTED)
            record.msg, record.args = message, None
        for key, value in list(record.__dict__.items()):
            if isinstance(value, str) and any(s in value for s in self.secrets):
                for secret in self.secrets:
                    value = value.replace(secret, REDACTED)
                setattr(record, key, value)
        return True


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class _ConsoleFormatter(logging.Formatter):
    """The message followed by its structured fields as ``key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = [f"{k}={v}" for k, v in record.__dict__.items() if k not in _STANDARD]
        return f"{text} {' '.join(extras)}" if extras else text


def setup(log_path: Path, *, max_bytes: int, backups: int, secrets: Iterable[str], console: bool = True) -> logging.Logger:
    """Configure and return the collector's logger (idempotent: previous handlers are replaced)."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.INFO)
    logger.propagate = False
    redact = RedactSecrets(secrets)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        log_path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
    )
    file_handler.setFormatter(
        JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"asctime": "time",
                                                                                       "levelname": "level"})
    )
    file_handler.addFilter(redact)
    logger.addHandler(file_handler)
    if console:
        stream = logging.StreamHandler()
        stream.setFormatter(_ConsoleFormatter("%(asctime)s %(levelname)s %(message)s"))
        stream.addFilter(redact)
        logger.addHandler(stream)
    return logger
