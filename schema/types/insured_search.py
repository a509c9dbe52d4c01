"""Inputs of the insured overview (C1): search, filter and order of ``Collectivity.insuredPersons``.

Thin: each input turns into the plain data of ``resolvers.insured_search``, which validates it
and runs it in SQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from resolvers import insured_search as rules

from ..context import RequestContext
from ..pagination import Connection
from .enums import MembershipStatus, Relation
from .insured import InsuredPerson

Info = strawberry.Info[RequestContext, None]

InsuredPersonSortField = strawberry.enum(
    rules.InsuredSortField,
    name="InsuredPersonSortField",
    description="A column of the insured overview to sort on (C1). Ties are ordered by name, "
    "then by a stable internal key.",
)
SortDirection = strawberry.enum(rules.SortDirection, description="Ascending or descending.")
InsuredPersonSearchKey = strawberry.enum(
    rules.SearchKey,
    name="InsuredPersonSearchKey",
    description="What the search value is (C1 'Zoek met'): BSN (11-proef checked, exact), "
    "POLICY_NUMBER or EMPLOYEE_NUMBER (exact), NAME (every word occurs in the name).",
)


@strawberry.input(description="Exactly one condition on a text column.")
class TextFilter:
    contains: str | None = strawberry.field(
        default=None,
        description="Case-insensitive substring. For the name: every word (split at spaces, "
        "commas and after an apostrophe) occurs in first name, prefix or last name.",
    )
    equals: str | None = strawberry.field(
        default=None,
        description="Exact value of a policy or employee number; for the name: the last name, "
        "case-insensitive, with or without its prefix ('Dijk' or 'van Dijk').",
    )

    def to_rules(self) -> rules.TextCondition:
        return rules.TextCondition(contains=self.contains, equals=self.equals)


@strawberry.input(description="Both ends included.")
class DateRange:
    from_: dt.date = strawberry.field(name="from")
    to: dt.date


@strawberry.input(description="Exactly one condition on a date column.")
class DateFilter:
    on: dt.date | None = None
    before: dt.date | None = strawberry.field(default=None, description="Strictly before.")
    after: dt.date | None = strawberry.field(default=None, description="Strictly after.")
    between: DateRange | None = strawberry.field(
        default=None, description="From and to, both included; from may not be after to."
    )

    def to_rules(self) -> rules.DateCondition:
        between = None
        if self.between is not None:
            between = rules.DateRange(start=self.between.from_, end=self.between.to)
        return rules.DateCondition(
            on=self.on, before=self.before, after=self.after, between=between
        )


@strawberry.input(
    description="Conditions on the overview's columns (C1); all given ones must hold. Text at "
    f"most {rules.MAX_TEXT_LENGTH} characters. An end-date condition matches only memberships "
    "with an end date."
)
class InsuredPersonFilter:
    name: TextFilter | None = None
    policy_number: TextFilter | None = None
    employee_number: TextFilter | None = None
    birth_date: DateFilter | None = None
    start_date: DateFilter | None = strawberry.field(
        default=None, description="Start of membership in the collectivity."
    )
    end_date: DateFilter | None = strawberry.field(
        default=None, description="Last day of membership (inclusive)."
    )
    relation: list[Relation] | None = strawberry.field(default=None, description="Any of these.")
    status: list[MembershipStatus] | None = strawberry.field(
        default=None, description="Any of these, relative to today in the Netherlands."
    )

    def to_rules(self) -> rules.InsuredFilter:
        def text(value: TextFilter | None) -> rules.TextCondition | None:
            return value.to_rules() if value is not None else None

        def date(value: DateFilter | None) -> rules.DateCondition | None:
            return value.to_rules() if value is not None else None

        return rules.InsuredFilter(
            name=text(self.name),
            policy_number=text(self.policy_number),
            employee_number=text(self.employee_number),
            birth_date=date(self.birth_date),
            start_date=date(self.start_date),
            end_date=date(self.end_date),
            relation=self.relation,
            status=self.status,
        )


@strawberry.input(
    description="The order of the overview. Rows without an end date or employee number come "
    "last in ascending order and first in descending order; RELATION sorts policyholder, "
    "partner, child and STATUS sorts ACTIVE, FUTURE, ENDED. DESC is the exact reverse of ASC."
)
class InsuredPersonOrder:
    field: InsuredPersonSortField = rules.InsuredSortField.NAME
    direction: SortDirection = rules.SortDirection.ASC

    def to_rules(self) -> rules.InsuredOrder:
        return rules.InsuredOrder(field=self.field, direction=self.direction)


@strawberry.input(
    description="Find insured by one key (C1 'Zoek met'); combines with the filter. A BSN is "
    "never put into a cursor or a log."
)
class InsuredPersonSearch:
    by: InsuredPersonSearchKey
    value: str

    def to_rules(self) -> rules.InsuredSearch:
        return rules.InsuredSearch(by=self.by, value=self.value)


async def insured_persons(
    root: Any,
    info: Info,
    first: Annotated[
        int | None, strawberry.argument(description="Page size, 1..100 (default 50).")
    ] = None,
    after: str | None = None,
    search: Annotated[
        InsuredPersonSearch | None,
        strawberry.argument(description="Find by BSN, policy number, employee number or name."),
    ] = None,
    filter: Annotated[
        InsuredPersonFilter | None,
        strawberry.argument(description="Conditions on the columns, all of which must hold."),
    ] = None,
    order_by: Annotated[
        InsuredPersonOrder | None,
        strawberry.argument(description="Default: by name, ascending."),
    ] = None,
) -> Connection[InsuredPerson]:
    context = info.context
    actor = context.require_actor()
    today = context.clock.today()
    criteria = filter.to_rules() if filter is not None else None
    wanted = search.to_rules() if search is not None else None
    async with context.db() as db:
        page = await rules.search_insured(
            db,
            actor,
            root._key,
            first=first,
            after=after,
            today=today,
            criteria=criteria,
            search=wanted,
            order=order_by.to_rules() if order_by is not None else None,
        )
    await context.audit_staff_insured_read(
        page.items, via="insuredPersons", collectivity_id=root._key
    )

    async def count() -> int:
        async with context.db() as db:
            return await rules.count_insured(
                db, actor, root._key, today=today, criteria=criteria, search=wanted
            )

    return Connection.of(page, [InsuredPerson.from_row(r) for r in page.items], count)
