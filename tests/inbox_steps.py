"""Shared steps of the job, inbox, download and Excel tests (C2, C3, F1, F2, G5, H4).

Two servers over real HTTP on the test database:

* ``quiet_api``: the app without its job runner (``run_jobs=False``), so a test drives
  ``JobRunner`` objects itself and decides which worker claims what;
* ``jobs_api``: the app with its runner polling every 50 ms, as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resolvers.clock import FixedClock
from server.app import create_app
from server.settings import Settings
from storage import Coverage, Document, InsuredPerson, Product, Tariff
from storage.enums import ProductKind

from .employers import Employers, gid, make_employers
from .http import Api

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@contextlib.asynccontextmanager
async def serving(engine: AsyncEngine, settings: Settings, clock: FixedClock) -> AsyncIterator[Api]:
    server = TestServer(create_app(settings, engine=engine, clock=clock), host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as http:
            yield Api(base_url=str(server.make_url("")).rstrip("/"), http=http)
    finally:
        await server.close()


@pytest.fixture
async def quiet_api(
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> AsyncIterator[Api]:
    """The app over HTTP without a job runner of its own."""
    async with serving(engine, dataclasses.replace(settings, run_jobs=False), clock) as api:
        yield api


@pytest.fixture
async def jobs_api(
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> AsyncIterator[Api]:
    """The app over HTTP with its job runner polling every 50 ms."""
    async with serving(engine, dataclasses.replace(settings, job_poll_seconds=0.05), clock) as api:
        yield api


async def employers_with_coverage(session_factory: async_sessionmaker[AsyncSession]) -> Employers:
    """The cast of ``tests/employers.py``; x1's family has an address, a basic product and a
    dental product with tariffs for 2026 (the year of the test clock)."""
    cast = await make_employers(session_factory)
    async with session_factory() as db:
        basic = Product(code="B-TEST", name="Basis Test", kind=ProductKind.BASIC)
        dental = Product(
            code="T-TEST", name="Tand Test", kind=ProductKind.DENTAL, free_for_children=False
        )
        db.add_all([basic, dental])
        await db.flush()
        db.add_all(
            [
                Tariff(product_id=basic.id, year=2026, monthly_premium=Decimal("150.25")),
                Tariff(product_id=dental.id, year=2026, monthly_premium=Decimal("21.10")),
                Tariff(product_id=basic.id, year=2025, monthly_premium=Decimal("140.00")),
            ]
        )
        person = await db.get(InsuredPerson, cast.family_x1.members[0].id)
        assert person is not None
        person.street, person.house_number, person.postal_code, person.city = (
            "Dorpsstraat",
            "12",
            "1234 AB",
            "Utrecht",
        )
        for product in (basic, dental):
            db.add(
                Coverage(insured_id=person.id, product_id=product.id, start_date=person.birth_date)
            )
        await db.commit()
    return cast


REQUEST_LIST = """
mutation($input: RequestExtendedInsuredListInput!) {
  requestExtendedInsuredList(input: $input) {
    job { id kind status attempts }
    userErrors { field code message }
  }
}
"""

JOB = """
query($id: ID!) {
  node(id: $id) {
    ... on Job {
      id kind status attempts createdAt finishedAt
      error { code message }
      document { id title filename mediaType size downloadUrl }
    }
  }
}
"""

INBOX = """
query($id: ID!, $unreadOnly: Boolean! = false) {
  collectivity(id: $id) {
    documents(first: 10, unreadOnly: $unreadOnly) {
      totalCount
      edges { node { id kind title filename mediaType size createdAt readAt read downloadUrl } }
    }
  }
}
"""

MARK_READ = """
mutation($input: MarkDocumentReadInput!) {
  markDocumentRead(input: $input) {
    document { id read readAt }
    userErrors { field code message }
  }
}
"""

DOWNLOAD_OVERVIEW = """
mutation($input: DownloadInsuredOverviewInput!) {
  downloadInsuredOverview(input: $input) {
    download { url expiresAt }
    userErrors { field code message }
  }
}
"""


async def request_list(api: Api, token: str, collectivity_id: int, **extra: Any) -> dict:
    body = await api.gql(
        REQUEST_LIST,
        {"input": {"collectivityId": gid("Collectivity", collectivity_id), **extra}},
        token=token,
    )
    assert "errors" not in body, body
    return body["data"]["requestExtendedInsuredList"]


async def job_of(api: Api, token: str, job_id: str) -> dict:
    body = await api.gql(JOB, {"id": job_id}, token=token)
    assert "errors" not in body, body
    return body["data"]["node"]


async def wait_for_job(api: Api, token: str, job_id: str) -> dict:
    """Poll the job over the API (as a frontend would) until it is finished (30 s at most)."""
    async with asyncio.timeout(30):
        while True:
            job = await job_of(api, token, job_id)
            if job["status"] in {"SUCCEEDED", "FAILED"}:
                return job
            await asyncio.sleep(0.05)


async def inbox(api: Api, token: str, collectivity_id: int, *, unread_only: bool = False) -> dict:
    body = await api.gql(
        INBOX,
        {"id": gid("Collectivity", collectivity_id), "unreadOnly": unread_only},
        token=token,
    )
    assert "errors" not in body, body
    return body["data"]["collectivity"]["documents"]


async def download(
    api: Api, url: str, token: str | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    all_headers = dict(headers)
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    async with api.http.get(urljoin(api.base_url + "/", url), headers=all_headers) as response:
        return response.status, dict(response.headers), await response.read()


async def overview_link(api: Api, token: str, collectivity_id: int, **extra: Any) -> dict:
    body = await api.gql(
        DOWNLOAD_OVERVIEW,
        {"input": {"collectivityId": gid("Collectivity", collectivity_id), **extra}},
        token=token,
    )
    assert "errors" not in body, body
    return body["data"]["downloadInsuredOverview"]


def sheet_of(content: bytes) -> Worksheet:
    workbook = load_workbook(io.BytesIO(content))
    return workbook.worksheets[0]


async def document_count(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_factory() as db:
        return await db.scalar(select(func.count()).select_from(Document)) or 0
