"""The declarative CSV layout profile: one TOML file per accounting export.

A profile says which columns an export has, which canonical field each feeds, how cells are
written (dates, decimals, encoding, delimiter), how rows group into documents, how a credit note
is recognised, what each tax code means, and constants for what the export lacks (the seller).
See ``docs/csv-profiles.md`` for the file format; every rule below is checked when a profile is
loaded, and a broken profile raises :class:`ProfileError` listing each problem with its TOML path.

``extends = "NAME"`` (or a path) starts from another profile and overrides tables key by key, so
a user file can be as small as a built-in's name plus the seller's constants.
"""

from __future__ import annotations

import codecs
import datetime as dt
import tomllib
from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic import Field as PydField

from ledgerlink.domain.documents import VatCategory
from ledgerlink.formats.csvprofiles.fields import DATE_FIELDS, DOCUMENT_AMOUNT_FIELDS, Field

_BUILTIN = files("ledgerlink.formats.csvprofiles").joinpath("profiles")
DELIMITERS = (",", ";", "\t", "|")


class ProfileError(ValueError):
    """A profile file is missing, not TOML, or breaks a profile rule; ``problems`` lists each one."""

    def __init__(self, source: str, problems: list[str]):
        super().__init__(f"CSV profile {source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FormatSpec(_Spec):
    """How the bytes and cells are written."""

    encoding: str = "auto"
    delimiter: str = ","
    quote_char: str = '"'
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    decimal_separator: Literal[".", ","] = "."
    thousands_separator: Literal["", ",", ".", " ", "'"] = ""
    header: tuple[str, ...] = PydField(min_length=1, description="every column of the layout, in file order")
    optional_columns: tuple[str, ...] = ()
    extra_columns: Literal["error", "ignore"] = "error"
    max_field_length: int = PydField(default=10_000, ge=1, le=1_000_000)
    max_line_length: int = PydField(default=1_048_576, ge=1_024, le=64 * 1_048_576)
    max_rows_per_document: int = PydField(default=100_000, ge=1)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(
                    f"unknown encoding {value!r}; use 'auto' or a codec name such as utf-8, windows-1252"
                )
        return value

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, value: str) -> str:
        if value != "auto" and value not in DELIMITERS:
            raise ValueError(f"delimiter must be 'auto' or one of {', '.join(map(repr, DELIMITERS))}")
        return value

    @field_validator("quote_char")
    @classmethod
    def _quote(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("quote_char must be one character")
        return value

    @field_validator("date_formats")
    @classmethod
    def _dates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one date format is needed")
        sample = dt.date(2031, 12, 25)
        for fmt in value:
            try:
                back = dt.datetime.strptime(sample.strftime(fmt), fmt).date()
            except ValueError:
                back = None
            if back != sample:
                raise ValueError(
                    f"date format {fmt!r} does not write and read back a full date (day, month, year)"
                )
        return value


class GroupingSpec(_Spec):
    """Rows with the same key, one after another, form one document."""

    key: tuple[Field, ...] = PydField(min_length=1)
    remember: int = PydField(
        default=100_000,
        ge=0,
        description="how many finished documents' keys are kept to catch non-contiguous rows",
    )


class DocumentTypeSpec(_Spec):
    """How an invoice and a credit note are told apart."""

    invoice: tuple[str, ...] = ()
    credit_note: tuple[str, ...] = ()
    skip: tuple[str, ...] = PydField(
        default=(), description="type values of rows that are not sales documents"
    )
    credit_note_amounts: Literal["positive", "negative", "auto"] = "positive"
    negative_total_is_credit_note: bool = False


class TaxCode(_Spec):
    """What a tax code of the export means in EN 16931 terms."""

    category: VatCategory
    rate: Decimal = PydField(ge=0, le=100)
    exemption_reason: str | None = None
    exemption_reason_code: str | None = None


class AmountsSpec(_Spec):
    line_amounts_include_tax: bool = False


class TermsSpec(_Spec):
    """Payment terms the export leaves out."""

    due_days: int | None = PydField(
        default=None, ge=0, le=3650, description="due date = issue date + due_days when the row has none"
    )


class Profile(_Spec):
    """A validated layout profile."""

    name: str = PydField(min_length=1)
    description: str = ""
    format: FormatSpec
    columns: dict[Field, str]
    defaults: dict[Field, str] = {}
    grouping: GroupingSpec
    document_type: DocumentTypeSpec = DocumentTypeSpec()
    tax_codes: dict[str, TaxCode] = {}
    zero_rate_category: VatCategory = VatCategory.ZERO
    exemption_reasons: dict[VatCategory, str] = {}
    amounts: AmountsSpec = AmountsSpec()
    terms: TermsSpec = TermsSpec()

    @field_validator("columns", mode="before")
    @classmethod
    def _drop_unmapped(cls, value: Any) -> Any:
        """``field = ""`` removes a mapping inherited through ``extends``."""
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if v != ""}
        return value

    @field_validator("defaults", mode="before")
    @classmethod
    def _defaults_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (format(v, "f") if isinstance(v, Decimal) else str(v)) for k, v in value.items()}
        return value


def _semantic_problems(profile: Profile) -> list[str]:
    problems = []
    known = {normalise_header(h) for h in (*profile.format.header, *profile.format.optional_columns)}
    if len(known) != len(profile.format.header) + len(profile.format.optional_columns):
        problems.append(
            "format.header/optional_columns: two columns have the same name "
            "(compared ignoring case, spaces and a leading '*')"
        )
    for field, header in profile.columns.items():
        if normalise_header(header) not in known:
            problems.append(
                f"columns.{field.value}: column {header!r} is not in format.header or format.optional_columns"
            )
    optional = {normalise_header(h) for h in profile.format.optional_columns}
    for field in profile.grouping.key:
        if field not in profile.columns:
            problems.append(f"grouping.key: {field.value!r} must be mapped in [columns]")
        elif normalise_header(profile.columns[field]) in optional:
            problems.append(
                f"grouping.key: {field.value!r} must come from a column of format.header, not an optional one"
            )
    for field in (Field.NUMBER, Field.ISSUE_DATE):
        if field not in profile.columns:
            problems.append(f"columns.{field.value}: required (BT-1 / BT-2 come from the export)")
    if Field.CURRENCY not in profile.columns and Field.CURRENCY not in profile.defaults:
        problems.append("currency: map a column or set defaults.currency")
    if Field.LINE_NET_AMOUNT not in profile.columns and Field.UNIT_PRICE not in profile.columns:
        problems.append("columns: map line_net_amount or unit_price (a line needs an amount)")
    has_code = Field.TAX_CODE in profile.columns or Field.TAX_CODE in profile.defaults
    has_rate = Field.TAX_RATE in profile.columns or Field.TAX_RATE in profile.defaults
    if not (has_code or has_rate):
        problems.append("columns: map tax_code (with [tax_codes]) or tax_rate, or set one in [defaults]")
    if has_code and not profile.tax_codes:
        problems.append("tax_codes: a tax_code column/default needs a [tax_codes] table")
    if Field.TAX_CODE in profile.defaults and profile.defaults[Field.TAX_CODE] not in profile.tax_codes:
        problems.append(f"defaults.tax_code: {profile.defaults[Field.TAX_CODE]!r} is not in [tax_codes]")
    spec = profile.document_type
    if Field.DOCUMENT_TYPE in profile.columns:
        if not spec.invoice and not spec.credit_note:
            problems.append("document_type: a document_type column needs invoice and/or credit_note values")
        overlap = (set(spec.invoice) & set(spec.credit_note)) | (
            set(spec.skip) & (set(spec.invoice) | set(spec.credit_note))
        )
        if overlap:
            problems.append(f"document_type: values listed twice: {sorted(overlap)}")
    for field in DATE_FIELDS:
        if field in profile.defaults:
            problems.append(f"defaults.{field.value}: dates cannot be constants")
    for field in _NO_CONSTANT:
        if field in profile.defaults:
            problems.append(f"defaults.{field.value}: must come from the export, not a constant")
    for field, low, high in ((Field.QUANTITY, None, None), (Field.TAX_RATE, 0, 100)):
        text = profile.defaults.get(field)
        if text is not None and not _is_number(text, low, high):
            problems.append(
                f"defaults.{field.value}: {text!r} is not a plain number"
                + (f" from {low} to {high}" if low is not None else "")
            )
    return problems


_NO_CONSTANT = (
    Field.NUMBER,
    Field.DOCUMENT_TYPE,
    Field.UNIT_PRICE,
    Field.LINE_NET_AMOUNT,
    Field.LINE_TAX_AMOUNT,
    Field.LINE_DISCOUNT_PERCENT,
    *DOCUMENT_AMOUNT_FIELDS,
)


def _is_number(text: str, low: int | None, high: int | None) -> bool:
    try:
        value = Decimal(text)
    except ArithmeticError:
        return False
    if not value.is_finite() or not text.replace(".", "", 1).lstrip("+-").isdigit():
        return False
    return low is None or high is None or low <= value <= high


def normalise_header(name: str) -> str:
    """Header comparison key: case, whitespace and a leading ``*`` (import templates) are ignored."""
    return "".join(name.lstrip("\ufeff").strip().lstrip("*").split()).casefold()


def builtin_profiles() -> list[str]:
    """Names of the profiles shipped with ledgerlink."""
    return sorted(p.name[: -len(".toml")] for p in _BUILTIN.iterdir() if p.name.endswith(".toml"))


def _is_file_source(name_or_path: str | Path) -> bool:
    text = str(name_or_path)
    return isinstance(name_or_path, Path) or text.endswith(".toml") or "/" in text or "\\" in text


def _raw(name_or_path: str | Path, chain: tuple[str, ...] = ()) -> tuple[dict[str, Any], str]:
    text_name = str(name_or_path)
    if _is_file_source(name_or_path):
        path = Path(name_or_path)
        source = str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ProfileError(source, [f"cannot read the file: {exc.strerror or exc}"]) from None
    else:
        source = text_name
        resource = _BUILTIN.joinpath(f"{text_name}.toml")
        if not resource.is_file():
            raise ProfileError(
                source, [f"no built-in profile of this name; built-ins: {', '.join(builtin_profiles())}"]
            )
        data = resource.read_bytes()
    if source in chain:
        raise ProfileError(source, [f"extends loops back: {' -> '.join((*chain, source))}"])
    try:
        raw = tomllib.loads(data.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(source, [f"not a valid UTF-8 TOML file: {exc}"]) from None
    parent = raw.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str):
            raise ProfileError(source, ["extends: must be a profile name or path"])
        is_path = "/" in parent or "\\" in parent or parent.endswith(".toml")
        if is_path and not Path(parent).is_absolute() and _is_file_source(name_or_path):
            parent = str(Path(source).parent / parent)  # relative to the extending file
        base, _ = _raw(parent, (*chain, source))
        raw = _merge(base, raw)
    return raw, source


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _validated(raw: dict[str, Any], source: str) -> Profile:
    try:
        profile = Profile.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            path = ".".join(str(part) for part in err["loc"])
            problems.append(f"{path}: {err['msg']}")
        raise ProfileError(source, problems) from None
    problems = _semantic_problems(profile)
    if problems:
        raise ProfileError(source, problems)
    return profile


def with_overrides(profile: Profile, overrides: dict[str, Any]) -> Profile:
    """``profile`` with ``overrides`` merged over it (as ``extends`` would), validated again."""
    raw = _merge(profile.model_dump(mode="python"), overrides)
    return _validated(raw, f"'{profile.name}' with overrides")


def is_builtin_name(name: str) -> bool:
    """A plain built-in profile name (no path separators, no ``.toml``)."""
    return not _is_file_source(name) and name in builtin_profiles()


def profile_from_text(text: str, source: str) -> Profile:
    """A profile given as TOML text (stored by the data centre for an organisation).

    It may ``extends`` a built-in profile by name only: text from a caller never makes the server
    read a file. Raises :class:`ProfileError` naming every problem with its TOML path.
    """
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(source, [f"not valid TOML: {exc}"]) from None
    parent = raw.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str) or not is_builtin_name(parent):
            raise ProfileError(source, [f"extends: must name a built-in profile ({', '.join(builtin_profiles())})"])
        base, _ = _raw(parent)
        raw = _merge(base, raw)
    return _validated(raw, source)


def load_profile(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Profile:
    """A built-in profile by name, or a user's profile file by path, validated.

    ``overrides`` is merged over the file like an ``extends`` child (e.g. ``{"defaults": {...}}``).
    Raises :class:`ProfileError` naming every problem with its TOML path.
    """
    raw, source = _raw(name_or_path)
    if overrides:
        raw = _merge(raw, overrides)
    return _validated(raw, source)
