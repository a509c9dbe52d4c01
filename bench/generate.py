"""Fill a database with the benchmark dataset: 100,000 insured over 20 collectivities.

    python bench/generate.py --database-url sqlite+aiosqlite:///data/bench.sqlite3
    python bench/generate.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

The database is migrated first, so an empty one will do. One collectivity (900001) holds half of
the insured; every collectivity has ``--months`` months of history (joiners, leavers, back-dated
registrations, employee-number changes, moves), built by the same synthetic-people generator as the
demo data. Rows go in within one transaction, as batched Core inserts (executemany) on SQLite and
with COPY on PostgreSQL. A database that already has the benchmark customer (900000) is refused.
Log in as ``bench@bench.example`` with ``bench-wachtwoord-collectief`` (main user of 900001).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import random
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from resolvers.clock import AMSTERDAM, Clock
from resolvers.passwords import hash_password
from server.demo import PRODUCT_CATALOGUE, PRODUCT_CODES, monthly_premium
from server.synthetic_people import FamilyHistory, HistoryPlanner, PeopleGenerator, add_months
from storage import (
    Collectivity,
    Contract,
    Coverage,
    Customer,
    Enrollment,
    InsuredPerson,
    Mutation,
    Policy,
    Product,
    Tariff,
    User,
    create_engine,
)
from storage.enums import (
    EmployerContributionKind,
    PaymentMethod,
    PremiumCollection,
    UserRole,
    UserStatus,
)
from storage.migrate import upgrade

BENCH_CUSTOMER_NUMBER = "900000"
BENCH_CUSTOMER_NAME = "Benchmark Holding B.V."
LARGEST_COLLECTIVITY_NUMBER = "900001"
BENCH_USER_EMAIL = "bench@bench.example"
BENCH_PASSWORD = "bench-wachtwoord-collectief"  # noqa: S105 - the published benchmark password
# Number ranges apart from the demo data's, so both can live in one database.
BSN_START = 40_000_000
POLICY_NUMBER_START = 4_000_000_000
EMPLOYEE_NUMBER_START = 100_000
BATCH_SIZE = 5_000

TABLES: dict[str, Table] = {
    "policies": Policy.__table__,  # type: ignore[dict-item]
    "insured_persons": InsuredPerson.__table__,  # type: ignore[dict-item]
    "enrollments": Enrollment.__table__,  # type: ignore[dict-item]
    "coverages": Coverage.__table__,  # type: ignore[dict-item]
    "mutations": Mutation.__table__,  # type: ignore[dict-item]
}


class AlreadyGenerated(RuntimeError):
    """The database already holds the benchmark data."""


@dataclasses.dataclass(frozen=True, slots=True)
class Terms:
    premium_collection: PremiumCollection
    payment_method: PaymentMethod | None
    discount_percentage: Decimal
    contribution_kind: EmployerContributionKind
    contribution_amount: Decimal | None
    contribution_percentage: Decimal | None

    @property
    def salary_deduction(self) -> bool:
        return self.premium_collection is PremiumCollection.SALARY_DEDUCTION


@dataclasses.dataclass(frozen=True, slots=True)
class BenchCollectivity:
    number: str
    name: str
    insured: int
    terms: Terms


LARGEST_TERMS = Terms(
    PremiumCollection.SALARY_DEDUCTION,
    PaymentMethod.ACCEPTGIRO,
    Decimal("10.00"),
    EmployerContributionKind.FIXED,
    Decimal("25.00"),
    None,
)
OTHER_TERMS = (
    Terms(
        PremiumCollection.SALARY_DEDUCTION, PaymentMethod.DIRECT_DEBIT, Decimal("7.50"),
        EmployerContributionKind.PERCENTAGE, None, Decimal("50.00"),
    ),
    Terms(
        PremiumCollection.INDIVIDUAL, None, Decimal("5.00"),
        EmployerContributionKind.NONE, None, None,
    ),
    Terms(
        PremiumCollection.SALARY_DEDUCTION, PaymentMethod.ACCEPTGIRO, Decimal("8.00"),
        EmployerContributionKind.FIXED, Decimal("15.00"), None,
    ),
    Terms(
        PremiumCollection.SALARY_DEDUCTION, PaymentMethod.DIRECT_DEBIT, Decimal("10.00"),
        EmployerContributionKind.NONE, None, None,
    ),
)  # fmt: skip
SECTORS = (
    "Bouw", "Zorg", "Onderwijs", "Logistiek", "Techniek", "Retail", "Horeca", "Overheid",
    "Schoonmaak", "Transport", "ICT", "Metaal", "Installatie", "Agrarisch", "Financieel",
)  # fmt: skip


def plan_collectivities(
    insured: int, collectivities: int, largest: int, rng: random.Random
) -> list[BenchCollectivity]:
    """``largest`` insured in 900001, the rest spread unevenly over the others (exact total)."""
    if collectivities < 1:
        raise ValueError("--collectivities must be at least 1")
    if not 1 <= largest <= insured:
        raise ValueError("--largest must be between 1 and --insured")
    if collectivities == 1:
        largest = insured
    elif insured - largest < collectivities - 1:
        raise ValueError("too few insured left for the other collectivities")
    rest = insured - largest
    weights = [rng.uniform(0.3, 3.0) for _ in range(collectivities - 1)]
    total = sum(weights)
    sizes = [max(1, int(rest * w / total)) for w in weights]
    sizes.sort(reverse=True)
    index = 0
    while sum(sizes) != rest:  # hand out (or take back) the rounding difference
        step = 1 if sum(sizes) < rest else -1
        if sizes[index] + step >= 1:
            sizes[index] += step
        index = (index + 1) % len(sizes)
    result = [
        BenchCollectivity(
            LARGEST_COLLECTIVITY_NUMBER, "Benchmark - hoofdvestiging", largest, LARGEST_TERMS
        )
    ]
    for position, size in enumerate(sizes, start=2):
        result.append(
            BenchCollectivity(
                f"9{position:05d}",
                f"Benchmark - {SECTORS[(position - 2) % len(SECTORS)]} {position}",
                size,
                OTHER_TERMS[(position - 2) % len(OTHER_TERMS)],
            )
        )
    return result


def plan_histories(
    plan: Sequence[BenchCollectivity], *, seed: int, today: dt.date, months: int
) -> list[tuple[BenchCollectivity, FamilyHistory]]:
    """Families and their history per collectivity.

    About 1 % of the families of each salary-deduction collectivity after the second one moved
    there in the last year from the first other salary-deduction collectivity (C7); 900001 keeps
    exactly ``--largest`` insured.
    """
    people = PeopleGenerator(
        seed=seed,
        today=today,
        bsn_start=BSN_START,
        bsn_step=1,
        policy_number_start=POLICY_NUMBER_START,
        employee_number_start=EMPLOYEE_NUMBER_START,
    )
    planner = HistoryPlanner(
        seed=seed + 1,
        today=today,
        months=months,
        products=PRODUCT_CODES,
        new_employee_number=people.next_employee_number,
    )
    rng = random.Random(seed + 2)
    this_month = today.replace(day=1)
    move_source = next(
        (
            c.number
            for c in plan
            if c.number != LARGEST_COLLECTIVITY_NUMBER and c.terms.salary_deduction
        ),
        None,
    )
    histories: list[tuple[BenchCollectivity, FamilyHistory]] = []
    for collectivity in plan:
        may_move_in = (
            move_source is not None
            and collectivity.number not in (LARGEST_COLLECTIVITY_NUMBER, move_source)
            and collectivity.terms.salary_deduction
        )
        for family in people.families(collectivity.insured):
            if may_move_in and rng.random() < 0.01:
                move_date = add_months(this_month, -rng.randint(1, min(12, months)))
                history = planner.plan(
                    family, collectivity.number, moved_from=move_source, move_date=move_date
                )
            else:
                history = planner.plan(family, collectivity.number)
            histories.append((collectivity, history))
    return histories


async def _next_ids(connection: AsyncConnection) -> dict[str, int]:
    ids = {}
    for name, table in TABLES.items():
        ids[name] = (await connection.scalar(select(func.coalesce(func.max(table.c.id), 0)))) + 1
    return ids


async def _bulk_insert(
    connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]
) -> int:
    """Insert ``rows`` (all with the same keys): COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return 0
    if connection.dialect.name == "postgresql":
        return await _copy(connection, table, rows)
    return await _executemany(connection, table, rows)


async def _copy(connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> int:
    """PostgreSQL COPY through asyncpg, with every value passed through the column type's bind
    processing first (enums to text, UTC timestamps, JSON), exactly as a Core insert would."""
    dialect = connection.dialect
    columns = list(rows[0])
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    pairs = list(zip(columns, processors, strict=True))
    records = [
        tuple(row[name] if process is None else process(row[name]) for name, process in pairs)
        for row in rows
    ]
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(table.name, records=records, columns=columns)
    return len(records)


async def _executemany(
    connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]
) -> int:
    count = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            await connection.execute(insert(table), batch)
            count += len(batch)
            batch = []
    if batch:
        await connection.execute(insert(table), batch)
        count += len(batch)
    return count


async def _organisation(
    connection: AsyncConnection,
    plan: Sequence[BenchCollectivity],
    *,
    today: dt.date,
    months: int,
    created_at: dt.datetime,
    password_hash: str,
) -> tuple[dict[str, int], dict[str, int], int]:
    """Customer, collectivities, contracts, products, tariffs and the bench user."""
    customer_id = (
        await connection.execute(
            insert(Customer.__table__)
            .values(
                customer_number=BENCH_CUSTOMER_NUMBER,
                name=BENCH_CUSTOMER_NAME,
                created_at=created_at,
            )
            .returning(Customer.__table__.c.id)
        )
    ).scalar_one()
    collectivity_ids: dict[str, int] = {}
    for collectivity in plan:
        collectivity_ids[collectivity.number] = (
            await connection.execute(
                insert(Collectivity.__table__)
                .values(
                    customer_id=customer_id,
                    collectivity_number=collectivity.number,
                    name=collectivity.name,
                    created_at=created_at,
                )
                .returning(Collectivity.__table__.c.id)
            )
        ).scalar_one()
    first_year = add_months(today.replace(day=1), -months).year
    years = list(range(first_year, today.year + 1))
    await connection.execute(
        insert(Contract.__table__),
        [
            {
                "collectivity_id": collectivity_ids[c.number],
                "year": year,
                "start_date": dt.date(year, 1, 1),
                "end_date": dt.date(year, 12, 31),
                "premium_collection": c.terms.premium_collection,
                "payment_method": c.terms.payment_method,
                "discount_percentage": c.terms.discount_percentage,
                "employer_contribution_kind": c.terms.contribution_kind,
                "employer_contribution_amount": c.terms.contribution_amount,
                "employer_contribution_percentage": c.terms.contribution_percentage,
                "created_at": created_at,
            }
            for c in plan
            for year in years
        ],
    )

    # Products are shared with the demo data: create what is missing, keep what is there.
    product_table = Product.__table__
    existing = dict(
        (await connection.execute(select(product_table.c.code, product_table.c.id))).all()
    )
    for item in PRODUCT_CATALOGUE:
        if item.code not in existing:
            existing[item.code] = (
                await connection.execute(
                    insert(product_table)
                    .values(
                        code=item.code,
                        name=item.name,
                        kind=item.kind,
                        free_for_children=item.free_for_children,
                        created_at=created_at,
                    )
                    .returning(product_table.c.id)
                )
            ).scalar_one()
    tariff_table = Tariff.__table__
    tariff_keys = await connection.execute(select(tariff_table.c.product_id, tariff_table.c.year))
    have = {(product_id, year) for product_id, year in tariff_keys}
    tariffs = [
        {
            "product_id": existing[item.code],
            "year": year,
            "monthly_premium": monthly_premium(item, year, today.year),
        }
        for item in PRODUCT_CATALOGUE
        for year in years
        if (existing[item.code], year) not in have
    ]
    if tariffs:
        await connection.execute(insert(tariff_table), tariffs)

    user_id = (
        await connection.execute(
            insert(User.__table__)
            .values(
                email=BENCH_USER_EMAIL,
                email_key=BENCH_USER_EMAIL.lower(),
                name="Benchmark Gebruiker",
                role=UserRole.MAIN,
                status=UserStatus.ACTIVE,
                home_collectivity_id=collectivity_ids[LARGEST_COLLECTIVITY_NUMBER],
                password_hash=password_hash,
                language="nl",
                created_at=created_at,
                password_changed_at=created_at,
            )
            .returning(User.__table__.c.id)
        )
    ).scalar_one()
    return collectivity_ids, existing, user_id


async def _people(
    connection: AsyncConnection,
    histories: list[tuple[BenchCollectivity, FamilyHistory]],
    *,
    collectivity_ids: dict[str, int],
    product_ids: dict[str, int],
    user_id: int,
    user_since: dt.datetime,
) -> dict[str, int]:
    """Policies, insured, enrollments, coverages and mutations with ids assigned here."""
    next_ids = await _next_ids(connection)
    policy_rows: list[dict[str, Any]] = []
    person_rows: list[dict[str, Any]] = []
    enrollment_rows: list[dict[str, Any]] = []
    coverage_rows: list[dict[str, Any]] = []
    mutation_rows: list[dict[str, Any]] = []
    policy_id = next_ids["policies"]
    person_id = next_ids["insured_persons"]
    for _collectivity, history in histories:
        family = history.family
        policy_rows.append(
            {
                "id": policy_id,
                "policy_number": family.policy_number,
                "created_at": history.first_registered_at(0),
            }
        )
        first_id = person_id
        for index, person in enumerate(family.members):
            address = person.address
            person_rows.append(
                {
                    "id": person_id,
                    "bsn": person.bsn,
                    "policy_id": policy_id,
                    "relation": person.relation,
                    "initials": person.initials,
                    "first_name": person.first_name,
                    "name_prefix": person.name_prefix,
                    "last_name": person.last_name,
                    "birth_date": person.birth_date,
                    "gender": person.gender,
                    "street": address.street,
                    "house_number": address.house_number,
                    "house_number_suffix": address.house_number_suffix,
                    "postal_code": address.postal_code,
                    "city": address.city,
                    "country": "NL",
                    "version": 1,
                    "created_at": history.first_registered_at(index),
                }
            )
            person_id += 1
        for enrollment in history.enrollments:
            enrollment_rows.append(
                {
                    "insured_id": first_id + enrollment.member,
                    "collectivity_id": collectivity_ids[enrollment.collectivity],
                    "sort_name": family.members[enrollment.member].sort_name,
                    "birth_date": family.members[enrollment.member].birth_date,
                    "relation": family.members[enrollment.member].relation,
                    "policy_number": family.policy_number,
                    "start_date": enrollment.start_date,
                    "end_date": enrollment.end_date,
                    "employee_number": enrollment.employee_number,
                    "created_at": enrollment.registered_at,
                }
            )
        for coverage in history.coverages:
            coverage_rows.append(
                {
                    "insured_id": first_id + coverage.member,
                    "product_id": product_ids[coverage.product_code],
                    "start_date": coverage.start_date,
                    "end_date": coverage.end_date,
                }
            )
        for mutation in history.mutations:
            by_bench_user = (
                mutation.by_employer
                and mutation.collectivity == LARGEST_COLLECTIVITY_NUMBER
                and mutation.registered_at >= user_since
            )
            mutation_rows.append(
                {
                    "kind": mutation.kind,
                    "insured_id": first_id + mutation.member,
                    "collectivity_id": collectivity_ids[mutation.collectivity],
                    "effective_date": mutation.effective_date,
                    "registered_at": mutation.registered_at,
                    "user_id": user_id if by_bench_user else None,
                    "before": mutation.before,
                    "after": mutation.after,
                }
            )
        policy_id += 1
    # Ids in registration order, as a live system would have made them.
    enrollment_rows.sort(key=lambda row: row["created_at"])
    mutation_rows.sort(key=lambda row: row["registered_at"])
    for name, rows in (("enrollments", enrollment_rows), ("mutations", mutation_rows)):
        for offset, row in enumerate(rows):
            row["id"] = next_ids[name] + offset
    for offset, row in enumerate(coverage_rows):
        row["id"] = next_ids["coverages"] + offset

    counts: dict[str, int] = {}
    for name, rows in (
        ("policies", policy_rows),
        ("insured_persons", person_rows),
        ("enrollments", enrollment_rows),
        ("coverages", coverage_rows),
        ("mutations", mutation_rows),
    ):
        started = time.perf_counter()
        counts[name] = await _bulk_insert(connection, TABLES[name], rows)
        print(f"  {name:<16} {counts[name]:>8} rows in {time.perf_counter() - started:5.1f} s")
    if connection.dialect.name == "postgresql":
        # Explicit ids do not move the serial sequences: bring them past the new rows.
        for table in TABLES.values():
            await connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table.name}))"
                )
            )
    return counts


async def generate(
    engine: AsyncEngine,
    *,
    insured: int = 100_000,
    collectivities: int = 20,
    largest: int = 50_000,
    months: int = 24,
    seed: int = 1,
    today: dt.date,
) -> dict[str, int]:
    """Create the benchmark data in one transaction; raises ``AlreadyGenerated`` when it exists."""
    await upgrade(engine)
    async with engine.connect() as connection:
        customer_table = Customer.__table__
        found = await connection.scalar(
            select(customer_table.c.id).where(
                customer_table.c.customer_number == BENCH_CUSTOMER_NUMBER
            )
        )
    if found is not None:
        raise AlreadyGenerated(
            f"this database already has the benchmark data (customer {BENCH_CUSTOMER_NUMBER}); "
            "use a fresh database or drop that one first"
        )

    started = time.perf_counter()
    plan = plan_collectivities(insured, collectivities, largest, random.Random(seed))
    histories = plan_histories(plan, seed=seed, today=today, months=months)
    password_hash = await asyncio.to_thread(hash_password, BENCH_PASSWORD)
    print(f"  planned {len(histories)} families in {time.perf_counter() - started:.1f} s")

    since = add_months(today.replace(day=1), -months)
    created_at = dt.datetime.combine(since, dt.time(9, 0), AMSTERDAM).astimezone(dt.UTC)
    async with engine.begin() as connection:
        collectivity_ids, product_ids, user_id = await _organisation(
            connection,
            plan,
            today=today,
            months=months,
            created_at=created_at,
            password_hash=password_hash,
        )
        counts = await _people(
            connection,
            histories,
            collectivity_ids=collectivity_ids,
            product_ids=product_ids,
            user_id=user_id,
            user_since=created_at,
        )
    # Fresh statistics, as autovacuum/ANALYZE would have in production: without them the planners
    # guess at the 50,000-member collectivity and the benchmarks measure a bad plan.
    async with engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()
    counts = {"collectivities": len(plan), **counts}
    return counts


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database-url", required=True, help="sqlite+aiosqlite:///… or postgresql+asyncpg://…"
    )
    parser.add_argument("--insured", type=int, default=100_000)
    parser.add_argument("--collectivities", type=int, default=20)
    parser.add_argument(
        "--largest", type=int, default=50_000, help="insured in collectivity 900001"
    )
    parser.add_argument("--months", type=int, default=24, help="months of membership history")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        default=None,
        help="the business date the history leads up to (default: today in Amsterdam)",
    )
    return parser.parse_args(argv)


async def _main(args: argparse.Namespace) -> int:
    today: dt.date = args.today or Clock().today()
    engine = create_engine(args.database_url)
    started = time.perf_counter()
    try:
        counts = await generate(
            engine,
            insured=args.insured,
            collectivities=args.collectivities,
            largest=args.largest,
            months=args.months,
            seed=args.seed,
            today=today,
        )
    except AlreadyGenerated as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    elapsed = time.perf_counter() - started
    print(f"benchmark data for {today.isoformat()} generated in {elapsed:.1f} s")
    for name, count in counts.items():
        print(f"  {name:<16} {count:>8}")
    print(
        f"log in as {BENCH_USER_EMAIL} / {BENCH_PASSWORD} (main user of {LARGEST_COLLECTIVITY_NUMBER})"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(_main(_parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
