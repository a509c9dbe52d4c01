"""``linkContract``, ``approveContractLink`` and ``unlinkContract`` (B1, B2)."""

from __future__ import annotations

import dataclasses

import strawberry

from resolvers import contract_links
from resolvers.actor import Actor
from resolvers.contract_links import LinkDirection, LinkView
from storage.enums import ContractLinkStatus

from ..context import RequestContext
from ..errors import UserError, payload_or_user_errors
from ..ids import decode_id, encode_id
from ..types.contract_link import ContractLink

Info = strawberry.Info[RequestContext, None]


def with_link_scope(actor: Actor, view: LinkView, *, linked: bool) -> Actor:
    """The actor's scope after an outgoing ACTIVE link was made or removed, so that the rest of
    this request (the payload's ``linkedCollectivity``, later mutations) already sees it (B1)."""
    if actor.scope is None or view.direction is not LinkDirection.OUTGOING:
        return actor
    if view.status is not ContractLinkStatus.ACTIVE:
        return actor
    other = frozenset({view.other_collectivity_id})
    scope = actor.scope | other if linked else actor.scope - other
    return dataclasses.replace(actor, scope=scope)


@strawberry.input(description="The numbers of the collectivity to link; both must match (B2).")
class LinkContractInput:
    customer_number: str
    collectivity_number: str


@strawberry.type
class LinkContractPayload:
    contract_link: ContractLink | None = strawberry.field(
        default=None,
        description="ACTIVE for a collectivity of the same customer; otherwise PENDING until "
        "the linked collectivity's main user approves.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ContractLinkIdInput:
    id: strawberry.ID


@strawberry.type
class ApproveContractLinkPayload:
    contract_link: ContractLink | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UnlinkContractPayload:
    removed_contract_link_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the link that no longer exists."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def link_contract(info: Info, input: LinkContractInput) -> LinkContractPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> LinkContractPayload:
        async with context.db() as db:
            view = await contract_links.link_contract(
                db,
                actor,
                customer_number=input.customer_number,
                collectivity_number=input.collectivity_number,
                now=context.clock.now(),
                client_address=context.client_address,
                rules=context.rules,
            )
        context.actor = with_link_scope(actor, view, linked=True)
        return LinkContractPayload(contract_link=ContractLink.from_row(view))

    return await payload_or_user_errors(
        context.language, make, lambda errors: LinkContractPayload(user_errors=errors)
    )


async def approve_contract_link(
    info: Info, input: ContractLinkIdInput
) -> ApproveContractLinkPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> ApproveContractLinkPayload:
        link_id = decode_id(input.id, "ContractLink")
        async with context.db() as db:
            view = await contract_links.approve_contract_link(
                db, actor, link_id, now=context.clock.now(), client_address=context.client_address
            )
        return ApproveContractLinkPayload(contract_link=ContractLink.from_row(view))

    return await payload_or_user_errors(
        context.language, make, lambda errors: ApproveContractLinkPayload(user_errors=errors)
    )


async def unlink_contract(info: Info, input: ContractLinkIdInput) -> UnlinkContractPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> UnlinkContractPayload:
        link_id = decode_id(input.id, "ContractLink")
        async with context.db() as db:
            view = await contract_links.unlink_contract(
                db, actor, link_id, now=context.clock.now(), client_address=context.client_address
            )
        context.actor = with_link_scope(actor, view, linked=False)
        return UnlinkContractPayload(removed_contract_link_id=encode_id("ContractLink", view.id))

    return await payload_or_user_errors(
        context.language, make, lambda errors: UnlinkContractPayload(user_errors=errors)
    )
