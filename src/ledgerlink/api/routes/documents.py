"""``/v1/documents``: ingest (any format, idempotent), list, fetch in any format, approve held versions."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ledgerlink.api.deps import connection, database, read_connection, require_scope
from ledgerlink.api.problems import PROBLEM_JSON, Problem, problem_body
from ledgerlink.domain.documents import Document, DocumentKind
from ledgerlink.domain.violations import Severity, Violation
from ledgerlink.formats import canonical, registry
from ledgerlink.formats.base import Found, ReadResult, UnsupportedMediaType
from ledgerlink.formats.csvprofiles import iter_documents
from ledgerlink.formats.xml_common import WriteError
from ledgerlink.heap import gc_deferred
from ledgerlink.observability import DOCUMENTS_RECEIVED, DOCUMENTS_REJECTED
from ledgerlink.services import csv_profiles, idempotency, ingest
from ledgerlink.services.parallel import PreparePool
from ledgerlink.services.tenancy import Principal
from ledgerlink.store.database import Database, new_id
from ledgerlink.store.schema import customers, documents

router = APIRouter(prefix="/v1", tags=["documents"])

_INGEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One canonical document, a list, or `{\"documents\": [...]}` (up to 1,000); "
        "or UBL/CII XML, a Factur-X PDF, or CSV with `?profile=`.",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Document"}},
            "application/xml": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/documents",
    status_code=201,
    openapi_extra=_INGEST_BODY,
    summary="Ingest documents and get a receipt",
    responses={200: {"description": "Replay of an earlier identical request"},
               409: {"description": "The same Idempotency-Key is still being processed"},
               413: {"description": "Body over the size limit"},
               415: {"description": "Unsupported Content-Type"},
               422: {"description": "Invalid documents (nothing stored), or Idempotency-Key reused for another body"}},
)
async def post_documents(
    request: Request,
    who: Principal = Depends(require_scope("ingest")),
    db: Database = Depends(database),
    partial: bool = Query(False, description="store the valid documents of a batch and list the others as rejected"),
    profile: str | None = Query(None, description="CSV layout profile, e.g. sage50-audit-trail"),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=idempotency.MAX_KEY_LENGTH),
) -> Response:
    body = await request.body()
    content_type = request.headers.get("content-type", "application/json")
    media_type = registry.media_type_of(content_type)
    try:
        source_format = registry.source_format_of(media_type)
    except UnsupportedMediaType:
        raise Problem(415, "Unsupported media type",
                      f"'{media_type}' is not accepted; send application/json, application/xml, "
                      "application/pdf or text/csv") from None
    return await run_in_threadpool(
        ingest_request, db, who, body, media_type, source_format, profile, partial, idempotency_key,
        request.url.path, str(request.url.query), request.app.state.prepare_pool,
    )


def ingest_request(
    db: Database, who: Principal, body: bytes, media_type: str, source_format: str, profile: str | None,
    partial: bool, idempotency_key: str | None, path: str, query: str, pool: PreparePool | None = None,
) -> Response:
    claimed: idempotency.Claimed | None = None
    if idempotency_key:
        fingerprint = idempotency.request_fingerprint("POST", path, query, media_type, body)
        try:
            outcome = idempotency.claim(db, who, idempotency_key, fingerprint)
        except idempotency.IdempotencyMismatch:
            raise Problem(422, "Idempotency-Key reused",
                          "this Idempotency-Key was used before with a different request body") from None
        except idempotency.IdempotencyInFlight:
            raise Problem(409, "Request in progress",
                          "a request with this Idempotency-Key is still being processed; retry later",
                          headers={"Retry-After": "1"}) from None
        if isinstance(outcome, idempotency.Replay):
            media = PROBLEM_JSON if outcome.status >= 400 else "application/json"
            status = 200 if outcome.status == 201 else outcome.status
            return Response(outcome.body, status_code=status, media_type=media,
                            headers={"Idempotent-Replayed": "true"})
        claimed = outcome
    try:
        if source_format == "csv" and profile:
            status, payload = _ingest_csv(db, who, body, profile, partial, claimed)
        else:
            with gc_deferred():  # the batch's models are freed before collection resumes
                status, payload = _read_and_store(db, who, body, media_type, source_format, partial, claimed,
                                                  pool)
    except BaseException:
        if claimed is not None:
            idempotency.release(db, claimed)
        raise
    media = PROBLEM_JSON if status >= 400 else "application/json"
    return Response(payload, status_code=status, media_type=media)


def _read_and_store(
    db: Database, who: Principal, body: bytes, media_type: str, source_format: str, partial: bool,
    claimed: idempotency.Claimed | None, pool: PreparePool | None,
) -> tuple[int, str]:
    """A JSON, XML or PDF body: read whole, checked, stored in one transaction; the answer's status and body.

    A large JSON batch is prepared with the help of ``pool``'s processes when it has any.
    """

    def prepare() -> ingest.Parts:
        if pool is not None and source_format == "json":
            parts = pool.prepare_parts(body)
            if parts is not None:
                return parts
        return ingest.parts_of(registry.read_bytes(body, media_type))

    return _store_with_retry(db, who, prepare, source_format, partial, claimed)


def _ingest_csv(
    db: Database, who: Principal, body: bytes, profile: str, partial: bool, claimed: idempotency.Claimed | None
) -> tuple[int, str]:
    """A CSV file of any number of documents (within the body limit), with bounded memory.

    The profile name means the organisation's profile, else a built-in one — never a path. Pass 1
    checks every document and keeps none, so a file with an error stores nothing (unless partial).
    Pass 2 stores chunks of :data:`ingest.MAX_BATCH`, each in its own transaction; the receipt and
    the idempotency answer commit with the last. A crash between chunks leaves stored documents that a
    retry acknowledges as duplicates: nothing is doubled.
    """
    with db.read() as conn:
        resolved = csv_profiles.resolve(conn, who.org_id, profile)
    if isinstance(resolved, Violation):
        return _store_with_retry(db, who, lambda: ingest.parts_of(ReadResult(violations=[resolved])), "csv",
                                 partial, claimed)
    errors: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    refused: set[str] = set()
    for item in iter_documents(io.BytesIO(body), resolved):
        if isinstance(item, Violation):
            if item.severity is Severity.ERROR:
                errors.append(item.as_dict())
            continue
        refusal = ingest.check_one(item)
        if refusal:
            errors.extend(refusal["errors"])
            rejected.append(refusal)
            refused.add(item.location)
    if errors and not partial:
        return _refused(db, claimed, "csv", 422, "Documents rejected", _nothing_stored(errors), errors)
    receipt = ingest.Receipt(receipt_id=new_id(), errors=errors, rejected=rejected)
    chunk: list[Found] = []
    for item in iter_documents(io.BytesIO(body), resolved):
        if isinstance(item, Found) and item.location not in refused:
            if len(chunk) == ingest.MAX_BATCH:
                _store_chunk(db, who, receipt, chunk, last=False, claimed=claimed)
                chunk = []
            chunk.append(item)
    _store_chunk(db, who, receipt, chunk, last=True, claimed=claimed)
    _count(receipt, "csv")
    return 201, receipt.to_json()


def _store_chunk(db: Database, who: Principal, receipt: ingest.Receipt, chunk: list[Found], *, last: bool,
                 claimed: idempotency.Claimed | None) -> None:
    prepared = ingest.prepare(ReadResult(list(chunk)), checked=True)
    for attempt in range(3):
        try:
            with db.begin() as conn:
                stored = ingest.store_documents(conn, who, prepared, "csv", receipt.receipt_id)
                if last:
                    final = ingest.Receipt(receipt.receipt_id, receipt.documents + stored, receipt.errors,
                                           receipt.rejected)
                    ingest.record_receipt(conn, who, final, "csv")
                    if claimed is not None:
                        idempotency.complete(conn, claimed, 201, final.to_json())
            receipt.documents.extend(stored)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _store_with_retry(
    db: Database, who: Principal, prepare: Callable[[], ingest.Parts], source_format: str, partial: bool,
    claimed: idempotency.Claimed | None,
) -> tuple[int, str]:
    """Check outside any transaction, then store in one; a lost race on a (kind, number, version) is retried.

    A source prepared in parts (``services.parallel``) has its first part stored while the others are
    still being prepared; an error in a later part rolls everything back (nothing stored, 422).
    """
    try:
        parts = prepare()
    except ingest.BatchTooLarge as exc:
        return _refused(db, claimed, source_format, 413, "Batch too large", str(exc), [])
    try:
        if parts.refused_by_first(partial=partial):
            ingest.finish([parts.first, *parts.others()], partial=False)  # raises with every part's errors
        for attempt in range(3):
            try:
                with db.begin() as conn:
                    receipt = ingest.store_parts(conn, who, parts, partial=partial, source_format=source_format)
                    payload = receipt.to_json()
                    if claimed is not None:
                        idempotency.complete(conn, claimed, 201, payload)
                _count(receipt, source_format)
                return 201, payload
            except IntegrityError:
                if attempt == 2:
                    raise
    except ingest.DocumentsRejected as exc:
        return _refused(db, claimed, source_format, 422, "Documents rejected", _nothing_stored(exc.errors),
                        exc.errors)
    finally:
        parts.close()
    raise AssertionError("unreachable")


def _nothing_stored(errors: list[dict[str, Any]]) -> str:
    return (f"{len(errors)} error(s); nothing was stored "
            "(use ?partial=true to store the valid documents of a batch)")


def _refused(db: Database, claimed: idempotency.Claimed | None, source_format: str, status: int, title: str,
             detail: str, errors: list[dict[str, Any]]) -> tuple[int, str]:
    """A problem answer; with an Idempotency-Key it is kept, so a retry of the same body gets it again."""
    payload = json.dumps(problem_body(status, title, detail, errors))
    if claimed is not None:
        with db.begin() as conn:
            idempotency.complete(conn, claimed, status, payload)
    _count(None, source_format)
    return status, payload


def _count(receipt: ingest.Receipt | None, source_format: str) -> None:
    if receipt is None:
        DOCUMENTS_REJECTED.labels(source_format).inc()
        return
    for (kind, status), count in Counter((doc["kind"], doc["status"]) for doc in receipt.documents).items():
        DOCUMENTS_RECEIVED.labels(kind, status).inc(count)
    if receipt.rejected:
        DOCUMENTS_REJECTED.labels(source_format).inc(len(receipt.rejected))


# --------------------------------------------------------------------------- reading


def _encode_cursor(created_at: dt.datetime, doc_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{doc_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        stamp, doc_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return dt.datetime.fromisoformat(stamp), doc_id
    except (ValueError, UnicodeDecodeError):
        raise Problem(422, "Bad cursor", errors=[{"path": "cursor", "rule": "SCHEMA",
                                                   "message": "not a cursor returned by this API"}]) from None


def _summary(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "kind": row.kind, "number": row.number, "version": row.version, "status": row.status,
        "customer_id": row.customer_id, "document_date": row.document_date.isoformat(),
        "due_date": row.due_date.isoformat() if row.due_date else None, "currency": row.currency,
        "payable_amount": row.payable_amount, "source_format": row.source_format,
        "received_at": row.created_at.isoformat(),
    }


@router.get("/documents", summary="List documents (newest last, cursor pagination)")
def list_documents(
    who: Principal = Depends(require_scope("read")),
    conn: Connection = Depends(read_connection),
    kind: DocumentKind | None = None,
    customer: str | None = Query(None, description="customer id or account reference"),
    status: str | None = None,
    number: str | None = None,
    date_from: dt.date | None = Query(None, alias="from"),
    date_to: dt.date | None = Query(None, alias="to"),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = None,
) -> dict[str, Any]:
    c = documents.c
    query = sa.select(documents).where(c.org_id == who.org_id)
    if kind:
        query = query.where(c.kind == kind.value)
    if status:
        query = query.where(c.status == status)
    if number:
        query = query.where(c.number == number)
    if date_from:
        query = query.where(c.document_date >= date_from)
    if date_to:
        query = query.where(c.document_date <= date_to)
    if customer:
        customer_ids = sa.select(customers.c.id).where(
            (customers.c.org_id == who.org_id) & ((customers.c.id == customer) | (customers.c.account_ref == customer))
        )
        query = query.where(c.customer_id.in_(customer_ids))
    if cursor:
        after_time, after_id = _decode_cursor(cursor)
        query = query.where(sa.tuple_(c.created_at, c.id) > sa.tuple_(sa.literal(after_time, documents.c.created_at.type), sa.literal(after_id)))
    rows = list(conn.execute(query.order_by(c.created_at, c.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "documents": [_summary(r) for r in rows],
        "next_cursor": _encode_cursor(rows[-1].created_at, rows[-1].id) if more else None,
    }


def _load(conn: Connection, who: Principal, document_id: str) -> Any:
    row = conn.execute(
        sa.select(documents).where((documents.c.org_id == who.org_id) & (documents.c.id == document_id))
    ).first()
    if row is None:
        raise Problem(404, "Not found", f"no document {document_id}")
    return row


_FORMAT_BY_ACCEPT = {"application/xml": "ubl", "text/xml": "ubl", "application/pdf": "facturx"}


@router.get(
    "/documents/{document_id}",
    summary="One document: canonical JSON (default), UBL, CII or Factur-X",
    responses={200: {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}},
                                 "application/xml": {}, "application/pdf": {}}}},
)
def get_document(
    document_id: str,
    request: Request,
    who: Principal = Depends(require_scope("read")),
    conn: Connection = Depends(read_connection),
    format: str | None = Query(None, pattern="^(json|ubl|cii|facturx)$"),
) -> Response:
    row = _load(conn, who, document_id)
    fmt = format or _FORMAT_BY_ACCEPT.get(registry.media_type_of(request.headers.get("accept", "")), "json")
    if fmt == "json":
        body = json.loads(row.body)
        body["_meta"] = _summary(row)
        return JSONResponse(body)
    doc = canonical.document_from_obj(canonical.loads(row.body))
    if doc.kind not in ("invoice", "credit_note"):
        raise Problem(406, "Not acceptable", f"a {doc.kind} has no {fmt} form; ask for json")
    try:
        data = registry.write_bytes(doc, fmt)
    except WriteError as exc:
        raise Problem(422, "Cannot be written", f"this document cannot be expressed in {fmt}",
                      [v.as_dict() for v in exc.violations]) from None
    return Response(data, media_type=registry.WRITE_MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'inline; filename="{row.number}.{"pdf" if fmt == "facturx" else "xml"}"'})


@router.post("/documents/{document_id}/approve", summary="Release a held version")
def approve_document(
    document_id: str,
    who: Principal = Depends(require_scope("ingest")),
    conn: Connection = Depends(connection),
) -> dict[str, Any]:
    try:
        return ingest.approve(conn, who, document_id)
    except ingest.NotFound:
        raise Problem(404, "Not found", f"no document {document_id}") from None
    except ingest.NotHeld as exc:
        raise Problem(409, "Not held", str(exc)) from None


def document_schema() -> dict[str, Any]:
    """JSON schema of the canonical document union, for the OpenAPI components."""
    from pydantic import TypeAdapter

    return TypeAdapter(Document).json_schema(ref_template="#/components/schemas/{model}")
