"""D6: the premium overview — every insured of a collectivity with their premium for a month, as
``Collectivity.premiumOverview`` (paged) and as an Excel file with the chosen columns
(``exportPremiumOverview``). Hand-worked amounts; the overview of a month equals that month's
regular borderel lines (D3). Scope B3/B4; bad input G2. Test clock: 4 December 2026."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.actor import actor_for
from resolvers.premium_overview import premium_overview_page
from resolvers.prolongation import make_borderel
from resolvers.spreadsheets import MONEY_FORMAT
from storage import BorderelLine, Collectivity, Contract, User
from storage.enums import (
    BorderelLineKind,
    EmployerContributionKind,
    PremiumCollection,
    ProductKind,
    UserRole,
)

from . import factories
from .employers import audit_events, gid
from .factories import Family
from .http import Api, error_codes
from .inbox_steps import download, sheet_of

NOV = dt.date(2026, 11, 1)
TODAY = dt.date(2026, 12, 4)

OVERVIEW = """
query($id: ID!, $month: String!, $first: Int, $after: String) {
  collectivity(id: $id) {
    premiumOverview(month: $month, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { cursor node {
        insuredPersonId lastName firstName relation policyNumber employeeNumber days
        basicPremium supplementaryPremium dentalPremium totalPremium employerContribution deduction
        lines { productKind days premium employerContribution explanation }
      } }
    }
  }
}
"""

EXPORT = """
mutation($input: ExportPremiumOverviewInput!) {
  exportPremiumOverview(input: $input) {
    download { url expiresAt }
    userErrors { field code message }
  }
}
"""


@dataclasses.dataclass
class Cast:
    where: Collectivity
    other: Collectivity
    main: User
    other_main: User
    staff: User
    albers: Family
    bakker: Family


async def make_cast(
    session_factory: async_sessionmaker[AsyncSession],
    premium_collection: PremiumCollection = PremiumCollection.SALARY_DEDUCTION,
) -> Cast:
    """November 2026 (30 days), contract 2026 with 10 % discount and a FIXED employer
    contribution of 25.00 per policyholder per month:

    * Albers joins on 16 November (15 days): basic 160.00, supplementary 30.00, dental 20.00;
    * Bakker (employee number E1) and child, members since 2025: basic and supplementary;
    * Cornelissen left on 31 October: not in November's overview.
    """
    async with session_factory() as db:
        where = await factories.collectivity(db, premium_collection=premium_collection)
        other = await factories.collectivity(db)
        await db.execute(
            update(Contract)
            .where(Contract.collectivity_id == where.id)
            .values(
                employer_contribution_kind=EmployerContributionKind.FIXED,
                employer_contribution_amount=Decimal("25.00"),
            )
        )
        basic = await factories.product(db, ProductKind.BASIC, {2026: "160.00"})
        extra = await factories.product(db, ProductKind.SUPPLEMENTARY, {2026: "30.00"})
        dental = await factories.product(db, ProductKind.DENTAL, {2026: "20.00"})
        albers = await factories.family(db, where, last_name="Albers", start=dt.date(2026, 11, 16))
        bakker = await factories.family(
            db, where, last_name="Bakker", children=1, employee_number="E1"
        )
        gone = await factories.family(
            db, where, last_name="Cornelissen", end=dt.date(2026, 10, 31), employee_number="E2"
        )
        stranger = await factories.family(db, other, last_name="Vreemd")
        await factories.cover(db, albers, basic, extra, dental)
        await factories.cover(db, bakker, basic, extra)
        await factories.cover(db, gone, basic)
        await factories.cover(db, stranger, basic)
        cast = Cast(
            where=where,
            other=other,
            main=await factories.user(db, where),
            other_main=await factories.user(db, other),
            staff=await factories.user(db, None, role=UserRole.STAFF),
            albers=albers,
            bakker=bakker,
        )
        await db.commit()
    return cast


# Worked by hand (November: 30 days; FIXED 25.00 goes to the policyholder's basic line first):
# Albers, 15 days: basic 160.00 × 15/30 = 80.00; supplementary 30.00 × 15/30 = 15.00 − 10 % 1.50
#   = 13.50; dental 20.00 × 15/30 = 10.00 − 10 % 1.00 = 9.00; total 102.50; employer 25.00 ×
#   15/30 = 12.50; deduction 90.00.
# Bakker, 30 days: basic 160.00; supplementary 30.00 − 3.00 = 27.00; total 187.00; employer
#   25.00; deduction 162.00.
# Bakker's child (born 2015): listed, 30 days, pays nothing (basic and supplementary free).
EXPECTED = [
    # last name, first name, relation, employee no., days, basic, suppl., dental, total, employer, deduction
    ("Albers", "Jan", "POLICYHOLDER", None, 30 // 2, "80.00", "13.50", "9.00", "102.50", "12.50", "90.00"),
    ("Bakker", "Jan", "POLICYHOLDER", "E1", 30, "160.00", "27.00", "0.00", "187.00", "25.00", "162.00"),
    ("Bakker", "Kind", "CHILD", "E1", 30, "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"),
]  # fmt: skip


def _row(node: dict[str, Any]) -> tuple[Any, ...]:
    return (
        node["lastName"], node["firstName"], node["relation"], node["employeeNumber"],
        node["days"], node["basicPremium"], node["supplementaryPremium"], node["dentalPremium"],
        node["totalPremium"], node["employerContribution"], node["deduction"],
    )  # fmt: skip


async def _page(api: Api, token: str, collectivity_id: int, month: str, **args: Any) -> dict:
    body = await api.gql(
        OVERVIEW, {"id": gid("Collectivity", collectivity_id), "month": month, **args}, token=token
    )
    assert "errors" not in body, body
    return body["data"]["collectivity"]["premiumOverview"]


async def _export(api: Api, token: str, collectivity_id: int, **input: Any) -> dict:
    body = await api.gql(
        EXPORT,
        {"input": {"collectivityId": gid("Collectivity", collectivity_id), **input}},
        token=token,
    )
    assert "errors" not in body, body
    return body["data"]["exportPremiumOverview"]


async def test_d6_the_overview_of_a_month_equals_its_regular_borderel_lines(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    cast = await make_cast(session_factory)
    async with session_factory() as db:
        actor = await actor_for(db, await db.get(User, cast.main.id))
        page = await premium_overview_page(db, actor, cast.where.id, "2026-11", today=TODAY)
        outcome = await make_borderel(
            db, cast.where.id, NOV, now=dt.datetime(2026, 10, 20, tzinfo=dt.UTC)
        )
        lines = list(
            await db.scalars(
                select(BorderelLine).where(
                    BorderelLine.borderel_id == outcome.borderel_id,
                    BorderelLine.kind == BorderelLineKind.REGULAR,
                )
            )
        )
    assert [
        (r.last_name, str(r.total_premium), str(r.employer_contribution), str(r.deduction))
        for r in page.items
    ] == [(e[0], e[8], e[9], e[10]) for e in EXPECTED]
    billed: dict[int, list[Decimal]] = {}
    for line in lines:
        sums = billed.setdefault(line.insured_id, [Decimal(0)] * 3)
        for i, amount in enumerate((line.premium, line.employer_contribution, line.deduction)):
            sums[i] += amount
    assert {r.insured_id for r in page.items} == set(billed)
    for row in page.items:
        assert [row.total_premium, row.employer_contribution, row.deduction] == billed[
            row.insured_id
        ]
        assert {ln.employee_number for ln in lines if ln.insured_id == row.insured_id} == {
            row.employee_number
        }
    # Per product line too: the same engine, the same amounts.
    assert sorted(
        (p.computed.insured_id, p.computed.product_id, p.computed.line.premium)
        for row in page.items
        for p in row.lines
    ) == sorted((ln.insured_id, ln.product_id, ln.premium) for ln in lines)


async def test_d6_the_field_pages_by_name_with_hand_worked_amounts(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_cast(session_factory)
    token = await api.login(cast.main.email)

    first = await _page(api, token, cast.where.id, "2026-11", first=2)
    assert first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    rest = await _page(
        api, token, cast.where.id, "2026-11", first=2, after=first["pageInfo"]["endCursor"]
    )
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["pageInfo"]["hasPreviousPage"] is True
    nodes = [e["node"] for e in first["edges"] + rest["edges"]]
    assert [_row(n) for n in nodes] == list(EXPECTED)
    albers = nodes[0]
    assert albers["insuredPersonId"] == gid("InsuredPerson", cast.albers.members[0].id)
    assert [
        (ln["productKind"], ln["days"], ln["premium"], ln["employerContribution"])
        for ln in albers["lines"]
    ] == [
        ("BASIC", 15, "80.00", "12.50"),
        ("SUPPLEMENTARY", 15, "13.50", "0.00"),
        ("DENTAL", 15, "9.00", "0.00"),
    ]
    assert albers["lines"][1]["explanation"] == (
        "30.00 × 15/30 days = 15.00 − 10.00% discount 1.50 = premium 13.50"
    )
    # A cursor carries no name: it is opaque and stable.
    assert "akker" not in first["pageInfo"]["endCursor"]

    # October: Albers not yet a member; Cornelissen still is (until 31 October).
    october = await _page(api, token, cast.where.id, "2026-10")
    assert [e["node"]["lastName"] for e in october["edges"]] == ["Bakker", "Bakker", "Cornelissen"]


async def test_d6_without_salary_deduction_no_employer_contribution_or_deduction(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_cast(session_factory, PremiumCollection.INDIVIDUAL)
    token = await api.login(cast.main.email)
    page = await _page(api, token, cast.where.id, "2026-11")
    got = [(n["lastName"], n["totalPremium"], n["employerContribution"], n["deduction"])
           for n in (e["node"] for e in page["edges"])]  # fmt: skip
    assert got == [
        ("Albers", "102.50", None, None),
        ("Bakker", "187.00", None, None),
        ("Bakker", "0.00", None, None),
    ]


async def test_d6_export_with_the_chosen_columns_in_dutch_and_english(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_cast(session_factory)
    token = await api.login(cast.main.email)
    columns = ["LAST_NAME", "RELATION", "TOTAL_PREMIUM", "DAYS", "EMPLOYER_CONTRIBUTION"]

    payload = await _export(api, token, cast.where.id, month="2026-11", columns=columns)
    assert payload["userErrors"] == []
    status, headers, content = await download(api, payload["download"]["url"], token)
    assert status == 200, content
    assert "premieoverzicht-" in headers["Content-Disposition"]
    rows = list(sheet_of(content).iter_rows())
    assert [c.value for c in rows[0]] == [
        "Achternaam", "Relatie", "Totale premie", "Dagen", "Werkgeversbijdrage",
    ]  # fmt: skip
    assert [[c.value for c in r] for r in rows[1:]] == [
        ["Albers", "Hoofdverzekerde", 102.5, 15, 12.5],
        ["Bakker", "Hoofdverzekerde", 187, 30, 25],
        ["Bakker", "Kind", 0, 30, 0],
    ]
    money = rows[1][2]
    assert money.data_type == "n"
    assert money.number_format == MONEY_FORMAT
    assert rows[1][3].data_type == "n"

    english = await api.gql(
        EXPORT,
        {"input": {"collectivityId": gid("Collectivity", cast.where.id), "month": "2026-11",
                   "columns": ["DEDUCTION", "LAST_NAME"]}},
        token=token,
        headers={"Accept-Language": "en"},
    )  # fmt: skip
    url = english["data"]["exportPremiumOverview"]["download"]["url"]
    status, _headers, content = await download(api, url, token)
    rows = list(sheet_of(content).iter_rows(values_only=True))
    assert rows == [("Deduction", "Last name"), (90, "Albers"), (162, "Bakker"), (0, "Bakker")]

    # Default: every offered column, in the enum's order.
    payload = await _export(api, token, cast.where.id, month="2026-11")
    status, _headers, content = await download(api, payload["download"]["url"], token)
    header = next(sheet_of(content).iter_rows(values_only=True))
    assert len(header) == 15
    assert header[0] == "Achternaam"
    assert header[-1] == "Inhouding"

    async with session_factory() as db:
        issued = await audit_events(db, action="premium_overview_link_issued")
        downloaded = await audit_events(db, action="premium_overview_downloaded")
    assert len(issued) == 3
    assert len(downloaded) == 3


async def test_d6_bad_input_answers_user_errors_and_makes_nothing(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_cast(session_factory)
    token = await api.login(cast.main.email)
    cases = [
        ({"month": "2026-13"}, ("month", "INVALID_MONTH")),
        ({"month": "november"}, ("month", "INVALID_MONTH")),
        ({"month": "2027-02"}, ("month", "MONTH_OUT_OF_RANGE")),  # beyond the coming month
        ({"month": "2025-12"}, ("month", "MONTH_BEFORE_CONTRACT")),
        ({"month": "2027-01"}, ("month", "MONTH_WITHOUT_CONTRACT")),  # coming month, no contract
        ({"month": "2026-11", "columns": []}, ("columns", "VALUE_REQUIRED")),
        (
            {"month": "2026-11", "columns": ["LAST_NAME", "DAYS", "LAST_NAME"]},
            ("columns.2", "INVALID_COLUMN"),
        ),
    ]
    for input, expected in cases:
        payload = await _export(api, token, cast.where.id, **input)
        assert payload["download"] is None, input
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [expected], input
    duplicate = await _export(api, token, cast.where.id, month="2026-11", columns=["DAYS", "DAYS"])
    assert "DAYS" in duplicate["userErrors"][0]["message"]
    # A column the schema does not offer never reaches the resolver.
    body = await api.gql(
        EXPORT,
        {"input": {"collectivityId": gid("Collectivity", cast.where.id), "month": "2026-11",
                   "columns": ["SALARY"]}},
        token=token,
    )  # fmt: skip
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    async with session_factory() as db:
        assert await audit_events(db, action="premium_overview_link_issued") == []

    # The field answers the same codes, top-level.
    body = await api.gql(
        OVERVIEW, {"id": gid("Collectivity", cast.where.id), "month": "2027-02"}, token=token
    )
    assert error_codes(body) == ["MONTH_OUT_OF_RANGE"]
    body = await api.gql(
        OVERVIEW,
        {"id": gid("Collectivity", cast.where.id), "month": "2026-11", "after": "bm9wZQ"},
        token=token,
    )
    assert error_codes(body) == ["INVALID_CURSOR"]


async def test_b3_another_employers_collectivity_is_not_found(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_cast(session_factory)
    token = await api.login(cast.other_main.email)
    payload = await _export(api, token, cast.where.id, month="2026-11")
    assert payload["download"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        ("collectivityId", "NOT_FOUND")
    ]
    body = await api.gql(
        OVERVIEW, {"id": gid("Collectivity", cast.where.id), "month": "2026-11"}, token=token
    )
    assert error_codes(body) == ["NOT_FOUND"]
    # A link made by the right user is useless in another user's session (G5).
    own = await api.login(cast.main.email)
    link = (await _export(api, own, cast.where.id, month="2026-11"))["download"]["url"]
    status, _headers, _content = await download(api, link, token)
    assert status == 404


async def test_b4_staff_read_the_overview_and_the_read_is_audited(
    api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_cast(session_factory)
    token = await api.login(cast.staff.email)
    page = await _page(api, token, cast.where.id, "2026-11", first=1)
    assert [e["node"]["lastName"] for e in page["edges"]] == ["Albers"]
    payload = await _export(api, token, cast.where.id, month="2026-11", columns=["LAST_NAME"])
    status, _headers, _content = await download(api, payload["download"]["url"], token)
    assert status == 200
    async with session_factory() as db:
        [read] = await audit_events(db, action="staff_read_insured", collectivity_id=cast.where.id)
    assert read.details["via"] == "premiumOverview"
    assert read.details["insured_ids"] == [cast.albers.members[0].id]
