"""Account requests, activation and password changes over HTTP (A1, A2, A3, A7, A9)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.clock import FixedClock
from storage import AccountRequest, Collectivity, LoginThrottle, User
from storage.enums import UserRole, UserStatus

from . import factories
from .account_steps import (
    ACCOUNT_REQUESTS,
    ACTIVATE,
    APPROVE,
    CHANGE_PASSWORD,
    ME,
    NEW_PASSWORD,
    REJECT,
    audit_trail,
    codes,
    link_in,
    mails_to,
    payload_of,
    request_account,
    state,
)
from .http import LOGIN, Api, error_codes


@dataclasses.dataclass
class Cast:
    customer_number: str
    free: Collectivity  # a collectivity without users
    taken: Collectivity  # has an ACTIVE main user
    other_customers: Collectivity
    staff: User
    main: User
    colleague: User


@pytest.fixture
async def cast(session_factory: async_sessionmaker[AsyncSession]) -> Cast:
    async with session_factory() as db:
        customer = await factories.customer(db, customer_number="100200")
        free = await factories.collectivity(db, customer, collectivity_number="300400")
        taken = await factories.collectivity(db, customer, collectivity_number="300401")
        other_customers = await factories.collectivity(db, collectivity_number="900900")
        staff = await factories.user(
            db, None, role=UserRole.STAFF, email="femke.dekker@collectief-zorg.nl"
        )
        main = await factories.user(db, taken, email="erik.smit@vandijkbouw.nl")
        colleague = await factories.user(
            db, taken, role=UserRole.COLLEAGUE, email="sanne.visser@vandijkbouw.nl"
        )
        await db.commit()
    return Cast("100200", free, taken, other_customers, staff, main, colleague)


def a_request(cast: Cast, **values: str) -> dict[str, str]:
    return {
        "customerNumber": cast.customer_number,
        "collectivityNumber": cast.free.collectivity_number,
        "name": "Marieke Jansen",
        "email": "Marieke.Jansen@VanDijkBouw.nl",
    } | values


async def pending(api: Api, staff_token: str) -> list[dict]:
    body = await api.gql(ACCOUNT_REQUESTS, {"status": "PENDING"}, token=staff_token)
    return [edge["node"] for edge in body["data"]["accountRequests"]["edges"]]


async def approve(api: Api, staff_token: str, request_id: str) -> dict:
    return payload_of(
        await api.gql(APPROVE, {"input": {"id": request_id}}, token=staff_token),
        "approveAccountRequest",
    )


async def activate(api: Api, token: str, password: str = NEW_PASSWORD) -> dict:
    body = await api.gql(ACTIVATE, {"input": {"token": token, "password": password}})
    return payload_of(body, "activateAccount")


async def test_a1_request_approve_activate_then_log_in(
    api: Api, cast: Cast, session_factory, clock: FixedClock
) -> None:
    assert await request_account(api, **a_request(cast)) == {"userErrors": []}
    staff_token = await api.login(cast.staff.email)
    (listed,) = await pending(api, staff_token)
    assert listed["email"] == "Marieke.Jansen@vandijkbouw.nl"  # normalised, case kept (A2)
    assert listed["numbersMatch"] is True
    assert listed["collectivity"]["collectivityNumber"] == "300400"
    assert listed["language"] == "nl"

    approved = await approve(api, staff_token, listed["id"])
    assert approved["userErrors"] == []
    assert approved["accountRequest"]["status"] == "APPROVED"
    assert approved["accountRequest"]["decidedAt"] is not None

    (mail,) = await mails_to(session_factory, "Marieke.Jansen@vandijkbouw.nl")
    assert "Activeer uw account" in mail.subject
    assert "7 dagen" in mail.body_text
    portal, token = link_in(mail)
    assert portal == "http://127.0.0.1:8080/activeren"
    async with session_factory() as db:
        invited = await db.scalar(
            select(User).where(User.email_key == "marieke.jansen@vandijkbouw.nl")
        )
    assert (invited.role, invited.status, invited.password_hash) == (
        UserRole.MAIN,
        UserStatus.INVITED,
        None,
    )
    assert invited.home_collectivity_id == cast.free.id

    activated = await activate(api, token)
    assert activated["userErrors"] == []
    assert activated["user"]["role"] == "MAIN"
    session = await api.login("marieke.jansen@vandijkbouw.nl", NEW_PASSWORD)
    me = (await api.gql(ME, token=session))["data"]["me"]
    assert me["homeCollectivity"] == {"collectivityNumber": "300400"}

    trail = [(e.action, e.outcome.value) for e in await audit_trail(session_factory)]
    assert trail == [
        ("request_account", "SUCCESS"),
        ("login", "SUCCESS"),  # staff
        ("approve_account_request", "SUCCESS"),
        ("activate_account", "SUCCESS"),
        ("login", "SUCCESS"),
    ]


async def test_a1_request_language_follows_the_input_or_accept_language(
    api: Api, cast: Cast, session_factory
) -> None:
    body = await api.gql(
        "mutation($input: RequestAccountInput!) { requestAccount(input: $input) { userErrors { code } } }",
        {"input": a_request(cast)},
        headers={"Accept-Language": "en"},
    )
    assert body["data"]["requestAccount"]["userErrors"] == []
    await request_account(api, **a_request(cast, email="j.bakker@vandijkbouw.nl", language="EN"))
    refused = await request_account(
        api, **a_request(cast, email="k.bakker@vandijkbouw.nl", language="de")
    )
    assert codes(refused) == [("language", "LANGUAGE_NOT_SUPPORTED")]
    async with session_factory() as db:
        languages = (await db.scalars(select(AccountRequest.language))).all()
    assert languages == ["en", "en"]


async def test_a1_approval_mail_is_in_the_requesters_language(
    api: Api, cast: Cast, session_factory
) -> None:
    await request_account(api, **a_request(cast, language="en"))
    staff_token = await api.login(cast.staff.email)
    (listed,) = await pending(api, staff_token)
    await approve(api, staff_token, listed["id"])
    (mail,) = await mails_to(session_factory, listed["email"])
    assert mail.subject.startswith("Activate your account")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"email": "marieke.jansen@gmail.com"}, ("email", "EMAIL_FREE_MAIL_DOMAIN")),
        ({"email": "m.jansen@ziggo.nl"}, ("email", "EMAIL_FREE_MAIL_DOMAIN")),
        ({"email": "info@vandijkbouw.nl"}, ("email", "EMAIL_NOT_PERSONAL")),
        ({"email": "salaris-admin@vandijkbouw.nl"}, ("email", "EMAIL_NOT_PERSONAL")),
        ({"email": "marieke@@vandijkbouw.nl"}, ("email", "EMAIL_INVALID")),
        ({"name": "   "}, ("name", "VALUE_REQUIRED")),
        ({"customerNumber": ""}, ("customerNumber", "VALUE_REQUIRED")),
        ({"collectivityNumber": "3" * 21}, ("collectivityNumber", "VALUE_TOO_LONG")),
    ],
)
async def test_a1_refused_requests_say_which_rule_and_store_nothing(
    api: Api, cast: Cast, session_factory, values: dict, expected: tuple
) -> None:
    before = await state(session_factory)
    payload = await request_account(api, **a_request(cast, **values))
    assert codes(payload) == [expected]
    assert await state(session_factory) == before
    (event,) = await audit_trail(session_factory)
    assert (event.action, event.outcome.value, event.details) == (
        "request_account",
        "FAILURE",
        {"reason": expected[1]},
    )


async def test_a1_free_mail_message_names_the_domain_in_dutch_and_english(
    api: Api, cast: Cast
) -> None:
    dutch = await request_account(api, **a_request(cast, email="m.jansen@ziggo.nl"))
    assert "ziggo.nl" in dutch["userErrors"][0]["message"]
    assert "organisatie" in dutch["userErrors"][0]["message"]
    body = await api.gql(
        "mutation($input: RequestAccountInput!) { requestAccount(input: $input) { userErrors { message } } }",
        {"input": a_request(cast, email="info@vandijkbouw.nl")},
        headers={"Accept-Language": "en"},
    )
    assert "personal" in body["data"]["requestAccount"]["userErrors"][0]["message"]


async def test_a1_wrong_number_pairs_answer_like_a_right_one_and_staff_see_the_mismatch(
    api: Api, cast: Cast, session_factory
) -> None:
    answers = [
        await request_account(api, **a_request(cast, email="a.jansen@vandijkbouw.nl")),
        # another customer's collectivity with this customer number: must not match (B2's concern)
        await request_account(
            api, **a_request(cast, email="b.jansen@vandijkbouw.nl", collectivityNumber="900900")
        ),
        await request_account(
            api, **a_request(cast, email="c.jansen@vandijkbouw.nl", customerNumber="999999")
        ),
    ]
    assert answers[0] == answers[1] == answers[2] == {"userErrors": []}
    staff_token = await api.login(cast.staff.email)
    listed = await pending(api, staff_token)
    assert [(r["email"], r["numbersMatch"], r["collectivity"]) for r in listed] == [
        (
            "a.jansen@vandijkbouw.nl",
            True,
            {"id": listed[0]["collectivity"]["id"], "collectivityNumber": "300400"},
        ),
        ("b.jansen@vandijkbouw.nl", False, None),
        ("c.jansen@vandijkbouw.nl", False, None),
    ]

    before = await state(session_factory)
    refused = await approve(api, staff_token, listed[1]["id"])
    assert codes(refused) == [("id", "COLLECTIVITY_MISMATCH")]
    assert await state(session_factory) == before
    assert (await audit_trail(session_factory))[-1].details["reason"] == "COLLECTIVITY_MISMATCH"


async def test_a1_one_pending_request_per_address_whatever_its_case(
    api: Api, cast: Cast, session_factory
) -> None:
    first = await request_account(api, **a_request(cast))
    second = await request_account(
        api, **a_request(cast, email="MARIEKE.JANSEN@vandijkbouw.nl", name="M. Jansen")
    )
    assert first == second == {"userErrors": []}
    async with session_factory() as db:
        names = (await db.scalars(select(AccountRequest.name))).all()
    assert names == ["Marieke Jansen"]
    events = [(e.action, e.outcome.value) for e in await audit_trail(session_factory)]
    assert events == [("request_account", "SUCCESS"), ("request_account", "FAILURE")]


async def test_a1_after_a_decision_the_address_may_ask_again(
    api: Api, cast: Cast, session_factory
) -> None:
    await request_account(api, **a_request(cast))
    staff_token = await api.login(cast.staff.email)
    (listed,) = await pending(api, staff_token)
    await api.gql(REJECT, {"input": {"id": listed["id"], "reason": "Onbekend"}}, token=staff_token)
    assert await request_account(api, **a_request(cast)) == {"userErrors": []}
    assert len(await pending(api, staff_token)) == 1


async def test_a1_existing_account_gets_the_same_answer_and_approval_says_email_in_use(
    api: Api, cast: Cast, session_factory
) -> None:
    answer = await request_account(api, **a_request(cast, email="Erik.Smit@vandijkbouw.nl"))
    assert answer == {"userErrors": []}
    staff_token = await api.login(cast.staff.email)
    (listed,) = await pending(api, staff_token)
    before = await state(session_factory)
    assert codes(await approve(api, staff_token, listed["id"])) == [("id", "EMAIL_IN_USE")]
    assert await state(session_factory) == before


async def test_a1_a_collectivity_has_one_main_user(api: Api, cast: Cast, session_factory) -> None:
    await request_account(api, **a_request(cast, collectivityNumber="300401"))
    staff_token = await api.login(cast.staff.email)
    (listed,) = await pending(api, staff_token)
    before = await state(session_factory)
    assert codes(await approve(api, staff_token, listed["id"])) == [("id", "MAIN_USER_EXISTS")]
    assert await state(session_factory) == before


async def test_a1_a_deactivated_main_user_may_be_succeeded(
    api: Api, cast: Cast, session_factory
) -> None:
    async with session_factory() as db:
        main = await db.get(User, cast.main.id)
        main.status = UserStatus.DEACTIVATED
        await db.commit()
    await request_account(api, **a_request(cast, collectivityNumber="300401"))
    staff_token = await api.login(cast.staff.email)
    (listed,) = await pending(api, staff_token)
    assert (await approve(api, staff_token, listed["id"]))["userErrors"] == []


async def test_a1_only_staff_decide_and_read_requests(
    api: Api, cast: Cast, session_factory
) -> None:
    await request_account(api, **a_request(cast))
    staff_token = await api.login(cast.staff.email)
    (listed,) = await pending(api, staff_token)
    before = await state(session_factory)
    for user in (cast.main, cast.colleague):
        token = await api.login(user.email)
        for document, variables in [
            (APPROVE, {"input": {"id": listed["id"]}}),
            (APPROVE, {"input": {"id": "not-an-id"}}),
            (REJECT, {"input": {"id": listed["id"], "reason": "Nee"}}),
        ]:
            body = await api.gql(document, variables, token=token)
            assert error_codes(body) == ["FORBIDDEN"], body
        body = await api.gql(ACCOUNT_REQUESTS, token=token)
        assert error_codes(body) == ["FORBIDDEN"]
        body = await api.gql(
            "query($id: ID!) { node(id: $id) { id } }", {"id": listed["id"]}, token=token
        )
        assert error_codes(body) == ["NOT_FOUND"]
    anonymous = await api.gql(APPROVE, {"input": {"id": listed["id"]}})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    assert error_codes(await api.gql(ACCOUNT_REQUESTS)) == ["UNAUTHENTICATED"]

    assert (await state(session_factory))["requests"] == before["requests"]
    assert (await state(session_factory))["users"] == before["users"]
    denied = [
        (e.action, e.actor_user_id)
        for e in await audit_trail(session_factory)
        if e.outcome.value == "DENIED"
    ]
    assert denied == [
        ("approve_account_request", cast.main.id),
        ("approve_account_request", cast.main.id),
        ("reject_account_request", cast.main.id),
        ("approve_account_request", cast.colleague.id),
        ("approve_account_request", cast.colleague.id),
        ("reject_account_request", cast.colleague.id),
    ]


async def test_a1_staff_find_a_request_by_node(api: Api, cast: Cast) -> None:
    await request_account(api, **a_request(cast))
    staff_token = await api.login(cast.staff.email)
    (listed,) = await pending(api, staff_token)
    body = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on AccountRequest { email status } } }",
        {"id": listed["id"]},
        token=staff_token,
    )
    assert body["data"]["node"] == {"email": listed["email"], "status": "PENDING"}


async def test_a1_reject_mails_the_reason_and_creates_nobody(
    api: Api, cast: Cast, session_factory
) -> None:
    await request_account(api, **a_request(cast))
    staff_token = await api.login(cast.staff.email)
    (listed,) = await pending(api, staff_token)
    blank = payload_of(
        await api.gql(REJECT, {"input": {"id": listed["id"], "reason": "  "}}, token=staff_token),
        "rejectAccountRequest",
    )
    assert codes(blank) == [("reason", "VALUE_REQUIRED")]
    reason = "Het klantnummer hoort niet bij uw organisatie {graag nakijken}."
    rejected = payload_of(
        await api.gql(REJECT, {"input": {"id": listed["id"], "reason": reason}}, token=staff_token),
        "rejectAccountRequest",
    )
    assert rejected["userErrors"] == []
    assert rejected["accountRequest"]["status"] == "REJECTED"
    assert rejected["accountRequest"]["decisionReason"] == reason
    (mail,) = await mails_to(session_factory, listed["email"])
    assert reason in mail.body_text
    assert "Beste Marieke Jansen" in mail.body_text
    async with session_factory() as db:
        assert (
            await db.scalar(select(User).where(User.email_key == listed["email"].lower())) is None
        )

    before = await state(session_factory)
    again = await approve(api, staff_token, listed["id"])
    assert codes(again) == [("id", "ACCOUNT_REQUEST_DECIDED")]
    assert await state(session_factory) == before


async def test_a1_a_request_is_decided_once(api: Api, cast: Cast, session_factory) -> None:
    await request_account(api, **a_request(cast))
    staff_token = await api.login(cast.staff.email)
    (listed,) = await pending(api, staff_token)
    assert (await approve(api, staff_token, listed["id"]))["userErrors"] == []
    before = await state(session_factory)
    assert codes(await approve(api, staff_token, listed["id"])) == [
        ("id", "ACCOUNT_REQUEST_DECIDED")
    ]
    rejected = payload_of(
        await api.gql(REJECT, {"input": {"id": listed["id"], "reason": "x"}}, token=staff_token),
        "rejectAccountRequest",
    )
    assert codes(rejected) == [("id", "ACCOUNT_REQUEST_DECIDED")]
    assert await state(session_factory) == before
    unknown = await approve(
        api, staff_token, "QWNjb3VudFJlcXVlc3Q6OTk5OTk="
    )  # AccountRequest:99999
    assert codes(unknown) == [("id", "NOT_FOUND")]


async def test_g1_staff_page_through_requests_by_status(api: Api, cast: Cast) -> None:
    for n in range(3):
        await request_account(api, **a_request(cast, email=f"medewerker{n}@vandijkbouw.nl"))
    staff_token = await api.login(cast.staff.email)
    first = await pending(api, staff_token)
    await api.gql(REJECT, {"input": {"id": first[0]["id"], "reason": "Dubbel"}}, token=staff_token)

    page = (await api.gql(ACCOUNT_REQUESTS, {"first": 2}, token=staff_token))["data"]
    connection = page["accountRequests"]
    assert connection["totalCount"] == 3
    assert connection["pageInfo"]["hasNextPage"] is True
    rest = await api.gql(
        ACCOUNT_REQUESTS,
        {"first": 2, "after": connection["pageInfo"]["endCursor"]},
        token=staff_token,
    )
    emails = [e["node"]["email"] for e in connection["edges"]] + [
        e["node"]["email"] for e in rest["data"]["accountRequests"]["edges"]
    ]
    assert emails == [f"medewerker{n}@vandijkbouw.nl" for n in range(3)]
    rejected = await api.gql(ACCOUNT_REQUESTS, {"status": "REJECTED"}, token=staff_token)
    assert rejected["data"]["accountRequests"]["totalCount"] == 1
    bad = await api.gql(ACCOUNT_REQUESTS, {"after": "rommel"}, token=staff_token)
    assert error_codes(bad) == ["INVALID_CURSOR"]


async def _approved_token(api: Api, cast: Cast, session_factory, **values: str) -> str:
    await request_account(api, **a_request(cast, **values))
    staff_token = await api.login(cast.staff.email)
    listed = await pending(api, staff_token)
    await approve(api, staff_token, listed[-1]["id"])
    mails = await mails_to(session_factory, listed[-1]["email"])
    return link_in(mails[-1])[1]


async def test_a1_activation_link_is_single_use(api: Api, cast: Cast, session_factory) -> None:
    token = await _approved_token(api, cast, session_factory)
    assert (await activate(api, token))["userErrors"] == []
    before = await state(session_factory)
    again = await activate(api, token, "een heel ander wachtwoord")
    assert codes(again) == [("token", "TOKEN_INVALID")]
    assert await state(session_factory) == before
    await api.login("marieke.jansen@vandijkbouw.nl", NEW_PASSWORD)  # still the first password
    assert (await audit_trail(session_factory))[-2].details == {"reason": "TOKEN_INVALID"}


async def test_a1_activation_link_expires_after_seven_days(
    api: Api, cast: Cast, session_factory, clock: FixedClock
) -> None:
    token = await _approved_token(api, cast, session_factory)
    clock.advance(dt.timedelta(days=7, seconds=1))
    before = await state(session_factory)
    assert codes(await activate(api, token)) == [("token", "TOKEN_INVALID")]
    assert await state(session_factory) == before


async def test_a1_activation_link_works_until_the_seventh_day_ends(
    api: Api, cast: Cast, session_factory, clock: FixedClock
) -> None:
    token = await _approved_token(api, cast, session_factory)
    clock.advance(dt.timedelta(days=7, seconds=-1))
    assert (await activate(api, token))["userErrors"] == []


async def test_a1_a_lapsed_activation_can_be_requested_and_approved_again(
    api: Api, cast: Cast, session_factory, clock: FixedClock
) -> None:
    old_token = await _approved_token(api, cast, session_factory)
    clock.advance(dt.timedelta(days=8))
    new_token = await _approved_token(api, cast, session_factory)
    assert new_token != old_token
    assert codes(await activate(api, old_token)) == [("token", "TOKEN_INVALID")]
    assert (await activate(api, new_token))["userErrors"] == []
    async with session_factory() as db:
        mains = (
            await db.scalars(select(User).where(User.home_collectivity_id == cast.free.id))
        ).all()
    assert [(u.role, u.status) for u in mains] == [(UserRole.MAIN, UserStatus.ACTIVE)]


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("te kort", "PASSWORD_TOO_SHORT"),
        ("x" * 129, "PASSWORD_TOO_LONG"),
        ("1q2w3e4r5t6y7u8i9o0p", "PASSWORD_TOO_COMMON"),
        ("ik ben marieke.jansen!", "PASSWORD_CONTAINS_EMAIL"),
    ],
)
async def test_a3_activation_applies_the_password_policy_and_keeps_the_link_usable(
    api: Api, cast: Cast, session_factory, password: str, code: str
) -> None:
    token = await _approved_token(api, cast, session_factory)
    before = await state(session_factory)
    assert codes(await activate(api, token, password)) == [("password", code)]
    assert await state(session_factory) == before
    assert (await activate(api, token))["userErrors"] == []


async def test_a3_password_is_stored_as_argon2id(api: Api, cast: Cast, session_factory) -> None:
    token = await _approved_token(api, cast, session_factory)
    await activate(api, token)
    async with session_factory() as db:
        user = await db.scalar(
            select(User).where(User.email_key == "marieke.jansen@vandijkbouw.nl")
        )
    assert user.password_hash.startswith("$argon2id$")
    assert NEW_PASSWORD not in user.password_hash


async def test_a7_invitation_link_activates_a_colleague(
    api: Api, cast: Cast, session_factory
) -> None:
    main_token = await api.login(cast.main.email)
    invited = await api.gql(
        """mutation($input: InviteColleagueInput!) {
             inviteColleague(input: $input) { user { email } userErrors { code } } }""",
        {"input": {"name": "Pieter de Vries", "email": "pieter.de.vries@vandijkbouw.nl"}},
        token=main_token,
    )
    assert invited["data"]["inviteColleague"]["userErrors"] == []
    (mail,) = await mails_to(session_factory, "pieter.de.vries@vandijkbouw.nl")
    portal, token = link_in(mail)
    assert portal.endswith("/activeren")
    activated = await activate(api, token)
    assert activated["userErrors"] == []
    assert activated["user"]["role"] == "COLLEAGUE"
    session = await api.login("pieter.de.vries@vandijkbouw.nl", NEW_PASSWORD)
    me = (await api.gql(ME, token=session))["data"]["me"]
    assert me["homeCollectivity"]["collectivityNumber"] == "300401"
    assert codes(await activate(api, token)) == [("token", "TOKEN_INVALID")]


async def test_a1_tokens_of_other_purposes_do_not_activate(
    api: Api, cast: Cast, session_factory
) -> None:
    await api.gql(
        "mutation($input: RequestPasswordResetInput!) { requestPasswordReset(input: $input) { userErrors { code } } }",
        {"input": {"email": cast.main.email}},
    )
    (mail,) = await mails_to(session_factory, cast.main.email)
    _, reset_token = link_in(mail)
    assert codes(await activate(api, reset_token)) == [("token", "TOKEN_INVALID")]
    assert codes(await activate(api, "")) == [("token", "TOKEN_INVALID")]


async def test_a3_change_password_keeps_this_session_and_ends_the_others(
    api: Api, cast: Cast, session_factory
) -> None:
    this_session = await api.login(cast.main.email)
    other_session = await api.login(cast.main.email)
    body = await api.gql(
        CHANGE_PASSWORD,
        {"input": {"currentPassword": factories.PASSWORD, "newPassword": NEW_PASSWORD}},
        token=this_session,
    )
    assert payload_of(body, "changePassword") == {
        "user": {"email": cast.main.email},
        "userErrors": [],
    }
    assert (await api.gql(ME, token=this_session))["data"]["me"]["user"]["email"] == cast.main.email
    assert error_codes(await api.gql(ME, token=other_session)) == ["UNAUTHENTICATED"]
    old = await api.gql(
        LOGIN, {"input": {"email": cast.main.email, "password": factories.PASSWORD}}
    )
    assert codes(old["data"]["login"]) == [("password", "INVALID_CREDENTIALS")]
    await api.login(cast.main.email, NEW_PASSWORD)
    (mail,) = await mails_to(session_factory, cast.main.email)
    assert mail.subject == "Uw wachtwoord is gewijzigd"
    changed = [e for e in await audit_trail(session_factory) if e.action == "change_password"]
    assert [(e.outcome.value, e.actor_user_id) for e in changed] == [("SUCCESS", cast.main.id)]


async def test_a3_wrong_current_password_changes_nothing_and_counts_as_a_failed_attempt(
    api: Api, cast: Cast, session_factory
) -> None:
    token = await api.login(cast.main.email)
    before = await state(session_factory)
    body = await api.gql(
        CHANGE_PASSWORD,
        {"input": {"currentPassword": "niet mijn wachtwoord", "newPassword": NEW_PASSWORD}},
        token=token,
    )
    assert codes(payload_of(body, "changePassword")) == [
        ("currentPassword", "CURRENT_PASSWORD_INCORRECT")
    ]
    assert await state(session_factory) == before
    event = (await audit_trail(session_factory))[-1]
    assert (event.action, event.outcome.value, event.details) == (
        "change_password",
        "FAILURE",
        {"reason": "CURRENT_PASSWORD_INCORRECT"},
    )
    async with session_factory() as db:
        throttle = await db.scalar(
            select(LoginThrottle).where(LoginThrottle.key == cast.main.email)
        )
    assert throttle is not None
    assert throttle.failures == 1


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("nog te kort", "PASSWORD_TOO_SHORT"),
        ("123456789987654321", "PASSWORD_TOO_COMMON"),
        ("erik.smit wil fietsen", "PASSWORD_CONTAINS_EMAIL"),
    ],
)
async def test_a3_change_password_applies_the_policy(
    api: Api, cast: Cast, session_factory, password: str, code: str
) -> None:
    token = await api.login(cast.main.email)
    before = await state(session_factory)
    body = await api.gql(
        CHANGE_PASSWORD,
        {"input": {"currentPassword": factories.PASSWORD, "newPassword": password}},
        token=token,
    )
    assert codes(payload_of(body, "changePassword")) == [("newPassword", code)]
    assert await state(session_factory) == before


async def test_a3_change_password_needs_a_session(api: Api) -> None:
    body = await api.gql(
        CHANGE_PASSWORD, {"input": {"currentPassword": "x", "newPassword": NEW_PASSWORD}}
    )
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_a1_two_staff_approving_at_once_create_one_main_user(
    api: Api, cast: Cast, session_factory
) -> None:
    await request_account(api, **a_request(cast))
    staff_token = await api.login(cast.staff.email)
    (listed,) = await pending(api, staff_token)
    answers = await asyncio.gather(*(approve(api, staff_token, listed["id"]) for _ in range(4)))
    outcomes = sorted(str(codes(a)) for a in answers)
    assert outcomes == ["[('id', 'ACCOUNT_REQUEST_DECIDED')]"] * 3 + ["[]"]
    async with session_factory() as db:
        mains = (
            await db.scalars(select(User).where(User.home_collectivity_id == cast.free.id))
        ).all()
    assert len(mains) == 1
    assert len(await mails_to(session_factory, listed["email"])) == 1


async def test_a1_simultaneous_requests_of_one_address_store_one(
    api: Api, cast: Cast, session_factory
) -> None:
    answers = await asyncio.gather(*(request_account(api, **a_request(cast)) for _ in range(4)))
    assert all(answer == {"userErrors": []} for answer in answers)
    async with session_factory() as db:
        assert len((await db.scalars(select(AccountRequest))).all()) == 1
