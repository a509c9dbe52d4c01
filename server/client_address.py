"""The client's address for audit and throttling, honouring only trusted reverse proxies."""

from __future__ import annotations

from aiohttp import web


def client_address(request: web.Request, trusted_proxy_count: int) -> str | None:
    """``request.remote``, or the address ``trusted_proxy_count`` hops back in X-Forwarded-For.

    With no trusted proxies the header is ignored: a client could write anything in it.
    """
    if trusted_proxy_count > 0:
        forwarded = [
            part.strip()
            for part in request.headers.get("X-Forwarded-For", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= trusted_proxy_count:
            return forwarded[-trusted_proxy_count][:64]
    return request.remote
