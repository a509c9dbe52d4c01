"""The insured person as the collectivity overview shows it (C1's limited fields)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers.insured_listing import InsuredRow

from ..context import RequestContext
from ..ids import Node, encode_id
from .enums import MembershipStatus, Relation

if TYPE_CHECKING:
    from .collectivity import Collectivity


@strawberry.type(
    description="An insured person in a collectivity: the limited fields of the overview (C1)."
)
class InsuredPerson(Node):
    name: str = strawberry.field(description='Initials, prefix and last name: "J. van Dijk".')
    initials: str
    first_name: str
    name_prefix: str | None = strawberry.field(description="Tussenvoegsel, e.g. 'van der'.")
    last_name: str
    birth_date: dt.date
    relation: Relation
    policy_number: str
    employee_number: str | None = strawberry.field(
        description="The employer's payroll number (policyholders only)."
    )
    start_date: dt.date = strawberry.field(description="Start of membership in the collectivity.")
    end_date: dt.date | None = strawberry.field(
        description="Last day of membership (inclusive), if deregistered."
    )
    status: MembershipStatus
    _collectivity_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: InsuredRow) -> InsuredPerson:
        return cls(
            id=encode_id("InsuredPerson", row.insured_id),
            name=row.display_name,
            initials=row.initials,
            first_name=row.first_name,
            name_prefix=row.name_prefix,
            last_name=row.last_name,
            birth_date=row.birth_date,
            relation=row.relation,
            policy_number=row.policy_number,
            employee_number=row.employee_number,
            start_date=row.start_date,
            end_date=row.end_date,
            status=row.status,
            _collectivity_id=row.collectivity_id,
        )

    @strawberry.field(description="The collectivity this membership belongs to.")
    async def collectivity(
        self, info: strawberry.Info[RequestContext, None]
    ) -> Annotated[Collectivity, strawberry.lazy("schema.types.collectivity")]:
        from .collectivity import Collectivity

        row = await info.context.loaders.collectivity.load(self._collectivity_id)
        assert row is not None  # the insured was loaded within the actor's scope
        return Collectivity.from_row(row)
