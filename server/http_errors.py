"""HTTP-level failures answered as GraphQL-shaped JSON with a code, never an HTML page or a trace.

Errors inside GraphQL execution are shaped by ``schema.errors``; this middleware covers what
happens around it: unknown routes, wrong methods, oversized bodies, and an unreachable database
while the request's session is looked up.
"""

from __future__ import annotations

import logging
import secrets
import traceback

from aiohttp import web
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from schema.messages import message, negotiate_language

log = logging.getLogger("collectief.http")

_CODES = {
    404: "ROUTE_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "REQUEST_TOO_LARGE",
}


def error_response(request: web.Request, status: int, code: str, **params: object) -> web.Response:
    language = negotiate_language(request.headers.get("Accept-Language"))
    body = {
        "errors": [{"message": message(code, language, **params), "extensions": {"code": code}}]
    }
    return web.json_response(body, status=status)


@web.middleware
async def json_errors(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = _CODES.get(error.status, "BAD_REQUEST")
        return error_response(request, error.status, code, detail=error.reason)
    except (OperationalError, DBAPIError, PoolTimeoutError, OSError) as error:
        reference = secrets.token_hex(6)
        log.error(
            "database unavailable",
            extra={"reference": reference, "error_type": type(error).__name__},
        )
        return error_response(request, 503, "SERVICE_UNAVAILABLE", reference=reference)
    except Exception as error:
        reference = secrets.token_hex(6)
        log.error(
            "unexpected error",
            extra={
                "reference": reference,
                "error_type": type(error).__name__,
                "traceback": "".join(traceback.format_tb(error.__traceback__)),
            },
        )
        return error_response(request, 500, "INTERNAL_SERVER_ERROR", reference=reference)
