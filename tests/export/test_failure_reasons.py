"""Every failure reason type, reached by sending the bad item (or the bad configuration) through the API
and the worker into a real ledger. ``unexpected_failure`` (a bug, by definition) is reached with an
in-memory target in test_pipeline; ``job_expired`` in test_claims; ``canceled_by_user`` in test_api."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from ledgerlink.export.model import ItemFailureReasonType, JobFailureReasonType
from ledgerlink.export.worker import run_once
from tests.export.helpers import config, item
from tests.export.test_end_to_end import beancount_ledger

BAD_ITEMS: dict[str, dict[str, Any]] = {
    "account_unknown": item("r1", lines=[{"line_amount": "119.00", "account": {"code": "4711"}}]),
    "tax_code_unknown": item("r2", lines=[{"line_amount": "119.00", "account": {"code": "6110"},
                                           "tax": {"code": "X9", "rate": "19", "type": "inclusive"}}]),
    "tag_unknown": item("r3", lines=[{"line_amount": "119.00", "account": {"code": "6110"},
                                      "tags": [{"group_code": "region", "code": "north"}]}]),
    "vendor_unknown": item("r4", type="invoice", vendor={"code": "55555"}),
    "currency_unsupported": item("r5", amount={"value": "119.00", "currency": "USD"},
                                 lines=[{"line_amount": "119.00", "account": {"code": "6110"}}]),
    "closed_period": item("r6", date="2026-01-15"),
    "receipt_download_failure": item("r7", files=[{"url": "http://127.0.0.1:9/receipt.pdf"}]),
    "receipt_file_size": item("r8", files=[{"url": "http://127.0.0.1:9/huge.pdf", "size": 40_000_000}]),
    "receipt_file_type": item("r9", files=[{"content_base64": base64.b64encode(b"hello").decode(),
                                            "type": "text/plain", "name": "note.txt"}]),
    "accounting_system_validation_failure": item("r10", date="2026-03-01",
                                                 lines=[{"line_amount": "119.00", "account": {"code": "6999"}}]),
}


def test_every_item_failure_reason_from_a_bad_item(api: Any, db: Any, tmp_path: Path) -> None:
    ledger = beancount_ledger(tmp_path / "books.beancount")
    with ledger.open("a", encoding="utf-8") as handle:  # an account the ledger closed in February
        handle.write('2020-01-01 open Expenses:Retired EUR\n  code: "6999"\n2026-02-01 close Expenses:Retired\n')
    cfg = config(target={"kind": "beancount", "path": str(ledger)}, currency="EUR",
                 closed_period={"strategy": "fail", "lock_date": "2026-01-31"},
                 attachments={"retries": 0})
    del cfg["accounts"]["fallback_payable"]
    assert api.put("/v1/integrations/books", json=cfg).status_code == 200
    assert api.post("/v1/export-items", json={"items": [*BAD_ITEMS.values(), item("good")]}).status_code == 200
    job = api.post("/v1/export-jobs", json={}).json()
    run_once(db)
    items = {i["id"]: i for i in api.get(f"/v1/export-jobs/{job['id']}/items").json()["items"]}
    got = {reason: items[body["id"]]["failure_reason_type"] for reason, body in BAD_ITEMS.items()}
    assert got == {reason: reason for reason in BAD_ITEMS}
    assert all(items[body["id"]]["failure_reason"] for body in BAD_ITEMS.values())
    assert items["good"]["status"] == "successful"
    assert api.get(f"/v1/export-jobs/{job['id']}").json()["status"] == "completed_with_errors"
    assert set(BAD_ITEMS) | {"unexpected_failure"} == {r.value for r in ItemFailureReasonType}


def _job_failure(api: Any, db: Any, target: dict[str, Any], delete_integration: bool = False) -> str:
    assert api.put("/v1/integrations/books", json=config(target=target)).status_code == 200
    assert api.post("/v1/export-items", json={"items": [item("x")]}).status_code == 200
    job = api.post("/v1/export-jobs", json={"integration": "books", "item_ids": ["x"]}).json()
    if delete_integration:
        from ledgerlink.export.tables import integrations

        with db.begin() as conn:
            conn.execute(integrations.delete().where(integrations.c.org_id == api.org_id))
    run_once(db)
    got = api.get(f"/v1/export-jobs/{job['id']}").json()
    assert got["status"] == "failed" and got["failure_reason"]
    assert {i["status"] for i in api.get(f"/v1/export-jobs/{job['id']}/items").json()["items"]} == {"abandoned"}
    return str(got["failure_reason_type"])


def test_job_failure_reasons_from_bad_configurations(api: Any, db: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.beancount"
    broken.write_text('2020-01-01 open Assets:A EUR\n2020-01-02 * "x"\n  Assets:A 10 EUR\n  Assets:B -5 EUR\n')
    seen = {
        _job_failure(api, db, {"kind": "beancount", "path": str(tmp_path / "gone" / "x.beancount")}),
        _job_failure(api, db, {"kind": "datev", "path": str(tmp_path)}),
        _job_failure(api, db, {"kind": "beancount", "path": str(broken)}),
        _job_failure(api, db, {"kind": "beancount", "path": str(broken)}, delete_integration=True),
    }
    assert seen == {"accounting_system_unreachable", "invalid_configuration",
                    "accounting_system_validation_failure", "missing_configuration"}
    assert seen | {"job_expired", "canceled_by_user", "unexpected_failure"} == {r.value for r in JobFailureReasonType}
