"""Customer accounts in real time: ledger updates as the base, invoices and credit notes on top."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ledgerlink.demo import demo_documents
from ledgerlink.domain.documents import CreditNote, Invoice, LedgerUpdate
from ledgerlink.formats import canonical


def by_kind(kind: type) -> list[Any]:
    return [d for d in demo_documents() if isinstance(d, kind)]


def test_account_without_ledger_update_sums_invoices_and_credit_notes(api: Any) -> None:
    mine = [d for d in by_kind(Invoice) + by_kind(CreditNote) if d.customer_account == "C1001"]
    assert api.post("/v1/documents", json=[canonical.to_obj(d) for d in mine]).status_code == 201
    account = api.get("/v1/customers/C1001/account").json()
    expected = sum((d.totals.payable_amount * (-1 if isinstance(d, CreditNote) else 1) for d in mine), Decimal(0))
    assert Decimal(account["balance"]) == expected
    assert len(account["open_items"]) == len(mine)
    assert sum(Decimal(v) for v in account["ageing"].values()) == expected
    assert account["customer"]["name"] == "Alfreds Futterkiste GmbH"
    assert account["ledger_as_of"] is None


def test_ledger_update_is_the_base_and_later_documents_add_to_it(api: Any) -> None:
    [update] = by_kind(LedgerUpdate)
    response = api.post("/v1/ledger-updates", json=canonical.to_obj(update))
    assert response.status_code == 201, response.text
    position = next(p for p in update.positions if p.customer_account == "C1002")
    account = api.get("/v1/customers/C1002/account").json()
    assert Decimal(account["balance"]) == position.balance
    assert account["ledger_as_of"] == update.as_of.isoformat()
    assert Decimal(account["credit_limit"]) == position.credit_limit
    assert Decimal(account["available_credit"]) == position.credit_limit - position.balance
    assert {i["document_number"] for i in account["open_items"]} == {i.document_number for i in position.open_items}

    # an invoice already in the ledger's open items does not count twice; a new one is added in real time
    known = next(i for i in by_kind(Invoice) if i.number == position.open_items[0].document_number)
    api.post("/v1/documents", json=canonical.to_obj(known))
    new = next(i for i in by_kind(Invoice) if i.customer_account == "C1002" and i.number not in
               {o.document_number for o in position.open_items})
    api.post("/v1/documents", json=canonical.to_obj(new))
    after = api.get("/v1/customers/C1002/account").json()
    assert Decimal(after["balance"]) == position.balance + new.totals.payable_amount

    # a credit note issued after the ledger date lowers the balance at once; one dated before it is covered
    older = by_kind(CreditNote)[0].model_copy(update={"customer_account": "C1002", "number": "CN-OLD"})
    assert older.issue_date <= update.as_of
    api.post("/v1/documents", json=canonical.to_obj(older))
    credit = older.model_copy(update={"number": "CN-X", "issue_date": update.as_of + dt.timedelta(days=1)})
    api.post("/v1/documents", json=canonical.to_obj(credit))
    final = api.get("/v1/customers/C1002/account").json()
    assert Decimal(final["balance"]) == position.balance + new.totals.payable_amount - credit.totals.payable_amount


def test_ledger_update_without_kind_is_accepted_and_wrong_kind_refused(api: Any) -> None:
    [update] = by_kind(LedgerUpdate)
    obj = canonical.to_obj(update)
    obj.pop("kind")
    assert api.post("/v1/ledger-updates", json=obj).status_code == 201
    wrong = api.post("/v1/ledger-updates", json={"kind": "invoice"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["path"] == "kind"


def test_ageing_buckets_by_days_overdue(api: Any) -> None:
    today = dt.date.today()
    base = by_kind(Invoice)[0]
    docs = []
    for n, days in enumerate((-5, 10, 45, 75, 200)):
        docs.append(base.model_copy(update={"number": f"AGE-{n}", "customer_account": "AGE",
                                            "due_date": today - dt.timedelta(days=days)}))
    assert api.post("/v1/documents", json=[canonical.to_obj(d) for d in docs]).status_code == 201
    ageing = api.get("/v1/customers/AGE/account").json()["ageing"]
    amount = str(base.totals.payable_amount)
    assert ageing == {"current": amount, "1-30": amount, "31-60": amount, "61-90": amount, "90+": amount}


def test_customers_list_and_lookup(api: Any) -> None:
    api.post("/v1/documents", json=[canonical.to_obj(d) for d in by_kind(Invoice)])
    customers = api.get("/v1/customers").json()["customers"]
    assert [c["account_ref"] for c in customers] == ["C1001", "C1002", "C1003"]
    by_id = api.get(f"/v1/customers/{customers[0]['id']}").json()
    assert by_id == api.get("/v1/customers/C1001").json()
    assert api.get("/v1/customers/NOPE").status_code == 404
    page = api.get("/v1/customers", params={"limit": 2}).json()
    assert page["next_after"] == "C1002"
    assert [c["account_ref"] for c in api.get("/v1/customers", params={"after": "C1002"}).json()["customers"]] == ["C1003"]
