"""Two-factor authentication with TOTP (A6) over HTTP: registration, login challenge, replay and
window, throttling, encryption at rest, a new phone, the staff reset, and 2FA required."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pyotp
import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.clock import FixedClock
from resolvers.throttling import ThrottlePolicy
from server.app import create_app
from storage import AuditEvent, AuthSession, OutgoingMail, TotpDevice
from storage.enums import UserRole

from . import factories
from .http import Api, error_codes

START = """mutation($input: StartTwoFactorRegistrationInput!) {
  startTwoFactorRegistration(input: $input) { otpauthUri qrCodeSvg userErrors { field code } } }"""
CONFIRM = """mutation($input: ConfirmTwoFactorRegistrationInput!) {
  confirmTwoFactorRegistration(input: $input) {
    enabled session { token user { email } } userErrors { field code } } }"""
LOGIN = """mutation($input: LoginInput!) {
  login(input: $input) {
    session { token } twoFactorChallenge { token expiresAt registrationRequired }
    userErrors { field code } } }"""
VERIFY = """mutation($input: VerifyTwoFactorInput!) {
  verifyTwoFactor(input: $input) { session { token user { email } } userErrors { field code } } }"""
RESET = """mutation($input: ResetTwoFactorInput!) {
  resetTwoFactor(input: $input) { user { email } userErrors { field code } } }"""
ME = "{ me { user { email } } }"


def secret_of(uri: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]


def code_at(secret: str, when: dt.datetime) -> str:
    return pyotp.TOTP(secret).at(when)


async def _user(session_factory: async_sessionmaker[AsyncSession], **values):
    async with session_factory() as db:
        user = await factories.user(db, await factories.collectivity(db), **values)
        await db.commit()
    return user


async def _login(api: Api, email: str, password: str = factories.PASSWORD) -> dict:
    body = await api.gql(LOGIN, {"input": {"email": email, "password": password, "bearer": True}})
    return body["data"]["login"]


async def _register(api: Api, token: str, clock: FixedClock) -> str:
    """Register and confirm an app for the logged-in user; returns the secret."""
    body = await api.gql(START, {"input": {}}, token=token)
    started = body["data"]["startTwoFactorRegistration"]
    assert started["userErrors"] == []
    secret = secret_of(started["otpauthUri"])
    body = await api.gql(CONFIRM, {"input": {"code": code_at(secret, clock.now())}}, token=token)
    assert body["data"]["confirmTwoFactorRegistration"]["enabled"] is True
    clock.advance(dt.timedelta(seconds=30))  # the next code is a new one
    return secret


async def _verify(api: Api, challenge: str, code: str) -> dict:
    body = await api.gql(VERIFY, {"input": {"challenge": challenge, "code": code, "bearer": True}})
    return body["data"]["verifyTwoFactor"]


async def test_a6_registration_gives_otpauth_uri_and_svg_qr(
    api: Api, session_factory, clock: FixedClock
) -> None:
    user = await _user(session_factory)
    token = await api.login(user.email)
    body = await api.gql(START, {"input": {}}, token=token)
    started = body["data"]["startTwoFactorRegistration"]
    uri = urllib.parse.urlparse(started["otpauthUri"])
    query = urllib.parse.parse_qs(uri.query)
    assert uri.scheme == "otpauth"
    assert uri.netloc == "totp"
    assert urllib.parse.unquote(uri.path) == f"/Collectief werkgeversportaal:{user.email}"
    assert query["issuer"] == ["Collectief werkgeversportaal"]
    assert (query["algorithm"], query["digits"], query["period"]) == (["SHA1"], ["6"], ["30"])
    assert len(secret_of(started["otpauthUri"])) >= 32  # 160 bits in base32
    assert started["qrCodeSvg"].lstrip().startswith("<svg")


async def test_a6_login_with_2fa_needs_a_code_before_a_session(
    api: Api, session_factory, clock: FixedClock
) -> None:
    user = await _user(session_factory)
    secret = await _register(api, await api.login(user.email), clock)
    login = await _login(api, user.email)
    assert login["session"] is None
    challenge = login["twoFactorChallenge"]
    assert challenge["registrationRequired"] is False
    verified = await _verify(api, challenge["token"], code_at(secret, clock.now()))
    assert verified["userErrors"] == []
    body = await api.gql(ME, token=verified["session"]["token"])
    assert body["data"]["me"]["user"]["email"] == user.email
    # The challenge is used up.
    again = await _verify(api, challenge["token"], code_at(secret, clock.now()))
    assert [e["code"] for e in again["userErrors"]] == ["TWO_FACTOR_CHALLENGE_INVALID"]


async def test_a6_a_challenge_is_not_a_session(api: Api, session_factory, clock) -> None:
    user = await _user(session_factory)
    await _register(api, await api.login(user.email), clock)
    challenge = (await _login(api, user.email))["twoFactorChallenge"]["token"]
    assert error_codes(await api.gql(ME, token=challenge)) == ["UNAUTHENTICATED"]


async def test_a6_a_code_is_accepted_once(api: Api, session_factory, clock: FixedClock) -> None:
    user = await _user(session_factory)
    secret = await _register(api, await api.login(user.email), clock)
    code = code_at(secret, clock.now())
    first = (await _login(api, user.email))["twoFactorChallenge"]["token"]
    assert (await _verify(api, first, code))["userErrors"] == []
    second = (await _login(api, user.email))["twoFactorChallenge"]["token"]
    replay = await _verify(api, second, code)
    assert [e["code"] for e in replay["userErrors"]] == ["INVALID_TWO_FACTOR_CODE"]


@pytest.mark.parametrize(("steps", "accepted"), [(-1, True), (1, True), (-2, False), (2, False)])
async def test_a6_window_is_one_step_either_way(
    api: Api, session_factory, clock: FixedClock, steps: int, accepted: bool
) -> None:
    user = await _user(session_factory)
    secret = await _register(api, await api.login(user.email), clock)
    clock.advance(dt.timedelta(minutes=2))  # clear of the registration's steps
    challenge = (await _login(api, user.email))["twoFactorChallenge"]["token"]
    code = code_at(secret, clock.now() + dt.timedelta(seconds=30 * steps))
    result = await _verify(api, challenge, code)
    assert (result["userErrors"] == []) is accepted


async def test_a6_wrong_codes_are_throttled(api: Api, session_factory, clock: FixedClock) -> None:
    user = await _user(session_factory)
    secret = await _register(api, await api.login(user.email), clock)
    challenge = (await _login(api, user.email))["twoFactorChallenge"]["token"]
    codes = [
        next(e["code"] for e in (await _verify(api, challenge, "000000"))["userErrors"])
        for _ in range(ThrottlePolicy().free_failures + 2)
    ]
    assert codes[-1] == "TOO_MANY_ATTEMPTS"
    right = await _verify(api, challenge, code_at(secret, clock.now()))
    assert [e["code"] for e in right["userErrors"]] == ["TOO_MANY_ATTEMPTS"]


async def test_a6_expired_challenge_is_refused(api: Api, session_factory, clock) -> None:
    user = await _user(session_factory)
    secret = await _register(api, await api.login(user.email), clock)
    challenge = (await _login(api, user.email))["twoFactorChallenge"]["token"]
    clock.advance(dt.timedelta(minutes=5, seconds=1))
    result = await _verify(api, challenge, code_at(secret, clock.now()))
    assert [e["code"] for e in result["userErrors"]] == ["TWO_FACTOR_CHALLENGE_INVALID"]


async def test_a6_secret_is_encrypted_at_rest(api: Api, session_factory, clock) -> None:
    user = await _user(session_factory)
    secret = await _register(api, await api.login(user.email), clock)
    async with session_factory() as db:
        stored = await db.scalar(select(TotpDevice.secret_encrypted))
    assert secret.encode() not in stored
    assert secret not in stored.decode(errors="ignore")


async def test_a6_new_phone_needs_password_and_current_code(
    api: Api, session_factory, clock: FixedClock
) -> None:
    user = await _user(session_factory)
    token = await api.login(user.email)
    old = await _register(api, token, clock)
    refusals = []
    for variables in (
        {},
        {"password": "verkeerd-wachtwoord-99", "currentCode": code_at(old, clock.now())},
        {"password": factories.PASSWORD},
        {"password": factories.PASSWORD, "currentCode": "123456"},
    ):
        body = await api.gql(START, {"input": variables}, token=token)
        refusals.append(body["data"]["startTwoFactorRegistration"]["userErrors"][0]["code"])
    assert refusals == [
        "INVALID_CREDENTIALS",
        "INVALID_CREDENTIALS",
        "TWO_FACTOR_CODE_REQUIRED",
        "INVALID_TWO_FACTOR_CODE",
    ]
    clock.advance(dt.timedelta(seconds=61))  # past the throttle delay the refusals caused
    body = await api.gql(
        START,
        {"input": {"password": factories.PASSWORD, "currentCode": code_at(old, clock.now())}},
        token=token,
    )
    new = secret_of(body["data"]["startTwoFactorRegistration"]["otpauthUri"])
    # Until the new phone is confirmed, the old one still logs in.
    clock.advance(dt.timedelta(seconds=30))
    challenge = (await _login(api, user.email))["twoFactorChallenge"]["token"]
    assert (await _verify(api, challenge, code_at(old, clock.now())))["userErrors"] == []
    clock.advance(dt.timedelta(seconds=30))
    body = await api.gql(CONFIRM, {"input": {"code": code_at(new, clock.now())}}, token=token)
    assert body["data"]["confirmTwoFactorRegistration"]["enabled"] is True
    clock.advance(dt.timedelta(seconds=30))
    challenge = (await _login(api, user.email))["twoFactorChallenge"]["token"]
    old_code = await _verify(api, challenge, code_at(old, clock.now()))
    assert [e["code"] for e in old_code["userErrors"]] == ["INVALID_TWO_FACTOR_CODE"]
    assert (await _verify(api, challenge, code_at(new, clock.now())))["userErrors"] == []
    async with session_factory() as db:
        devices = await db.scalar(select(func.count()).select_from(TotpDevice))
    assert devices == 1


async def test_a6_staff_reset_for_a_lost_phone(
    api: Api, session_factory, clock: FixedClock
) -> None:
    user = await _user(session_factory)
    async with session_factory() as db:
        staff = await factories.user(db, None, role=UserRole.STAFF)
        await db.commit()
    user_token = await api.login(user.email)
    await _register(api, user_token, clock)
    user_id = (await api.gql("{ me { user { id } } }", token=user_token))["data"]["me"]["user"][
        "id"
    ]
    # Not staff: forbidden, and nothing changes.
    body = await api.gql(RESET, {"input": {"userId": user_id}}, token=user_token)
    assert error_codes(body) == ["FORBIDDEN"]
    staff_token = await api.login(staff.email)
    body = await api.gql(RESET, {"input": {"userId": user_id}}, token=staff_token)
    assert body["data"]["resetTwoFactor"]["userErrors"] == []
    assert error_codes(await api.gql(ME, token=user_token)) == ["UNAUTHENTICATED"]
    login = await _login(api, user.email)
    assert login["session"] is not None  # no second factor any more
    async with session_factory() as db:
        mails = (await db.scalars(select(OutgoingMail.subject))).all()
        audited = (
            await db.scalars(select(AuditEvent).where(AuditEvent.action == "reset_two_factor"))
        ).all()
    assert "Tweestapsverificatie uitgeschakeld" in mails
    assert [(a.actor_user_id, a.details["user_id"]) for a in audited] == [(staff.id, user.id)]


async def test_a6_staff_reset_of_unknown_user_is_not_found(api: Api, session_factory) -> None:
    async with session_factory() as db:
        staff = await factories.user(db, None, role=UserRole.STAFF)
        await db.commit()
    token = await api.login(staff.email)
    body = await api.gql(RESET, {"input": {"userId": "VXNlcjo5OTk5OQ=="}}, token=token)
    assert [e["code"] for e in body["data"]["resetTwoFactor"]["userErrors"]] == ["NOT_FOUND"]


async def test_a6_required_2fa_registers_during_login(
    engine, session_factory, settings, clock: FixedClock
) -> None:
    import dataclasses

    required = dataclasses.replace(settings, require_two_factor=True)
    server = TestServer(create_app(required, engine=engine, clock=clock), host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as http:
            api = Api(str(server.make_url("")).rstrip("/"), http)
            user = await _user(session_factory)
            login = await _login(api, user.email)
            assert login["session"] is None
            challenge = login["twoFactorChallenge"]
            assert challenge["registrationRequired"] is True
            verified = await _verify(api, challenge["token"], "123456")
            assert [e["code"] for e in verified["userErrors"]] == [
                "TWO_FACTOR_REGISTRATION_REQUIRED"
            ]
            body = await api.gql(START, {"input": {"challenge": challenge["token"]}})
            secret = secret_of(body["data"]["startTwoFactorRegistration"]["otpauthUri"])
            body = await api.gql(
                CONFIRM,
                {"input": {"challenge": challenge["token"], "code": code_at(secret, clock.now()),
                           "bearer": True}},
            )  # fmt: skip
            confirmed = body["data"]["confirmTwoFactorRegistration"]
            assert confirmed["userErrors"] == []
            token = confirmed["session"]["token"]
            assert (await api.gql(ME, token=token))["data"]["me"]["user"]["email"] == user.email
            # The challenge cannot be used to register again.
            body = await api.gql(START, {"input": {"challenge": challenge["token"]}})
            errors = body["data"]["startTwoFactorRegistration"]["userErrors"]
            assert [e["code"] for e in errors] == ["TWO_FACTOR_CHALLENGE_INVALID"]
            async with session_factory() as db:
                sessions = await db.scalar(select(func.count()).select_from(AuthSession))
            assert sessions == 1
    finally:
        await server.close()


async def test_a6_registration_without_session_or_challenge_is_unauthenticated(api: Api) -> None:
    assert error_codes(await api.gql(START, {"input": {}})) == ["UNAUTHENTICATED"]
    body = await api.gql(START, {"input": {"challenge": "verzonnen"}})
    errors = body["data"]["startTwoFactorRegistration"]["userErrors"]
    assert [e["code"] for e in errors] == ["TWO_FACTOR_CHALLENGE_INVALID"]
