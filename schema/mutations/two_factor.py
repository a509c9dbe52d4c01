"""``startTwoFactorRegistration``, ``confirmTwoFactorRegistration``, ``resetTwoFactor`` (A6)."""

from __future__ import annotations

import strawberry

from resolvers import two_factor_flows

from ..context import RequestContext
from ..errors import UserError, payload_or_user_errors
from ..ids import decode_id
from ..types.user import User
from .session import BEARER_DESCRIPTION, Session, attempt, hand_out

Info = strawberry.Info[RequestContext, None]


def _require_someone(context: RequestContext, challenge: str | None) -> None:
    """Logged in, or carrying a login challenge; otherwise top-level UNAUTHENTICATED."""
    if context.actor is None and not challenge:
        context.require_actor()


@strawberry.input(
    description="Logged in: leave `challenge` out. Replacing a registered phone needs "
    "`password` and `currentCode` (a code from the current phone). When 2FA is required and "
    "the user has no app yet, pass the `challenge` from `login` instead of a session."
)
class StartTwoFactorRegistrationInput:
    challenge: str | None = None
    password: str | None = None
    current_code: str | None = None


@strawberry.type
class StartTwoFactorRegistrationPayload:
    otpauth_uri: str | None = strawberry.field(
        default=None, description="`otpauth://totp/…` with issuer, SHA1, 6 digits, 30 s."
    )
    qr_code_svg: str | None = strawberry.field(
        default=None, description="The same URI as a QR code (SVG) to scan with the app."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def start_two_factor_registration(
    info: Info, input: StartTwoFactorRegistrationInput
) -> StartTwoFactorRegistrationPayload:
    context = info.context
    _require_someone(context, input.challenge)

    async def make() -> StartTwoFactorRegistrationPayload:
        now = attempt(context)
        async with context.db() as db:
            who = await two_factor_flows.registrant(db, context.actor, input.challenge, now)
            registration = await two_factor_flows.start(
                db,
                who,
                password=input.password,
                current_code=input.current_code,
                attempt=now,
                rules=context.rules,
            )
        return StartTwoFactorRegistrationPayload(
            otpauth_uri=registration.otpauth_uri, qr_code_svg=registration.qr_code_svg
        )

    return await payload_or_user_errors(
        context.language,
        make,
        lambda errors: StartTwoFactorRegistrationPayload(user_errors=errors),
    )


@strawberry.input(description="A code from the app that was just registered.")
class ConfirmTwoFactorRegistrationInput:
    code: str
    challenge: str | None = strawberry.field(
        default=None, description="The login challenge, when registering during a login."
    )
    bearer: bool = strawberry.field(default=False, description=BEARER_DESCRIPTION)


@strawberry.type
class ConfirmTwoFactorRegistrationPayload:
    enabled: bool = False
    session: Session | None = strawberry.field(
        default=None, description="Set when the registration completed a login (challenge)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def confirm_two_factor_registration(
    info: Info, input: ConfirmTwoFactorRegistrationInput
) -> ConfirmTwoFactorRegistrationPayload:
    context = info.context
    _require_someone(context, input.challenge)

    async def make() -> ConfirmTwoFactorRegistrationPayload:
        now = attempt(context)
        async with context.db() as db:
            who = await two_factor_flows.registrant(db, context.actor, input.challenge, now)
            grant = await two_factor_flows.confirm(
                db,
                who,
                code=input.code,
                attempt=now,
                policy=context.session_policy,
                rules=context.rules,
            )
        session = hand_out(context, grant, input.bearer) if grant else None
        return ConfirmTwoFactorRegistrationPayload(enabled=True, session=session)

    return await payload_or_user_errors(
        context.language,
        make,
        lambda errors: ConfirmTwoFactorRegistrationPayload(user_errors=errors),
    )


@strawberry.input(description="The user whose phone is lost.")
class ResetTwoFactorInput:
    user_id: strawberry.ID


@strawberry.type
class ResetTwoFactorPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def reset_two_factor(info: Info, input: ResetTwoFactorInput) -> ResetTwoFactorPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> ResetTwoFactorPayload:
        user_id = decode_id(input.user_id, "User", field="user_id")
        async with context.db() as db:
            user = await two_factor_flows.staff_reset(
                db, actor, user_id, attempt=attempt(context), rules=context.rules
            )
        return ResetTwoFactorPayload(user=User.from_row(user))

    return await payload_or_user_errors(
        context.language, make, lambda errors: ResetTwoFactorPayload(user_errors=errors)
    )
