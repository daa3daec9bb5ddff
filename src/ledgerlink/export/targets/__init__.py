"""Export targets: real ledgers behind one small interface (see ``base.Target``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ledgerlink.export.targets.base import (
    LedgerAccount,
    Target,
    TargetError,
    TargetMisconfigured,
    TargetRejected,
    TargetUnreachable,
)

KINDS = ("beancount", "hledger", "datev")

__all__ = ["KINDS", "LedgerAccount", "Target", "TargetError", "TargetMisconfigured", "TargetRejected",
           "TargetUnreachable", "open_target"]


def open_target(config: Mapping[str, Any]) -> Target:
    """The target for an integration's ``target`` object; a bad object raises ``TargetMisconfigured``.

    ``{"kind": "beancount"|"hledger", "path": LEDGER_FILE, "documents_dir": optional}``;
    ``{"kind": "datev", "path": FOLDER, "accounts": [{"code", "name"}], "consultant_number",
    "client_number", "fiscal_year_start", "account_length", "lock_date", "documents_dir", ...}``.
    Opening reads nothing; the ledger is read on first use.
    """
    if not isinstance(config, Mapping):
        raise TargetMisconfigured(f"expected an object, found {type(config).__name__}", path="target")
    kind = config.get("kind")
    if kind not in KINDS:
        raise TargetMisconfigured(f"expected one of {', '.join(KINDS)}, found {kind!r}", path="target.kind")
    path = config.get("path")
    if not isinstance(path, str) or not path.strip():
        raise TargetMisconfigured("expected a file or folder path", path="target.path")
    documents = config.get("documents_dir")
    if documents is not None and (not isinstance(documents, str) or not documents.strip()):
        raise TargetMisconfigured("expected a folder path", path="target.documents_dir")
    if kind == "beancount":
        from ledgerlink.export.targets.beancount import BeancountTarget

        return BeancountTarget(Path(path), Path(documents) if documents else None)
    if kind == "hledger":
        from ledgerlink.export.targets.hledger import HledgerTarget

        return HledgerTarget(Path(path), Path(documents) if documents else None)
    from ledgerlink.export.targets.datev import DatevConfig, DatevTarget

    return DatevTarget(DatevConfig.parse(config))
