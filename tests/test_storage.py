"""Storage: migrations match the models, constraints protect the data, money stays exact."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import Base, Collectivity, Contract, Customer, Product, Tariff, create_engine
from storage.enums import PaymentMethod, PremiumCollection, ProductKind
from storage.migrate import current_revision, head_revision


async def test_migrations_match_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )
    assert diff == []
    assert await current_revision(engine) == head_revision()


async def test_embedded_sqlite_has_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'new' / 'db.sqlite3'}")
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()


def test_unsupported_driver_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database driver"):
        create_engine("mysql+aiomysql://localhost/x")


async def _customer(db: AsyncSession) -> Customer:
    customer = Customer(customer_number="1", name="Klant")
    db.add(customer)
    await db.flush()
    return customer


async def test_collectivity_numbers_are_unique(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as db:
        customer = await _customer(db)
        db.add(Collectivity(customer_id=customer.id, collectivity_number="7", name="a"))
        await db.flush()
        db.add(Collectivity(customer_id=customer.id, collectivity_number="7", name="b"))
        with pytest.raises(IntegrityError):
            await db.flush()


async def test_foreign_keys_are_enforced(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as db:
        db.add(Collectivity(customer_id=999, collectivity_number="7", name="a"))
        with pytest.raises(IntegrityError):
            await db.flush()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"end_date": dt.date(2025, 12, 31)}, "end before start"),
        ({"payment_method": None}, "salary deduction needs a payment method"),
        ({"discount_percentage": Decimal("100.01")}, "discount above 100%"),
        ({"employer_contribution_kind": "FIXED"}, "fixed contribution without amount"),
    ],
)
async def test_contract_checks(
    session_factory: async_sessionmaker[AsyncSession], changes: dict, reason: str
) -> None:
    async with session_factory() as db:
        customer = await _customer(db)
        collectivity = Collectivity(customer_id=customer.id, collectivity_number="7", name="a")
        db.add(collectivity)
        await db.flush()
        values = {
            "collectivity_id": collectivity.id,
            "year": 2026,
            "start_date": dt.date(2026, 1, 1),
            "end_date": dt.date(2026, 12, 31),
            "premium_collection": PremiumCollection.SALARY_DEDUCTION,
            "payment_method": PaymentMethod.ACCEPTGIRO,
            "discount_percentage": Decimal("10"),
        } | changes
        db.add(Contract(**values))
        with pytest.raises(IntegrityError):
            await db.flush()


async def test_money_is_exact_in_sums(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as db:
        for i in range(10):
            product = Product(code=f"P{i}", name="p", kind=ProductKind.DENTAL)
            db.add(product)
            await db.flush()
            db.add(Tariff(product_id=product.id, year=2026, monthly_premium=Decimal("0.10")))
        await db.commit()
        total = await db.scalar(select(func.sum(Tariff.monthly_premium)))
        assert total == Decimal("1.00")  # summed as cents in SQL: exact, no float drift
        (premium,) = (await db.scalars(select(Tariff.monthly_premium).limit(1))).all()
        assert premium == Decimal("0.10")
        assert isinstance(premium, Decimal)


async def test_money_refuses_float_and_extra_places(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as db:
        product = Product(code="P", name="p", kind=ProductKind.DENTAL)
        db.add(product)
        await db.flush()
        db.add(Tariff(product_id=product.id, year=2026, monthly_premium=Decimal("1.005")))
        with pytest.raises(StatementError):
            await db.flush()
