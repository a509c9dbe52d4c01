"""Factories: domain objects with sensible defaults; a test states only what matters to it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.bsn import with_check_digit
from resolvers.names import sort_name
from resolvers.passwords import hash_password
from storage import (
    Collectivity,
    Contract,
    ContractLink,
    Coverage,
    Customer,
    Enrollment,
    InsuredPerson,
    Policy,
    Product,
    Tariff,
    User,
    utcnow,
)
from storage.enums import (
    ContractLinkStatus,
    PaymentMethod,
    PremiumCollection,
    ProductKind,
    Relation,
    UserRole,
    UserStatus,
)

PASSWORD = "een-lang-genoeg-wachtwoord"
_counter = itertools.count(1)
_password_hash = hash_password(PASSWORD)


def _next() -> int:
    return next(_counter)


def bsn() -> str:
    while True:
        candidate = with_check_digit(f"{10_000_000 + _next() * 7:08d}")
        if candidate:
            return candidate


async def customer(db: AsyncSession, **values: Any) -> Customer:
    n = _next()
    row = Customer(**({"customer_number": f"C{n}", "name": f"Klant {n}"} | values))
    db.add(row)
    await db.flush()
    return row


async def collectivity(
    db: AsyncSession,
    owner: Customer | None = None,
    *,
    premium_collection: PremiumCollection = PremiumCollection.SALARY_DEDUCTION,
    payment_method: PaymentMethod | None = PaymentMethod.ACCEPTGIRO,
    year: int = 2026,
    **values: Any,
) -> Collectivity:
    owner = owner or await customer(db)
    n = _next()
    row = Collectivity(
        **({"customer_id": owner.id, "collectivity_number": f"K{n}", "name": f"Coll {n}"} | values)
    )
    db.add(row)
    await db.flush()
    db.add(
        Contract(
            collectivity_id=row.id,
            year=year,
            start_date=dt.date(year, 1, 1),
            end_date=dt.date(year, 12, 31),
            premium_collection=premium_collection,
            payment_method=payment_method
            if premium_collection is PremiumCollection.SALARY_DEDUCTION
            else None,
            discount_percentage=Decimal("10.00"),
        )
    )
    await db.flush()
    return row


async def user(
    db: AsyncSession,
    home: Collectivity | None,
    *,
    role: UserRole = UserRole.MAIN,
    email: str | None = None,
    **values: Any,
) -> User:
    email = email or f"gebruiker{_next()}@werkgever.nl"
    row = User(
        **(
            {
                "email": email,
                "email_key": email.lower(),
                "name": "Gebruiker",
                "role": role,
                "status": UserStatus.ACTIVE,
                "home_collectivity_id": home.id if home else None,
                "password_hash": _password_hash,
            }
            | values
        )
    )
    db.add(row)
    await db.flush()
    return row


async def link(
    db: AsyncSession,
    source: Collectivity,
    target: Collectivity,
    status: ContractLinkStatus = ContractLinkStatus.ACTIVE,
) -> ContractLink:
    row = ContractLink(
        collectivity_id=source.id,
        linked_collectivity_id=target.id,
        status=status,
        requested_at=utcnow(),
    )
    db.add(row)
    await db.flush()
    return row


@dataclasses.dataclass
class Family:
    policy: Policy
    members: list[InsuredPerson]
    enrollments: list[Enrollment]


async def family(
    db: AsyncSession,
    where: Collectivity,
    *,
    last_name: str = "Jansen",
    children: int = 0,
    start: dt.date = dt.date(2025, 1, 1),
    end: dt.date | None = None,
    employee_number: str | None = None,
) -> Family:
    n = _next()
    policy = Policy(policy_number=f"P{n:08d}")
    db.add(policy)
    await db.flush()
    people = [("Jan", "J.", Relation.POLICYHOLDER, dt.date(1980, 5, 17))]
    people += [("Kind", "K.", Relation.CHILD, dt.date(2015, 3, 1 + i)) for i in range(children)]
    members, enrollments = [], []
    for first_name, initials, relation, birth_date in people:
        person = InsuredPerson(
            bsn=bsn(),
            policy_id=policy.id,
            relation=relation,
            initials=initials,
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
        )
        db.add(person)
        await db.flush()
        enrollment = Enrollment(
            insured_id=person.id,
            collectivity_id=where.id,
            sort_name=sort_name(first_name, None, last_name),
            birth_date=birth_date,
            relation=relation,
            policy_number=policy.policy_number,
            start_date=start,
            end_date=end,
            employee_number=employee_number if relation is Relation.POLICYHOLDER else None,
        )
        db.add(enrollment)
        members.append(person)
        enrollments.append(enrollment)
    await db.flush()
    return Family(policy=policy, members=members, enrollments=enrollments)


async def product(
    db: AsyncSession,
    kind: ProductKind = ProductKind.BASIC,
    tariffs: dict[int, str] | None = None,
    **values: Any,
) -> Product:
    """A product with monthly tariffs per year (default: 2025 and 2026)."""
    n = _next()
    row = Product(
        **({"code": f"PR{n}", "name": f"{kind.value.title()} {n}", "kind": kind} | values)
    )
    db.add(row)
    await db.flush()
    for year, premium in (tariffs or {2025: "150.00", 2026: "160.00"}).items():
        db.add(Tariff(product_id=row.id, year=year, monthly_premium=Decimal(premium)))
    await db.flush()
    return row


async def cover(
    db: AsyncSession,
    people: Family | InsuredPerson,
    *products: Product,
    start: dt.date = dt.date(2025, 1, 1),
    end: dt.date | None = None,
) -> None:
    """Each person (a whole family, or one person) covered by each product from ``start``."""
    members = people.members if isinstance(people, Family) else [people]
    for person in members:
        for item in products:
            db.add(
                Coverage(insured_id=person.id, product_id=item.id, start_date=start, end_date=end)
            )
    await db.flush()
