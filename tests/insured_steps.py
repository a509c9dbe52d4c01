"""The cast and the requests of the insured details and mutation tests (C4–C8).

Customer X owns x1 and x2 (salary deduction) and x3 (individual premium collection); customer Y
owns y1 (salary deduction). x2 and x3 are linked to x1, so x1's users act on all three (B1). The
Aalbers family (policyholder with employee number E100, partner, two children, basic and
supplementary coverage) is in x1 since 1 January 2025; the Bakker family (policyholder only, E200)
is in x1 too; the Yildiz family is in y1 (another employer: NOT_FOUND).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resolvers.clock import FixedClock
from resolvers.names import sort_name
from server.app import create_app
from server.settings import Settings
from storage import (
    AuditEvent,
    Collectivity,
    Coverage,
    Customer,
    Enrollment,
    InsuredPerson,
    Mutation,
    Product,
    User,
)
from storage.enums import PremiumCollection, ProductKind, Relation, UserRole

from . import factories
from .factories import Family
from .http import Api

MEMBERSHIP_FIELDS = (
    "insuredPersonId name relation birthDate startDate endDate employeeNumber status version "
    "collectivity { id }"
)
MUTATION_FIELDS = (
    "kind effectiveDate registeredAt backDated insuredPersonId insuredPersonName "
    "registeredBy { name role } changes { field before after } collectivity { id }"
)
PAYLOAD = f"""
    memberships {{ {MEMBERSHIP_FIELDS} }}
    mutations {{ {MUTATION_FIELDS} }}
    userErrors {{ field code message }}
"""
DEREGISTER = f"""
mutation($input: DeregisterInsuredInput!) {{ deregisterInsured(input: $input) {{ {PAYLOAD} }} }}
"""
CHANGE_EMPLOYEE_NUMBER = f"""
mutation($input: ChangeEmployeeNumberInput!) {{
  changeEmployeeNumber(input: $input) {{ {PAYLOAD} }}
}}
"""
MOVE = f"""
mutation($input: MoveInsuredToCollectivityInput!) {{
  moveInsuredToCollectivity(input: $input) {{ {PAYLOAD} }}
}}
"""
DETAILS = f"""
query($collectivity: ID!, $id: ID!) {{
  collectivity(id: $collectivity) {{
    insuredPersonDetails(id: $id) {{
      id version name initials firstName namePrefix lastName birthDate gender relation bsn
      policyNumber
      membership {{ {MEMBERSHIP_FIELDS} }}
      memberships {{ {MEMBERSHIP_FIELDS} }}
      coverages {{ productCode productName productKind startDate endDate }}
      family {{ insuredPersonId name firstName birthDate relation
               membership {{ startDate endDate status employeeNumber }} }}
      mutations {{ {MUTATION_FIELDS} }}
    }}
  }}
}}
"""
MUTATIONS = f"""
query($id: ID!, $first: Int, $after: String) {{
  collectivity(id: $id) {{
    mutations(first: $first, after: $after) {{
      totalCount
      pageInfo {{ hasNextPage endCursor }}
      edges {{ cursor node {{ {MUTATION_FIELDS} }} }}
    }}
  }}
}}
"""


def gid(type_name: str, key: int) -> str:
    from strawberry.relay import to_base64

    return to_base64(type_name, key)


@dataclasses.dataclass
class Cast:
    customer_x: Customer
    x1: Collectivity
    x2: Collectivity
    x3: Collectivity
    y1: Collectivity
    main_x1: User
    colleague_x1: User
    main_y1: User
    staff: User
    aalbers: Family
    bakker: Family
    yildiz: Family

    @property
    def holder(self) -> InsuredPerson:
        return self.aalbers.members[0]

    @property
    def partner(self) -> InsuredPerson:
        return self.aalbers.members[1]

    @property
    def children(self) -> list[InsuredPerson]:
        return self.aalbers.members[2:]


async def add_member(
    db: AsyncSession,
    family: Family,
    where: Collectivity,
    *,
    first_name: str,
    relation: Relation,
    birth_date: dt.date,
    start: dt.date = dt.date(2025, 1, 1),
    end: dt.date | None = None,
) -> InsuredPerson:
    """Another person on the family's policy, enrolled in ``where``."""
    holder = family.members[0]
    person = InsuredPerson(
        bsn=factories.bsn(),
        policy_id=family.policy.id,
        relation=relation,
        initials=f"{first_name[0]}.",
        first_name=first_name,
        last_name=holder.last_name,
        birth_date=birth_date,
    )
    db.add(person)
    await db.flush()
    enrollment = Enrollment(
        insured_id=person.id,
        collectivity_id=where.id,
        sort_name=sort_name(first_name, None, holder.last_name),
        birth_date=birth_date,
        relation=relation,
        policy_number=family.policy.policy_number,
        start_date=start,
        end_date=end,
    )
    db.add(enrollment)
    await db.flush()
    family.members.append(person)
    family.enrollments.append(enrollment)
    return person


async def make_cast(session_factory: async_sessionmaker[AsyncSession]) -> Cast:
    async with session_factory() as db:
        customer_x = await factories.customer(db, name="Van Dijk Bouw")
        customer_y = await factories.customer(db, name="Yildiz Transport")
        x1 = await factories.collectivity(db, customer_x)
        x2 = await factories.collectivity(db, customer_x)
        x3 = await factories.collectivity(
            db, customer_x, premium_collection=PremiumCollection.INDIVIDUAL
        )
        y1 = await factories.collectivity(db, customer_y)
        await factories.link(db, x1, x2)
        await factories.link(db, x1, x3)
        aalbers = await factories.family(
            db, x1, last_name="Aalbers", children=0, employee_number="E100"
        )
        await add_member(
            db, aalbers, x1, first_name="Petra", relation=Relation.PARTNER,
            birth_date=dt.date(1982, 2, 3),
        )  # fmt: skip
        for first_name, born in (("Kees", dt.date(2012, 7, 1)), ("Lotte", dt.date(2015, 9, 9))):
            await add_member(
                db, aalbers, x1, first_name=first_name, relation=Relation.CHILD, birth_date=born
            )
        basic = Product(code="BASIS", name="Basisverzekering", kind=ProductKind.BASIC)
        extra = Product(
            code="AV1", name="Aanvullend 1", kind=ProductKind.SUPPLEMENTARY, free_for_children=False
        )
        db.add_all([basic, extra])
        await db.flush()
        holder = aalbers.members[0]
        db.add_all(
            [
                Coverage(insured_id=holder.id, product_id=basic.id, start_date=dt.date(2025, 1, 1)),
                Coverage(
                    insured_id=holder.id,
                    product_id=extra.id,
                    start_date=dt.date(2025, 1, 1),
                    end_date=dt.date(2025, 12, 31),
                ),
            ]
        )
        cast = Cast(
            customer_x=customer_x,
            x1=x1,
            x2=x2,
            x3=x3,
            y1=y1,
            main_x1=await factories.user(db, x1, name="Xandra Hoofd"),
            colleague_x1=await factories.user(db, x1, role=UserRole.COLLEAGUE, name="Xavier"),
            main_y1=await factories.user(db, y1, name="Yvonne Hoofd"),
            staff=await factories.user(db, None, role=UserRole.STAFF, name="Sanne Staf"),
            aalbers=aalbers,
            bakker=await factories.family(db, x1, last_name="Bakker", employee_number="E200"),
            yildiz=await factories.family(db, y1, last_name="Yildiz", employee_number="E100"),
        )
        await db.commit()
    return cast


def payload(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"][name]


def codes(result: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in result["userErrors"]]


async def membership_state(db: AsyncSession) -> dict[str, Any]:
    """Everything a mutation may change, to show that a refusal changed nothing."""
    enrollments = await db.execute(
        select(
            Enrollment.id,
            Enrollment.insured_id,
            Enrollment.collectivity_id,
            Enrollment.start_date,
            Enrollment.end_date,
            Enrollment.employee_number,
        ).order_by(Enrollment.id)
    )
    people = await db.execute(
        select(InsuredPerson.id, InsuredPerson.version).order_by(InsuredPerson.id)
    )
    mutations = await db.scalars(select(Mutation.id).order_by(Mutation.id))
    return {
        "enrollments": [tuple(r) for r in enrollments],
        "versions": [tuple(r) for r in people],
        "mutations": list(mutations),
    }


async def state_of(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    async with session_factory() as db:
        return await membership_state(db)


async def enrollments_of(
    session_factory: async_sessionmaker[AsyncSession], insured_id: int
) -> list[Enrollment]:
    async with session_factory() as db:
        rows = await db.scalars(
            select(Enrollment)
            .where(Enrollment.insured_id == insured_id)
            .order_by(Enrollment.start_date, Enrollment.id)
        )
        return list(rows)


async def mutations_in(
    session_factory: async_sessionmaker[AsyncSession], **where: Any
) -> list[Mutation]:
    async with session_factory() as db:
        statement = select(Mutation).order_by(Mutation.id)
        for name, value in where.items():
            statement = statement.where(getattr(Mutation, name) == value)
        return list(await db.scalars(statement))


async def events(
    session_factory: async_sessionmaker[AsyncSession], action: str
) -> list[AuditEvent]:
    async with session_factory() as db:
        rows = await db.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return list(rows)


@asynccontextmanager
async def api_with(
    engine: AsyncEngine, settings: Settings, clock: FixedClock
) -> AsyncIterator[Api]:
    """The app with other settings than the ``api`` fixture's, over real HTTP."""
    server = TestServer(create_app(settings, engine=engine, clock=clock), host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as http:
            yield Api(base_url=str(server.make_url("")).rstrip("/"), http=http)
    finally:
        await server.close()
