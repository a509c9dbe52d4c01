"""``inviteColleague`` and ``deactivateUser`` (A7): the main user manages the users."""

from __future__ import annotations

import strawberry

from resolvers import colleagues, invitations

from ..context import RequestContext
from ..errors import UserError, payload_or_user_errors
from ..ids import decode_id
from ..types.user import User

Info = strawberry.Info[RequestContext, None]


@strawberry.input(description="The colleague to invite into the main user's collectivity.")
class InviteColleagueInput:
    name: str
    email: str = strawberry.field(
        description="A personal address of the organisation (the rules of account requests); "
        "it becomes the username."
    )
    language: str | None = strawberry.field(
        default=None,
        description="nl or en: the language of the invitation and later e-mails; default the "
        "inviting user's.",
    )


@strawberry.type
class InviteColleaguePayload:
    user: User | None = strawberry.field(default=None, description="The INVITED colleague.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeactivateUserInput:
    id: strawberry.ID = strawberry.field(description="A colleague of the main user's collectivity.")


@strawberry.type
class DeactivateUserPayload:
    user: User | None = strawberry.field(default=None, description="The DEACTIVATED user.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def invite_colleague(info: Info, input: InviteColleagueInput) -> InviteColleaguePayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> InviteColleaguePayload:
        async with context.db() as db:
            row = await invitations.invite_colleague(
                db,
                actor,
                name=input.name,
                email=input.email,
                language=input.language,
                now=context.clock.now(),
                client_address=context.client_address,
                rules=context.rules,
            )
        return InviteColleaguePayload(user=User.from_row(row))

    return await payload_or_user_errors(
        context.language, make, lambda errors: InviteColleaguePayload(user_errors=errors)
    )


async def deactivate_user(info: Info, input: DeactivateUserInput) -> DeactivateUserPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> DeactivateUserPayload:
        user_id = decode_id(input.id, "User")
        async with context.db() as db:
            row = await colleagues.deactivate_user(
                db, actor, user_id, now=context.clock.now(), client_address=context.client_address
            )
        return DeactivateUserPayload(user=User.from_row(row))

    return await payload_or_user_errors(
        context.language, make, lambda errors: DeactivateUserPayload(user_errors=errors)
    )
