"""Shared fixtures. Every database test runs once per backend in ``tests.databases.BACKENDS``."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resolvers.clock import AMSTERDAM, FixedClock
from server.app import create_app
from server.settings import Settings
from storage import create_session_factory

from .databases import BACKENDS, empty_all_tables, migrated_engine
from .http import Api
from .inbox_steps import jobs_api, quiet_api  # noqa: F401  (the app with/without its job runner)
from .mailbox import mailbox  # noqa: F401  (a real SMTP server: the fixture for every module)

# The fixed "today" of the test suite: a Friday in December, in Amsterdam (SPEC §3).
TODAY = dt.date(2026, 12, 4)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
async def engine(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    async with migrated_engine(backend, tmp_path_factory.mktemp(backend)) as engine:
        yield engine


@pytest.fixture
async def session_factory(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database, emptied after each test."""
    try:
        yield create_session_factory(engine)
    finally:
        await empty_all_tables(engine)


@pytest.fixture
def today() -> dt.date:
    return TODAY


@pytest.fixture
def clock() -> FixedClock:
    """10:00 in Amsterdam on ``TODAY``."""
    return FixedClock(dt.datetime.combine(TODAY, dt.time(10, 0), AMSTERDAM).astimezone(dt.UTC))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {}, data_dir=tmp_path, cookie_secure=False, totp_key=Fernet.generate_key().decode()
    )


@pytest.fixture
async def api(
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> AsyncIterator[Api]:
    """The whole app over real HTTP on a loopback port, on the test database."""
    app = create_app(settings, engine=engine, clock=clock)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as http:
            yield Api(base_url=str(server.make_url("")).rstrip("/"), http=http)
    finally:
        await server.close()
