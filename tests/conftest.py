"""Shared fixtures. Every database test runs once per backend in ``tests.databases.BACKENDS``."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resolvers.clock import AMSTERDAM, FixedClock
from storage import create_session_factory

from .databases import BACKENDS, empty_all_tables, migrated_engine

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
