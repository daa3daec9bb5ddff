"""Item, result and event schemas; the integration configuration's validation errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from ledgerlink.export.config import ConfigInvalid, check_name, parse_config
from ledgerlink.export.model import (
    ITEM,
    ItemFailureReasonType,
    ItemResult,
    JobEventCreate,
    JobFailureReasonType,
    JobStatus,
    Line,
    paid_amount,
    vat_amount,
)
from tests.export.helpers import config, item


def test_enums_hold_the_issue_values() -> None:
    assert {s.value for s in JobStatus} == {"pending", "in_progress", "completed", "completed_with_errors", "failed"}
    assert {"invalid_configuration", "missing_configuration", "accounting_system_unreachable",
            "accounting_system_validation_failure", "job_expired", "canceled_by_user"} <= {
        r.value for r in JobFailureReasonType}
    assert {"account_unknown", "tax_code_unknown", "tag_unknown", "vendor_unknown", "closed_period",
            "receipt_download_failure", "receipt_file_size", "unexpected_failure"} <= {
        r.value for r in ItemFailureReasonType}


@pytest.mark.parametrize(("tax", "amount", "vat", "paid"), [
    ({"code": "S", "rate": "19", "type": "inclusive"}, "119.00", "19.00", "119.00"),
    ({"code": "S", "rate": "19", "type": "exclusive"}, "100.00", "19.00", "119.00"),
    ({"code": "S", "rate": "19", "type": "reverse"}, "100.00", "19.00", "100.00"),
    ({"code": "S", "rate": "7", "type": "inclusive"}, "0.05", "0.00", "0.05"),
    ({"code": "S", "rate": "19", "type": "exclusive"}, "0.05", "0.01", "0.06"),  # 0.0095 → 0.01 half-up
])
def test_vat_and_paid_amount(tax: dict[str, str], amount: str, vat: str, paid: str) -> None:
    line = TypeAdapter(Line).validate_python({"line_amount": amount, "account": {"code": "1"}, "tax": tax})
    assert vat_amount(line) == Decimal(vat) and paid_amount(line) == Decimal(paid)


def test_item_rules() -> None:
    with pytest.raises(ValidationError, match="lines add up to 100.00"):
        ITEM.validate_python(item(lines=[{"line_amount": "100.00", "account": {"code": "6110"}}]))
    with pytest.raises(ValidationError, match="needs at least one line"):
        ITEM.validate_python(item(lines=[]))
    with pytest.raises(ValidationError, match="colour\n  Unexpected keyword argument"):
        ITEM.validate_python(item(colour="blue"))
    with pytest.raises(ValidationError, match="before service_period.from"):
        ITEM.validate_python(item(service_period={"from": "2026-02-01", "to": "2026-01-01"}))
    assert ITEM.validate_python(item(type="wallet_topup", lines=[])).lines == ()


def test_an_item_is_a_plain_frozen_dataclass_that_round_trips_through_its_stored_json() -> None:
    """The stages read items as plain slotted dataclasses (no pydantic ``__getattr__`` hook); the store
    keeps the JSON ``ITEM.dump_json`` writes (aliases, no nulls), and ``ITEM.validate_json`` gives the same item back."""
    import dataclasses

    full = ITEM.validate_python(item(
        "full", wallet_amount={"value": "130.00", "currency": "USD"}, contra_account="1800",
        service_period={"from": "2026-01-01", "to": "2026-01-31"}, bookkeeping={"method": "journal"},
        vendor={"code": "70001", "external_id": "v-1"},
        files=[{"url": "https://files.example/r.pdf", "type": "application/pdf", "size": 10}],
        lines=[{"line_amount": "119.00", "net_amount": "100.00", "account": {"code": "6110", "name": "Travel"},
                "tax": {"code": "S19", "rate": "19", "type": "inclusive", "amount": "19.00"},
                "tags": [{"group_code": "dept", "code": "sales"}], "note": "seat"}],
        additional_information={"reconciliation_id": "r", "attendees": ["A", "B"],
                                "invoice_information": {"invoice_number": "F-1", "paid": True}}))
    for part in (full, full.amount, full.lines[0], full.lines[0].tax, full.lines[0].tags[0], full.service_period):
        assert dataclasses.is_dataclass(part) and not hasattr(part, "__dict__")
        assert not hasattr(type(part), "__getattr__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        full.note = "changed"  # type: ignore[misc]
    stored = ITEM.dump_json(full, by_alias=True, exclude_none=True)
    assert b'"from":"2026-01-01"' in stored and b'"value":"119.00"' in stored and b"null" not in stored
    assert ITEM.validate_json(stored) == full
    assert full.service_period is not None and full.service_period.from_.isoformat() == "2026-01-01"


def test_a_submission_names_each_item_once() -> None:
    from ledgerlink.export.model import ItemsSubmission

    with pytest.raises(ValidationError, match=r"items\[1\].id: item 'a' appears twice"):
        ItemsSubmission.model_validate({"items": [item("a"), item("a")]})


def test_results_and_events_are_consistent() -> None:
    with pytest.raises(ValidationError, match="needs failure_reason_type"):
        ItemResult.model_validate({"id": "a", "status": "failed"})
    with pytest.raises(ValidationError, match="successful or failed"):
        ItemResult.model_validate({"id": "a", "status": "pending"})
    with pytest.raises(ValidationError, match="needs failure_reason_type"):
        JobEventCreate.model_validate({"job_id": "j", "type": "failed"})
    with pytest.raises(ValidationError, match="only a failed event"):
        JobEventCreate.model_validate({"job_id": "j", "type": "completed", "failure_reason_type": "job_expired"})


def test_config_errors_have_paths_and_found_values() -> None:
    bad = config(currency="euro", dimensions={"dept": {"name": "1bad"}},
                 closed_period={"strategy": "fail", "closed_months": ["2026-13"]},
                 attachments={"url_template": "https://files/x", "max_bytes": 40_000_000})
    with pytest.raises(ConfigInvalid) as failed:
        parse_config(bad)
    found = {v.path: v for v in failed.value.violations}
    assert set(found) == {"currency", "dimensions.dept.name", "closed_period.closed_months",
                          "attachments.url_template", "attachments.max_bytes"}
    assert found["currency"].found == "'euro'"
    with pytest.raises(ConfigInvalid) as failed:
        parse_config([1, 2])
    assert failed.value.violations[0].path == "$"
    with pytest.raises(ConfigInvalid):
        check_name("../etc")
    parsed = parse_config(config(target={"kind": "datev", "path": "/x", "consultant_number": "1001"}))
    assert parsed.target.model_dump()["consultant_number"] == "1001"  # kind-specific options pass through
