"""The premium overview (D6): ``Collectivity.premiumOverview`` and its row type.

Thin: ``resolvers.premium_overview`` checks the scope and the month and computes the rows with
the premium engine of the borderel.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from resolvers import premium_overview as rules

from ..context import RequestContext
from ..ids import encode_id
from ..pagination import Connection
from ..scalars import Money
from .enums import ProductKind, Relation

Info = strawberry.Info[RequestContext, None]

PremiumOverviewColumn = strawberry.enum(
    rules.PremiumOverviewColumn,
    name="PremiumOverviewColumn",
    description="A column of the premium overview's Excel file (D6), in the default order.",
)


@strawberry.type(description="One product of an insured in the month, as the engine computed it.")
class PremiumOverviewLine:
    product_code: str
    product_name: str
    product_kind: ProductKind
    days: int = strawberry.field(description="Billable days of the month for this product.")
    premium: Money = strawberry.field(description="After the contract discount.")
    employer_contribution: Money
    explanation: str = strawberry.field(
        description="How the amount came about: tariff × days, discount, employer share."
    )


@strawberry.type(
    description="One insured with a membership of the collectivity in the month and their "
    "premium for that month (D6): the same amounts as the month's regular borderel lines."
)
class PremiumOverviewRow:
    insured_person_id: strawberry.ID = strawberry.field(description="The InsuredPerson's id.")
    initials: str
    first_name: str
    name_prefix: str | None
    last_name: str
    birth_date: dt.date
    relation: Relation
    policy_number: str
    employee_number: str | None = strawberry.field(
        description="The policyholder's employee number here (as on the borderel)."
    )
    days: int = strawberry.field(description="Days of the month in the collectivity.")
    basic_premium: Money
    supplementary_premium: Money
    dental_premium: Money
    total_premium: Money
    employer_contribution: Money | None = strawberry.field(
        description="Null when the month's contract does not use salary deduction."
    )
    deduction: Money | None = strawberry.field(
        description="Total premium minus employer contribution, deducted from the salary; null "
        "without salary deduction."
    )
    lines: list[PremiumOverviewLine]

    @classmethod
    def from_row(cls, row: rules.PremiumRow) -> PremiumOverviewRow:
        return cls(
            insured_person_id=encode_id("InsuredPerson", row.insured_id),
            initials=row.initials,
            first_name=row.first_name,
            name_prefix=row.name_prefix,
            last_name=row.last_name,
            birth_date=row.birth_date,
            relation=row.relation,
            policy_number=row.policy_number,
            employee_number=row.employee_number,
            days=row.days,
            basic_premium=Money(row.basic_premium),
            supplementary_premium=Money(row.supplementary_premium),
            dental_premium=Money(row.dental_premium),
            total_premium=Money(row.total_premium),
            employer_contribution=Money(row.employer_contribution)
            if row.employer_contribution is not None
            else None,
            deduction=Money(row.deduction) if row.deduction is not None else None,
            lines=[
                PremiumOverviewLine(
                    product_code=p.product.code,
                    product_name=p.product.name,
                    product_kind=p.product.kind,
                    days=p.computed.line.days,
                    premium=Money(p.computed.line.premium),
                    employer_contribution=Money(p.computed.line.employer_contribution),
                    explanation=p.computed.line.explain(),
                )
                for p in row.lines
            ],
        )


async def premium_overview(
    root: Any,
    info: Info,
    month: Annotated[
        str,
        strawberry.argument(
            description="YYYY-MM: at most the coming month, within a contract year."
        ),
    ],
    first: Annotated[
        int | None, strawberry.argument(description="Page size, 1..100 (default 50).")
    ] = None,
    after: str | None = None,
) -> Connection[PremiumOverviewRow]:
    context = info.context
    actor = context.require_actor()
    today = context.clock.today()
    async with context.db() as db:
        page = await rules.premium_overview_page(
            db, actor, root._key, month, today=today, first=first, after=after
        )
    if actor.is_staff:
        async with context.db() as db:
            await rules.record_staff_read(
                db,
                actor,
                root._key,
                page.items,
                now=context.clock.now(),
                client_address=context.client_address,
            )

    async def count() -> int:
        async with context.db() as db:
            return await rules.count_overview(db, actor, root._key, month, today=today)

    return Connection.of(page, [PremiumOverviewRow.from_row(r) for r in page.items], count)
