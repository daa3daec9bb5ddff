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


def _final_names(temp: str) -> tuple[set[str], set[str]]:
    """(final names, final stems) that ``temp`` is a temporary name of, lower-cased (rule 2 inverted).

    ``temporary_name_of(temp, final)`` holds exactly when ``final.lower()`` is in the first set or
    the stem of ``final.lower()`` is in the second.
    """
    t = temp.lower()
    names: set[str] = set()
    stems: set[str] = set()
    stripped = t.lstrip(".~")
    if stripped != t:
        names.add(stripped)
    for suffix in TEMP_SUFFIXES:
        if t.endswith(suffix):
            base_stripped = t[: -len(suffix)].lstrip(".~")
            names.add(base_stripped)
            stems.add(base_stripped)
    return names, stems


def renamed_in(added: set[str], deleted: set[str]) -> set[str]:
    """Paths (from one batch of events) that appeared by a rename from their temporary name.

    Linear in the size of the batch: the names each deleted path could have become are indexed
    per folder, so a burst of thousands of renames is matched in one pass (not pair by pair).
    """
    names: dict[tuple[PurePath, str], set[str]] = {}
    stems: dict[tuple[PurePath, str], set[str]] = {}
    for gone in deleted:
        p = PurePath(gone)
        finals, final_stems = _final_names(p.name)
        temp = p.name.lower()
        for n in finals:
            names.setdefault((p.parent, n), set()).add(temp)
        for s in final_stems:
            stems.setdefault((p.parent, s), set()).add(temp)
    if not names:
        return set()
    out = set()
    for path in added:
        p = PurePath(path)
        name = p.name.lower()
        temps = names.get((p.parent, name), set()) | stems.get((p.parent, PurePath(name).stem), set())
        if temps - {name}:  # a name is never its own temporary name
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
