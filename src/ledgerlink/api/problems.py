"""Errors as RFC 9457 ``application/problem+json`` with an ``errors`` list of ``{path, rule, message}``."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledgerlink.domain.violations import format_path

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str | None = None,
                 errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.headers = headers


def problem_body(status: int, title: str, detail: str | None = None,
                 errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["errors"] = errors or []
    return body


def problem_response(status: int, title: str, detail: str | None = None,
                     errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(problem_body(status, title, detail, errors), status_code=status,
                        media_type=PROBLEM_JSON, headers=headers)


async def handle_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, exc.title, exc.detail, exc.errors, exc.headers)


_DATACLASS_WORDS = {
    "unexpected_keyword_argument": "Extra inputs are not permitted",
    "missing_argument": "Field required",
}
"""A pydantic dataclass (the export item's schema) reports an unknown or a missing field in words of
function arguments; the API says it as for every other schema."""


async def handle_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header"):
            where, loc = loc[0], loc[1:]
        else:
            where = "body"
        message = _DATACLASS_WORDS.get(err.get("type", ""), err.get("msg", ""))
        errors.append({"path": format_path(loc) or where, "rule": "SCHEMA", "message": message,
                       "location": where})
    return problem_response(422, "Unprocessable request", "the request does not match the schema", errors)


async def handle_http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))
