"""``GET /downloads/{token}``: every file the API hands out (C2, F1, G5).

A mutation or a field returns a short-lived link (``resolvers/download_links.py``); this route
serves it:

1. the token must be authentic (sealed with the server secret), else 404;
2. the request must carry a live session (``Authorization: Bearer …`` or the session cookie),
   else 401, and it must be the session of the user the link was made for, else 404 — exactly as
   for a link that does not exist;
3. an expired link of that user answers 410 ``LINK_EXPIRED`` (ask for a new one);
4. the collectivity must still be in the user's scope (B1, B3), else 404;
5. the file is streamed (``StreamResponse``, 64 KiB chunks) with ``Content-Type``,
   ``Content-Disposition: attachment`` and ``Content-Length``, and ``Cache-Control: no-store``.

Inbox documents are read from the database; the insured overview and the premium overview (D6)
are written for this request from the database in batches into a temporary file (in a thread),
then streamed and deleted.
Each download is audited (A9, and B4 for staff), without the filter values.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from pathlib import Path
from typing import BinaryIO

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers import audit, documents, insured_overview, premium_overview
from resolvers.actor import Actor
from resolvers.clock import Clock
from resolvers.download_links import BadLink, DownloadKind, DownloadLinks, DownloadTicket
from resolvers.errors import DomainError
from resolvers.sessions import SessionPolicy, authenticate
from resolvers.spreadsheets import XLSX_MEDIA_TYPE
from storage.enums import AuditOutcome

from .client_address import client_address
from .http_errors import error_response

log = logging.getLogger("collectief.downloads")

CHUNK_SIZE = 64 * 1024


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact name in RFC 5987 form."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    quoted = urllib.parse.quote(filename, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quoted}"


class Downloads:
    """The download route's handler; built once per app (``server/app.py``)."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        links: DownloadLinks,
        session_policy: SessionPolicy,
        cookie_name: str,
        trusted_proxy_count: int,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.clock = clock
        self.links = links
        self.session_policy = session_policy
        self.cookie_name = cookie_name
        self.trusted_proxy_count = trusted_proxy_count

    def _session_token(self, request: web.Request) -> str | None:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
        return request.cookies.get(self.cookie_name)

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        try:
            ticket = self.links.read(request.match_info.get("token", ""))
        except BadLink:
            return error_response(request, 404, "NOT_FOUND")
        token = self._session_token(request)
        actor = None
        if token:
            async with self.sessionmaker() as db:
                actor = await authenticate(
                    db, token, now=self.clock.now(), policy=self.session_policy
                )
        if actor is None:
            return error_response(request, 401, "UNAUTHENTICATED")
        if actor.user_id != ticket.user_id:
            return error_response(request, 404, "NOT_FOUND")
        if ticket.expired(self.clock.now()):
            return error_response(request, 410, "LINK_EXPIRED")
        if not actor.can_see(ticket.collectivity_id):
            return error_response(request, 404, "NOT_FOUND")
        try:
            if ticket.kind is DownloadKind.DOCUMENT:
                return await self._document(request, actor, ticket)
            if ticket.kind is DownloadKind.PREMIUM_OVERVIEW:
                return await self._premium_overview(request, actor, ticket)
            return await self._overview(request, actor, ticket)
        except DomainError as error:
            return error_response(request, 404 if error.code == "NOT_FOUND" else 400, error.code)

    async def _audit(
        self, request: web.Request, actor: Actor, ticket: DownloadTicket, **details: object
    ) -> None:
        async with self.sessionmaker() as db:
            audit.record(
                db,
                action=f"{ticket.kind.value.replace('-', '_')}_downloaded",
                outcome=AuditOutcome.SUCCESS,
                at=self.clock.now(),
                actor_user_id=actor.user_id,
                collectivity_id=ticket.collectivity_id,
                client_address=client_address(request, self.trusted_proxy_count),
                **details,
            )
            await db.commit()

    async def _document(
        self, request: web.Request, actor: Actor, ticket: DownloadTicket
    ) -> web.StreamResponse:
        assert ticket.document_id is not None
        async with self.sessionmaker() as db:
            document = await documents.get_document(
                db, actor, ticket.document_id, with_content=True
            )
        if document.collectivity_id != ticket.collectivity_id:
            return error_response(request, 404, "NOT_FOUND")
        await self._audit(request, actor, ticket, document_id=document.id, kind=document.kind.value)
        response = self._response(document.filename, document.media_type, len(document.content))
        await response.prepare(request)
        content = memoryview(document.content)
        for start in range(0, len(content), CHUNK_SIZE):
            await response.write(content[start : start + CHUNK_SIZE])
        await response.write_eof()
        return response

    async def _overview(
        self, request: web.Request, actor: Actor, ticket: DownloadTicket
    ) -> web.StreamResponse:
        try:
            selection = insured_overview.selection_from_json(ticket.selection)
        except (ValueError, KeyError, TypeError):
            return error_response(request, 404, "NOT_FOUND")
        today = self.clock.today()
        async with self.sessionmaker() as db:
            collectivity, path = await insured_overview.write_overview(
                db, actor, ticket.collectivity_id, selection, today=today, language=ticket.language
            )
        filename = insured_overview.overview_filename(collectivity, today, ticket.language)
        return await self._send_file(
            request, actor, ticket, path, filename, filtered=ticket.selection is not None
        )

    async def _premium_overview(
        self, request: web.Request, actor: Actor, ticket: DownloadTicket
    ) -> web.StreamResponse:
        """D6: the premium overview of the ticket's month with its columns, checked again."""
        selection = ticket.selection or {}
        month, columns = selection.get("month"), selection.get("columns")
        if not isinstance(month, str) or not isinstance(columns, list):
            return error_response(request, 404, "NOT_FOUND")
        async with self.sessionmaker() as db:
            filename, path = await premium_overview.write_export(
                db,
                actor,
                ticket.collectivity_id,
                month,
                columns,
                today=self.clock.today(),
                language=ticket.language,
            )
        return await self._send_file(request, actor, ticket, path, filename, month=month)

    async def _send_file(
        self,
        request: web.Request,
        actor: Actor,
        ticket: DownloadTicket,
        path: Path,
        filename: str,
        **details: object,
    ) -> web.StreamResponse:
        """Audit, then stream the temporary Excel file ``path`` in chunks and delete it."""
        try:
            await self._audit(request, actor, ticket, **details)
            size = (await asyncio.to_thread(path.stat)).st_size
            response = self._response(filename, XLSX_MEDIA_TYPE, size)
            await response.prepare(request)
            handle: BinaryIO = await asyncio.to_thread(Path.open, path, "rb")
            try:
                while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
                    await response.write(chunk)
            finally:
                await asyncio.to_thread(handle.close)
            await response.write_eof()
            return response
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    @staticmethod
    def _response(filename: str, media_type: str, size: int) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200,
            headers={
                "Content-Type": media_type,
                "Content-Disposition": content_disposition(filename),
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
        response.content_length = size
        return response
