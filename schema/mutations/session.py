"""``login``, ``verifyTwoFactor`` and ``logout`` (A2, A4, A6, A8)."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers import login as login_use_case
from resolvers.login import Attempt, SessionGrant

from ..context import RequestContext
from ..errors import UserError, payload_or_user_errors
from ..types.user import User

Info = strawberry.Info[RequestContext, None]

BEARER_DESCRIPTION = (
    "Return the session token in the payload for an `Authorization: Bearer` header instead of "
    "setting the HttpOnly session cookie (for API clients, not browsers)."
)


def attempt(context: RequestContext) -> Attempt:
    return Attempt(now=context.clock.now(), client_address=context.client_address)


@strawberry.type(description="A started session.")
class Session:
    user: User
    expires_at: dt.datetime = strawberry.field(
        description="When the session ends at the latest (the idle timeout applies before)."
    )
    token: str | None = strawberry.field(
        description="The session token; only when `bearer: true` was asked."
    )


def hand_out(context: RequestContext, grant: SessionGrant, bearer: bool) -> Session:
    """Give the client its session: as an HttpOnly, SameSite=Strict cookie, or as a bearer token."""
    if not bearer:
        context.response.set_cookie(
            context.cookie_policy.name,
            grant.token,
            max_age=context.cookie_policy.max_age_seconds,
            httponly=True,
            secure=context.cookie_policy.secure,
            samesite="Strict",
            path="/",
        )
    return Session(
        user=User.from_row(grant.user),
        expires_at=grant.expires_at,
        token=grant.token if bearer else None,
    )


@strawberry.input(description="E-mail address (case-insensitive) and password.")
class LoginInput:
    email: str
    password: str
    bearer: bool = strawberry.field(default=False, description=BEARER_DESCRIPTION)


@strawberry.type(
    description="The password was right; send a code from the authenticator app with "
    "`verifyTwoFactor`, or — when `registrationRequired` — register an app first with "
    "`startTwoFactorRegistration` and `confirmTwoFactorRegistration`, passing this challenge."
)
class TwoFactorChallenge:
    token: str = strawberry.field(description="Single-use; valid for five minutes.")
    expires_at: dt.datetime
    registration_required: bool


@strawberry.type
class LoginPayload:
    session: Session | None = strawberry.field(
        default=None, description="Set when no second factor is needed."
    )
    two_factor_challenge: TwoFactorChallenge | None = strawberry.field(
        default=None, description="Set when a second factor must follow (A6)."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.field(description="The logged-in user (shorthand for `session.user`).")
    def user(self) -> User | None:
        return self.session.user if self.session else None

    @strawberry.field(description="Shorthand for `session.expiresAt`.")
    def expires_at(self) -> dt.datetime | None:
        return self.session.expires_at if self.session else None

    @strawberry.field(description="Shorthand for `session.token`.")
    def token(self) -> str | None:
        return self.session.token if self.session else None


async def login(info: Info, input: LoginInput) -> LoginPayload:
    context = info.context

    async def make() -> LoginPayload:
        async with context.db() as db:
            result = await login_use_case.login(
                db,
                email=input.email,
                password=input.password,
                attempt=attempt(context),
                policy=context.session_policy,
                rules=context.rules,
            )
        if result.challenge is not None:
            challenge = result.challenge
            return LoginPayload(
                two_factor_challenge=TwoFactorChallenge(
                    token=challenge.token,
                    expires_at=challenge.expires_at,
                    registration_required=challenge.registration_required,
                )
            )
        assert result.session is not None
        return LoginPayload(session=hand_out(context, result.session, input.bearer))

    return await payload_or_user_errors(
        context.language, make, lambda errors: LoginPayload(user_errors=errors)
    )


@strawberry.input(description="The challenge from `login` and a code from the authenticator app.")
class VerifyTwoFactorInput:
    challenge: str
    code: str
    bearer: bool = strawberry.field(default=False, description=BEARER_DESCRIPTION)


@strawberry.type
class VerifyTwoFactorPayload:
    session: Session | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def verify_two_factor(info: Info, input: VerifyTwoFactorInput) -> VerifyTwoFactorPayload:
    context = info.context

    async def make() -> VerifyTwoFactorPayload:
        async with context.db() as db:
            grant = await login_use_case.verify_two_factor(
                db,
                challenge=input.challenge,
                code=input.code,
                attempt=attempt(context),
                policy=context.session_policy,
                rules=context.rules,
            )
        return VerifyTwoFactorPayload(session=hand_out(context, grant, input.bearer))

    return await payload_or_user_errors(
        context.language, make, lambda errors: VerifyTwoFactorPayload(user_errors=errors)
    )


@strawberry.type
class LogoutPayload:
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def logout(info: Info) -> LogoutPayload:
    context = info.context
    actor = context.require_actor()
    async with context.db() as db:
        await login_use_case.logout(
            db, actor, now=context.clock.now(), client_address=context.client_address
        )
    policy = context.cookie_policy
    context.response.del_cookie(
        policy.name, path="/", secure=policy.secure, httponly=True, samesite="Strict"
    )
    return LogoutPayload()
