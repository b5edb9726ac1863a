"""One error shape for every HTTP failure: `{"error": {"code", "message"}}`, never a stack trace."""

from __future__ import annotations

import logging

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crdt.errors import ApiError

log = logging.getLogger("planboard.errors")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _STATUS_CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, str(exc.detail))


# The store being unreachable (Redis down, a disk gone) is an outage, not a bug: 503, retry.
UNAVAILABLE_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    if isinstance(exc, UNAVAILABLE_ERRORS):
        log.warning("store unavailable on %s %s: %s", request.method, request.url.path, exc)
        response = error_response(503, "unavailable", "Storage is unavailable; retry shortly.")
        response.headers["Retry-After"] = "2"
        return response
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal", "Internal server error.")
