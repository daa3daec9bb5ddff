"""An organisation's own CSV layout profiles, kept in the store.

Rules: a profile is TOML text validated on save (every problem with its TOML path); it may extend a
built-in profile by name, typically to add the seller's details the export lacks. ``?profile=NAME`` on
ingest resolves to the organisation's profile of that name, else to a built-in one — never to a file
on the server.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledgerlink.domain.violations import Violation
from ledgerlink.formats.csvprofiles import Profile, ProfileError, builtin_profiles, is_builtin_name, load_profile
from ledgerlink.formats.csvprofiles import profile_from_text
from ledgerlink.services.tenancy import Principal
from ledgerlink.store.audit import record
from ledgerlink.store.database import new_id, utcnow
from ledgerlink.store.schema import csv_profiles

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
MAX_PROFILE_BYTES = 256 * 1024
_PROBLEM_PATH = re.compile(r"^([\w.\[\]-]+): ")


class InvalidProfile(ValueError):
    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors


def _name_problem(name: str) -> dict[str, str] | None:
    if NAME.match(name):
        return None
    return {"path": "name", "rule": "CSV-PROFILE",
            "message": "a profile name is 1-100 lower-case letters, digits, '-' or '_'", "found": name}


def _validate(name: str, text: str) -> Profile:
    problem = _name_problem(name)
    if problem:
        raise InvalidProfile([problem])
    if len(text.encode()) > MAX_PROFILE_BYTES:
        raise InvalidProfile([{"path": "", "rule": "CSV-PROFILE",
                               "message": f"a profile is at most {MAX_PROFILE_BYTES} bytes"}])
    try:
        return profile_from_text(text, name)
    except ProfileError as exc:
        raise InvalidProfile([{"path": _toml_path(problem), "rule": "CSV-PROFILE", "message": problem}
                              for problem in exc.problems]) from None


def _toml_path(problem: str) -> str:
    """``defaults.seller_name: ...`` → ``defaults.seller_name``; no path for file-level problems."""
    match = _PROBLEM_PATH.match(problem)
    return match.group(1) if match else ""


def save(conn: Connection, principal: Principal, name: str, text: str) -> dict[str, Any]:
    """Create or replace the organisation's profile ``name``; raises :class:`InvalidProfile`."""
    _validate(name, text)
    c = csv_profiles.c
    now = utcnow()
    existing = conn.execute(
        sa.select(c.id).where((c.org_id == principal.org_id) & (c.name == name))
    ).first()
    if existing is None:
        profile_id = new_id()
        conn.execute(csv_profiles.insert().values(id=profile_id, org_id=principal.org_id, name=name, body=text,
                                                  created_at=now, updated_at=now))
        action = "csv_profile.created"
    else:
        profile_id = existing.id
        conn.execute(csv_profiles.update().where(c.id == profile_id).values(body=text, updated_at=now))
        action = "csv_profile.updated"
    record(conn, org_id=principal.org_id, actor=principal.actor, action=action, entity="csv_profile",
           entity_id=profile_id, detail={"name": name})
    return {"name": name, "source": "organisation", "updated_at": now.isoformat()}


def get_text(conn: Connection, org_id: str, name: str) -> str | None:
    c = csv_profiles.c
    row = conn.execute(sa.select(c.body).where((c.org_id == org_id) & (c.name == name))).first()
    return row.body if row else None


def delete(conn: Connection, principal: Principal, name: str) -> bool:
    c = csv_profiles.c
    row = conn.execute(sa.select(c.id).where((c.org_id == principal.org_id) & (c.name == name))).first()
    if row is None:
        return False
    conn.execute(csv_profiles.delete().where(c.id == row.id))
    record(conn, org_id=principal.org_id, actor=principal.actor, action="csv_profile.deleted",
           entity="csv_profile", entity_id=row.id, detail={"name": name})
    return True


def listing(conn: Connection, org_id: str) -> list[dict[str, Any]]:
    c = csv_profiles.c
    own = [{"name": r.name, "source": "organisation", "updated_at": r.updated_at.isoformat()}
           for r in conn.execute(sa.select(c.name, c.updated_at).where(c.org_id == org_id).order_by(c.name))]
    own_names = {p["name"] for p in own}
    builtin = [{"name": n, "source": "built-in"} for n in builtin_profiles() if n not in own_names]
    return own + builtin


def resolve(conn: Connection, org_id: str, name: str) -> Profile | Violation:
    """The profile ``?profile=NAME`` means for this organisation, or the violation saying why there is none."""
    text = get_text(conn, org_id, name) if NAME.match(name) else None
    if text is not None:
        try:
            return profile_from_text(text, name)
        except ProfileError as exc:  # stored before a stricter release: report, never crash
            return Violation("CSV-PROFILE", "profile", "; ".join(exc.problems), found=name)
    if is_builtin_name(name):
        return load_profile(name)
    own = [p["name"] for p in listing(conn, org_id) if p["source"] == "organisation"]
    return Violation("CSV-PROFILE", "profile", "no such CSV profile for this organisation",
                     expected=", ".join(own + builtin_profiles()), found=name)
