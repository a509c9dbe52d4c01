"""An insured's details (C4), memberships and the mutation history (C5–C8), and the two
``Collectivity`` fields that read them: ``insuredPersonDetails(id)`` and ``mutations``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers import insured_details, mutation_history
from resolvers.insured_details import CoverageView, FamilyMemberView, InsuredDetails
from resolvers.memberships import MembershipView
from resolvers.mutation_history import MutationEntry

from ..context import RequestContext
from ..ids import decode_id, encode_id
from ..pagination import Connection
from .enums import Gender, MembershipStatus, MutationKind, ProductKind, Relation
from .inbox import collectivity_of
from .user_summary import UserSummary

if TYPE_CHECKING:
    from .collectivity import Collectivity

Info = strawberry.Info[RequestContext, None]

VERSION_DESCRIPTION = (
    "The person's version: it changes with every mutation of their family. Pass it as "
    "`expectedVersion` to refuse a change when someone else changed the family since "
    "(CONCURRENT_CHANGE)."
)


@strawberry.type(description="A membership of a collectivity (an enrollment), end date inclusive.")
class Membership:
    insured_person_id: strawberry.ID
    name: str = strawberry.field(description='"J. van Dijk".')
    relation: Relation
    birth_date: dt.date
    start_date: dt.date
    end_date: dt.date | None = strawberry.field(description="Last day of membership (inclusive).")
    employee_number: str | None
    status: MembershipStatus
    version: int = strawberry.field(description=VERSION_DESCRIPTION)
    _collectivity_id: strawberry.Private[int]

    @classmethod
    def from_view(cls, view: MembershipView) -> Membership:
        return cls(
            insured_person_id=encode_id("InsuredPerson", view.insured_id),
            name=view.name,
            relation=view.relation,
            birth_date=view.birth_date,
            start_date=view.start_date,
            end_date=view.end_date,
            employee_number=view.employee_number,
            status=view.status,
            version=view.version,
            _collectivity_id=view.collectivity_id,
        )

    @strawberry.field
    async def collectivity(
        self, info: Info
    ) -> Annotated[Collectivity, strawberry.lazy("schema.types.collectivity")]:
        return await collectivity_of(info, self._collectivity_id)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@strawberry.type(description="One value a mutation changed, as text (dates ISO; null: none).")
class MutationChange:
    field: str = strawberry.field(
        description="endDate (DEREGISTER), employeeNumber (EMPLOYEE_NUMBER) or collectivity "
        "(MOVE: the collectivity number)."
    )
    before: str | None
    after: str | None


@strawberry.type(description="A recorded, immutable change to an insured's membership (C8).")
class InsuredMutation:
    kind: MutationKind
    effective_date: dt.date = strawberry.field(
        description="The first day the change is in force (a deregistration: the day after "
        "the end date)."
    )
    registered_at: dt.datetime = strawberry.field(description="When it was recorded.")
    back_dated: bool = strawberry.field(
        description="In force before the day it was registered (Amsterdam): leads to "
        "corrections (D3)."
    )
    registered_by: UserSummary | None = strawberry.field(
        description="Who recorded it; null when that account no longer exists."
    )
    insured_person_id: strawberry.ID
    insured_person_name: str
    changes: list[MutationChange]
    _collectivity_id: strawberry.Private[int]

    @classmethod
    def from_entry(cls, entry: MutationEntry) -> InsuredMutation:
        return cls(
            kind=entry.kind,
            effective_date=entry.effective_date,
            registered_at=entry.registered_at,
            back_dated=entry.back_dated,
            registered_by=UserSummary.from_row(entry.registered_by),
            insured_person_id=encode_id("InsuredPerson", entry.insured_id),
            insured_person_name=entry.insured_name,
            changes=[
                MutationChange(field=_camel(c.field), before=c.before, after=c.after)
                for c in entry.changes
            ],
            _collectivity_id=entry.collectivity_id,
        )

    @strawberry.field(description="The collectivity whose history this entry belongs to.")
    async def collectivity(
        self, info: Info
    ) -> Annotated[Collectivity, strawberry.lazy("schema.types.collectivity")]:
        return await collectivity_of(info, self._collectivity_id)


@strawberry.type(description="A product on the insured's policy for a period.")
class Coverage:
    product_code: str
    product_name: str
    product_kind: ProductKind
    start_date: dt.date
    end_date: dt.date | None

    @classmethod
    def from_view(cls, view: CoverageView) -> Coverage:
        return cls(
            product_code=view.product_code,
            product_name=view.product_name,
            product_kind=view.product_kind,
            start_date=view.start_date,
            end_date=view.end_date,
        )


@strawberry.type(description="A member of the insured's policy (family).")
class FamilyMember:
    insured_person_id: strawberry.ID
    name: str
    initials: str
    first_name: str
    name_prefix: str | None
    last_name: str
    birth_date: dt.date
    relation: Relation
    membership: Membership | None = strawberry.field(
        description="The member's latest membership of this collectivity; null if never a member."
    )

    @classmethod
    def from_view(cls, view: FamilyMemberView) -> FamilyMember:
        return cls(
            insured_person_id=encode_id("InsuredPerson", view.insured_id),
            name=view.name,
            initials=view.initials,
            first_name=view.first_name,
            name_prefix=view.name_prefix,
            last_name=view.last_name,
            birth_date=view.birth_date,
            relation=view.relation,
            membership=Membership.from_view(view.membership) if view.membership else None,
        )


@strawberry.type(
    description="Everything about one insured in one collectivity (C4): person, policy, "
    "coverage, family, membership and mutation history."
)
class InsuredPersonDetails:
    id: strawberry.ID = strawberry.field(description="The InsuredPerson's global id.")
    version: int = strawberry.field(description=VERSION_DESCRIPTION)
    name: str
    initials: str
    first_name: str
    name_prefix: str | None
    last_name: str
    birth_date: dt.date
    gender: Gender | None
    relation: Relation
    bsn: str = strawberry.field(
        description="Burgerservicenummer: shown to the employer of its own employee, never logged."
    )
    policy_number: str
    membership: Membership = strawberry.field(
        description="The current (latest) membership of this collectivity."
    )
    memberships: list[Membership] = strawberry.field(
        description="Every membership of this collectivity, oldest first."
    )
    coverages: list[Coverage] = strawberry.field(description="By start date.")
    family: list[FamilyMember] = strawberry.field(
        description="Everyone on the policy who is or was a member of a collectivity in scope, "
        "the insured included: policyholder, partner, children by birth date."
    )
    mutations: list[InsuredMutation] = strawberry.field(
        description="The insured's mutations in this collectivity, newest registration first."
    )

    @classmethod
    def from_details(cls, details: InsuredDetails) -> InsuredPersonDetails:
        memberships = [Membership.from_view(m) for m in details.memberships]
        return cls(
            id=encode_id("InsuredPerson", details.insured_id),
            version=details.version,
            name=details.name,
            initials=details.initials,
            first_name=details.first_name,
            name_prefix=details.name_prefix,
            last_name=details.last_name,
            birth_date=details.birth_date,
            gender=details.gender,
            relation=details.relation,
            bsn=details.bsn,
            policy_number=details.policy_number,
            membership=memberships[-1],
            memberships=memberships,
            coverages=[Coverage.from_view(c) for c in details.coverages],
            family=[FamilyMember.from_view(f) for f in details.family],
            mutations=[InsuredMutation.from_entry(m) for m in details.mutations],
        )


async def insured_person_details(
    root: Any,
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="An InsuredPerson's id.")],
) -> InsuredPersonDetails | None:
    context = info.context
    actor = context.require_actor()
    insured_id = decode_id(id, "InsuredPerson")
    async with context.db() as db:
        details = await insured_details.get_insured_details(
            db,
            actor,
            root._key,
            insured_id,
            today=context.clock.today(),
            now=context.clock.now(),
            client_address=context.client_address,
        )
    return InsuredPersonDetails.from_details(details)


async def mutations(
    root: Any,
    info: Info,
    first: Annotated[
        int | None, strawberry.argument(description="Page size, 1..100 (default 50).")
    ] = None,
    after: str | None = None,
) -> Connection[InsuredMutation] | None:
    context = info.context
    actor = context.require_actor()
    async with context.db() as db:
        page = await mutation_history.list_mutations(db, actor, root._key, first=first, after=after)
        await mutation_history.record_staff_mutations_read(
            db,
            actor,
            page,
            collectivity_id=root._key,
            now=context.clock.now(),
            client_address=context.client_address,
        )

    async def count() -> int:
        async with context.db() as db:
            return await mutation_history.count_mutations(db, actor, root._key)

    return Connection.of(page, [InsuredMutation.from_entry(e) for e in page.items], count)
