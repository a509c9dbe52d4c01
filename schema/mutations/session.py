"""``login`` and ``logout`` (A2, A4, A8)."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers import login as login_use_case

from ..context import RequestContext
from ..errors import UserError, payload_or_user_errors
from ..types.user import User

Info = strawberry.Info[RequestContext, None]


@strawberry.input(description="E-mail address (case-insensitive) and password.")
class LoginInput:
    email: str
    password: str
    bearer: bool = strawberry.field(
        default=False,
        description="Return the session token in the payload for an `Authorization: Bearer` "
        "header instead of setting the HttpOnly session cookie (for API clients, not browsers).",
    )


@strawberry.type
class LoginPayload:
    user: User | None = None
    expires_at: dt.datetime | None = strawberry.field(
        default=None, description="When the session ends at the latest (idle timeout applies)."
    )
    token: str | None = strawberry.field(
        default=None, description="The session token; only when `bearer: true` was asked."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def login(info: Info, input: LoginInput) -> LoginPayload:
    context = info.context

    async def make() -> LoginPayload:
        async with context.db() as db:
            result = await login_use_case.login(
                db,
                email=input.email,
                password=input.password,
                now=context.clock.now(),
                policy=context.session_policy,
                client_address=context.client_address,
            )
        if input.bearer:
            token = result.token
        else:
            token = None
            context.response.set_cookie(
                context.cookie_policy.name,
                result.token,
                max_age=context.cookie_policy.max_age_seconds,
                httponly=True,
                secure=context.cookie_policy.secure,
                samesite="Strict",
                path="/",
            )
        return LoginPayload(
            user=User.from_row(result.user), expires_at=result.expires_at, token=token
        )

    return await payload_or_user_errors(
        context.language, make, lambda errors: LoginPayload(user_errors=errors)
    )


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
