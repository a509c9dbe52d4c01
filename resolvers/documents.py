"""The inbox ("Postvak IN", F1): documents of a collectivity, read/unread, and their content.

Every user who sees the collectivity (B1) sees its documents; staff see all (B4), read-only:
marking a document read is for the employer's users, so that staff looking at an inbox do not
make documents look read to the employer. A document exists only when complete (F2): rows are
inserted with their content by the job that made them (``job_queue.complete``). Lists are newest
first, keyset on (created_at, id); the content column is deferred and loaded only for a download.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Select, bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from storage import Document
from storage.enums import AuditOutcome

from . import audit
from .actor import Actor
from .download_links import DownloadKind, DownloadLink, DownloadLinks, DownloadTicket
from .errors import DomainError, ErrorCode, NotFound
from .pagination import Page, check_page_size, decode_cursor, encode_cursor
from .permissions import Forbidden

CURSOR_KIND = "documents:newest"
_BIGINT = 2**63 - 1
_ORDER = (Document.created_at.desc(), Document.id.desc())
_ANCHOR = select(Document.created_at, Document.id).where(
    Document.id == bindparam("document_id"),
    Document.collectivity_id == bindparam("collectivity_id"),
)


def _listing(collectivity_id: int, unread_only: bool) -> Select[tuple[Document]]:
    statement = select(Document).where(Document.collectivity_id == collectivity_id)
    if unread_only:
        statement = statement.where(Document.read_at.is_(None))
    return statement


async def list_documents(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    *,
    first: int | None,
    after: str | None,
    unread_only: bool = False,
) -> Page[Document]:
    actor.require_scope(collectivity_id, "id")
    size = check_page_size(first)
    statement = _listing(collectivity_id, unread_only)
    if after is not None:
        (document_id,) = decode_cursor(CURSOR_KIND, after, 1)
        if type(document_id) is not int or not 0 < document_id <= _BIGINT:
            raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
        parameters = {"document_id": document_id, "collectivity_id": collectivity_id}
        anchor = (await db.execute(_ANCHOR, parameters)).first()
        if anchor is None:
            raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
        statement = statement.where(tuple_(Document.created_at, Document.id) < tuple_(*anchor))
    rows = list(await db.scalars(statement.order_by(*_ORDER).limit(size + 1)))
    items = rows[:size]
    return Page(
        items=items,
        cursors=[encode_cursor(CURSOR_KIND, [d.id]) for d in items],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
    )


async def count_documents(
    db: AsyncSession, actor: Actor, collectivity_id: int, *, unread_only: bool = False
) -> int:
    actor.require_scope(collectivity_id, "id")
    statement = _listing(collectivity_id, unread_only).with_only_columns(func.count())
    return await db.scalar(statement) or 0


async def documents_by_ids(
    db: AsyncSession, actor: Actor, document_ids: Sequence[int]
) -> list[Document | None]:
    """For ``node`` and ``Job.document``: documents in the actor's scope; others None (B3)."""
    statement = select(Document).where(Document.id.in_(set(document_ids)))
    if actor.scope is not None:
        statement = statement.where(Document.collectivity_id.in_(actor.scope))
    found = {d.id: d for d in await db.scalars(statement)}
    return [found.get(i) for i in document_ids]


async def get_document(
    db: AsyncSession, actor: Actor, document_id: int, *, with_content: bool = False
) -> Document:
    statement = (
        select(Document).where(Document.id == document_id).execution_options(populate_existing=True)
    )
    if with_content:
        statement = statement.options(undefer(Document.content))
    document = await db.scalar(statement)
    if document is None or not actor.can_see(document.collectivity_id):
        raise NotFound("document_id")
    return document


async def mark_read(
    db: AsyncSession,
    actor: Actor,
    document_id: int,
    *,
    now: dt.datetime,
    client_address: str | None = None,
) -> Document:
    """Mark a document read (once: a second call keeps the first time). Commits."""
    document = await get_document(db, actor, document_id)
    if actor.is_staff:
        raise Forbidden()
    if document.read_at is None:
        await db.execute(
            update(Document)
            .where(Document.id == document_id, Document.read_at.is_(None))
            .values(read_at=now)
            .execution_options(synchronize_session=False)
        )
        audit.record(
            db,
            action="document_marked_read",
            outcome=AuditOutcome.SUCCESS,
            at=now,
            actor_user_id=actor.user_id,
            collectivity_id=document.collectivity_id,
            client_address=client_address,
            document_id=document_id,
        )
        await db.commit()
    return await get_document(db, actor, document_id)


def document_link(
    links: DownloadLinks, actor: Actor, document: Document, *, now: dt.datetime, language: str
) -> DownloadLink:
    """A short-lived link to the document for this user (F1, G5); made when asked for, so
    listing the inbox needs no write."""
    return links.issue(
        DownloadTicket(
            kind=DownloadKind.DOCUMENT,
            user_id=actor.user_id,
            collectivity_id=document.collectivity_id,
            document_id=document.id,
            expires_at=links.expiry(now),
            language=language,
        )
    )
