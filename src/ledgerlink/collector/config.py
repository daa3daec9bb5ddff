"""Collector configuration: one TOML file, validated up front with errors that name the field.

Rules:

* The server URL must be ``https://``; ``http://`` is refused unless ``insecure_allow_http`` is set
  (local testing only).
* Certificate verification is always on. ``ca_bundle`` adds a custom trust store; pins
  (``pin_spki_sha256`` / ``pin_cert_sha256``, hex with optional colons or base64) restrict the
  server certificate further.
* Every watched folder has a format: ``auto`` (XML / PDF / JSON sniffed from the file), ``json``,
  a CSV profile name (a built-in of the centre: sent as ``text/csv`` with ``?profile=NAME``), or a
  CSV profile *file* — a path, told apart by ending in ``.toml`` or holding a ``/`` (the
  csvprofiles convention), relative to the configuration file. The agent loads that profile when
  the configuration is loaded (its problems are configuration errors), reads each CSV with it and
  sends canonical JSON (see :mod:`.csvlocal`).
* Archive and quarantine folders default to ``archive/`` and ``quarantine/`` inside the folder
  (watching is not recursive, so those never count as new files).
"""

from __future__ import annotations

import base64
import binascii
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ledgerlink.domain.violations import format_path

DEFAULT_PATTERNS = ("*.xml", "*.csv", "*.json", "*.pdf")
DEFAULT_IGNORE = (".*", "~*", "*.tmp", "*.part", "*.partial", "*.crdownload", "*.swp")
_PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


def is_profile_file(folder_format: str) -> bool:
    """The folder format names a profile file (the csvprofiles convention: a path or ``*.toml``)."""
    return folder_format.endswith(".toml") or "/" in folder_format or "\\" in folder_format


class CollectorConfigError(ValueError):
    """The configuration is not usable; each problem is one ``path: message`` line."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: invalid collector configuration\n" + "\n".join(f"  - {p}" for p in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _decode_pin(value: str) -> str:
    """A SHA-256 pin as lowercase hex, from hex (colons allowed) or base64; raises ValueError."""
    text = value.strip()
    if text.lower().startswith("sha256/"):
        text = text[7:]
    hex_text = text.replace(":", "").lower()
    if re.fullmatch(r"[0-9a-f]{64}", hex_text):
        return hex_text
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValueError(
            f"expected a SHA-256 digest as 64 hex digits or 44 base64 characters, found {value!r}"
        )
    return raw.hex()


class ServerConfig(_Strict):
    url: str = Field(description="Base URL of the data centre, e.g. https://centre.example.com")
    key_file: Path = Field(description="File holding the API key (ingest scope); first line is used")
    ca_bundle: Path | None = Field(default=None, description="PEM bundle of CAs to trust instead of the system's")
    pin_spki_sha256: tuple[str, ...] = Field(default=(), description="SHA-256 of the server cert's SPKI")
    pin_cert_sha256: tuple[str, ...] = Field(default=(), description="SHA-256 of the server cert (DER)")
    client_cert: Path | None = Field(default=None, description="PEM client certificate (for mTLS proxies)")
    client_key: Path | None = Field(default=None, description="PEM key of the client certificate")
    proxy: str | None = Field(default=None, description="Outbound HTTP(S) proxy URL")
    timeout_seconds: float = Field(default=60.0, gt=0)
    insecure_allow_http: bool = False

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"expected an https:// URL, found {value!r}")
        return value.rstrip("/")

    @field_validator("pin_spki_sha256", "pin_cert_sha256")
    @classmethod
    def _pins(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_decode_pin(v) for v in values)

    @model_validator(mode="after")
    def _checks(self) -> ServerConfig:
        if self.url.startswith("http://") and not self.insecure_allow_http:
            raise ValueError(
                f"plain http:// is refused ({self.url}); use https:// "
                "(or --insecure-allow-http / insecure_allow_http = true for local testing only)"
            )
        if (self.client_cert is None) != (self.client_key is None) and self.client_cert is None:
            raise ValueError("client_key is set without client_cert")
        return self


class FolderConfig(_Strict):
    path: Path
    format: str = Field(default="auto", description="auto, json, a CSV profile name, or a CSV profile file")
    patterns: tuple[str, ...] = DEFAULT_PATTERNS
    ignore: tuple[str, ...] = DEFAULT_IGNORE
    archive: Path | None = None
    quarantine: Path | None = None

    @field_validator("path", "archive", "quarantine")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return None if value is None else value.absolute()

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        if is_profile_file(value):
            return str(Path(value).absolute())
        if value in {"auto", "json"} or _PROFILE_NAME.match(value):
            return value
        raise ValueError(f"expected 'auto', 'json', a CSV profile name (a-z, 0-9, ._-) or a profile file "
                         f"(a path ending in .toml), found {value!r}")

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("expected at least one file pattern, e.g. ['*.xml']")
        return value

    @property
    def profile_file(self) -> Path | None:
        """The user's CSV profile file, when the format names one."""
        return Path(self.format) if is_profile_file(self.format) else None

    @property
    def archive_dir(self) -> Path:
        return self.archive if self.archive is not None else self.path / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.quarantine if self.quarantine is not None else self.path / "quarantine"


class Intervals(_Strict):
    stable_seconds: float = Field(default=2.0, ge=0, description="size+mtime unchanged this long = complete")
    rescan_seconds: float = Field(default=30.0, gt=0, description="full folder listing, safety net for events")
    heartbeat_seconds: float = Field(default=60.0, gt=0)
    retry_base_seconds: float = Field(default=1.0, gt=0)
    retry_cap_seconds: float = Field(default=300.0, gt=0)


class AgentConfig(_Strict):
    id: str | None = Field(default=None, min_length=1, max_length=200, description="defaults to a stored id")
    state_dir: Path = Field(description="spool database and default log location")
    log_file: Path | None = None
    log_max_bytes: int = Field(default=10_000_000, gt=0)
    log_backups: int = Field(default=5, ge=0)
    parallel_uploads: int = Field(default=4, ge=1, le=64)

    @field_validator("state_dir", "log_file")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return None if value is None else value.absolute()


class CollectorConfig(_Strict):
    agent: AgentConfig
    server: ServerConfig
    intervals: Intervals = Intervals()
    folders: Annotated[tuple[FolderConfig, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _distinct_folders(self) -> CollectorConfig:
        seen: set[Path] = set()
        for folder in self.folders:
            resolved = folder.path.resolve()
            if resolved in seen:
                raise ValueError(f"folder {folder.path} is listed twice")
            seen.add(resolved)
        return self

    @property
    def log_path(self) -> Path:
        return self.agent.log_file if self.agent.log_file is not None else self.agent.state_dir / "collector.log"

    @property
    def spool_path(self) -> Path:
        return self.agent.state_dir / "spool.sqlite3"


def _resolve_paths(data: dict[str, Any], base: Path) -> None:
    """Relative paths in the file are relative to the file's own folder."""

    def fix(section: dict[str, Any], keys: tuple[str, ...]) -> None:
        for key in keys:
            value = section.get(key)
            if isinstance(value, str) and value and not Path(value).is_absolute():
                section[key] = str(base / value)

    if isinstance(data.get("agent"), dict):
        fix(data["agent"], ("state_dir", "log_file"))
    if isinstance(data.get("server"), dict):
        fix(data["server"], ("key_file", "ca_bundle", "client_cert", "client_key"))
    for folder in data.get("folders") or []:
        if isinstance(folder, dict):
            fix(folder, ("path", "archive", "quarantine"))
            if isinstance(folder.get("format"), str) and is_profile_file(folder["format"]):
                fix(folder, ("format",))


def from_dict(data: dict[str, Any], *, source: str = "configuration") -> CollectorConfig:
    """Validate parsed configuration; raises :class:`CollectorConfigError` listing every problem."""
    try:
        config = CollectorConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            where = format_path(tuple(err["loc"])) or "(top level)"
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}")
        raise CollectorConfigError(source, problems) from None
    problems = _file_problems(config)
    if problems:
        raise CollectorConfigError(source, problems)
    return config


def _file_problems(config: CollectorConfig) -> list[str]:
    problems = []
    server = config.server
    for name in ("key_file", "ca_bundle", "client_cert", "client_key"):
        value = getattr(server, name)
        if value is not None and not value.is_file():
            problems.append(f"server.{name}: file not found: {value}")
    if server.key_file.is_file() and not read_key(server.key_file):
        problems.append(f"server.key_file: the file is empty: {server.key_file}")
    for index, folder in enumerate(config.folders):
        if not folder.path.is_dir():
            problems.append(f"folders[{index}].path: folder not found: {folder.path}")
        if folder.profile_file is not None:
            from ledgerlink.collector import csvlocal  # the CSV reader is loaded only when a folder needs it

            try:
                csvlocal.load(folder.profile_file)
            except csvlocal.ProfileError as exc:
                problems.extend(f"folders[{index}].format: profile {exc.source}: {p}" for p in exc.problems)
    return problems


def load(path: Path) -> CollectorConfig:
    """Read and validate a TOML configuration file."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CollectorConfigError(source, [f"cannot read the file: {exc.strerror}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CollectorConfigError(source, [f"not valid TOML: {exc}"]) from None
    _resolve_paths(data, path.parent.resolve())
    return from_dict(data, source=source)


def read_key(path: Path) -> str:
    """The API key: the first non-empty line of the key file, stripped."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            return line.strip()
    return ""
