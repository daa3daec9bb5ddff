"""An organisation's integration configuration: where to post and how to map.

Validated on save (``PUT /v1/integrations/{name}``, ``ledgerlink integration set``); every problem is
reported with its JSON path (``accounts.vat.S19.input``), the rule and the message. The target's
kind-specific options (DATEV numbers, account list, ...) are checked by the target itself when it is
opened (pre-export validation), because only it knows them.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ledgerlink.domain.violations import Violation, format_path

DEFAULT_ALLOWED_TYPES = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/tiff",
    "image/heic",
)
MAX_ATTACHMENT_BYTES = 30 * 1024 * 1024
INTEGRATION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetKind(StrEnum):
    BEANCOUNT = "beancount"
    HLEDGER = "hledger"
    DATEV = "datev"


class TargetConfig(BaseModel):
    """The target object handed to ``open_target``; kind-specific keys pass through unchanged."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: TargetKind
    path: str = Field(min_length=1)


class VatAccounts(_Strict):
    input: str | None = Field(default=None, min_length=1)
    output: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_side(self) -> "VatAccounts":
        if not (self.input or self.output):
            raise ValueError("a tax code needs an input and/or an output VAT account")
        return self


class Accounts(_Strict):
    """Ledger account codes or names (matched against the target's own chart)."""

    wallet: str | None = Field(default=None, min_length=1)
    out_of_pocket: str | None = Field(default=None, min_length=1)
    contra: str | None = Field(default=None, min_length=1)
    fallback_payable: str | None = Field(default=None, min_length=1)
    vat: dict[str, VatAccounts] = Field(default_factory=dict)


class Dimension(_Strict):
    """A tag group as the target sees it: ``name`` is the target's concept (beancount/hledger tag
    name, DATEV ``KOST1``/``KOST2``); ``values`` (optional) lists the codes the ledger knows."""

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    values: tuple[str, ...] | None = None


class ClosedPeriodStrategy(StrEnum):
    MOVE_TO_NEXT_OPEN = "move_to_next_open"
    FAIL = "fail"


class ClosedPeriod(_Strict):
    strategy: ClosedPeriodStrategy = ClosedPeriodStrategy.FAIL
    lock_date: dt.date | None = None
    closed_months: tuple[str, ...] = ()

    @field_validator("closed_months")
    @classmethod
    def _months(cls, months: tuple[str, ...]) -> tuple[str, ...]:
        for month in months:
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
                raise ValueError(f"closed month {month!r} is not YYYY-MM")
        return months


class AttachmentSettings(_Strict):
    url_template: str | None = Field(default=None, description="e.g. https://files.example/{id}")
    allowed_types: tuple[str, ...] = DEFAULT_ALLOWED_TYPES
    max_bytes: int = Field(default=MAX_ATTACHMENT_BYTES, gt=0, le=MAX_ATTACHMENT_BYTES)
    retries: int = Field(default=3, ge=0, le=10)
    timeout_seconds: float = Field(default=30, gt=0, le=300)
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("url_template")
    @classmethod
    def _has_placeholder(cls, value: str | None) -> str | None:
        if value is not None and "{id}" not in value:
            raise ValueError("url_template must contain {id}")
        return value


class IntegrationConfig(_Strict):
    target: TargetConfig
    post_as_draft: bool | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    accounts: Accounts = Field(default_factory=Accounts)
    dimensions: dict[str, Dimension] = Field(default_factory=dict)
    closed_period: ClosedPeriod = Field(default_factory=ClosedPeriod)
    attachments: AttachmentSettings = Field(default_factory=AttachmentSettings)


class ConfigInvalid(Exception):
    """The configuration does not validate; ``violations`` say where and why."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__("; ".join(f"{v.path}: {v.message}" for v in violations))


def parse_config(raw: Any) -> IntegrationConfig:
    """Validate a JSON configuration; raise :class:`ConfigInvalid` with one violation per problem."""
    if not isinstance(raw, dict):
        raise ConfigInvalid([Violation("LL-EXPORT-CONFIG", "$", "the configuration must be a JSON object",
                                       expected="object", found=type(raw).__name__)])
    try:
        return IntegrationConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigInvalid(
            [
                Violation(
                    rule=f"LL-EXPORT-CONFIG-{err['type']}",
                    path=format_path(tuple(err["loc"])) or "$",
                    message=err["msg"],
                    found=None if err["type"] == "missing" else repr(err.get("input"))[:200],
                )
                for err in exc.errors()
            ]
        ) from None


def check_name(name: str) -> None:
    if not INTEGRATION_NAME.fullmatch(name):
        raise ConfigInvalid([Violation("LL-EXPORT-NAME", "name",
                                       "an integration name is 1-64 letters, digits, '_', '.', '-'",
                                       found=name[:80])])


def config_json(config: IntegrationConfig) -> dict[str, Any]:
    """The stored (and shown) form: JSON-ready, unset optional parts left out."""
    return config.model_dump(mode="json", exclude_none=True)
