"""CSV files read on the agent with the user's own layout profile file, sent as canonical JSON.

A profile *name* (``format = "sage50-audit-trail"``) is resolved by the data centre: the CSV is
sent as it is. A profile *file* (``format = "profiles/acme-sage50.toml"``, typically extending a
built-in with the seller's details, which no export carries) lives on the client's machine, so
the agent reads the CSV with it and sends the documents as one canonical JSON batch
(``{"documents": [...]}``). Rules:

* The profile is loaded (and checked) once, when the configuration is loaded.
* A file with reader errors (a bad row, a missing column, an unknown tax code ...) is refused
  here — nothing is sent — and quarantined with one error per row / column, as the centre would.
  Warnings do not refuse a file.
* Conversion is deterministic (same file, same profile → same bytes), so a re-send after a crash
  carries the same body under the same Idempotency-Key.
* Errors the centre reports against the batch (``documents[i]``) are mapped back to the CSV rows
  of document ``i`` (:func:`map_locations`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledgerlink.collector.config import is_profile_file
from ledgerlink.domain.violations import errors_only
from ledgerlink.formats import canonical
from ledgerlink.formats.csvprofiles import Profile, ProfileError, load_profile, read_bytes

RULE_PROFILE = "LL-COLLECT-PROFILE"


def load(path: str | Path) -> Profile:
    """The user's profile; raises :class:`ProfileError` naming every problem with its TOML path."""
    return load_profile(Path(path))


@dataclass(frozen=True, slots=True)
class Converted:
    """The batch to send, and the CSV location (``rows 2-3``) of each document in it."""

    body: bytes
    locations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NotConverted:
    """The file cannot be read with the profile: ``errors`` as ``{path, rule, message, ...}``."""

    title: str
    detail: str
    errors: list[dict[str, Any]]


def convert(data: bytes, profile: Profile) -> Converted | NotConverted:
    """Read ``data`` with ``profile``; every document, or the errors that refuse the file."""
    result = read_bytes(data, profile)
    errors = [v.as_dict() for v in errors_only(result.violations)]
    if errors:
        return NotConverted(
            "CSV rows refused by the profile",
            f"{len(errors)} error(s) reading the file with profile '{profile.name}'; nothing was sent",
            errors,
        )
    batch = {"documents": [canonical.to_obj(found.document) for found in result.documents]}
    body = json.dumps(batch, ensure_ascii=False, separators=(",", ":")).encode()
    return Converted(body, tuple(found.location for found in result.documents))


def map_locations(errors: list[dict[str, Any]], locations: tuple[str, ...]) -> list[dict[str, Any]]:
    """Errors of the centre with ``location = documents[i]`` rewritten to the CSV rows of document i."""
    out = []
    for err in errors:
        where = str(err.get("location") or "")
        index = _batch_index(where)
        if index is not None and index < len(locations):
            err = {**err, "location": f"{locations[index]} (sent as {where})"}
        out.append(err)
    return out


def _batch_index(location: str) -> int | None:
    prefix = "documents["
    if location.startswith(prefix) and location.endswith("]") and location[len(prefix):-1].isdigit():
        return int(location[len(prefix):-1])
    return None


__all__ = ["RULE_PROFILE", "Converted", "NotConverted", "ProfileError", "convert", "is_profile_file", "load",
           "map_locations"]
