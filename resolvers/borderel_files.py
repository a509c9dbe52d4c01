"""The borderel as a ``.dat`` file (D7; layout in docs/formats/borderel-dat.md): written from the
read-only borderel model (``exporters.dat``) in a thread, added to the inbox (kind BORDEREL, F1)
by the prolongation run in the borderel's own transaction, and handed out through a
short-lived link.

Only with salary deduction in the contract of the borderel's month (borderels exist only then;
the check also covers a contract changed afterwards).
"""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exporters.dat import dat_bytes
from storage import Borderel, Collectivity, Document
from storage.enums import AuditOutcome, DocumentKind

from . import audit
from .actor import Actor
from .borderel_model import borderel_model
from .borderels import get_borderel
from .documents import document_link
from .download_links import DownloadLink, DownloadLinks
from .errors import DomainError, ErrorCode
from .months import format_month
from .premium_facts import load_contract_years

DAT_MEDIA_TYPE = "text/plain; charset=utf-8"


def dat_filename(collectivity: Collectivity, borderel: Borderel) -> str:
    return f"borderel-{collectivity.collectivity_number}-{format_month(borderel.month)}.dat"


async def require_salary_deduction(db: AsyncSession, borderel: Borderel) -> None:
    year = (await load_contract_years(db, borderel.collectivity_id)).get(borderel.month.year)
    if year is None or not year.salary_deduction:
        raise DomainError(ErrorCode.BORDEREL_NEEDS_SALARY_DEDUCTION, field="borderel_id")


async def borderel_document(db: AsyncSession, borderel: Borderel, *, now: dt.datetime) -> Document:
    """The borderel's ``.dat`` inbox document; made (and committed) when it does not exist, e.g.
    for a borderel made before documents were added at run time."""
    collectivity = await db.get(Collectivity, borderel.collectivity_id)
    assert collectivity is not None
    existing = await db.scalar(
        select(Document).where(
            Document.collectivity_id == borderel.collectivity_id,
            Document.kind == DocumentKind.BORDEREL,
            Document.filename == dat_filename(collectivity, borderel),
        )
    )
    if existing is not None:
        return existing
    document = await add_dat_document(db, borderel, now=now)
    await db.commit()
    return document


async def add_dat_document(db: AsyncSession, borderel: Borderel, *, now: dt.datetime) -> Document:
    """Write the ``.dat`` file (in a thread) and add it to the inbox in the caller's transaction:
    the prolongation run does this with the borderel itself, so it appears with it (F1, F2)."""
    collectivity = await db.get(Collectivity, borderel.collectivity_id)
    assert collectivity is not None
    model = await borderel_model(db, borderel)
    content = await asyncio.to_thread(dat_bytes, model)
    document = Document(
        collectivity_id=borderel.collectivity_id,
        kind=DocumentKind.BORDEREL,
        title=f"Borderel {collectivity.name} {format_month(borderel.month)}",
        filename=dat_filename(collectivity, borderel),
        media_type=DAT_MEDIA_TYPE,
        size=len(content),
        created_at=now,
        content=content,
    )
    db.add(document)
    await db.flush()
    return document


async def download_borderel(
    db: AsyncSession,
    actor: Actor,
    borderel_id: int,
    *,
    links: DownloadLinks,
    now: dt.datetime,
    language: str,
    client_address: str | None = None,
) -> DownloadLink:
    """D7: a link to the borderel's ``.dat`` file (NOT_FOUND outside the scope, B3)."""
    borderel = await get_borderel(db, actor, borderel_id, "borderel_id")
    await require_salary_deduction(db, borderel)
    document = await borderel_document(db, borderel, now=now)
    audit.record(
        db,
        action="borderel_downloaded",
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=actor.user_id,
        collectivity_id=borderel.collectivity_id,
        client_address=client_address,
        borderel_id=borderel.id,
    )
    await db.commit()
    return document_link(links, actor, document, now=now, language=language)
