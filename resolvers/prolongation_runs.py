"""The prolongation run as staff and the command line start it (D3, D8): validate the month,
check explicitly chosen collectivities before anything is made, make the borderels with their
``.dat`` document in the inbox and, with acceptgiro, their invoices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import Borderel, Collectivity

from .actor import Actor
from .borderel_files import add_dat_document
from .errors import NotFound
from .invoicing import BillingTerms, invoice_for
from .months import check_not_beyond_next, first_of
from .permissions import require_staff
from .premium_facts import YearTerms, load_contract_years
from .prolongation import Outcome, check_month_billable, run_prolongation


async def prolong(
    sessionmaker: async_sessionmaker[AsyncSession],
    month: dt.date,
    *,
    now: dt.datetime,
    today: dt.date,
    billing: BillingTerms,
    collectivity_ids: Sequence[int] | None = None,
) -> list[Outcome]:
    """Make the borderels of ``month`` (all salary-deduction collectivities, or those chosen).

    A month after the coming one is MONTH_OUT_OF_RANGE. Chosen collectivities are all checked
    first (exists; salary deduction in that month; the month within a contract), so a bad choice
    makes nothing at all.
    """
    month = first_of(month)
    check_not_beyond_next(month, today)
    if collectivity_ids is not None:
        async with sessionmaker() as db:
            for collectivity_id in collectivity_ids:
                if await db.get(Collectivity, collectivity_id) is None:
                    raise NotFound("collectivity_ids")
                check_month_billable(await load_contract_years(db, collectivity_id), month)

    async def documents(db: AsyncSession, borderel: Borderel, year: YearTerms) -> None:
        # F1: the borderel (.dat) and, with acceptgiro, its invoice appear in the inbox with it.
        await add_dat_document(db, borderel, now=now)
        await invoice_for(db, borderel, year, today=today, now=now, terms=billing)

    return await run_prolongation(
        sessionmaker, month, now=now, collectivity_ids=collectivity_ids, after_borderel=documents
    )


async def prolong_as(
    sessionmaker: async_sessionmaker[AsyncSession],
    actor: Actor,
    month: dt.date,
    *,
    now: dt.datetime,
    today: dt.date,
    billing: BillingTerms,
    collectivity_ids: Sequence[int] | None = None,
) -> list[Outcome]:
    """``runProlongation``: insurer staff only (FORBIDDEN otherwise)."""
    require_staff(actor)
    return await prolong(
        sessionmaker,
        month,
        now=now,
        today=today,
        billing=billing,
        collectivity_ids=collectivity_ids,
    )


async def collectivity_ids_by_number(db: AsyncSession, numbers: Sequence[str]) -> list[int]:
    """The ids of collectivities by number (the command line); an unknown one is NOT_FOUND."""
    rows = dict(
        (
            await db.execute(
                select(Collectivity.collectivity_number, Collectivity.id).where(
                    Collectivity.collectivity_number.in_(list(numbers))
                )
            )
        ).all()
    )
    missing = [n for n in numbers if n not in rows]
    if missing:
        raise NotFound("collectivity")
    return [rows[n] for n in numbers]
