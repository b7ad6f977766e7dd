"""Exception handlers: every error answers ``{"detail": "<one message that says what is wrong>"}``.

pydantic reports validation errors as a list of records; a client (and a learner reading
``response.json()["detail"]``) wants one sentence naming the instance at fault and the limit.
The handlers never echo the input back (it can be huge, deeply nested or personal).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = ["install_handlers", "request_id_of", "valid_request_id"]

logger = logging.getLogger("mlcourse.serving")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
EXAMPLE = '{"instances": ["first email text", "second email text"]}'


def valid_request_id(rid: str | None) -> str | None:
    """``rid`` if it is a short token a log can hold safely, else ``None``."""
    return rid if rid is not None and _REQUEST_ID_RE.match(rid) else None


def request_id_of(request: Request) -> str | None:
    """The client's ``X-Request-ID`` if it is a short token (else ``None``)."""
    return valid_request_id(request.headers.get("x-request-id"))


def _json_type(x: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    names.update({int: "a number", float: "a number", type(None): "null", bytes: "raw bytes"})
    return names.get(type(x), type(x).__name__)


def _where(loc: tuple) -> str:
    """``("body", "instances", 3, 1)`` -> ``instances[3][1]``."""
    parts = [p for p in loc if p != "body"]
    if not parts:
        return "body"
    out = str(parts[0])
    for p in parts[1:]:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def describe(error: dict, *, n_features: int | None = None, example: str = EXAMPLE) -> str:
    """One readable sentence for one pydantic error record."""
    kind, loc, ctx = error["type"], tuple(error["loc"]), error.get("ctx") or {}
    where, value = _where(loc), error.get("input")
    depth = len([p for p in loc if p != "body"])
    if kind == "json_invalid":
        return f"body is not valid JSON: {ctx.get('error', 'decode error')} (at position {loc[-1]})"
    if depth == 0:
        if kind == "missing":
            return f"body is empty; send JSON like {example} with Content-Type: application/json"
        return f"expected a JSON object like {example}; got {_json_type(value)}"
    if kind == "missing":
        return f'the body has no "{where}"; expected a JSON object like {example}'
    if kind == "extra_forbidden":
        return f"{where} is not an accepted field"
    if depth == 1 and kind == "too_short":
        return f'"{where}" is empty; send at least one instance'
    if depth == 1 and kind == "too_long":
        return (
            f'"{where}" holds {ctx.get("actual_length")} instances; the limit is '
            f"{ctx.get('max_length')} per request. Split them over several requests."
        )
    if depth == 1 and kind == "list_type":
        return f'"{where}" must be a list; got {_json_type(value)}'
    instance = bool(loc) and "instances" in loc
    if kind == "string_type" and instance:
        return (
            f"{where} is {_json_type(value)}; this model expects text (a JSON string per instance)"
        )
    if kind == "string_type":
        return f"{where} must be a string; got {_json_type(value)}"
    if kind == "string_unicode":
        return f"{where} is not valid Unicode text (it holds a lone surrogate escape)"
    if kind == "string_too_long":
        n = len(value) if isinstance(value, str) else "too many"
        return f"{where} has {n} characters; the limit is {ctx.get('max_length')}"
    if kind == "list_type":
        return (
            f"{where} is {_json_type(value)}; this model expects a list of {n_features} "
            "numbers per instance"
        )
    if depth == 2 and kind in ("too_short", "too_long"):
        return f"{where} has {ctx.get('actual_length')} features; this model expects {n_features}"
    if kind == "finite_number":
        return f"{where} is not a finite number"
    if kind in ("float_type", "float_parsing"):
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{where} is too large for a float"
        return f"{where} is {_json_type(value)}; expected a number"
    if kind == "string_pattern_mismatch":
        return f"{where} does not look like 'v1', 'v2', ..."
    return f"{where}: {error['msg']}"


def install_handlers(app: FastAPI, *, n_features: int | None) -> None:
    """Register the handlers on ``app`` (JSON ``detail`` for every error, request id echoed)."""

    def answer(request: Request, status: int, detail: str, headers: dict | None = None):
        headers = dict(headers or {})
        rid = request_id_of(request)
        if rid is not None:
            headers["X-Request-ID"] = rid
        return JSONResponse({"detail": detail}, status_code=status, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = list(exc.errors())
        syntax = [e for e in errors if e["type"] == "json_invalid"]
        # the most useful error first: a bad body, then a bad list, then the first bad item
        errors.sort(key=lambda e: len([p for p in e["loc"] if p != "body"]))
        first = syntax[0] if syntax else errors[0]
        example = EXAMPLE if request.url.path == "/predict" else '{"version": "v2"}'
        detail = describe(first, n_features=n_features, example=example)
        if len(errors) > 1 and not syntax:
            detail += f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        status = 400 if syntax or first["type"] == "missing" and len(first["loc"]) == 1 else 422
        return answer(request, status, detail)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail, cause = str(exc.detail), exc.__cause__
        if exc.status_code == 400 and cause is not None:  # FastAPI could not parse the body
            if isinstance(cause, UnicodeDecodeError):
                detail = (
                    f"body is not valid UTF-8 (bad byte at position {cause.start}); send JSON "
                    "encoded as UTF-8"
                )
            elif isinstance(cause, RecursionError):
                detail = "body is not valid JSON: nested too deeply"
            elif isinstance(cause, ValueError):
                detail = f"body is not valid JSON: {cause}"
        elif exc.status_code == 404:
            detail = f"no route {request.url.path[:100]!r}; see /openapi.json for the API"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed here; see /openapi.json for the API"
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 401:
            headers.setdefault("WWW-Authenticate", "Bearer")
        return answer(request, exc.status_code, detail, headers)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):  # a bug: say so, log it
        logger.exception("unhandled error on %s %s", request.method, request.url.path[:100])
        return JSONResponse(
            {"detail": f"internal error ({type(exc).__name__}); please report it"},
            status_code=500,
        )
