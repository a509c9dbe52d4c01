"""Colleagues (A7): invitations, deactivation and the users overview, over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resolvers.tokens import peek_token
from storage import AuthSession, TotpDevice, User, UserToken
from storage.enums import AuditOutcome, TokenPurpose, UserRole, UserStatus

from . import factories
from .employers import (
    Employers,
    audit_events,
    gid,
    mails_to,
    make_employers,
    payload_of,
    token_in,
)
from .http import Api, error_codes

INVITE = """
mutation($input: InviteColleagueInput!) {
  inviteColleague(input: $input) {
    user { id email name role status language twoFactorEnabled lastLoginAt }
    userErrors { field code message }
  }
}
"""
DEACTIVATE = """
mutation($input: DeactivateUserInput!) {
  deactivateUser(input: $input) { user { id status } userErrors { field code message } }
}
"""
USERS = """
query($id: ID!) {
  collectivity(id: $id) { id users { id name email role status twoFactorEnabled lastLoginAt } }
}
"""


@pytest.fixture
async def cast(session_factory: async_sessionmaker[AsyncSession]) -> Employers:
    return await make_employers(session_factory)


def invitation(email: str = "pieter.de.vries@werkgever.nl", **extra: str) -> dict:
    return {"input": {"name": "Pieter de Vries", "email": email, **extra}}


async def test_a7_main_user_invites_a_colleague_with_a_seven_day_link(
    api: Api, cast: Employers, session_factory, clock
) -> None:
    token = await api.login(cast.main_x1.email)

    body = await api.gql(INVITE, invitation("Pieter.de.Vries@Werkgever.nl"), token=token)

    payload = payload_of(body, "inviteColleague")
    assert payload["userErrors"] == []
    assert payload["user"] | {"id": None} == {
        "id": None,
        "email": "Pieter.de.Vries@werkgever.nl",  # the domain normalised, the local part kept
        "name": "Pieter de Vries",
        "role": "COLLEAGUE",
        "status": "INVITED",
        "language": "nl",
        "twoFactorEnabled": False,
        "lastLoginAt": None,
    }
    async with session_factory() as db:
        user = await db.scalar(select(User).where(User.email_key == "pieter.de.vries@werkgever.nl"))
        assert payload["user"]["id"] == gid("User", user.id)
        assert user.home_collectivity_id == cast.x1.id
        assert user.password_hash is None
        (mail,) = await mails_to(db, user.email)
        link_token = token_in(mail, "/activeren")
        assert await peek_token(db, link_token, TokenPurpose.INVITATION, now=clock.now()) == user
        (row,) = await db.scalars(select(UserToken).where(UserToken.user_id == user.id))
        assert row.expires_at - row.created_at == dt.timedelta(days=7)
        later = clock.now() + dt.timedelta(days=7, seconds=1)
        assert await peek_token(db, link_token, TokenPurpose.INVITATION, now=later) is None
        (event_row,) = await audit_events(db, action="invite_colleague")
    assert "Xandra Hoofd" in mail.body_text
    assert cast.x1.collectivity_number in mail.body_text
    assert event_row.collectivity_id == cast.x1.id
    assert event_row.actor_user_id == cast.main_x1.id
    assert event_row.details == {"user_id": user.id}


async def test_a7_the_invited_colleague_activates_through_the_mailed_link_and_logs_in(
    api: Api, cast: Employers, session_factory
) -> None:
    main = await api.login(cast.main_x1.email)
    await api.gql(INVITE, invitation(), token=main)
    async with session_factory() as db:
        (mail,) = await mails_to(db, "pieter.de.vries@werkgever.nl")
    link_token = token_in(mail, "/activeren")
    password = "paarse-olifanten-dansen-op-het-dak"

    body = await api.gql(
        "mutation($input: ActivateAccountInput!) { activateAccount(input: $input) { "
        "user { email role status } userErrors { code } } }",
        {"input": {"token": link_token, "password": password}},
    )

    assert payload_of(body, "activateAccount") == {
        "user": {"email": "pieter.de.vries@werkgever.nl", "role": "COLLEAGUE", "status": "ACTIVE"},
        "userErrors": [],
    }
    token = await api.login("pieter.de.vries@werkgever.nl", password)
    me = await api.gql("{ me { user { role } homeCollectivity { id } } }", token=token)
    assert me["data"]["me"] == {
        "user": {"role": "COLLEAGUE"},
        "homeCollectivity": {"id": gid("Collectivity", cast.x1.id)},
    }
    # A colleague has the same rights, except managing users (A7).
    assert error_codes(await api.gql(INVITE, invitation("ander@werkgever.nl"), token=token)) == [
        "FORBIDDEN"
    ]


async def test_a7_invitation_mail_follows_the_chosen_language(
    api: Api, cast: Employers, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)
    body = await api.gql(INVITE, invitation(language="en"), token=token)
    assert payload_of(body, "inviteColleague")["user"]["language"] == "en"
    refused = await api.gql(INVITE, invitation("ander@werkgever.nl", language="de"), token=token)
    assert payload_of(refused, "inviteColleague")["userErrors"][0]["code"] == (
        "LANGUAGE_NOT_SUPPORTED"
    )
    async with session_factory() as db:
        (mail,) = await mails_to(db, "pieter.de.vries@werkgever.nl")
        assert await mails_to(db, "ander@werkgever.nl") == []
    assert mail.subject.startswith("Invitation")


@pytest.mark.parametrize("who", ["colleague_x1", "staff"])
async def test_a7_only_the_main_user_invites(
    api: Api, cast: Employers, session_factory, who: str
) -> None:
    token = await api.login(getattr(cast, who).email)

    body = await api.gql(INVITE, invitation(), token=token)

    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None
    async with session_factory() as db:
        assert await db.scalar(select(User).where(User.email_key.like("pieter%"))) is None
        assert await mails_to(db, "pieter.de.vries@werkgever.nl") == []
        (denied,) = await audit_events(db, action="invite_colleague")
    assert denied.outcome is AuditOutcome.DENIED
    assert denied.actor_user_id == getattr(cast, who).id


@pytest.mark.parametrize(
    ("email", "code"),
    [
        ("xavier@GMAIL.com", "EMAIL_FREE_MAIL_DOMAIN"),
        ("salarisadministratie@werkgever.nl", "EMAIL_NOT_PERSONAL"),
        ("geen-adres", "EMAIL_INVALID"),
    ],
)
async def test_a1_invitations_follow_the_account_email_rules(
    api: Api, cast: Employers, session_factory, email: str, code: str
) -> None:
    token = await api.login(cast.main_x1.email)

    body = await api.gql(INVITE, invitation(email), token=token)

    payload = payload_of(body, "inviteColleague")
    assert payload["user"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [("email", code)]
    async with session_factory() as db:
        assert await db.scalar(select(User).where(User.email_key == email.lower())) is None


async def test_a2_an_address_holds_one_account_whatever_its_case(
    api: Api, cast: Employers, session_factory
) -> None:
    token = await api.login(cast.main_x1.email)

    body = await api.gql(INVITE, invitation(cast.main_y1.email.upper()), token=token)

    assert payload_of(body, "inviteColleague")["userErrors"][0] | {"message": None} == {
        "field": "email",
        "code": "EMAIL_IN_USE",
        "message": None,
    }
    async with session_factory() as db:
        assert await mails_to(db, cast.main_y1.email.upper()) == []


async def test_a7_name_is_required(api: Api, cast: Employers) -> None:
    token = await api.login(cast.main_x1.email)
    body = await api.gql(
        INVITE, {"input": {"name": "   ", "email": "naamloos@werkgever.nl"}}, token=token
    )
    assert payload_of(body, "inviteColleague")["userErrors"][0]["code"] == "VALUE_REQUIRED"


async def test_a7_a_deactivated_users_session_stops_working_at_once(
    api: Api, cast: Employers, session_factory
) -> None:
    colleague_token = await api.login(cast.colleague_x1.email)
    assert "errors" not in await api.gql("{ me { user { id } } }", token=colleague_token)
    main_token = await api.login(cast.main_x1.email)

    body = await api.gql(
        DEACTIVATE, {"input": {"id": gid("User", cast.colleague_x1.id)}}, token=main_token
    )

    assert payload_of(body, "deactivateUser") == {
        "user": {"id": gid("User", cast.colleague_x1.id), "status": "DEACTIVATED"},
        "userErrors": [],
    }
    after = await api.gql("{ me { user { id } } }", token=colleague_token)
    assert error_codes(after) == ["UNAUTHENTICATED"]
    login = await api.gql(
        "mutation($i: LoginInput!) { login(input: $i) { userErrors { code } } }",
        {"i": {"email": cast.colleague_x1.email, "password": factories.PASSWORD}},
    )
    assert login["data"]["login"]["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]
    async with session_factory() as db:
        user = await db.get(User, cast.colleague_x1.id)
        sessions = list(await db.scalars(select(AuthSession).where(AuthSession.user_id == user.id)))
        (event_row,) = await audit_events(db, action="deactivate_user")
    assert user.status is UserStatus.DEACTIVATED
    assert user.deactivated_at is not None
    assert sessions
    assert all(s.revoked_at is not None for s in sessions)
    assert event_row.outcome is AuditOutcome.SUCCESS
    assert event_row.details == {"user_id": user.id, "previous_status": "ACTIVE"}
    # The main user's own session is untouched.
    assert "errors" not in await api.gql("{ me { user { id } } }", token=main_token)


async def test_a7_deactivating_an_invited_colleague_voids_the_invitation(
    api: Api, cast: Employers, session_factory, clock
) -> None:
    token = await api.login(cast.main_x1.email)
    invited = payload_of(await api.gql(INVITE, invitation(), token=token), "inviteColleague")
    async with session_factory() as db:
        (mail,) = await mails_to(db, "pieter.de.vries@werkgever.nl")
    link_token = token_in(mail, "/activeren")

    body = await api.gql(DEACTIVATE, {"input": {"id": invited["user"]["id"]}}, token=token)

    assert payload_of(body, "deactivateUser")["userErrors"] == []
    async with session_factory() as db:
        assert await peek_token(db, link_token, TokenPurpose.INVITATION, now=clock.now()) is None


@pytest.mark.parametrize(
    ("target", "code"),
    [("main_x1", "CANNOT_DEACTIVATE_SELF"), ("second_main", "CANNOT_DEACTIVATE_MAIN_USER")],
)
async def test_a7_main_user_deactivates_colleagues_only(
    api: Api, cast: Employers, session_factory, target: str, code: str
) -> None:
    async with session_factory() as db:
        second_main = await factories.user(db, cast.x1, name="Tweede Hoofd")
        await db.commit()
    target_id = second_main.id if target == "second_main" else cast.main_x1.id
    token = await api.login(cast.main_x1.email)

    body = await api.gql(DEACTIVATE, {"input": {"id": gid("User", target_id)}}, token=token)

    payload = payload_of(body, "deactivateUser")
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [("id", code)]
    async with session_factory() as db:
        assert (await db.get(User, target_id)).status is UserStatus.ACTIVE


async def test_a7_deactivating_twice_says_so(api: Api, cast: Employers) -> None:
    token = await api.login(cast.main_x1.email)
    variables = {"input": {"id": gid("User", cast.colleague_x1.id)}}
    await api.gql(DEACTIVATE, variables, token=token)
    body = await api.gql(DEACTIVATE, variables, token=token)
    assert payload_of(body, "deactivateUser")["userErrors"][0]["code"] == (
        "USER_ALREADY_DEACTIVATED"
    )


async def test_a7_a_colleague_cannot_deactivate(api: Api, cast: Employers, session_factory) -> None:
    async with session_factory() as db:
        other = await factories.user(db, cast.x1, role=UserRole.COLLEAGUE)
        await db.commit()
    token = await api.login(cast.colleague_x1.email)

    body = await api.gql(DEACTIVATE, {"input": {"id": gid("User", other.id)}}, token=token)

    assert error_codes(body) == ["FORBIDDEN"]
    async with session_factory() as db:
        assert (await db.get(User, other.id)).status is UserStatus.ACTIVE


@pytest.mark.parametrize("target", ["colleague_y1", "main_x2"])
async def test_b3_deactivating_another_collectivitys_user_is_not_found(
    api: Api, cast: Employers, session_factory, target: str
) -> None:
    """Another employer's colleague, and a colleague of the same customer's other collectivity,
    answer exactly like a user that does not exist, and stay active."""
    token = await api.login(cast.main_x1.email)
    target_id = getattr(cast, target).id

    foreign = await api.gql(DEACTIVATE, {"input": {"id": gid("User", target_id)}}, token=token)
    missing = await api.gql(DEACTIVATE, {"input": {"id": gid("User", 987654)}}, token=token)

    assert foreign == missing
    assert payload_of(foreign, "deactivateUser")["userErrors"][0]["code"] == "NOT_FOUND"
    async with session_factory() as db:
        assert (await db.get(User, target_id)).status is UserStatus.ACTIVE


async def test_a7_users_overview_shows_status_two_factor_and_last_login(
    api: Api, cast: Employers, session_factory, clock
) -> None:
    async with session_factory() as db:
        with_app = await factories.user(db, cast.x1, role=UserRole.COLLEAGUE, name="Met App")
        db.add(
            TotpDevice(
                user_id=with_app.id,
                secret_encrypted=b"x",
                created_at=clock.now(),
                confirmed_at=clock.now(),
            )
        )
        # Registered but never confirmed: 2FA is not on.
        db.add(TotpDevice(user_id=cast.main_x1.id, secret_encrypted=b"x", created_at=clock.now()))
        await db.commit()
    main_token = await api.login(cast.main_x1.email)
    invited = payload_of(await api.gql(INVITE, invitation(), token=main_token), "inviteColleague")

    for token in (main_token, await api.login(cast.colleague_x1.email)):
        body = await api.gql(USERS, {"id": gid("Collectivity", cast.x1.id)}, token=token)
        users = {u["email"]: u for u in body["data"]["collectivity"]["users"]}
        assert set(users) == {
            cast.main_x1.email,
            cast.colleague_x1.email,
            with_app.email,
            invited["user"]["email"],
        }
        assert users[cast.main_x1.email]["role"] == "MAIN"
        assert users[cast.main_x1.email]["twoFactorEnabled"] is False
        assert users[cast.main_x1.email]["lastLoginAt"] == clock.now().isoformat()
        assert users[with_app.email]["twoFactorEnabled"] is True
        assert users[cast.colleague_x1.email]["twoFactorEnabled"] is False
        assert users[invited["user"]["email"]]["status"] == "INVITED"
        assert users[invited["user"]["email"]]["lastLoginAt"] is None


async def test_a7_two_factor_of_the_overview_is_one_query(
    api: Api, cast: Employers, session_factory, engine: AsyncEngine
) -> None:
    async with session_factory() as db:
        for _ in range(5):
            await factories.user(db, cast.x1, role=UserRole.COLLEAGUE)
        await db.commit()
    token = await api.login(cast.main_x1.email)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        body = await api.gql(USERS, {"id": gid("Collectivity", cast.x1.id)}, token=token)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)

    assert len(body["data"]["collectivity"]["users"]) == 7
    assert len([s for s in statements if "totp_devices" in s]) == 1


async def test_a7_users_of_a_linked_collectivity_do_not_see_its_users(
    api: Api, cast: Employers, session_factory
) -> None:
    async with session_factory() as db:
        await factories.link(db, cast.x1, cast.x2)
        await db.commit()
    token = await api.login(cast.main_x1.email)

    body = await api.gql(USERS, {"id": gid("Collectivity", cast.x2.id)}, token=token)
    node = await api.gql(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": gid("User", cast.main_x2.id)},
        token=token,
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"]["collectivity"] == {"id": gid("Collectivity", cast.x2.id), "users": None}
    assert error_codes(node) == ["NOT_FOUND"]


async def test_b3_other_employers_users_overview_is_not_found(api: Api, cast: Employers) -> None:
    token = await api.login(cast.main_x1.email)
    body = await api.gql(USERS, {"id": gid("Collectivity", cast.y1.id)}, token=token)
    assert error_codes(body) == ["NOT_FOUND"]
    assert body["data"] == {"collectivity": None}


async def test_b4_staff_see_every_collectivitys_users(api: Api, cast: Employers) -> None:
    token = await api.login(cast.staff.email)
    body = await api.gql(USERS, {"id": gid("Collectivity", cast.y1.id)}, token=token)
    assert {u["email"] for u in body["data"]["collectivity"]["users"]} == {
        cast.main_y1.email,
        cast.colleague_y1.email,
    }
