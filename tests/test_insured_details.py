"""Details of an insured (C4) and the mutations overview (C5, C8), over HTTP on both databases."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.clock import FixedClock
from storage import Contract
from storage.enums import AuditOutcome, PaymentMethod, PremiumCollection, Relation

from . import factories
from .http import Api, error_codes
from .insured_steps import (
    CHANGE_EMPLOYEE_NUMBER,
    DEREGISTER,
    DETAILS,
    MUTATIONS,
    Cast,
    add_member,
    events,
    gid,
    make_cast,
    payload,
)


@pytest.fixture
async def cast(session_factory: async_sessionmaker[AsyncSession]) -> Cast:
    return await make_cast(session_factory)


def details_of(cast: Cast, person_id: int, collectivity_id: int | None = None) -> dict:
    return {
        "collectivity": gid("Collectivity", collectivity_id or cast.x1.id),
        "id": gid("InsuredPerson", person_id),
    }


async def test_c4_details_show_policy_coverage_family_and_history(
    api: Api, cast: Cast, today: dt.date
) -> None:
    token = await api.login(cast.main_x1.email)
    changed = await api.gql(
        CHANGE_EMPLOYEE_NUMBER,
        {
            "input": {
                "insuredPersonId": gid("InsuredPerson", cast.holder.id),
                "employeeNumber": "E101",
                "effectiveDate": str(today),
            }
        },
        token=token,
    )
    assert payload(changed, "changeEmployeeNumber")["userErrors"] == []
    body = await api.gql(DETAILS, details_of(cast, cast.holder.id), token=token)
    assert "errors" not in body, body
    details = body["data"]["collectivity"]["insuredPersonDetails"]
    assert details["id"] == gid("InsuredPerson", cast.holder.id)
    assert (details["name"], details["relation"], details["birthDate"]) == (
        "J. Aalbers",
        "POLICYHOLDER",
        "1980-05-17",
    )
    assert details["bsn"] == cast.holder.bsn
    assert details["policyNumber"] == cast.aalbers.policy.policy_number
    assert details["version"] == 2  # the employee-number change bumped the family's version
    assert details["membership"]["employeeNumber"] == "E101"
    assert details["membership"]["status"] == "ACTIVE"
    assert [m["startDate"] for m in details["memberships"]] == ["2025-01-01"]
    assert details["coverages"] == [
        {
            "productCode": "BASIS",
            "productName": "Basisverzekering",
            "productKind": "BASIC",
            "startDate": "2025-01-01",
            "endDate": None,
        },
        {
            "productCode": "AV1",
            "productName": "Aanvullend 1",
            "productKind": "SUPPLEMENTARY",
            "startDate": "2025-01-01",
            "endDate": "2025-12-31",
        },
    ]
    assert [(f["firstName"], f["relation"], f["birthDate"]) for f in details["family"]] == [
        ("Jan", "POLICYHOLDER", "1980-05-17"),
        ("Petra", "PARTNER", "1982-02-03"),
        ("Kees", "CHILD", "2012-07-01"),
        ("Lotte", "CHILD", "2015-09-09"),
    ]
    assert details["family"][1]["name"] == "P. Aalbers"
    assert details["family"][1]["membership"] == {
        "startDate": "2025-01-01",
        "endDate": None,
        "status": "ACTIVE",
        "employeeNumber": None,
    }
    (mutation,) = details["mutations"]
    assert mutation["kind"] == "EMPLOYEE_NUMBER"
    assert mutation["effectiveDate"] == str(today)
    assert mutation["registeredBy"] == {"name": "Xandra Hoofd", "role": "MAIN"}
    assert mutation["changes"] == [{"field": "employeeNumber", "before": "E100", "after": "E101"}]


async def test_c4_details_need_salary_deduction(
    api: Api, cast: Cast, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as db:
        individual = await factories.family(db, cast.x3, last_name="Indi")
        await db.commit()
    token = await api.login(cast.main_x1.email)
    body = await api.gql(
        DETAILS,
        details_of(cast, individual.members[0].id, cast.x3.id),
        token=token,
        headers={"Accept-Language": "en"},
    )
    assert error_codes(body) == ["DETAILS_NEED_SALARY_DEDUCTION"]
    assert body["errors"][0]["message"] == (
        "Details of insured persons are only available for collectivities with salary deduction."
    )
    assert body["data"]["collectivity"]["insuredPersonDetails"] is None


async def test_c4_the_gate_is_the_contract_in_force_today(
    api: Api, cast: Cast, clock: FixedClock, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as db:  # x1 switches to individual collection in 2027
        db.add(
            Contract(
                collectivity_id=cast.x1.id,
                year=2027,
                start_date=dt.date(2027, 1, 1),
                end_date=dt.date(2027, 12, 31),
                premium_collection=PremiumCollection.INDIVIDUAL,
            )
        )
        await db.commit()
    token = await api.login(cast.main_x1.email)
    body = await api.gql(DETAILS, details_of(cast, cast.holder.id), token=token)
    assert "errors" not in body
    clock.at = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)  # 1 January 2027 in Amsterdam
    token = await api.login(cast.main_x1.email)
    body = await api.gql(DETAILS, details_of(cast, cast.holder.id), token=token)
    assert error_codes(body) == ["DETAILS_NEED_SALARY_DEDUCTION"]
    async with session_factory() as db:  # and x3 to salary deduction: then x3's details open
        db.add(
            Contract(
                collectivity_id=cast.x3.id,
                year=2027,
                start_date=dt.date(2027, 1, 1),
                end_date=dt.date(2027, 12, 31),
                premium_collection=PremiumCollection.SALARY_DEDUCTION,
                payment_method=PaymentMethod.DIRECT_DEBIT,
            )
        )
        individual = await factories.family(db, cast.x3, last_name="Indi")
        await db.commit()
    body = await api.gql(
        DETAILS, details_of(cast, individual.members[0].id, cast.x3.id), token=token
    )
    assert "errors" not in body, body


async def test_b3_details_of_someone_never_a_member_here_answer_not_found(
    api: Api, cast: Cast
) -> None:
    token = await api.login(cast.main_x1.email)
    foreign = await api.gql(DETAILS, details_of(cast, cast.yildiz.members[0].id), token=token)
    unknown = await api.gql(DETAILS, details_of(cast, 987654), token=token)
    other = await api.gql(DETAILS, details_of(cast, cast.holder.id, cast.x2.id), token=token)
    assert foreign == unknown
    assert error_codes(foreign) == error_codes(other) == ["NOT_FOUND"]
    foreign_collectivity = await api.gql(
        DETAILS, details_of(cast, cast.yildiz.members[0].id, cast.y1.id), token=token
    )
    assert error_codes(foreign_collectivity) == ["NOT_FOUND"]
    assert foreign_collectivity["data"] == {"collectivity": None}


async def test_b3_family_members_only_insured_elsewhere_are_left_out(
    api: Api, cast: Cast, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as db:
        await add_member(
            db,
            cast.aalbers,
            cast.y1,
            first_name="Yara",
            relation=Relation.CHILD,
            birth_date=dt.date(2004, 1, 1),
        )  # only in another employer's collectivity
        await add_member(
            db,
            cast.aalbers,
            cast.x2,
            first_name="Xem",
            relation=Relation.CHILD,
            birth_date=dt.date(2005, 1, 1),
        )  # in a linked collectivity: in scope
        await db.commit()
    token = await api.login(cast.main_x1.email)
    body = await api.gql(DETAILS, details_of(cast, cast.holder.id), token=token)
    family = body["data"]["collectivity"]["insuredPersonDetails"]["family"]
    assert [(f["firstName"], f["membership"]) for f in family][-3:] == [
        ("Xem", None),
        ("Kees", {"startDate": "2025-01-01", "endDate": None, "status": "ACTIVE",
                  "employeeNumber": None}),
        ("Lotte", {"startDate": "2025-01-01", "endDate": None, "status": "ACTIVE",
                   "employeeNumber": None}),
    ]  # fmt: skip
    assert "Yara" not in str(family)
    staff = await api.login(cast.staff.email)
    body = await api.gql(DETAILS, details_of(cast, cast.holder.id), token=staff)
    assert "Yara" in str(body["data"]["collectivity"]["insuredPersonDetails"]["family"])


async def test_b4_a_staff_read_of_details_is_audited(
    api: Api, cast: Cast, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    employer = await api.login(cast.main_x1.email)
    body = await api.gql(DETAILS, details_of(cast, cast.holder.id), token=employer)
    assert "errors" not in body
    assert await events(session_factory, "staff_read_insured_details") == []
    staff = await api.login(cast.staff.email)
    body = await api.gql(DETAILS, details_of(cast, cast.holder.id), token=staff)
    assert body["data"]["collectivity"]["insuredPersonDetails"]["bsn"] == cast.holder.bsn
    (event,) = await events(session_factory, "staff_read_insured_details")
    assert (event.outcome, event.actor_user_id, event.collectivity_id) == (
        AuditOutcome.SUCCESS,
        cast.staff.id,
        cast.x1.id,
    )
    assert event.details == {"insured_id": cast.holder.id}
    assert event.client_address == "127.0.0.1"


async def test_b4_a_staff_read_of_the_mutations_overview_is_audited(
    api: Api, cast: Cast, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    staff = await api.login(cast.staff.email)
    body = await api.gql(MUTATIONS, {"id": gid("Collectivity", cast.x1.id)}, token=staff)
    assert body["data"]["collectivity"]["mutations"]["totalCount"] == 0
    (event,) = await events(session_factory, "staff_read_insured_mutations")
    assert (event.actor_user_id, event.collectivity_id) == (cast.staff.id, cast.x1.id)


async def test_c4_the_bsn_is_never_logged(
    api: Api, cast: Cast, caplog: pytest.LogCaptureFixture, session_factory
) -> None:
    caplog.set_level(logging.DEBUG)
    staff = await api.login(cast.staff.email)
    body = await api.gql(DETAILS, details_of(cast, cast.holder.id), token=staff)
    assert body["data"]["collectivity"]["insuredPersonDetails"]["bsn"] == cast.holder.bsn
    employer = await api.login(cast.main_x1.email)
    await api.gql(
        DEREGISTER,
        {
            "input": {
                "insuredPersonId": gid("InsuredPerson", cast.holder.id),
                "endDate": "2026-12-31",
            }
        },
        token=employer,
    )
    assert caplog.records  # the requests were logged (access log, SQL at DEBUG)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert cast.holder.bsn not in logged
    audited = [str(e.details) for e in await events(session_factory, "deregister_insured")]
    assert audited
    assert all(cast.holder.bsn not in d for d in audited)


async def test_g1_mutations_overview_refuses_foreign_cursors(api: Api, cast: Cast) -> None:
    token = await api.login(cast.main_x1.email)
    body = await api.gql(
        MUTATIONS, {"id": gid("Collectivity", cast.x1.id), "after": "garbage"}, token=token
    )
    assert error_codes(body) == ["INVALID_CURSOR"]
    foreign = await api.gql(MUTATIONS, {"id": gid("Collectivity", cast.y1.id)}, token=token)
    assert error_codes(foreign) == ["NOT_FOUND"]
