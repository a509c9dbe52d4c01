"""``deregisterInsured``, ``changeEmployeeNumber`` and ``moveInsuredToCollectivity`` (C5–C8)."""

from __future__ import annotations

import datetime as dt
from typing import Self

import strawberry

from resolvers import deregistration, employee_numbers, moves
from resolvers.errors import DomainError, ErrorCode
from resolvers.insured_mutations import MAX_MEMBERS, MutationRequest, MutationResult

from ..context import RequestContext
from ..errors import UserError, payload_or_user_errors
from ..ids import decode_id
from ..types.insured_details import InsuredMutation, Membership

Info = strawberry.Info[RequestContext, None]

EXPECTED_VERSION = strawberry.field(
    default=None,
    description="The `version` the user saw (InsuredPersonDetails.version or Membership.version); "
    "when the family changed since, nothing is changed and CONCURRENT_CHANGE is answered.",
)
MEMBERS = (
    "Family members (InsuredPerson ids on the same policy, with a membership of the "
    "collectivity) the change applies to, the insured included if meant. Default: the insured "
    "and everyone on the policy whose membership is open."
)


def _request(context: RequestContext) -> MutationRequest:
    return MutationRequest(
        actor=context.require_actor(),
        now=context.clock.now(),
        today=context.clock.today(),
        client_address=context.client_address,
    )


def _members(ids: list[strawberry.ID] | None) -> list[int] | None:
    if ids is None:
        return None
    if len(ids) > MAX_MEMBERS:
        raise DomainError(ErrorCode.TOO_MANY_IDS, field="members", maximum=MAX_MEMBERS)
    return [decode_id(i, "InsuredPerson", "members") for i in ids]


@strawberry.type(description="The outcome of a change to insured memberships.")
class InsuredMutationPayload:
    memberships: list[Membership] | None = strawberry.field(
        default=None, description="The changed memberships as they are now."
    )
    mutations: list[InsuredMutation] | None = strawberry.field(
        default=None, description="What was recorded in the mutation history."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, result: MutationResult) -> Self:
        return cls(
            memberships=[Membership.from_view(m) for m in result.memberships],
            mutations=[InsuredMutation.from_entry(m) for m in result.mutations],
        )


@strawberry.input(description="Deregister an insured and family members from a collectivity (C5).")
class DeregisterInsuredInput:
    insured_person_id: strawberry.ID
    collectivity_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Default: the collectivity in scope of the insured's latest membership.",
    )
    end_date: dt.date = strawberry.field(
        description="The last day of membership, inclusive: leaving per 1 May is 30 April."
    )
    members: list[strawberry.ID] | None = strawberry.field(default=None, description=MEMBERS)
    expected_version: int | None = EXPECTED_VERSION


@strawberry.input(description="Record a policyholder's employee number, in force today (C6).")
class ChangeEmployeeNumberInput:
    insured_person_id: strawberry.ID
    collectivity_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Default: the collectivity in scope of the insured's latest membership.",
    )
    employee_number: str = strawberry.field(
        description="1-20 letters, digits and . - / _, starting with a letter or digit."
    )
    effective_date: dt.date = strawberry.field(
        description="Must be today (Europe/Amsterdam); any other date is refused."
    )
    expected_version: int | None = EXPECTED_VERSION


@strawberry.input(description="Move an insured and family to another collectivity in scope (C7).")
class MoveInsuredToCollectivityInput:
    insured_person_id: strawberry.ID
    from_collectivity_id: strawberry.ID
    to_collectivity_id: strawberry.ID
    effective_date: dt.date = strawberry.field(
        description="The first day in the new collectivity; the old membership ends the day before."
    )
    members: list[strawberry.ID] | None = strawberry.field(default=None, description=MEMBERS)
    expected_version: int | None = EXPECTED_VERSION


@strawberry.type
class DeregisterInsuredPayload(InsuredMutationPayload):
    pass


@strawberry.type
class ChangeEmployeeNumberPayload(InsuredMutationPayload):
    pass


@strawberry.type
class MoveInsuredToCollectivityPayload(InsuredMutationPayload):
    pass


async def deregister_insured(info: Info, input: DeregisterInsuredInput) -> DeregisterInsuredPayload:
    context = info.context
    request = _request(context)

    async def make() -> DeregisterInsuredPayload:
        insured_id = decode_id(input.insured_person_id, "InsuredPerson", "insured_person_id")
        collectivity_id = None
        if input.collectivity_id is not None:
            collectivity_id = decode_id(input.collectivity_id, "Collectivity", "collectivity_id")
        async with context.db() as db:
            result = await deregistration.deregister_insured(
                db,
                request,
                context.rules.mutation_window,
                insured_id=insured_id,
                collectivity_id=collectivity_id,
                end_date=input.end_date,
                members=_members(input.members),
                expected_version=input.expected_version,
            )
        return DeregisterInsuredPayload.of(result)

    return await payload_or_user_errors(
        context.language, make, lambda errors: DeregisterInsuredPayload(user_errors=errors)
    )


async def change_employee_number(
    info: Info, input: ChangeEmployeeNumberInput
) -> ChangeEmployeeNumberPayload:
    context = info.context
    request = _request(context)

    async def make() -> ChangeEmployeeNumberPayload:
        insured_id = decode_id(input.insured_person_id, "InsuredPerson", "insured_person_id")
        collectivity_id = None
        if input.collectivity_id is not None:
            collectivity_id = decode_id(input.collectivity_id, "Collectivity", "collectivity_id")
        async with context.db() as db:
            result = await employee_numbers.change_employee_number(
                db,
                request,
                insured_id=insured_id,
                collectivity_id=collectivity_id,
                employee_number=input.employee_number,
                effective_date=input.effective_date,
                expected_version=input.expected_version,
            )
        return ChangeEmployeeNumberPayload.of(result)

    return await payload_or_user_errors(
        context.language, make, lambda errors: ChangeEmployeeNumberPayload(user_errors=errors)
    )


async def move_insured_to_collectivity(
    info: Info, input: MoveInsuredToCollectivityInput
) -> MoveInsuredToCollectivityPayload:
    context = info.context
    request = _request(context)

    async def make() -> MoveInsuredToCollectivityPayload:
        insured_id = decode_id(input.insured_person_id, "InsuredPerson", "insured_person_id")
        from_id = decode_id(input.from_collectivity_id, "Collectivity", "from_collectivity_id")
        to_id = decode_id(input.to_collectivity_id, "Collectivity", "to_collectivity_id")
        async with context.db() as db:
            result = await moves.move_insured(
                db,
                request,
                context.rules.mutation_window,
                insured_id=insured_id,
                from_collectivity_id=from_id,
                to_collectivity_id=to_id,
                effective_date=input.effective_date,
                members=_members(input.members),
                expected_version=input.expected_version,
            )
        return MoveInsuredToCollectivityPayload.of(result)

    return await payload_or_user_errors(
        context.language, make, lambda errors: MoveInsuredToCollectivityPayload(user_errors=errors)
    )
