"""Self-service password reset over HTTP (A5), following the links in the queued mails."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.clock import FixedClock
from storage import LoginThrottle, OutgoingMail, TotpDevice, User
from storage.enums import ThrottleScope, UserRole, UserStatus

from . import factories
from .account_steps import (
    ME,
    NEW_PASSWORD,
    REQUEST_RESET,
    RESET,
    audit_trail,
    codes,
    link_in,
    mails_to,
    payload_of,
    state,
)
from .http import LOGIN, Api, error_codes


@dataclasses.dataclass
class People:
    active: User
    invited: User
    deactivated: User
    staff: User


@pytest.fixture
async def people(session_factory: async_sessionmaker[AsyncSession]) -> People:
    async with session_factory() as db:
        home = await factories.collectivity(db)
        active = await factories.user(db, home, email="Marieke.Jansen@vandijkbouw.nl")
        invited = await factories.user(
            db,
            home,
            role=UserRole.COLLEAGUE,
            email="nog.niet@vandijkbouw.nl",
            status=UserStatus.INVITED,
            password_hash=None,
        )
        deactivated = await factories.user(
            db,
            home,
            role=UserRole.COLLEAGUE,
            email="vertrokken@vandijkbouw.nl",
            status=UserStatus.DEACTIVATED,
        )
        staff = await factories.user(
            db, None, role=UserRole.STAFF, email="femke.dekker@collectief-zorg.nl"
        )
        await db.commit()
    return People(active, invited, deactivated, staff)


async def ask_reset(api: Api, email: str, **kw) -> dict:
    return payload_of(
        await api.gql(REQUEST_RESET, {"input": {"email": email}}, **kw), "requestPasswordReset"
    )


async def reset(api: Api, token: str, password: str = NEW_PASSWORD) -> dict:
    body = await api.gql(RESET, {"input": {"token": token, "newPassword": password}})
    return payload_of(body, "resetPassword")


async def reset_token(api: Api, session_factory, email: str) -> str:
    await ask_reset(api, email)
    mails = await mails_to(session_factory, email)
    return link_in(mails[-1])[1]


async def test_a5_reset_by_mail_link_then_log_in_with_the_new_password(
    api: Api, people: People, session_factory
) -> None:
    email = people.active.email
    assert await ask_reset(api, "  marieke.JANSEN@vandijkbouw.nl ") == {"userErrors": []}
    (mail,) = await mails_to(session_factory, email)
    assert mail.subject == "Nieuw wachtwoord instellen"
    assert "60 minuten" in mail.body_text
    portal, token = link_in(mail)
    assert portal == "http://127.0.0.1:8080/wachtwoord-herstellen"

    assert await reset(api, token) == {"userErrors": []}
    old = await api.gql(LOGIN, {"input": {"email": email, "password": factories.PASSWORD}})
    assert codes(old["data"]["login"]) == [("password", "INVALID_CREDENTIALS")]
    session = await api.login(email, NEW_PASSWORD)
    assert (await api.gql(ME, token=session))["data"]["me"]["user"]["email"] == email
    notice = (await mails_to(session_factory, email))[-1]
    assert notice.subject == "Uw wachtwoord is gewijzigd"
    assert "#token=" not in notice.body_text


async def test_a5_the_answer_is_the_same_for_every_address(
    api: Api, people: People, session_factory
) -> None:
    addresses = [
        people.active.email,
        "niemand@vandijkbouw.nl",
        people.invited.email,
        people.deactivated.email,
        "geen e-mailadres",
        "x" * 300,
    ]
    answers = [await ask_reset(api, a) for a in addresses]
    english = await ask_reset(api, "niemand@vandijkbouw.nl", headers={"Accept-Language": "en"})
    assert all(answer == {"userErrors": []} for answer in [*answers, english])
    async with session_factory() as db:
        recipients = [
            m.recipient for m in await db.scalars(select(OutgoingMail).order_by(OutgoingMail.id))
        ]
    assert recipients == [people.active.email]
    trail = await audit_trail(session_factory)
    assert [(e.action, e.outcome.value, e.actor_user_id) for e in trail[:4]] == [
        ("request_password_reset", "SUCCESS", people.active.id),
        ("request_password_reset", "FAILURE", None),
        ("request_password_reset", "FAILURE", people.invited.id),
        ("request_password_reset", "FAILURE", people.deactivated.id),
    ]


async def test_a5_reset_link_is_single_use(api: Api, people: People, session_factory) -> None:
    token = await reset_token(api, session_factory, people.active.email)
    assert await reset(api, token) == {"userErrors": []}
    before = await state(session_factory)
    again = await reset(api, token, "een derde wachtwoord kiezen")
    assert codes(again) == [("token", "TOKEN_INVALID")]
    assert await state(session_factory) == before
    await api.login(people.active.email, NEW_PASSWORD)


async def test_a5_reset_link_expires_after_an_hour(
    api: Api, people: People, session_factory, clock: FixedClock
) -> None:
    token = await reset_token(api, session_factory, people.active.email)
    clock.advance(dt.timedelta(hours=1, seconds=1))
    before = await state(session_factory)
    assert codes(await reset(api, token)) == [("token", "TOKEN_INVALID")]
    assert await state(session_factory) == before
    await api.login(people.active.email)  # the old password still works


async def test_a5_reset_link_works_within_the_hour(
    api: Api, people: People, session_factory, clock: FixedClock
) -> None:
    token = await reset_token(api, session_factory, people.active.email)
    clock.advance(dt.timedelta(minutes=59))
    assert await reset(api, token) == {"userErrors": []}


async def test_a5_a_new_request_voids_the_older_links(
    api: Api, people: People, session_factory
) -> None:
    first = await reset_token(api, session_factory, people.active.email)
    second = await reset_token(api, session_factory, people.active.email)
    assert codes(await reset(api, first)) == [("token", "TOKEN_INVALID")]
    assert await reset(api, second) == {"userErrors": []}


async def test_a5_reset_ends_all_sessions_and_logs_nobody_in(
    api: Api, people: People, session_factory
) -> None:
    sessions = [await api.login(people.active.email) for _ in range(2)]
    token = await reset_token(api, session_factory, people.active.email)
    async with api.http.post(
        f"{api.base_url}/graphql",
        json={
            "query": RESET,
            "variables": {"input": {"token": token, "newPassword": NEW_PASSWORD}},
        },
    ) as response:
        assert "collectief_session" not in response.cookies
        assert (await response.json())["data"]["resetPassword"] == {"userErrors": []}
    for session in sessions:
        assert error_codes(await api.gql(ME, token=session)) == ["UNAUTHENTICATED"]


async def test_a5_reset_never_bypasses_two_factor(
    api: Api, people: People, session_factory, clock: FixedClock
) -> None:
    async with session_factory() as db:
        db.add(
            TotpDevice(
                user_id=people.active.id,
                secret_encrypted=b"versleuteld",
                created_at=clock.now(),
                confirmed_at=clock.now(),
            )
        )
        await db.commit()
    token = await reset_token(api, session_factory, people.active.email)
    assert await reset(api, token) == {"userErrors": []}
    body = await api.gql(
        """mutation($input: LoginInput!) {
             login(input: $input) { session { token } twoFactorChallenge { token } userErrors { code } } }""",
        {"input": {"email": people.active.email, "password": NEW_PASSWORD, "bearer": True}},
    )
    login = body["data"]["login"]
    assert login["session"] is None
    assert login["twoFactorChallenge"]["token"]
    async with session_factory() as db:
        device = await db.scalar(select(TotpDevice).where(TotpDevice.user_id == people.active.id))
    assert device is not None
    assert device.confirmed_at is not None


async def test_a5_reset_voids_a_two_factor_challenge_begun_with_the_old_password(
    api: Api, people: People, session_factory, clock: FixedClock
) -> None:
    async with session_factory() as db:
        db.add(
            TotpDevice(
                user_id=people.active.id,
                secret_encrypted=b"versleuteld",
                created_at=clock.now(),
                confirmed_at=clock.now(),
            )
        )
        await db.commit()
    body = await api.gql(
        """mutation($input: LoginInput!) { login(input: $input) { twoFactorChallenge { token } } }""",
        {"input": {"email": people.active.email, "password": factories.PASSWORD}},
    )
    challenge = body["data"]["login"]["twoFactorChallenge"]["token"]
    token = await reset_token(api, session_factory, people.active.email)
    await reset(api, token)
    verify = await api.gql(
        """mutation($input: VerifyTwoFactorInput!) {
             verifyTwoFactor(input: $input) { userErrors { code } } }""",
        {"input": {"challenge": challenge, "code": "123456"}},
    )
    assert verify["data"]["verifyTwoFactor"]["userErrors"][0]["code"] == (
        "TWO_FACTOR_CHALLENGE_INVALID"
    )


async def test_a5_reset_lifts_a_lock_from_failed_logins(
    api: Api, people: People, session_factory, clock: FixedClock
) -> None:
    async with session_factory() as db:
        db.add(
            LoginThrottle(
                scope=ThrottleScope.ACCOUNT,
                key=people.active.email.lower(),
                failures=10,
                first_failure_at=clock.now(),
                last_failure_at=clock.now(),
                blocked_until=clock.now() + dt.timedelta(minutes=15),
            )
        )
        await db.commit()
    locked = await api.gql(LOGIN, {"input": {"email": people.active.email, "password": "x"}})
    assert codes(locked["data"]["login"]) == [("email", "ACCOUNT_LOCKED")]
    token = await reset_token(api, session_factory, people.active.email)
    assert await reset(api, token) == {"userErrors": []}
    await api.login(people.active.email, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("te kort", "PASSWORD_TOO_SHORT"),
        ("y" * 129, "PASSWORD_TOO_LONG"),
        ("1q2w3e4r5t6y7u8i9o0p", "PASSWORD_TOO_COMMON"),
        ("Marieke.Jansen fietst graag", "PASSWORD_CONTAINS_EMAIL"),
    ],
)
async def test_a5_reset_applies_the_password_policy_and_keeps_the_link_usable(
    api: Api, people: People, session_factory, password: str, code: str
) -> None:
    session = await api.login(people.active.email)
    token = await reset_token(api, session_factory, people.active.email)
    before = await state(session_factory)
    assert codes(await reset(api, token, password)) == [("newPassword", code)]
    assert await state(session_factory) == before
    assert (await api.gql(ME, token=session))["data"]["me"] is not None
    assert await reset(api, token) == {"userErrors": []}


async def test_a5_unknown_and_malformed_tokens_are_token_invalid(
    api: Api, people: People, session_factory
) -> None:
    before = await state(session_factory)
    for token in ["", "onzin", "a" * 500]:
        assert codes(await reset(api, token)) == [("token", "TOKEN_INVALID")]
    assert await state(session_factory) == before
    events = [(e.action, e.outcome.value) for e in await audit_trail(session_factory)]
    assert events == [("reset_password", "FAILURE")] * 3


async def test_a5_a_user_deactivated_after_asking_cannot_reset(
    api: Api, people: People, session_factory
) -> None:
    token = await reset_token(api, session_factory, people.active.email)
    async with session_factory() as db:
        user = await db.get(User, people.active.id)
        user.status = UserStatus.DEACTIVATED
        await db.commit()
    assert codes(await reset(api, token)) == [("token", "TOKEN_INVALID")]


async def test_a9_reset_events_are_audited_without_tokens_or_passwords(
    api: Api, people: People, session_factory
) -> None:
    token = await reset_token(api, session_factory, people.active.email)
    await reset(api, token, "te kort")
    await reset(api, token)
    trail = await audit_trail(session_factory)
    assert [(e.action, e.outcome.value, e.actor_user_id, e.details) for e in trail] == [
        ("request_password_reset", "SUCCESS", people.active.id, {}),
        ("reset_password", "FAILURE", people.active.id, {"reason": "PASSWORD_TOO_SHORT"}),
        ("reset_password", "SUCCESS", people.active.id, {}),
    ]
    for event in trail:
        assert token not in str(event.details)
        assert NEW_PASSWORD not in str(event.details)
    assert all(e.collectivity_id == people.active.home_collectivity_id for e in trail)
