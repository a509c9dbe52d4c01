"""Accounts (A1, A2, A3, A5): ``requestAccount``, ``approveAccountRequest``,
``rejectAccountRequest``, ``activateAccount``, ``changePassword``, ``requestPasswordReset`` and
``resetPassword``. Thin: every field delegates to a use case in ``resolvers``."""

from __future__ import annotations

import strawberry

from resolvers import account_requests, activation, password_change, password_reset
from resolvers.errors import NotFound

from ..context import RequestContext
from ..errors import UserError, payload_or_user_errors
from ..ids import decode_id
from ..types.account_request import AccountRequest
from ..types.user import User

Info = strawberry.Info[RequestContext, None]


def _request_key(value: str) -> int | None:
    """The database id, or None for an id that is no AccountRequest id (answered NOT_FOUND by
    the use case, after its staff check: others get FORBIDDEN whatever id they send)."""
    try:
        return decode_id(value, "AccountRequest")
    except NotFound:
        return None


@strawberry.input(description="A request for a main-user account (A1).")
class RequestAccountInput:
    customer_number: str = strawberry.field(description="Klantnummer.")
    collectivity_number: str = strawberry.field(description="Collectiviteitsnummer.")
    name: str = strawberry.field(description="The requester's full name.")
    email: str = strawberry.field(
        description="A personal address of the organisation: not a free-mail domain, not a role "
        "mailbox (info@, hr@, …). It becomes the username (A2)."
    )
    language: str | None = strawberry.field(
        default=None,
        description="nl or en: the language of the mails and of the account; default the "
        "request's language (Accept-Language).",
    )


@strawberry.type(
    description="Empty userErrors: the request was received. The answer is the same whether or "
    "not the numbers match, so it reveals nothing about them (A1)."
)
class RequestAccountPayload:
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ApproveAccountRequestInput:
    id: strawberry.ID = strawberry.field(description="A PENDING AccountRequest.")


@strawberry.type
class ApproveAccountRequestPayload:
    account_request: AccountRequest | None = strawberry.field(
        default=None, description="The APPROVED request; the activation mail is queued."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RejectAccountRequestInput:
    id: strawberry.ID = strawberry.field(description="A PENDING AccountRequest.")
    reason: str = strawberry.field(
        description="Why (at most 500 characters); it is mailed to the requester."
    )


@strawberry.type
class RejectAccountRequestPayload:
    account_request: AccountRequest | None = strawberry.field(
        default=None, description="The REJECTED request; the rejection mail is queued."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="The token from the activation or invitation link, and a password.")
class ActivateAccountInput:
    token: str
    password: str = strawberry.field(description="15 to 128 characters, not a common password.")


@strawberry.type
class ActivateAccountPayload:
    user: User | None = strawberry.field(
        default=None, description="The now ACTIVE user; log in next (no session is started)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.type
class ChangePasswordPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RequestPasswordResetInput:
    email: str


@strawberry.type(
    description="Always empty userErrors, for every address: whether a mail was sent is not told."
)
class RequestPasswordResetPayload:
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="The token from the reset link, and the new password.")
class ResetPasswordInput:
    token: str
    new_password: str


@strawberry.type(description="Empty userErrors: the password was set; log in with it (with 2FA).")
class ResetPasswordPayload:
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def request_account(info: Info, input: RequestAccountInput) -> RequestAccountPayload:
    context = info.context

    async def make() -> RequestAccountPayload:
        async with context.db() as db:
            await account_requests.request_account(
                db,
                customer_number=input.customer_number,
                collectivity_number=input.collectivity_number,
                name=input.name,
                email=input.email,
                language=input.language,
                default_language=context.language,
                rules=context.rules,
                now=context.clock.now(),
                client_address=context.client_address,
            )
        return RequestAccountPayload()

    return await payload_or_user_errors(
        context.language, make, lambda errors: RequestAccountPayload(user_errors=errors)
    )


async def approve_account_request(
    info: Info, input: ApproveAccountRequestInput
) -> ApproveAccountRequestPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> ApproveAccountRequestPayload:
        async with context.db() as db:
            row = await account_requests.approve_account_request(
                db,
                actor,
                _request_key(input.id),
                rules=context.rules,
                now=context.clock.now(),
                client_address=context.client_address,
            )
        return ApproveAccountRequestPayload(account_request=AccountRequest.from_row(row))

    return await payload_or_user_errors(
        context.language, make, lambda errors: ApproveAccountRequestPayload(user_errors=errors)
    )


async def reject_account_request(
    info: Info, input: RejectAccountRequestInput
) -> RejectAccountRequestPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> RejectAccountRequestPayload:
        async with context.db() as db:
            row = await account_requests.reject_account_request(
                db,
                actor,
                _request_key(input.id),
                reason=input.reason,
                rules=context.rules,
                now=context.clock.now(),
                client_address=context.client_address,
            )
        return RejectAccountRequestPayload(account_request=AccountRequest.from_row(row))

    return await payload_or_user_errors(
        context.language, make, lambda errors: RejectAccountRequestPayload(user_errors=errors)
    )


async def activate_account(info: Info, input: ActivateAccountInput) -> ActivateAccountPayload:
    context = info.context

    async def make() -> ActivateAccountPayload:
        async with context.db() as db:
            row = await activation.activate_account(
                db,
                token=input.token,
                password=input.password,
                rules=context.rules,
                now=context.clock.now(),
                client_address=context.client_address,
            )
        return ActivateAccountPayload(user=User.from_row(row))

    return await payload_or_user_errors(
        context.language, make, lambda errors: ActivateAccountPayload(user_errors=errors)
    )


async def change_password(info: Info, input: ChangePasswordInput) -> ChangePasswordPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> ChangePasswordPayload:
        async with context.db() as db:
            row = await password_change.change_password(
                db,
                actor,
                current_password=input.current_password,
                new_password=input.new_password,
                rules=context.rules,
                now=context.clock.now(),
                client_address=context.client_address,
            )
        return ChangePasswordPayload(user=User.from_row(row))

    return await payload_or_user_errors(
        context.language, make, lambda errors: ChangePasswordPayload(user_errors=errors)
    )


async def request_password_reset(
    info: Info, input: RequestPasswordResetInput
) -> RequestPasswordResetPayload:
    context = info.context

    async def make() -> RequestPasswordResetPayload:
        async with context.db() as db:
            await password_reset.request_password_reset(
                db,
                email=input.email,
                rules=context.rules,
                now=context.clock.now(),
                client_address=context.client_address,
            )
        return RequestPasswordResetPayload()

    return await payload_or_user_errors(
        context.language, make, lambda errors: RequestPasswordResetPayload(user_errors=errors)
    )


async def reset_password(info: Info, input: ResetPasswordInput) -> ResetPasswordPayload:
    context = info.context

    async def make() -> ResetPasswordPayload:
        async with context.db() as db:
            await password_reset.reset_password(
                db,
                token=input.token,
                new_password=input.new_password,
                rules=context.rules,
                now=context.clock.now(),
                client_address=context.client_address,
            )
        return ResetPasswordPayload()

    return await payload_or_user_errors(
        context.language, make, lambda errors: ResetPasswordPayload(user_errors=errors)
    )
