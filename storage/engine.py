"""One engine and session factory for the embedded SQLite default and for PostgreSQL (H1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str | URL, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    """Create an async engine for a ``sqlite+aiosqlite`` or ``postgresql+asyncpg`` URL.

    SQLite gets WAL, foreign keys and a busy timeout on every connection; a missing data directory
    is created. PostgreSQL gets a pre-pinged pool so that a lost connection is replaced.
    """
    url = make_url(url)
    driver = url.drivername
    if driver not in SUPPORTED_DRIVERS:
        raise ValueError(f"unsupported database driver {driver!r}; use one of {SUPPORTED_DRIVERS}")
    if driver.startswith("sqlite"):
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        return engine
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (no lazy loads in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
