"""The data centre's HTTP API: ``create_app(settings)`` wires store, routes, errors and middleware."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledgerlink import __version__
from ledgerlink.api import problems
from ledgerlink.api.middleware import AccessLogMiddleware, BodyLimitMiddleware
from ledgerlink.api.routes import agents, csv_profiles, customers, documents, export, integrations, system
from ledgerlink.services.parallel import PreparePool
from ledgerlink.settings import Settings
from ledgerlink.store.database import Database



def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    """An app bound to one store. Pass ``db`` to share a store (tests, ``ledgerlink up``)."""
    app = FastAPI(
        title="ledgerlink data centre",
        version=__version__,
        description="Ingest invoices, credit notes, statements and ledger updates; read customer accounts; "
        "run export jobs into ledgers. Auth: `Authorization: Bearer <API key>`.",
    )
    app.state.settings = settings
    app.state.db = db or Database.from_url(settings.resolved_database_url)
    pool = PreparePool(settings.prepare_processes) if settings.prepare_processes > 0 else None
    app.state.prepare_pool = pool
    if pool is not None:
        app.router.add_event_handler("startup", pool.warm_up)
        app.router.add_event_handler("shutdown", pool.close)
    app.add_exception_handler(problems.Problem, problems.handle_problem)
    app.add_exception_handler(RequestValidationError, problems.handle_validation)
    app.add_exception_handler(StarletteHTTPException, problems.handle_http)
    app.include_router(system.router)
    app.include_router(documents.router)
    app.include_router(customers.router)
    app.include_router(csv_profiles.router)
    for routes in (agents, export, integrations):
        app.include_router(routes.router)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    document_schema = documents.document_schema()
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(document_schema.pop("$defs", {}))
    components["Document"] = document_schema
    app.openapi_schema = schema
    return schema
