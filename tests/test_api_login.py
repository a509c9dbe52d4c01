"""Login and sessions over HTTP (A2, A4, A8)."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.clock import FixedClock
from storage import AuditEvent, AuthSession
from storage.enums import UserStatus

from . import factories
from .http import LOGIN, Api, error_codes

ME = "{ me { user { email role } homeCollectivity { collectivityNumber } } }"


async def _main_user(session_factory: async_sessionmaker[AsyncSession], **values):
    async with session_factory() as db:
        home = await factories.collectivity(db)
        user = await factories.user(db, home, **values)
        await db.commit()
    return user


async def test_a4_login_with_bearer_token_then_me(api: Api, session_factory) -> None:
    user = await _main_user(session_factory, email="Marieke.Jansen@Werkgever.nl")
    token = await api.login("marieke.jansen@werkgever.nl")  # A2: case-insensitive
    body = await api.gql(ME, token=token)
    assert body["data"]["me"]["user"] == {"email": user.email, "role": "MAIN"}


async def test_a8_login_sets_httponly_strict_cookie_and_cookie_authenticates(
    api: Api, session_factory
) -> None:
    user = await _main_user(session_factory)
    async with api.http.post(
        f"{api.base_url}/graphql",
        json={
            "query": LOGIN,
            "variables": {"input": {"email": user.email, "password": factories.PASSWORD}},
        },
    ) as response:
        body = await response.json()
        cookie = response.cookies["collectief_session"]
    assert body["data"]["login"]["token"] is None  # the token is only in the cookie
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert len(cookie.value) >= 43  # 256 random bits, url-safe base64
    body = await api.gql(ME, headers={"Cookie": f"collectief_session={cookie.value}"})
    assert body["data"]["me"]["user"]["email"] == user.email


async def test_a4_wrong_email_and_wrong_password_answer_the_same(api: Api, session_factory) -> None:
    user = await _main_user(session_factory)
    answers = []
    for email, password in [
        (user.email, "verkeerd-wachtwoord-123"),
        ("niemand@x.nl", factories.PASSWORD),
    ]:
        body = await api.gql(LOGIN, {"input": {"email": email, "password": password}})
        answers.append(body["data"]["login"])
    assert answers[0] == answers[1]
    assert answers[0]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"
    assert answers[0]["user"] is None


async def test_a4_failed_and_successful_logins_are_audited(api: Api, session_factory) -> None:
    user = await _main_user(session_factory)
    await api.gql(LOGIN, {"input": {"email": user.email, "password": "fout-fout-fout-fout"}})
    await api.login(user.email)
    async with session_factory() as db:
        events = (await db.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
    assert [(e.action, e.outcome.value, e.actor_user_id) for e in events] == [
        ("login", "FAILURE", user.id),
        ("login", "SUCCESS", user.id),
    ]
    assert all(e.client_address == "127.0.0.1" for e in events)


async def test_a8_deactivated_user_cannot_log_in(api: Api, session_factory) -> None:
    user = await _main_user(session_factory, status=UserStatus.DEACTIVATED)
    body = await api.gql(LOGIN, {"input": {"email": user.email, "password": factories.PASSWORD}})
    assert body["data"]["login"]["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_a8_session_token_is_stored_hashed(api: Api, session_factory) -> None:
    user = await _main_user(session_factory)
    token = await api.login(user.email)
    async with session_factory() as db:
        stored = (await db.scalars(select(AuthSession.token_hash))).one()
    assert stored == hashlib.sha256(token.encode()).digest()  # the token itself is not kept


async def test_a8_logout_revokes_the_session(api: Api, session_factory) -> None:
    user = await _main_user(session_factory)
    token = await api.login(user.email)
    body = await api.gql("mutation { logout { userErrors { code } } }", token=token)
    assert body["data"]["logout"]["userErrors"] == []
    body = await api.gql(ME, token=token)
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_a8_idle_timeout_ends_the_session(
    api: Api, session_factory, clock: FixedClock
) -> None:
    user = await _main_user(session_factory)
    token = await api.login(user.email)
    clock.advance(dt.timedelta(minutes=29))
    assert "errors" not in await api.gql(ME, token=token)
    clock.advance(dt.timedelta(minutes=29))  # active 29 minutes ago: still within 30
    assert "errors" not in await api.gql(ME, token=token)
    clock.advance(dt.timedelta(minutes=31))
    assert error_codes(await api.gql(ME, token=token)) == ["UNAUTHENTICATED"]


async def test_a8_absolute_lifetime_ends_an_active_session(
    api: Api, session_factory, clock: FixedClock
) -> None:
    user = await _main_user(session_factory)
    token = await api.login(user.email)
    for _ in range(12 * 4):  # keep it busy every 15 minutes for 12 hours
        clock.advance(dt.timedelta(minutes=15))
        body = await api.gql(ME, token=token)
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_a8_unknown_or_garbage_tokens_are_unauthenticated(api: Api) -> None:
    for token in ["nonsense", "x" * 500, "é"]:
        body = await api.gql(ME, token=token)
        assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_a8_mutations_over_get_are_refused(api: Api) -> None:
    async with api.http.get(
        f"{api.base_url}/graphql", params={"query": "mutation { logout { userErrors { code } } }"}
    ) as response:
        assert response.status in (400, 405)
        body = await response.json()
    assert body["errors"][0]["extensions"]["code"] in ("BAD_REQUEST", "METHOD_NOT_ALLOWED")


async def test_a4_a_spoofed_forwarded_for_header_is_ignored(api: Api, session_factory) -> None:
    """Without trusted proxies, X-Forwarded-For cannot move a client to another address (and so
    cannot dodge the per-address throttle or forge the audit trail)."""
    user = await _main_user(session_factory)
    await api.gql(
        LOGIN,
        {"input": {"email": user.email, "password": "fout-fout-fout-fout"}},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    async with session_factory() as db:
        addresses = (await db.scalars(select(AuditEvent.client_address))).all()
    assert addresses == ["127.0.0.1"]


def test_a4_trusted_proxy_hop_is_used_when_configured() -> None:
    from aiohttp.test_utils import make_mocked_request

    from server.client_address import client_address

    request = make_mocked_request(
        "POST", "/graphql", headers={"X-Forwarded-For": "198.51.100.7, 10.0.0.2"}
    )
    assert client_address(request, trusted_proxy_count=1) == "10.0.0.2"
    assert client_address(request, trusted_proxy_count=2) == "198.51.100.7"
