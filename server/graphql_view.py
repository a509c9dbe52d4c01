"""The GraphQL endpoint: builds each request's context and answers bad HTTP with JSON errors."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from cross_web import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.aiohttp.views import GraphQLView

from exporters.registry import Registry
from resolvers.clock import Clock
from resolvers.rules import PortalRules
from resolvers.sessions import SessionPolicy, authenticate
from schema import CookiePolicy, RequestContext
from schema.messages import negotiate_language

from .client_address import client_address
from .http_errors import error_response

__all__ = ["CollectiefGraphQLView"]


class CollectiefGraphQLView(GraphQLView[RequestContext, None]):
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        session_policy: SessionPolicy,
        cookie_policy: CookiePolicy,
        trusted_proxy_count: int,
        rules: PortalRules,
        exporters: Registry,
        export_timeout: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.session_policy = session_policy
        self.cookie_policy = cookie_policy
        self.trusted_proxy_count = trusted_proxy_count
        self.rules = rules
        self.exporters = exporters
        self.export_timeout = export_timeout

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self.run(request=request)
        except HTTPException as error:
            code = "METHOD_NOT_ALLOWED" if error.status_code == 405 else "BAD_REQUEST"
            return error_response(request, error.status_code, code, detail=error.reason)

    def _session_token(self, request: web.Request) -> str | None:
        authorization = request.headers.get("Authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
        return request.cookies.get(self.cookie_policy.name)

    async def get_context(self, request: web.Request, response: Any) -> RequestContext:
        language = negotiate_language(request.headers.get("Accept-Language"))
        context = RequestContext(
            sessionmaker=self.sessionmaker,
            clock=self.clock,
            session_policy=self.session_policy,
            cookie_policy=self.cookie_policy,
            rules=self.rules,
            exporters=self.exporters,
            export_timeout=self.export_timeout,
            response=response,
            language=language,
            client_address=client_address(request, self.trusted_proxy_count),
        )
        token = self._session_token(request)
        if token:
            async with self.sessionmaker() as db:
                context.actor = await authenticate(
                    db, token, now=self.clock.now(), policy=self.session_policy
                )
        return context
