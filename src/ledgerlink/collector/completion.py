"""When a file counts as complete (pure logic; the caller supplies stats and the clock).

Two rules, whichever comes first:

1. **Stable:** two observations at least ``stable_seconds`` apart show the same size and mtime.
   This never trusts the clock of the machine that wrote the file (network shares), only our own.
2. **Renamed in:** the file appeared by a rename from its temporary name in the same folder — the
   watcher saw, in one batch of events, ``NAME`` appear and its temporary name disappear, where the
   temporary name is ``NAME`` with a leading ``.`` or ``~``, or with a temporary suffix appended
   (``NAME.tmp``, ``NAME.part``, ...) or replacing the extension (``invoice.tmp`` → ``invoice.xml``).
   A rename is atomic, so the writer had finished.

A file whose size or mtime changes is watched again from that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".upload", ".writing")


@dataclass(frozen=True, slots=True)
class Observation:
    size: int
    mtime_ns: int


def temporary_name_of(temp: str, final: str) -> bool:
    """True when ``temp`` is a temporary name under which ``final`` was written (see rule 2)."""
    t, f = temp.lower(), final.lower()
    if t == f:
        return False
    stripped = t.lstrip(".~")
    if stripped == f:
        return True
    for suffix in TEMP_SUFFIXES:
        if t.endswith(suffix):
            base = t[: -len(suffix)]
            base_stripped = base.lstrip(".~")
            if base_stripped == f or base_stripped == PurePath(f).stem:
                return True
    return False


def renamed_in(added: set[str], deleted: set[str]) -> set[str]:
    """Paths (from one batch of events) that appeared by a rename from their temporary name."""
    out = set()
    by_parent: dict[PurePath, list[str]] = {}
    for gone in deleted:
        by_parent.setdefault(PurePath(gone).parent, []).append(PurePath(gone).name)
    for path in added:
        p = PurePath(path)
        if any(temporary_name_of(g, p.name) for g in by_parent.get(p.parent, ())):
            out.add(path)
    return out


@dataclass(slots=True)
class _Pending:
    observation: Observation
    since: float


class CompletionTracker:
    """Candidate files and how long each has looked the same."""

    def __init__(self, stable_seconds: float):
        self.stable_seconds = stable_seconds
        self._pending: dict[str, _Pending] = {}

    def __contains__(self, path: str) -> bool:
        return path in self._pending

    def __len__(self) -> int:
        return len(self._pending)

    def paths(self) -> list[str]:
        return list(self._pending)

    def forget(self, path: str) -> None:
        self._pending.pop(path, None)

    def observe(self, path: str, observation: Observation | None, now: float) -> bool:
        """Record a stat of ``path`` (``None``: gone). True when the file is now complete (rule 1)."""
        if observation is None:
            self._pending.pop(path, None)
            return False
        pending = self._pending.get(path)
        if pending is None or pending.observation != observation:
            if self.stable_seconds == 0:
                self._pending.pop(path, None)
                return True
            self._pending[path] = _Pending(observation, now)
            return False
        if now - pending.since >= self.stable_seconds:
            del self._pending[path]
            return True
        return False
