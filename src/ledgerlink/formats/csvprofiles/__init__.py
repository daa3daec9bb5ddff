"""CSV exports of accounting systems read through declarative layout profiles (TOML).

Public interface:

* :func:`load_profile` — a built-in profile by name or a user's profile file by path;
* :func:`builtin_profiles` — the names shipped with ledgerlink;
* :func:`profile_from_text` — a profile held as TOML text (the data centre's per-organisation profiles);
* :func:`iter_documents` — streaming: ``Found`` documents and ``Violation`` items, row by row;
* :func:`read_bytes` — the same for bytes in memory, as a ``ReadResult``.

The file format is documented in ``docs/csv-profiles.md``.
"""

from ledgerlink.formats.csvprofiles.profile import (
    Profile,
    ProfileError,
    builtin_profiles,
    is_builtin_name,
    load_profile,
    profile_from_text,
)
from ledgerlink.formats.csvprofiles.reader import iter_documents, read_bytes

__all__ = [
    "Profile",
    "ProfileError",
    "builtin_profiles",
    "is_builtin_name",
    "iter_documents",
    "load_profile",
    "profile_from_text",
    "read_bytes",
]
