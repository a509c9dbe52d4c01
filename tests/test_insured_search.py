"""The insured overview (C1): search, filters and sorting on every column, paging under each order,
bad input codes and scope (B3) — over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from strawberry.relay import to_base64

from resolvers.clock import FixedClock
from resolvers.insured_listing import membership_status
from resolvers.names import last_name_readings, name_search_words, sort_name
from server.demo import load_demo_data
from storage import Collectivity, Enrollment, InsuredPerson, Policy, User
from storage.enums import Relation

from . import factories
from .http import Api, error_codes

TODAY = dt.date(2026, 12, 4)
D = dt.date

OVERVIEW = """
query($id: ID!, $first: Int, $after: String, $search: InsuredPersonSearch,
      $filter: InsuredPersonFilter, $orderBy: InsuredPersonOrder) {
  collectivity(id: $id) {
    insuredPersons(first: $first, after: $after, search: $search, filter: $filter,
                   orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { cursor node { id name firstName namePrefix lastName birthDate relation
                            policyNumber employeeNumber startDate endDate status } }
    }
  }
}
"""


def gid(type_name: str, key: int) -> str:
    return to_base64(type_name, key)


@dataclasses.dataclass
class Member:
    """One row of the overview as the test expects it."""

    key: str
    first_name: str
    prefix: str | None
    last_name: str
    birth_date: dt.date
    relation: Relation
    policy_number: str
    start: dt.date
    end: dt.date | None
    employee_number: str | None
    bsn: str = ""
    insured_id: int = 0
    enrollment_id: int = 0

    @property
    def sort_name(self) -> str:
        return sort_name(self.first_name, self.prefix, self.last_name)

    @property
    def node_id(self) -> str:
        return gid("InsuredPerson", self.insured_id)

    def status(self, today: dt.date = TODAY) -> str:
        return membership_status(self.start, self.end, today).value


PH, PARTNER, CHILD = Relation.POLICYHOLDER, Relation.PARTNER, Relation.CHILD

# Ties on purpose (two "Jan Jansen", shared birth, start and end dates), absent end dates and
# employee numbers, prefixes, a wildcard in a policy number, and one member who left and came back.
PEOPLE = [
    Member("jan-van-dijk", "Jan", "van", "Dijk", D(1980, 5, 17), PH, "P100", D(2025, 1, 1), None, "E-100"),
    Member("anna-van-dijk", "Anna", "van", "Dijk", D(1982, 3, 2), PARTNER, "P100", D(2025, 1, 1), None, None),
    Member("piet-van-dijk", "Piet", "van", "Dijk", D(2015, 3, 1), CHILD, "P100", D(2025, 1, 1), None, None),
    Member("jan-jansen", "Jan", None, "Jansen", D(1980, 5, 17), PH, "P200", D(2025, 1, 1), D(2026, 6, 30), "e-200"),
    Member("jan-jansen-jr", "Jan", None, "Jansen", D(2010, 7, 7), CHILD, "P200", D(2025, 1, 1), D(2026, 6, 30), None),
    Member("floris-d-ancona", "Floris", "d'", "Ancona", D(1975, 1, 1), PH, "P300", D(2026, 12, 5), None, None),
    Member("kees-dijkman", "Kees", None, "Dijkman", D(1990, 12, 31), PH, "P050", D(2024, 6, 1), D(2026, 12, 4), "E-050"),
    Member("lotte-dijkman", "Lotte", None, "Dijkman", D(1990, 12, 31), PARTNER, "P050", D(2024, 6, 1), D(2026, 12, 4), None),
    Member("zoe-ozturk", "Zoë", None, "Öztürk", D(2000, 2, 29), PH, "P400", D(2026, 2, 1), None, "X9"),
    Member("bram-de-vries", "Bram", "de", "Vries", D(1985, 8, 8), PH, "P600", D(2026, 1, 1), None, "E-600"),
    Member("eva-van-der-berg", "Eva", "van der", "Berg", D(1979, 9, 9), PH, "P700", D(2025, 1, 1), D(2026, 11, 30), None),
    Member("sam-van-der-berg", "Sam", "van der", "Berg", D(2020, 10, 10), CHILD, "P700", D(2025, 1, 1), D(2026, 11, 30), None),
    Member("mo-said", "Mo", None, "Said", D(1995, 5, 5), PH, "P8%0", D(2026, 12, 4), None, "E-800"),
]  # fmt: skip


@dataclasses.dataclass
class Overview:
    home: Collectivity
    other: Collectivity  # same customer, not linked: out of the user's scope
    foreign: Collectivity  # another customer
    user: User
    members: dict[str, Member]
    outsider: Member  # a member of ``other``

    @property
    def home_id(self) -> str:
        return gid("Collectivity", self.home.id)

    def rows(self) -> list[Member]:
        return list(self.members.values())


async def _add_member(
    db: AsyncSession,
    where: Collectivity,
    member: Member,
    policies: dict[str, Policy],
    *,
    earlier: tuple[dt.date, dt.date] | None = None,
) -> Member:
    policy = policies.get(member.policy_number)
    if policy is None:
        policy = policies[member.policy_number] = Policy(policy_number=member.policy_number)
        db.add(policy)
        await db.flush()
    person = InsuredPerson(
        bsn=factories.bsn(),
        policy_id=policy.id,
        relation=member.relation,
        initials=f"{member.first_name[0]}.",
        first_name=member.first_name,
        name_prefix=member.prefix,
        last_name=member.last_name,
        birth_date=member.birth_date,
    )
    db.add(person)
    await db.flush()

    def enrollment(start: dt.date, end: dt.date | None, number: str | None) -> Enrollment:
        return Enrollment(
            insured_id=person.id,
            collectivity_id=where.id,
            sort_name=member.sort_name,
            birth_date=member.birth_date,
            relation=member.relation,
            policy_number=member.policy_number,
            start_date=start,
            end_date=end,
            employee_number=number,
        )

    if earlier is not None:  # an earlier membership, superseded by the current one
        db.add(enrollment(*earlier, "OUD-1"))
        await db.flush()
    current = enrollment(member.start, member.end, member.employee_number)
    db.add(current)
    await db.flush()
    return dataclasses.replace(
        member, bsn=person.bsn, insured_id=person.id, enrollment_id=current.id
    )


@pytest.fixture
async def overview(session_factory: async_sessionmaker[AsyncSession]) -> Overview:
    async with session_factory() as db:
        customer = await factories.customer(db)
        home = await factories.collectivity(db, customer)
        other = await factories.collectivity(db, customer)
        foreign = await factories.collectivity(db)
        user = await factories.user(db, home)
        policies: dict[str, Policy] = {}
        members = {}
        for member in PEOPLE:
            earlier = (D(2023, 1, 1), D(2023, 12, 31)) if member.key == "bram-de-vries" else None
            members[member.key] = await _add_member(db, home, member, policies, earlier=earlier)
        elsewhere = dataclasses.replace(PEOPLE[0], key="jan-van-dijk-elders", policy_number="P900")
        outsider = await _add_member(db, other, elsewhere, policies)
        await factories.family(db, foreign, last_name="Dijk", employee_number="E-100")
        await db.commit()
    return Overview(home, other, foreign, user, members, outsider)


async def _page(api: Api, token: str, collectivity_id: str, **variables: Any) -> dict:
    body = await api.gql(OVERVIEW, {"id": collectivity_id, **variables}, token=token)
    assert "errors" not in body, body["errors"]
    return body["data"]["collectivity"]["insuredPersons"]


async def _walk(api: Api, token: str, overview: Overview, first: int = 3, **variables: Any) -> list:
    """Every page in turn; asserts each row comes once and the page flags are right."""
    nodes: list[dict] = []
    after = None
    while True:
        page = await _page(api, token, overview.home_id, first=first, after=after, **variables)
        assert len(page["edges"]) <= first
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        assert len(page["edges"]) == first
        after = page["pageInfo"]["endCursor"]
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids)), "a row came twice"
    return nodes


def _names(nodes: list[dict]) -> list[str]:
    return [n["name"] for n in nodes]


def _keys(overview: Overview, nodes: list[dict]) -> list[str]:
    by_id = {m.node_id: m.key for m in overview.rows()}
    return [by_id[n["id"]] for n in nodes]


# --- sorting -------------------------------------------------------------------------------------

_RELATION_ORDER = [PH, PARTNER, CHILD]
_STATUS_ORDER = ["ACTIVE", "FUTURE", "ENDED"]


def _ascending_key(field: str, m: Member) -> tuple:
    """The documented order: absent values after all values; ties by name, then enrollment id."""
    ties = (m.sort_name.encode(), m.enrollment_id)
    return {
        "NAME": ties,
        "BIRTH_DATE": (m.birth_date, *ties),
        "POLICY_NUMBER": (m.policy_number.encode(), *ties),
        "START_DATE": (m.start, *ties),
        "END_DATE": (m.end is None, m.end or D.min, *ties),
        "EMPLOYEE_NUMBER": (m.employee_number is None, (m.employee_number or "").encode(), *ties),
        "RELATION": (_RELATION_ORDER.index(m.relation), *ties),
        "STATUS": (_STATUS_ORDER.index(m.status()), *ties),
    }[field]


FIELDS = [
    "NAME", "BIRTH_DATE", "RELATION", "POLICY_NUMBER", "EMPLOYEE_NUMBER", "START_DATE",
    "END_DATE", "STATUS",
]  # fmt: skip


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("field", FIELDS)
async def test_c1_paging_under_each_order_visits_every_row_once_in_order(
    api: Api, overview: Overview, field: str, direction: str
) -> None:
    token = await api.login(overview.user.email)

    nodes = await _walk(api, token, overview, orderBy={"field": field, "direction": direction})

    expected = sorted(overview.rows(), key=lambda m: _ascending_key(field, m))
    if direction == "DESC":
        expected.reverse()
    assert _keys(overview, nodes) == [m.key for m in expected]


async def test_c1_default_order_is_by_name_and_ties_keep_a_stable_order(
    api: Api, overview: Overview
) -> None:
    token = await api.login(overview.user.email)

    by_default = await _walk(api, token, overview, first=100)
    by_name = await _walk(api, token, overview, first=1, orderBy={"field": "NAME"})

    keys = _keys(overview, by_default)
    assert keys == _keys(overview, by_name)
    # Two "Jan Jansen": side by side, the one registered first first.
    assert keys.index("jan-jansen") + 1 == keys.index("jan-jansen-jr")
    names = _names(by_default)
    # Van Dijk sorts under D, before Dijkman; Öztürk after Z (code point order on both databases).
    assert names.index("A. van Dijk") < names.index("K. Dijkman")
    assert names[-1] == "Z. Öztürk"


async def test_c1_absent_end_dates_and_employee_numbers_come_last_ascending_first_descending(
    api: Api, overview: Overview
) -> None:
    token = await api.login(overview.user.email)

    ascending = await _walk(api, token, overview, orderBy={"field": "END_DATE"})
    descending = await _walk(
        api, token, overview, orderBy={"field": "EMPLOYEE_NUMBER", "direction": "DESC"}
    )

    ends = [n["endDate"] for n in ascending]
    assert ends.index(None) == len([e for e in ends if e is not None])
    assert all(e is None for e in ends[ends.index(None) :])
    numbers = [n["employeeNumber"] for n in descending]
    assert numbers[: numbers.count(None)] == [None] * numbers.count(None)
    assert numbers[numbers.count(None) :] == ["e-200", "X9", "E-800", "E-600", "E-100", "E-050"]


# --- filters -------------------------------------------------------------------------------------


async def _filtered(api: Api, token: str, overview: Overview, **filters: Any) -> set[str]:
    nodes = await _walk(api, token, overview, filter=filters)
    return set(_keys(overview, nodes))


def _where(overview: Overview, predicate: Any) -> set[str]:
    return {m.key for m in overview.rows() if predicate(m)}


@pytest.mark.parametrize(
    ("filters", "predicate"),
    [
        ({"name": {"contains": "JAN"}}, lambda m: "jan" in m.sort_name),
        ({"name": {"contains": "van dijk"}}, lambda m: m.last_name == "Dijk"),
        ({"name": {"contains": "Dijk, Piet"}}, lambda m: m.key == "piet-van-dijk"),
        ({"name": {"contains": "d'Ancona"}}, lambda m: m.last_name == "Ancona"),
        ({"name": {"contains": "zoë"}}, lambda m: m.key == "zoe-ozturk"),
        ({"name": {"contains": "%"}}, lambda m: False),
        ({"name": {"contains": "_"}}, lambda m: False),
        ({"name": {"contains": "a\x00"}}, lambda m: False),
        ({"name": {"equals": "dijk"}}, lambda m: m.last_name == "Dijk"),
        ({"name": {"equals": "Van Dijk"}}, lambda m: m.last_name == "Dijk"),
        ({"name": {"equals": "van der Berg"}}, lambda m: m.last_name == "Berg"),
        ({"name": {"equals": "de Dijk"}}, lambda m: False),
        ({"name": {"equals": "d'Ancona"}}, lambda m: m.last_name == "Ancona"),
        ({"name": {"equals": "ÖZTÜRK"}}, lambda m: m.last_name == "Öztürk"),
        ({"name": {"equals": "Dijkm"}}, lambda m: False),
        ({"policyNumber": {"equals": "P100"}}, lambda m: m.policy_number == "P100"),
        ({"policyNumber": {"equals": "p100"}}, lambda m: False),
        ({"policyNumber": {"contains": "p1"}}, lambda m: m.policy_number == "P100"),
        ({"policyNumber": {"contains": "8%"}}, lambda m: m.policy_number == "P8%0"),
        ({"policyNumber": {"contains": "0"}}, lambda m: "0" in m.policy_number),
        ({"employeeNumber": {"equals": "E-100"}}, lambda m: m.employee_number == "E-100"),
        ({"employeeNumber": {"contains": "e-"}},
         lambda m: m.employee_number is not None and "e-" in m.employee_number.lower()),
        ({"employeeNumber": {"contains": "x"}}, lambda m: m.employee_number == "X9"),
        ({"birthDate": {"on": "1980-05-17"}}, lambda m: m.birth_date == D(1980, 5, 17)),
        ({"birthDate": {"before": "1980-05-17"}}, lambda m: m.birth_date < D(1980, 5, 17)),
        ({"birthDate": {"after": "1990-12-31"}}, lambda m: m.birth_date > D(1990, 12, 31)),
        ({"birthDate": {"between": {"from": "1980-05-17", "to": "1990-12-31"}}},
         lambda m: D(1980, 5, 17) <= m.birth_date <= D(1990, 12, 31)),
        ({"startDate": {"on": "2025-01-01"}}, lambda m: m.start == D(2025, 1, 1)),
        ({"startDate": {"on": "2023-01-01"}}, lambda m: False),  # a superseded membership
        ({"startDate": {"after": "2026-01-01"}}, lambda m: m.start > D(2026, 1, 1)),
        ({"startDate": {"between": {"from": "2026-12-04", "to": "2026-12-04"}}},
         lambda m: m.start == TODAY),
        ({"endDate": {"on": "2026-12-04"}}, lambda m: m.end == TODAY),
        ({"endDate": {"before": "2026-12-04"}}, lambda m: m.end is not None and m.end < TODAY),
        ({"endDate": {"after": "2026-07-01"}}, lambda m: m.end is not None and m.end > D(2026, 7, 1)),
        ({"endDate": {"between": {"from": "2026-06-30", "to": "2026-11-30"}}},
         lambda m: m.end is not None and D(2026, 6, 30) <= m.end <= D(2026, 11, 30)),
        ({"relation": ["PARTNER", "CHILD"]}, lambda m: m.relation is not PH),
        ({"relation": ["POLICYHOLDER"]}, lambda m: m.relation is PH),
        ({"status": ["ENDED"]}, lambda m: m.status() == "ENDED"),
        ({"status": ["FUTURE"]}, lambda m: m.status() == "FUTURE"),
        ({"status": ["ACTIVE", "FUTURE"]}, lambda m: m.status() != "ENDED"),
        ({"status": ["ACTIVE", "FUTURE", "ENDED"]}, lambda m: True),
    ],
)  # fmt: skip
async def test_c1_each_filter_selects_exactly_the_matching_rows(
    api: Api, overview: Overview, filters: dict, predicate: Any
) -> None:
    token = await api.login(overview.user.email)

    found = await _filtered(api, token, overview, **filters)

    assert found == _where(overview, predicate)


async def test_c1_filters_combine_and_page_under_a_sort(api: Api, overview: Overview) -> None:
    token = await api.login(overview.user.email)
    filters = {
        "status": ["ACTIVE", "ENDED"],
        "relation": ["POLICYHOLDER", "CHILD"],
        "startDate": {"before": "2026-06-01"},
        "name": {"contains": "a"},
    }

    nodes = await _walk(
        api, token, overview, first=2, filter=filters,
        orderBy={"field": "END_DATE", "direction": "DESC"},
    )  # fmt: skip
    total = (await _page(api, token, overview.home_id, filter=filters))["totalCount"]

    expected = [
        m
        for m in overview.rows()
        if m.status() in ("ACTIVE", "ENDED")
        and m.relation in (PH, CHILD)
        and m.start < D(2026, 6, 1)
        and "a" in m.sort_name
    ]
    expected.sort(key=lambda m: _ascending_key("END_DATE", m), reverse=True)
    assert len(expected) >= 4
    assert _keys(overview, nodes) == [m.key for m in expected]
    assert total == len(expected)


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize(
    ("field", "filters", "predicate"),
    [
        ("STATUS", {"status": ["ENDED", "FUTURE"]}, lambda m: m.status() != "ACTIVE"),
        ("RELATION", {"relation": ["CHILD", "POLICYHOLDER"]}, lambda m: m.relation is not PARTNER),
        ("END_DATE", {"status": ["ENDED"]}, lambda m: m.status() == "ENDED"),
        ("END_DATE", {"endDate": {"after": "2026-01-01"}}, lambda m: m.end is not None),
        ("EMPLOYEE_NUMBER", {"employeeNumber": {"contains": "E"}},
         lambda m: m.employee_number is not None and "e" in m.employee_number.lower()),
        ("STATUS", {"relation": ["PARTNER"]}, lambda m: m.relation is PARTNER),
    ],
)  # fmt: skip
async def test_c1_paging_under_an_order_with_a_filter_on_its_own_column(
    api: Api, overview: Overview, field: str, filters: dict, predicate: Any, direction: str
) -> None:
    """Orders in parts (values, then absent ones; one part per status or relation) stay whole
    when the filter leaves parts empty."""
    token = await api.login(overview.user.email)

    nodes = await _walk(
        api, token, overview, first=2, filter=filters,
        orderBy={"field": field, "direction": direction},
    )  # fmt: skip

    expected = sorted(
        (m for m in overview.rows() if predicate(m)), key=lambda m: _ascending_key(field, m)
    )
    if direction == "DESC":
        expected.reverse()
    assert _keys(overview, nodes) == [m.key for m in expected]


async def test_c1_total_count_follows_search_and_filter(api: Api, overview: Overview) -> None:
    token = await api.login(overview.user.email)

    everything = await _page(api, token, overview.home_id, first=1)
    ended = await _page(api, token, overview.home_id, first=1, filter={"status": ["ENDED"]})
    family = await _page(
        api, token, overview.home_id, first=1, search={"by": "POLICY_NUMBER", "value": "P100"}
    )

    assert everything["totalCount"] == len(PEOPLE)
    assert ended["totalCount"] == len(_where(overview, lambda m: m.status() == "ENDED"))
    assert family["totalCount"] == 3


async def test_c1_status_is_relative_to_today_in_amsterdam(
    api: Api, overview: Overview, clock: FixedClock
) -> None:
    token = await api.login(overview.user.email)
    before = await _filtered(api, token, overview, status=["FUTURE"])

    # 00:30 on 5 December in Amsterdam is still 4 December in UTC.
    clock.advance(dt.timedelta(hours=14, minutes=30))
    token = await api.login(overview.user.email)
    after = await _filtered(api, token, overview, status=["FUTURE"])
    ended = await _filtered(api, token, overview, status=["ENDED"])

    assert clock.now().date() == TODAY
    assert before == {"floris-d-ancona"}
    assert after == set()
    assert {"kees-dijkman", "lotte-dijkman"} <= ended


async def test_c1_a_member_who_came_back_is_one_row_with_the_latest_membership(
    api: Api, overview: Overview
) -> None:
    token = await api.login(overview.user.email)

    nodes = await _walk(api, token, overview, search={"by": "NAME", "value": "Vries"})

    assert [(n["startDate"], n["endDate"], n["employeeNumber"]) for n in nodes] == [
        ("2026-01-01", None, "E-600")
    ]


# --- search ("Zoek met") -------------------------------------------------------------------------


@pytest.mark.parametrize("formatted", [False, True])
async def test_c1_search_by_bsn_finds_one_insured(
    api: Api, overview: Overview, formatted: bool
) -> None:
    token = await api.login(overview.user.email)
    member = overview.members["anna-van-dijk"]
    value = f" {member.bsn[:4]}.{member.bsn[4:6]}.{member.bsn[6:]} " if formatted else member.bsn

    page = await _page(api, token, overview.home_id, search={"by": "BSN", "value": value})

    assert [e["node"]["id"] for e in page["edges"]] == [member.node_id]
    assert page["totalCount"] == 1
    for edge in page["edges"]:  # the cursor names the row, not the BSN
        assert member.bsn not in _decoded(edge["cursor"])


async def test_c1_search_by_bsn_of_someone_elsewhere_finds_nothing(
    api: Api, overview: Overview
) -> None:
    token = await api.login(overview.user.email)

    page = await _page(
        api, token, overview.home_id, search={"by": "BSN", "value": overview.outsider.bsn}
    )

    assert page["edges"] == []
    assert page["totalCount"] == 0


@pytest.mark.parametrize(
    ("by", "value", "expected"),
    [
        ("POLICY_NUMBER", "P100", {"jan-van-dijk", "anna-van-dijk", "piet-van-dijk"}),
        ("POLICY_NUMBER", " P050 ", {"kees-dijkman", "lotte-dijkman"}),
        ("POLICY_NUMBER", "P10", set()),
        ("EMPLOYEE_NUMBER", "E-100", {"jan-van-dijk"}),
        ("EMPLOYEE_NUMBER", "E-10", set()),
        ("NAME", "jan", {"jan-van-dijk", "jan-jansen", "jan-jansen-jr"}),
        ("NAME", "Jansen Jan", {"jan-jansen", "jan-jansen-jr"}),
        ("NAME", "van der berg", {"eva-van-der-berg", "sam-van-der-berg"}),
    ],
)
async def test_c1_search_by_policy_number_employee_number_or_name(
    api: Api, overview: Overview, by: str, value: str, expected: set[str]
) -> None:
    token = await api.login(overview.user.email)

    nodes = await _walk(api, token, overview, search={"by": by, "value": value})

    assert set(_keys(overview, nodes)) == expected


async def test_c1_search_combines_with_filter_and_order(api: Api, overview: Overview) -> None:
    token = await api.login(overview.user.email)

    nodes = await _walk(
        api, token, overview,
        search={"by": "POLICY_NUMBER", "value": "P100"},
        filter={"relation": ["PARTNER", "CHILD"]},
        orderBy={"field": "BIRTH_DATE", "direction": "DESC"},
    )  # fmt: skip

    assert _keys(overview, nodes) == ["piet-van-dijk", "anna-van-dijk"]


# --- cursors -------------------------------------------------------------------------------------


def _decoded(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


async def test_c1_cursors_hold_the_row_id_only(api: Api, overview: Overview) -> None:
    token = await api.login(overview.user.email)

    page = await _page(
        api, token, overview.home_id, first=20,
        filter={"name": {"contains": "dijk"}},
        orderBy={"field": "BIRTH_DATE", "direction": "DESC"},
    )  # fmt: skip

    enrollment_ids = {m.node_id: m.enrollment_id for m in overview.rows()}
    for edge in page["edges"]:
        kind, *values = json.loads(_decoded(edge["cursor"]))
        assert kind == "insured:birth_date:desc"
        assert values == [enrollment_ids[edge["node"]["id"]]]


async def test_c1_a_cursor_of_another_order_is_refused(api: Api, overview: Overview) -> None:
    token = await api.login(overview.user.email)
    page = await _page(api, token, overview.home_id, first=2, orderBy={"field": "START_DATE"})

    body = await api.gql(
        OVERVIEW,
        {"id": overview.home_id, "after": page["pageInfo"]["endCursor"],
         "orderBy": {"field": "START_DATE", "direction": "DESC"}},
        token=token,
    )  # fmt: skip

    assert error_codes(body) == ["INVALID_CURSOR"]


async def test_c1_a_cursor_stays_valid_when_the_filter_changes(
    api: Api, overview: Overview
) -> None:
    """The cursor names a row; the next page continues after that row's place in the order."""
    token = await api.login(overview.user.email)
    first = await _page(api, token, overview.home_id, first=4)
    everyone = [n["id"] for n in await _walk(api, token, overview, first=100)]

    rest = await _page(
        api, token, overview.home_id, first=100, after=first["pageInfo"]["endCursor"],
        filter={"relation": ["POLICYHOLDER"]},
    )  # fmt: skip

    last_seen = everyone.index(first["edges"][-1]["node"]["id"])
    holders = {m.node_id for m in overview.rows() if m.relation is PH}
    expected = [i for i in everyone[last_seen + 1 :] if i in holders]
    assert expected
    assert [e["node"]["id"] for e in rest["edges"]] == expected


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"filter": {"name": {}}}, "INVALID_FILTER", "filter.name"),
        ({"filter": {"name": {"contains": "a", "equals": "a"}}}, "INVALID_FILTER", "filter.name"),
        ({"filter": {"birthDate": {}}}, "INVALID_FILTER", "filter.birthDate"),
        ({"filter": {"endDate": {"on": "2026-01-01", "before": "2026-02-01"}}},
         "INVALID_FILTER", "filter.endDate"),
        ({"filter": {"status": []}}, "INVALID_FILTER", "filter.status"),
        ({"filter": {"relation": []}}, "INVALID_FILTER", "filter.relation"),
        ({"filter": {"birthDate": {"between": {"from": "1990-01-02", "to": "1990-01-01"}}}},
         "INVALID_DATE_RANGE", "filter.birthDate.between"),
        ({"filter": {"name": {"contains": "  "}}}, "VALUE_REQUIRED", "filter.name.contains"),
        ({"filter": {"policyNumber": {"equals": ""}}}, "VALUE_REQUIRED", "filter.policyNumber.equals"),
        ({"filter": {"employeeNumber": {"contains": "x" * 101}}},
         "VALUE_TOO_LONG", "filter.employeeNumber.contains"),
        ({"search": {"by": "NAME", "value": " "}}, "VALUE_REQUIRED", "search.value"),
        ({"search": {"by": "NAME", "value": "x" * 101}}, "VALUE_TOO_LONG", "search.value"),
        ({"search": {"by": "BSN", "value": "123456789"}}, "BSN_INVALID", "search.value"),
        ({"search": {"by": "BSN", "value": "12345678a"}}, "BSN_INVALID", "search.value"),
        ({"search": {"by": "BSN", "value": ""}}, "VALUE_REQUIRED", "search.value"),
    ],
)  # fmt: skip
async def test_c1_bad_filter_and_search_input_answers_its_own_code(
    api: Api, overview: Overview, variables: dict, code: str, field: str
) -> None:
    token = await api.login(overview.user.email)

    body = await api.gql(OVERVIEW, {"id": overview.home_id, **variables}, token=token)

    assert error_codes(body) == [code]
    assert body["errors"][0]["extensions"]["field"] == field
    assert body["data"] == {"collectivity": None}


@pytest.mark.parametrize(
    "variables",
    [
        {"filter": {"salary": {"contains": "1"}}},
        {"filter": {"name": {"startsWith": "a"}}},
        {"filter": {"birthDate": {"on": "17-05-1980"}}},
        {"filter": {"status": ["RETIRED"]}},
        {"orderBy": {"field": "SALARY"}},
        {"orderBy": {"field": "NAME", "direction": "UP"}},
        {"search": {"by": "EMAIL", "value": "a@b.nl"}},
    ],
)
async def test_c1_unknown_columns_and_values_are_refused_by_the_schema(
    api: Api, overview: Overview, variables: dict
) -> None:
    token = await api.login(overview.user.email)

    body = await api.gql(OVERVIEW, {"id": overview.home_id, **variables}, token=token)

    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_c1_messages_of_the_new_codes_follow_the_language(
    api: Api, overview: Overview
) -> None:
    token = await api.login(overview.user.email)
    variables = {
        "id": overview.home_id,
        "filter": {"startDate": {"between": {"from": "2026-02-01", "to": "2026-01-01"}}},
    }

    dutch = await api.gql(OVERVIEW, variables, token=token)
    english = await api.gql(OVERVIEW, variables, token=token, headers={"Accept-Language": "en"})

    assert dutch["errors"][0]["message"] == "De begindatum ligt na de einddatum."
    assert english["errors"][0]["message"] == "The start date is after the end date."


# --- scope (B3) ----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["other", "foreign"])
async def test_b3_searching_a_collectivity_out_of_scope_answers_not_found(
    api: Api, overview: Overview, which: str
) -> None:
    token = await api.login(overview.user.email)
    target = getattr(overview, which)

    body = await api.gql(
        OVERVIEW,
        {"id": gid("Collectivity", target.id), "search": {"by": "BSN", "value": overview.outsider.bsn},
         "filter": {"name": {"equals": "Dijk"}}, "orderBy": {"field": "END_DATE"}},
        token=token,
    )  # fmt: skip
    missing = await api.gql(
        OVERVIEW,
        {
            "id": gid("Collectivity", 987654),
            "search": {"by": "BSN", "value": overview.outsider.bsn},
        },
        token=token,
    )

    assert error_codes(body) == ["NOT_FOUND"]
    assert body["data"] == missing["data"] == {"collectivity": None}


async def test_b3_filters_never_reach_rows_of_other_collectivities(
    api: Api, overview: Overview
) -> None:
    token = await api.login(overview.user.email)

    nodes = await _walk(api, token, overview, filter={"employeeNumber": {"equals": "E-100"}})

    assert _keys(overview, nodes) == ["jan-van-dijk"]


# --- storage and names -----------------------------------------------------------------------------


async def test_c1_demo_enrollments_carry_their_persons_sortable_attributes(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await load_demo_data(session_factory, today=TODAY)

    async with session_factory() as db:
        rows = (
            await db.execute(
                select(Enrollment, InsuredPerson, Policy)
                .join(InsuredPerson, InsuredPerson.id == Enrollment.insured_id)
                .join(Policy, Policy.id == InsuredPerson.policy_id)
            )
        ).all()

    assert len(rows) >= 300
    for enrollment, person, policy in rows:
        assert enrollment.sort_name == sort_name(
            person.first_name, person.name_prefix, person.last_name
        )
        assert enrollment.birth_date == person.birth_date
        assert enrollment.relation == person.relation
        assert enrollment.policy_number == policy.policy_number


async def test_c1_text_sort_columns_compare_bytewise_on_postgresql(engine: AsyncEngine) -> None:
    """SQLite always compares text byte-wise; PostgreSQL must not sort by the server's locale."""
    async with engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            order = await connection.scalar(text("SELECT 'dijk, tom' < 'dijkman, anna'"))
            assert order == 1
            return
        collations = dict(
            (
                await connection.execute(
                    text(
                        "SELECT column_name, collation_name FROM information_schema.columns "
                        "WHERE table_name = 'enrollments' AND column_name IN "
                        "('sort_name', 'policy_number', 'employee_number')"
                    )
                )
            ).all()
        )
    assert collations == {"sort_name": "C", "policy_number": "C", "employee_number": "C"}


def test_c1_name_search_words_and_last_name_readings() -> None:
    assert name_search_words("Van Dijk, Jan") == ["van", "dijk", "jan"]
    assert name_search_words("d'Ancona 't Hart") == ["d'", "ancona", "'", "t", "hart"]
    assert last_name_readings("van der  Berg") == [
        ("van der berg", None),
        ("der berg", "van"),
        ("berg", "van der"),
    ]
    assert last_name_readings("O'Neill") == [("o'neill", None), ("neill", "o'")]
