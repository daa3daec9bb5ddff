"""Ingest: check documents, store each exactly once, and answer with a receipt.

Rules:

* Every document is checked by :func:`ledgerlink.domain.rules.check`. A source with any error
  stores nothing (the receipt is refused whole) unless the caller asks for a partial ingest,
  in which case the valid documents are stored and the others listed as rejected.
* Identity is (organisation, kind, number). The same content again is a ``duplicate``: it is
  acknowledged with the stored document's id and stored once. Different content under a known
  number is stored as the next version with status ``held``; it is never released without an
  explicit approval (:func:`approve`).
* Everything a request stores — documents, parties, customers, ledger positions, the receipt,
  the audit rows — commits in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from pydantic_core import to_json
from sqlalchemy.engine import Connection

from ledgerlink.domain import rules
from ledgerlink.domain.documents import (
    AnyDocument,
    CommercialDocument,
    LedgerUpdate,
    Party,
    Statement,
    customer_account_of,
    document_date,
)
from ledgerlink.domain.violations import Violation, errors_only
from ledgerlink.formats import canonical
from ledgerlink.formats.base import Found, ReadResult
from ledgerlink.services.tenancy import Principal
from ledgerlink.store.audit import record, record_many
from ledgerlink.store.database import new_id, utcnow
from ledgerlink.store.schema import customers, documents, ledger_positions, parties, receipts

MAX_BATCH = 1000
_CHUNK = 400  # bound on IN-list sizes


class DocumentStatus(StrEnum):
    RECEIVED = "received"
    DUPLICATE = "duplicate"
    HELD = "held"
    SUPERSEDED = "superseded"


class DocumentsRejected(Exception):
    """The source holds invalid documents and the caller did not ask for a partial ingest."""

    def __init__(self, errors: list[dict[str, str]]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


class BatchTooLarge(Exception):
    pass


@dataclass(slots=True)
class Receipt:
    receipt_id: str
    documents: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "receipt_id": self.receipt_id,
            "documents": self.documents,
            "errors": self.errors,
            "rejected": self.rejected,
        }

    def to_json(self) -> str:
        """The receipt as compact JSON (values JSON has no type for, such as dates, as text)."""
        return to_json(self.as_dict(), fallback=str).decode()


def violation_dicts(violations: Iterable[Violation], location: str | None) -> list[dict[str, str]]:
    out = []
    for v in violations:
        item = v.as_dict()
        if location:
            item["location"] = location
        out.append(item)
    return out


@dataclass(frozen=True, slots=True)
class PartyRow:
    """What the store keeps of a seller or buyer, and the fingerprint that finds it again."""

    fingerprint: str
    name: str
    vat_id: str | None
    legal_id: str | None
    electronic_address: str | None
    electronic_scheme: str | None
    country: str | None
    email: str | None


@dataclass(slots=True)
class CustomerFacts:
    """What a document says about a debtor account (``None``: it says nothing)."""

    name: str | None = None
    email: str | None = None
    credit_limit: str | None = None


@dataclass(frozen=True, slots=True)
class PositionRow:
    """One debtor position of a ledger update, as stored (amounts as decimal text, open items as JSON)."""

    customer_account: str
    balance: str
    credit_limit: str | None
    open_items: str


@dataclass(slots=True)
class PreparedDocument:
    """A checked document reduced to what the store writes: canonical bytes, hash and index columns.

    Plain values only, so that a worker process can hand it back cheaply (see ``services.parallel``).
    """

    location: str
    kind: str
    number: str
    body: bytes
    content_hash: str
    document_date: dt.date
    due_date: dt.date | None
    currency: str
    payable_amount: str | None
    customer_ref: str | None
    customers: dict[str, CustomerFacts]
    seller: PartyRow | None = None
    buyer: PartyRow | None = None
    positions: tuple[PositionRow, ...] = ()


@dataclass(slots=True)
class Prepared:
    """Documents checked and serialised, ready to store: all the CPU work, done outside any transaction."""

    documents: list[PreparedDocument]
    rejected: list[dict[str, Any]]
    errors: list[dict[str, str]]


def check_one(found: Found) -> dict[str, Any] | None:
    """The rejection entry of a document that breaks a rule, or None when it is valid."""
    problems = errors_only(rules.check(found.document))
    if not problems:
        return None
    return {"location": found.location, "kind": found.document.kind, "number": found.document.number,
            "errors": violation_dicts(problems, found.location)}


@dataclass(slots=True)
class Checked:
    """Part of a source after the rules: reader errors, rule errors, rejections and the prepared rows."""

    read_errors: list[dict[str, str]]
    rule_errors: list[dict[str, str]]
    rejected: list[dict[str, Any]]
    documents: list[PreparedDocument]


def check_and_prepare(result: ReadResult, *, checked: bool = False) -> Checked:
    """Run the rules on every document read and prepare the valid ones (pure CPU work, no store).

    ``checked`` says the documents passed :func:`check_one` already (a streamed source's first pass),
    so the rules do not run twice.
    """
    out = Checked(violation_dicts(errors_only(result.violations), None), [], [], [])
    for found in result.documents:
        refusal = None if checked else check_one(found)
        if refusal:
            out.rule_errors.extend(refusal["errors"])
            out.rejected.append(refusal)
        else:
            out.documents.append(prepare_document(found))
    return out


def finish(parts: Sequence[Checked], *, partial: bool) -> Prepared:
    """Join the parts of one source in order; raises :class:`DocumentsRejected` on any error unless partial.

    Errors are listed as one reader would: every reader error first, then every rule error.
    """
    errors = [e for part in parts for e in part.read_errors] + [e for part in parts for e in part.rule_errors]
    if errors and not partial:
        raise DocumentsRejected(errors)
    return Prepared([d for part in parts for d in part.documents], [r for part in parts for r in part.rejected],
                    errors)


class Parts:
    """A source prepared in parts: ``first`` is ready; the others come from ``rest`` when asked (they
    may still be being prepared elsewhere, see ``services.parallel``). A sequential read is one part.

    Rule: ``rest`` is called at most once. :meth:`others` remembers its answer, or its failure and
    raises it again; :meth:`close` calls it if nobody has (so whoever prepares the other parts always
    has its answers collected).
    """

    def __init__(self, first: Checked, rest: Callable[[], list[Checked]] | None = None):
        self.first = first
        self._rest = rest
        self._others: list[Checked] | None = None if rest is not None else []
        self._failure: BaseException | None = None

    def others(self) -> list[Checked]:
        if self._others is None:
            if self._failure is not None:
                raise self._failure
            assert self._rest is not None
            try:
                self._others = self._rest()
            except BaseException as exc:
                self._failure = exc
                raise
        return self._others

    def refused_by_first(self, *, partial: bool) -> bool:
        """Whether the first part alone already refuses the source (an error, and not partial)."""
        return not partial and bool(self.first.read_errors or self.first.rule_errors)

    def close(self) -> None:
        """Collect the other parts if nobody has. A failure to collect them is not raised here: it is
        raised to whoever asked :meth:`others`, and ``rest``'s owner has dealt with its helpers."""
        if self._others is None and self._failure is None:
            with suppress(Exception):
                self.others()


def parts_of(result: ReadResult, *, checked: bool = False) -> Parts:
    """What a reader found, checked and prepared as one part; raises :class:`BatchTooLarge`."""
    refusal = too_large(len(result.documents))
    if refusal is not None:
        raise refusal
    return Parts(check_and_prepare(result, checked=checked))


def too_large(count: int) -> BatchTooLarge | None:
    """The refusal of a batch of ``count`` documents, or None within :data:`MAX_BATCH`."""
    if count > MAX_BATCH:
        return BatchTooLarge(f"a batch holds at most {MAX_BATCH} documents; this one holds {count}")
    return None


def prepare(result: ReadResult, *, partial: bool = False, checked: bool = False) -> Prepared:
    """Check and prepare what a reader found; raises :class:`DocumentsRejected` or :class:`BatchTooLarge`
    when the source is refused whole. Reader violations count as errors of the source."""
    return finish([parts_of(result, checked=checked).first], partial=partial)


def prepare_document(found: Found) -> PreparedDocument:
    """The canonical bytes, content hash and every column the store fills, of one valid document."""
    doc = found.document
    body = canonical.dumps(doc)
    prepared = PreparedDocument(
        location=found.location, kind=doc.kind, number=doc.number, body=body,
        content_hash=hashlib.sha256(body).hexdigest(), document_date=document_date(doc),
        due_date=None, currency=doc.currency, payable_amount=None, customer_ref=customer_account_of(doc),
        customers=_customer_facts(doc),
    )
    if isinstance(doc, CommercialDocument):
        prepared.due_date = doc.due_date
        prepared.payable_amount = str(doc.totals.payable_amount)
        prepared.seller = party_row(doc.seller)
        prepared.buyer = party_row(doc.buyer)
    elif isinstance(doc, LedgerUpdate):
        prepared.positions = position_rows(doc)
    return prepared


def ingest(
    conn: Connection,
    principal: Principal,
    result: ReadResult,
    *,
    source_format: str,
    partial: bool = False,
) -> Receipt:
    """Check and store what a reader found, in the caller's transaction (see :func:`prepare`, :func:`store`)."""
    return store(conn, principal, prepare(result, partial=partial), source_format=source_format)


def store(conn: Connection, principal: Principal, prepared: Prepared, *, source_format: str) -> Receipt:
    """Store prepared documents exactly once and record the receipt, in the caller's transaction."""
    receipt = Receipt(receipt_id=new_id(), errors=prepared.errors, rejected=prepared.rejected)
    receipt.documents = store_documents(conn, principal, prepared, source_format, receipt.receipt_id)
    record_receipt(conn, principal, receipt, source_format)
    return receipt


def store_parts(conn: Connection, principal: Principal, parts: Parts, *, partial: bool,
                source_format: str) -> Receipt:
    """Store a source prepared in parts and record its receipt, in the caller's transaction.

    The first part's documents are stored at once, while the other parts may still be being prepared;
    then the others'. The receipt is the one :func:`store` gives for the whole source: documents in
    order, every error (reader errors, then rule errors). Raises :class:`DocumentsRejected` when a later
    part has an error and the source is not partial — the caller rolls the transaction back.
    """
    receipt_id = new_id()
    stored = store_documents(conn, principal, Prepared(parts.first.documents, [], []), source_format, receipt_id)
    others = parts.others()
    whole = finish([parts.first, *others], partial=partial)
    for part in others:
        stored += store_documents(conn, principal, Prepared(part.documents, [], []), source_format, receipt_id)
    receipt = Receipt(receipt_id, stored, whole.errors, whole.rejected)
    record_receipt(conn, principal, receipt, source_format)
    return receipt


def store_documents(
    conn: Connection, principal: Principal, prepared: Prepared, source_format: str, receipt_id: str
) -> list[dict[str, Any]]:
    """Store one prepared chunk of a receipt's documents; the receipt entries of what was stored."""
    return _store(conn, principal, prepared, source_format, receipt_id) if prepared.documents else []


def record_receipt(conn: Connection, principal: Principal, receipt: Receipt, source_format: str) -> None:
    """Keep the receipt and audit it (in the transaction of its last chunk)."""
    conn.execute(
        receipts.insert().values(
            id=receipt.receipt_id, org_id=principal.org_id, key_id=principal.key_id,
            source_format=source_format, body=receipt.to_json(), created_at=utcnow(),
        )
    )
    record(conn, org_id=principal.org_id, actor=principal.actor, action="receipt.created", entity="receipt",
           entity_id=receipt.receipt_id,
           detail={"documents": len(receipt.documents), "rejected": len(receipt.rejected),
                   "source_format": source_format})


# --------------------------------------------------------------------------- storing


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def party_row(party: Party) -> PartyRow:
    """The party as the store keeps it (the same values give the same row, computed once)."""
    address = party.electronic_address
    return _party_row(
        party.name, party.vat_id, party.legal_id.value if party.legal_id else None,
        address.value if address else None, address.scheme if address else None,
        party.address.country[:2] if party.address else None, party.contact.email if party.contact else None,
    )


@lru_cache(maxsize=4096)  # a batch's sellers and buyers repeat; the row depends on these values only
def _party_row(name: str, vat_id: str | None, legal_id: str | None, address: str | None, scheme: str | None,
               country: str | None, email: str | None) -> PartyRow:
    # the fingerprint, what identifies a party within an organisation: name (case and outer spaces
    # ignored), VAT id, legal id and electronic address
    key = "\x1f".join([name.strip().casefold(), vat_id or "", legal_id or "", f"{scheme}:{address}" if address else ""])
    return PartyRow(
        fingerprint=hashlib.sha256(key.encode()).hexdigest(), name=name, vat_id=vat_id, legal_id=legal_id,
        electronic_address=address, electronic_scheme=scheme, country=country, email=email,
    )


def _ensure_parties(conn: Connection, org_id: str, wanted: dict[str, PartyRow]) -> dict[str, str]:
    """Party id per fingerprint, inserting the parties not yet known."""
    ids: dict[str, str] = {}
    keys = list(wanted)
    for chunk in _chunks(keys):
        rows = conn.execute(
            sa.select(parties.c.fingerprint, parties.c.id).where(
                (parties.c.org_id == org_id) & parties.c.fingerprint.in_(chunk)
            )
        )
        ids.update({r.fingerprint: r.id for r in rows})
    missing = [k for k in keys if k not in ids]
    if missing:
        now = utcnow()
        values = []
        for fingerprint in missing:
            party = wanted[fingerprint]
            ids[fingerprint] = new_id()
            values.append(
                {
                    "id": ids[fingerprint], "org_id": org_id, "fingerprint": fingerprint, "name": party.name,
                    "vat_id": party.vat_id, "legal_id": party.legal_id,
                    "electronic_address": party.electronic_address, "electronic_scheme": party.electronic_scheme,
                    "country": party.country, "email": party.email, "created_at": now,
                }
            )
        conn.execute(parties.insert(), values)
    return ids


def _ensure_customers(conn: Connection, org_id: str, wanted: dict[str, CustomerFacts]) -> dict[str, str]:
    """Customer id per account reference; creates unknown ones and refreshes name, email and credit limit."""
    ids: dict[str, str] = {}
    current: dict[str, Any] = {}
    refs = list(wanted)
    for chunk in _chunks(refs):
        rows = conn.execute(
            sa.select(customers.c.account_ref, customers.c.id, customers.c.name, customers.c.email,
                      customers.c.credit_limit)
            .where((customers.c.org_id == org_id) & customers.c.account_ref.in_(chunk))
        )
        for row in rows:
            ids[row.account_ref] = row.id
            current[row.account_ref] = row
    now = utcnow()
    new_rows = []
    for ref in refs:
        facts = wanted[ref]
        if ref not in ids:
            ids[ref] = new_id()
            new_rows.append(
                {"id": ids[ref], "org_id": org_id, "account_ref": ref, "name": facts.name, "email": facts.email,
                 "credit_limit": facts.credit_limit, "created_at": now, "updated_at": now}
            )
            continue
        row = current[ref]
        changes = {
            column: value
            for column, value in (("name", facts.name), ("email", facts.email), ("credit_limit", facts.credit_limit))
            if value is not None and value != getattr(row, column)
        }
        if changes:
            conn.execute(
                customers.update().where((customers.c.org_id == org_id) & (customers.c.id == row.id))
                .values(updated_at=now, **changes)
            )
    if new_rows:
        conn.execute(customers.insert(), new_rows)
    return ids


def _customer_facts(document: AnyDocument) -> dict[str, CustomerFacts]:
    if isinstance(document, LedgerUpdate):
        return {
            p.customer_account: CustomerFacts(
                p.name, p.email, None if p.credit_limit is None else str(p.credit_limit)
            )
            for p in document.positions
        }
    ref = customer_account_of(document)
    assert ref is not None
    party = document.customer if isinstance(document, Statement) else document.buyer
    return {ref: CustomerFacts(party.name, party.contact.email if party.contact else None)}


def _existing_versions(
    conn: Connection, org_id: str, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], list[Any]]:
    """Every stored version of each (kind, number), newest last."""
    found: dict[tuple[str, str], list[Any]] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, number in sorted(keys):
        by_kind.setdefault(kind, []).append(number)
    c = documents.c
    for kind, numbers in by_kind.items():
        for chunk in _chunks(numbers):  # (org_id, kind, number) is the unique index's prefix
            rows = conn.execute(
                sa.select(c.id, c.kind, c.number, c.version, c.status, c.content_hash)
                .where((c.org_id == org_id) & (c.kind == kind) & c.number.in_(chunk))
                .order_by(c.version)
            )
            for row in rows:
                found.setdefault((row.kind, row.number), []).append(row)
    return found


@dataclass(slots=True)
class _Version:
    id: str
    version: int
    status: str
    content_hash: str


def _store(
    conn: Connection, principal: Principal, prepared: Prepared, source_format: str, receipt_id: str
) -> list[dict[str, Any]]:
    org_id = principal.org_id
    docs = prepared.documents

    wanted_parties: dict[str, PartyRow] = {}
    wanted_customers: dict[str, CustomerFacts] = {}
    for doc in docs:
        if doc.seller is not None and doc.buyer is not None:
            wanted_parties.setdefault(doc.seller.fingerprint, doc.seller)
            wanted_parties.setdefault(doc.buyer.fingerprint, doc.buyer)
        for account_ref, facts in doc.customers.items():
            known = wanted_customers.get(account_ref)
            if known is None:  # a copy: the prepared document may be stored again (a retried transaction)
                wanted_customers[account_ref] = replace(facts)
                continue
            known.name = facts.name or known.name
            known.email = facts.email or known.email
            known.credit_limit = facts.credit_limit or known.credit_limit
    party_ids = _ensure_parties(conn, org_id, wanted_parties) if wanted_parties else {}
    customer_ids = _ensure_customers(conn, org_id, wanted_customers)

    keys: set[tuple[str, str]] = {(d.kind, d.number) for d in docs}
    versions: dict[tuple[str, str], list[_Version]] = {
        key: [_Version(r.id, r.version, r.status, r.content_hash) for r in rows]
        for key, rows in _existing_versions(conn, org_id, keys).items()
    }

    now = utcnow()
    answer: list[dict[str, Any]] = []
    new_documents: list[dict[str, Any]] = []
    new_positions: list[dict[str, Any]] = []
    audit_rows: list[dict[str, Any]] = []
    for doc in docs:
        history = versions.setdefault((doc.kind, doc.number), [])
        same = next((v for v in history if v.content_hash == doc.content_hash), None)
        if same is not None:
            answer.append({"id": same.id, "kind": doc.kind, "number": doc.number,
                           "status": DocumentStatus.DUPLICATE.value, "version": same.version,
                           "location": doc.location})
            audit_rows.append({"org_id": org_id, "actor": principal.actor, "action": "document.duplicate",
                               "entity": "document", "entity_id": same.id, "detail": {"receipt_id": receipt_id}})
            continue
        status = DocumentStatus.HELD if history else DocumentStatus.RECEIVED
        version = _Version(new_id(), (history[-1].version + 1) if history else 1, status.value, doc.content_hash)
        history.append(version)
        new_documents.append(
            {
                "id": version.id, "org_id": org_id, "kind": doc.kind, "number": doc.number,
                "version": version.version, "status": status.value,
                "customer_id": customer_ids.get(doc.customer_ref) if doc.customer_ref else None,
                "seller_party_id": party_ids[doc.seller.fingerprint] if doc.seller else None,
                "buyer_party_id": party_ids[doc.buyer.fingerprint] if doc.buyer else None,
                "document_date": doc.document_date, "due_date": doc.due_date, "currency": doc.currency,
                "payable_amount": doc.payable_amount, "content_hash": doc.content_hash,
                "source_format": source_format, "body": doc.body.decode(),
                "receipt_id": receipt_id, "created_by": principal.actor, "created_at": now, "updated_at": now,
            }
        )
        if doc.positions and status is DocumentStatus.RECEIVED:
            new_positions.extend(_position_values(org_id, version.id, doc.document_date, doc.currency,
                                                  doc.positions, customer_ids, now))
        answer.append({"id": version.id, "kind": doc.kind, "number": doc.number, "status": status.value,
                       "version": version.version, "location": doc.location})
        audit_rows.append({"org_id": org_id, "actor": principal.actor, "action": f"document.{status.value}",
                           "entity": "document", "entity_id": version.id,
                           "detail": {"receipt_id": receipt_id, "kind": doc.kind, "number": doc.number,
                                      "version": version.version}})
    if new_documents:
        conn.execute(documents.insert(), new_documents)
    if new_positions:
        conn.execute(ledger_positions.insert(), new_positions)
    record_many(conn, audit_rows)
    return answer


def position_rows(update: LedgerUpdate) -> tuple[PositionRow, ...]:
    return tuple(
        PositionRow(
            customer_account=p.customer_account, balance=str(p.balance),
            credit_limit=None if p.credit_limit is None else str(p.credit_limit),
            open_items=json.dumps([i.model_dump(mode="json") for i in p.open_items]),
        )
        for p in update.positions
    )


def _position_values(
    org_id: str, document_id: str, as_of: dt.date, currency: str, positions: Iterable[PositionRow],
    customer_ids: dict[str, str], now: dt.datetime,
) -> list[dict[str, Any]]:
    return [
        {
            "id": new_id(), "org_id": org_id, "customer_id": customer_ids[p.customer_account],
            "document_id": document_id, "as_of": as_of, "currency": currency, "balance": p.balance,
            "credit_limit": p.credit_limit, "open_items": p.open_items, "created_at": now,
        }
        for p in positions
    ]


# --------------------------------------------------------------------------- approval


class NotFound(LookupError):
    pass


class NotHeld(Exception):
    def __init__(self, status: str):
        super().__init__(f"only a held document can be approved; this one is {status}")
        self.status = status


def approve(conn: Connection, principal: Principal, document_id: str) -> dict[str, Any]:
    """Release a held version: it becomes the current one, every other live version is superseded."""
    row = conn.execute(
        sa.select(documents.c.id, documents.c.kind, documents.c.number, documents.c.version, documents.c.status,
                  documents.c.body)
        .where((documents.c.org_id == principal.org_id) & (documents.c.id == document_id))
    ).first()
    if row is None:
        raise NotFound(document_id)
    if row.status != DocumentStatus.HELD:
        raise NotHeld(row.status)
    now = utcnow()
    conn.execute(
        documents.update()
        .where(
            (documents.c.org_id == principal.org_id) & (documents.c.kind == row.kind)
            & (documents.c.number == row.number) & (documents.c.id != row.id)
            & (documents.c.status == DocumentStatus.RECEIVED.value)
        )
        .values(status=DocumentStatus.SUPERSEDED.value, updated_at=now)
    )
    conn.execute(
        documents.update().where(documents.c.id == row.id)
        .values(status=DocumentStatus.RECEIVED.value, updated_at=now)
    )
    if row.kind == "ledger_update":
        doc = canonical.document_from_obj(canonical.loads(row.body))
        assert isinstance(doc, LedgerUpdate)
        refs = {p.customer_account: CustomerFacts(p.name, p.email) for p in doc.positions}
        ids = _ensure_customers(conn, principal.org_id, refs)
        conn.execute(ledger_positions.insert(), _position_values(principal.org_id, row.id, doc.as_of, doc.currency,
                                                                 position_rows(doc), ids, now))
    record(conn, org_id=principal.org_id, actor=principal.actor, action="document.approved", entity="document",
           entity_id=row.id, detail={"kind": row.kind, "number": row.number, "version": row.version})
    return {"id": row.id, "kind": row.kind, "number": row.number, "version": row.version,
            "status": DocumentStatus.RECEIVED.value}
