"""Test databases: a real SQLite file and a real PostgreSQL database, created and dropped here.

The backends to run come from ``COLLECTIEF_TEST_BACKENDS`` (default ``sqlite,postgresql``). When
PostgreSQL is asked for but unreachable the tests fail rather than skip (CI must prove both).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import Base, create_engine
from storage.migrate import upgrade

BACKENDS = [
    b.strip()
    for b in os.environ.get("COLLECTIEF_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if b.strip()
]
POSTGRES_ADMIN_URL = os.environ.get(
    "COLLECTIEF_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database; dropped afterwards."""
    admin_dsn = _asyncpg_dsn(POSTGRES_ADMIN_URL)
    name = f"collectief_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        admin = await asyncpg.connect(admin_dsn, timeout=10)
    except (OSError, asyncpg.PostgresError) as error:
        raise RuntimeError(
            f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string()} is unreachable "
            f"({error}). Start it (see README) or run with COLLECTIEF_TEST_BACKENDS=sqlite."
        ) from error
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(admin_dsn, timeout=10)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def migrated_engine(backend: str, directory: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a new database of ``backend``, migrated to the newest revision."""
    if backend == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{directory / 'test.sqlite3'}")
        await upgrade(engine)
        try:
            yield engine
        finally:
            await engine.dispose()
    elif backend == "postgresql":
        async with postgres_database() as url:
            engine = create_engine(url, pool_size=5)
            await upgrade(engine)
            try:
                yield engine
            finally:
                await engine.dispose()
    else:
        raise ValueError(f"unknown test backend {backend!r}")


async def empty_all_tables(engine: AsyncEngine) -> None:
    """Remove every row (fast enough between tests; keeps the migrated schema)."""
    tables = list(reversed(Base.metadata.sorted_tables))
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await connection.execute(table.delete())
