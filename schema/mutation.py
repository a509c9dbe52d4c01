"""The root Mutation type: every mutation takes one ``input`` and returns a payload (G2)."""

from __future__ import annotations

import strawberry

from .mutations import session


@strawberry.type
class Mutation:
    login: session.LoginPayload = strawberry.mutation(
        resolver=session.login,
        description="Log in with e-mail and password (A4). Wrong e-mail and wrong password give "
        "the same INVALID_CREDENTIALS.",
    )
    logout: session.LogoutPayload = strawberry.mutation(
        resolver=session.logout, description="End the current session (A8)."
    )
