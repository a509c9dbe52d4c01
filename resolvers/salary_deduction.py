"""The gate of insured details (C4) and moves (C7): salary deduction in the contract in force today.

"In force today" is the contract ``Collectivity.contract`` shows (``collectivities.contract_on``):
the one whose year contains today, else the latest that started before, else the first. A
collectivity without any contract has no salary deduction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Contract
from storage.enums import PremiumCollection

from .collectivities import contract_on


async def uses_salary_deduction(db: AsyncSession, collectivity_id: int, today: dt.date) -> bool:
    contracts = await db.scalars(
        select(Contract).where(Contract.collectivity_id == collectivity_id)
    )
    current = contract_on(list(contracts), today)
    return current is not None and current.premium_collection is PremiumCollection.SALARY_DEDUCTION
