"""Where finished files go: ``archive/YYYY/MM/DD/`` with the receipt, or ``quarantine/YYYY/MM/DD/``
with ``NAME.error.json`` and a readable ``NAME.error.txt``.

Crash safety: side files are written to a temporary name, fsynced and renamed into place; the file
itself is moved with one atomic rename (same volume) or, across volumes, copied + fsynced under a
temporary name, renamed, and only then removed from the watched folder. Folder entries are fsynced
where the platform allows it (not on Windows, where rename is already durable on NTFS).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledgerlink.collector.groupsync import fsync_dir

RECEIPT_SUFFIX = ".receipt.json"
ERROR_JSON_SUFFIX = ".error.json"
ERROR_TEXT_SUFFIX = ".error.txt"


def dated_dir(root: Path, when: dt.datetime) -> Path:
    return root / f"{when:%Y}" / f"{when:%m}" / f"{when:%d}"


def choose_destination(root: Path, name: str, record_id: int, when: dt.datetime) -> Path:
    """``root/YYYY/MM/DD/name``, or ``stem.<record id>.ext`` when that name is already taken."""
    folder = dated_dir(root, when)
    candidate = folder / name
    if candidate.exists() or _side_files_exist(candidate):
        p = Path(name)
        candidate = folder / f"{p.stem}.{record_id}{p.suffix}"
    return candidate


def _side_files_exist(path: Path) -> bool:
    return any(Path(str(path) + s).exists() for s in (RECEIPT_SUFFIX, ERROR_JSON_SUFFIX))


def write_durably(path: Path, data: bytes, *, sync_folder: bool = True) -> None:
    """Write ``data`` to ``path`` so that after a crash it is either absent or complete.

    ``sync_folder=False`` leaves the fsync of the folder entry to the caller (e.g. to one fsync of
    the folder after several files have been written or moved into it).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")  # fixed name: a rerun after a crash replaces a stale one
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    if sync_folder:
        fsync_dir(path.parent)


def move_durably(source: Path, dest: Path, *, sync: Callable[[Path], None] | None = None) -> None:
    """Move ``source`` to ``dest`` (never overwriting); the source disappears only once dest is durable.

    ``sync(folder)`` makes a folder's entries durable (default :func:`fsync_dir`; the agent passes
    a group fsync shared by its upload threads).
    """
    sync = sync or fsync_dir
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        raise FileExistsError(errno.EEXIST, "destination exists", str(dest))
    try:
        os.rename(source, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        tmp = dest.with_name(f".{dest.name}.tmp")
        with open(source, "rb") as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
        sync(dest.parent)
        os.unlink(source)
    else:
        sync(dest.parent)
    sync(source.parent)


def receipt_path(dest: Path) -> Path:
    return Path(str(dest) + RECEIPT_SUFFIX)


def error_paths(dest: Path) -> tuple[Path, Path]:
    return Path(str(dest) + ERROR_JSON_SUFFIX), Path(str(dest) + ERROR_TEXT_SUFFIX)


def receipt_bytes(receipt: dict[str, Any]) -> bytes:
    return (json.dumps(receipt, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def error_report(
    *, file: str, sha256: str, status: int | None, title: str, detail: str, errors: list[dict[str, Any]],
    when: dt.datetime,
) -> dict[str, Any]:
    return {
        "file": file,
        "sha256": sha256,
        "quarantined_at": when.isoformat(),
        "http_status": status,
        "title": title,
        "detail": detail,
        "errors": errors,
        "how_to_retry": "fix the file, then run: ledgerlink collect retry <this file>",
    }


def error_text(report: dict[str, Any]) -> str:
    """The report as plain text: one line per error, with its row / XPath / field and rule."""
    lines = [
        f"File:      {report['file']}",
        f"SHA-256:   {report['sha256']}",
        f"When:      {report['quarantined_at']}",
        f"Refused:   {report['title']}" + (f" (HTTP {report['http_status']})" if report["http_status"] else ""),
    ]
    if report["detail"]:
        lines.append(f"Detail:    {report['detail']}")
    errors = report["errors"]
    lines.append("")
    lines.append(f"{len(errors)} error(s):" if errors else "No per-document errors were given.")
    for index, err in enumerate(errors, 1):
        where = err.get("location") or err.get("path") or "(file)"
        field = err.get("path") if err.get("location") and err.get("path") else None
        line = f"{index:>4}. [{err.get('rule', '?')}] at {where}"
        if field:
            line += f" (field {field})"
        line += f": {err.get('message', '')}"
        if err.get("expected") is not None or err.get("found") is not None:
            line += f" — expected {err.get('expected')!s}, found {err.get('found')!s}"
        lines.append(line)
    lines.append("")
    lines.append(report["how_to_retry"])
    return "\n".join(lines) + "\n"
