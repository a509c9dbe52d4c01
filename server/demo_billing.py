"""Demo borderels and invoices (D3–D8): six months of prolongation runs, with back-dated changes
registered between runs so that later borderels carry real correction lines, and invoices of
Van Dijk Bouw - kantoor (acceptgiro) of which the older ones are paid, one is overdue with a
reminder in the inbox and the latest is open.

The timeline, for today in month M (borderel of month X made on the 20th of month X−1):

* borderels M−5 … M−2 are made first;
* then a family of 200101 is deregistered per the 1st of M−3 (registered on the 10th of M−2), so
  the borderel of M−1 gives back what M−3 and M−2 billed;
* then a family moves from 200101 to 200102 per the 1st of M−2 (registered on the 12th of M−1),
  so the borderel of M corrects M−2 and M−1 in both collectivities.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.clock import AMSTERDAM
from resolvers.dunning import run_dunning
from resolvers.invoicing import BillingTerms, status_after
from resolvers.months import add_months
from resolvers.prolongation_runs import prolong
from storage import Collectivity, Enrollment, Invoice, Mutation, Payment, User
from storage.enums import MutationKind, Relation

BILLING = BillingTerms()


def moment(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), AMSTERDAM).astimezone(dt.UTC)


async def load_demo_billing(
    session_factory: async_sessionmaker[AsyncSession], *, today: dt.date
) -> None:
    month = today.replace(day=1)
    async with session_factory() as db:
        numbers = dict(
            (await db.execute(select(Collectivity.collectivity_number, Collectivity.id))).all()
        )
        user_id = await db.scalar(
            select(User.id).where(User.email_key == "marieke.jansen@vandijkbouw.nl")
        )

    async def run(borderel_month: dt.date) -> None:
        made_on = add_months(borderel_month, -1).replace(day=20)
        await prolong(
            session_factory,
            borderel_month,
            now=moment(made_on, 6),
            today=made_on,
            billing=BILLING,
        )

    for offset in range(5, 1, -1):
        await run(add_months(month, -offset))
    async with session_factory() as db:
        await _deregister_family(
            db,
            numbers["200101"],
            end=add_months(month, -3) - dt.timedelta(days=1),
            registered=moment(add_months(month, -2).replace(day=10), 14),
            user_id=user_id,
        )
    await run(add_months(month, -1))
    async with session_factory() as db:
        await _move_family(
            db,
            numbers["200101"],
            numbers["200102"],
            start=add_months(month, -2),
            registered=moment(add_months(month, -1).replace(day=12), 11),
            user_id=user_id,
        )
    await run(month)
    await _payments(session_factory, numbers["200101"], today=today)
    await run_dunning(session_factory, today=today, now=moment(today, 7), terms=BILLING)


async def _open_family(
    db: AsyncSession, collectivity_id: int, *, member_since: dt.date, skip: int
) -> list[Enrollment]:
    """The open memberships of a family that has been a member since ``member_since``."""
    holders = list(
        await db.scalars(
            select(Enrollment)
            .where(
                Enrollment.collectivity_id == collectivity_id,
                Enrollment.relation == Relation.POLICYHOLDER,
                Enrollment.end_date.is_(None),
                Enrollment.start_date <= member_since,
            )
            .order_by(Enrollment.sort_name, Enrollment.id)
        )
    )
    holder = holders[skip]
    return list(
        await db.scalars(
            select(Enrollment).where(
                Enrollment.collectivity_id == collectivity_id,
                Enrollment.policy_number == holder.policy_number,
                Enrollment.end_date.is_(None),
            )
        )
    )


async def _deregister_family(
    db: AsyncSession,
    collectivity_id: int,
    *,
    end: dt.date,
    registered: dt.datetime,
    user_id: int | None,
) -> None:
    since = add_months(end, -6)
    for enrollment in await _open_family(db, collectivity_id, member_since=since, skip=3):
        enrollment.end_date = end
        db.add(
            Mutation(
                kind=MutationKind.DEREGISTER,
                insured_id=enrollment.insured_id,
                collectivity_id=collectivity_id,
                effective_date=end,
                registered_at=registered,
                user_id=user_id,
                before={"end_date": None},
                after={"end_date": end.isoformat()},
            )
        )
    await db.commit()


async def _move_family(
    db: AsyncSession,
    from_id: int,
    to_id: int,
    *,
    start: dt.date,
    registered: dt.datetime,
    user_id: int | None,
) -> None:
    since = add_months(start, -6)
    for enrollment in await _open_family(db, from_id, member_since=since, skip=5):
        enrollment.end_date = start - dt.timedelta(days=1)
        db.add(
            Enrollment(
                insured_id=enrollment.insured_id,
                collectivity_id=to_id,
                start_date=start,
                sort_name=enrollment.sort_name,
                birth_date=enrollment.birth_date,
                relation=enrollment.relation,
                policy_number=enrollment.policy_number,
                employee_number=(
                    f"U{enrollment.insured_id:05d}"
                    if enrollment.relation is Relation.POLICYHOLDER
                    else None
                ),
                created_at=registered,
            )
        )
        for collectivity_id in (from_id, to_id):
            db.add(
                Mutation(
                    kind=MutationKind.MOVE,
                    insured_id=enrollment.insured_id,
                    collectivity_id=collectivity_id,
                    effective_date=start,
                    registered_at=registered,
                    user_id=user_id,
                    before={"collectivity": str(from_id)},
                    after={"collectivity": str(to_id)},
                )
            )
    await db.commit()


async def _payments(
    session_factory: async_sessionmaker[AsyncSession],
    collectivity_id: int,
    *,
    today: dt.date,
) -> None:
    """Invoices due more than three weeks ago are paid (the oldest in two parts); the one due
    since is not; the latest is not yet due."""
    async with session_factory() as db:
        invoices = list(
            await db.scalars(
                select(Invoice)
                .where(Invoice.collectivity_id == collectivity_id)
                .order_by(Invoice.issue_date)
            )
        )
        for index, invoice in enumerate(invoices):
            if invoice.due_date >= today - dt.timedelta(days=21) or invoice.amount <= 0:
                continue
            parts = [invoice.amount] if index else [Decimal("100.00"), invoice.amount - 100]
            paid_on = invoice.due_date - dt.timedelta(days=3)
            for amount in parts:
                if amount <= 0:
                    continue
                db.add(
                    Payment(
                        invoice_id=invoice.id,
                        amount=amount,
                        paid_on=paid_on,
                        registered_by_id=None,
                        registered_at=moment(paid_on + dt.timedelta(days=1), 9),
                    )
                )
            invoice.paid_amount = invoice.amount
            invoice.status = status_after(invoice.amount, invoice.amount)
        await db.commit()
