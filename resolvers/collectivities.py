"""Reading collectivities, their customer and contract terms, within the actor's scope (B1, B3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Collectivity, Contract, Customer

from .actor import Actor
from .errors import NotFound


async def get_collectivity(
    db: AsyncSession, actor: Actor, collectivity_id: int, *, field: str | None = "id"
) -> Collectivity:
    """The collectivity, or NOT_FOUND when it does not exist or is outside the scope (B3)."""
    actor.require_scope(collectivity_id, field)
    collectivity = await db.get(Collectivity, collectivity_id)
    if collectivity is None:
        raise NotFound(field)
    return collectivity


async def collectivities_by_ids(
    db: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Collectivity | None]:
    """Batch load for DataLoaders: one query, results in the order of ``ids``, out-of-scope None."""
    wanted = [i for i in set(ids) if actor.can_see(i)]
    rows = await db.scalars(select(Collectivity).where(Collectivity.id.in_(wanted)))
    found = {row.id: row for row in rows}
    return [found.get(i) for i in ids]


async def collectivities_in_scope_list(db: AsyncSession, actor: Actor) -> list[Collectivity]:
    """The collectivities the actor acts on (staff: all), by collectivity number."""
    statement = select(Collectivity).order_by(Collectivity.collectivity_number)
    if actor.scope is not None:
        statement = statement.where(Collectivity.id.in_(actor.scope))
    return list(await db.scalars(statement))


async def customers_by_ids(
    db: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Customer | None]:
    """Batch load: customers that own a collectivity in the actor's scope, else None."""
    statement = select(Customer).where(Customer.id.in_(set(ids)))
    if actor.scope is not None:
        owned = select(Collectivity.customer_id).where(Collectivity.id.in_(actor.scope))
        statement = statement.where(Customer.id.in_(owned))
    rows = await db.scalars(statement)
    found = {row.id: row for row in rows}
    return [found.get(i) for i in ids]


def contract_on(contracts: Sequence[Contract], day: dt.date) -> Contract | None:
    """The contract in force on ``day``; else the latest that started before; else the first."""
    ordered = sorted(contracts, key=lambda c: c.start_date)
    for contract in ordered:
        if contract.start_date <= day <= contract.end_date:
            return contract
    started = [c for c in ordered if c.start_date <= day]
    if started:
        return started[-1]
    return ordered[0] if ordered else None


async def contracts_by_collectivity_ids(
    db: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[list[Contract]]:
    """Batch load: all contract years of each collectivity in scope (empty outside it)."""
    wanted = [i for i in set(ids) if actor.can_see(i)]
    rows = await db.scalars(
        select(Contract).where(Contract.collectivity_id.in_(wanted)).order_by(Contract.start_date)
    )
    grouped: dict[int, list[Contract]] = {i: [] for i in ids}
    for row in rows:
        grouped[row.collectivity_id].append(row)
    return [grouped[i] for i in ids]
