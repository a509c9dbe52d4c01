"""Two customers with collectivities, users and insured: the cast of the colleague, link and audit
tests (A7, A9, B1–B4)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.relay import to_base64

from storage import AuditEvent, Collectivity, Customer, OutgoingMail, User
from storage.enums import UserRole

from . import factories
from .factories import Family
from .http import Api


def gid(type_name: str, key: int) -> str:
    return to_base64(type_name, key)


@dataclasses.dataclass
class Employers:
    """Customer X owns x1 and x2; customer Y owns y1. Staff sees all."""

    customer_x: Customer
    customer_y: Customer
    x1: Collectivity
    x2: Collectivity
    y1: Collectivity
    main_x1: User
    colleague_x1: User
    main_x2: User
    main_y1: User
    colleague_y1: User
    staff: User
    family_x1: Family
    family_x2: Family
    family_y1: Family


async def make_employers(session_factory: async_sessionmaker[AsyncSession]) -> Employers:
    async with session_factory() as db:
        customer_x = await factories.customer(db)
        customer_y = await factories.customer(db)
        x1 = await factories.collectivity(db, customer_x)
        x2 = await factories.collectivity(db, customer_x)
        y1 = await factories.collectivity(db, customer_y)
        cast = Employers(
            customer_x=customer_x,
            customer_y=customer_y,
            x1=x1,
            x2=x2,
            y1=y1,
            main_x1=await factories.user(db, x1, name="Xandra Hoofd"),
            colleague_x1=await factories.user(
                db, x1, role=UserRole.COLLEAGUE, name="Xavier Collega"
            ),
            main_x2=await factories.user(db, x2, name="Xeno Twee"),
            main_y1=await factories.user(db, y1, name="Yvonne Hoofd"),
            colleague_y1=await factories.user(
                db, y1, role=UserRole.COLLEAGUE, name="Yusuf Collega"
            ),
            staff=await factories.user(db, None, role=UserRole.STAFF, name="Sanne Staf"),
            family_x1=await factories.family(db, x1, last_name="Xander"),
            family_x2=await factories.family(db, x2, last_name="Xylofoon"),
            family_y1=await factories.family(db, y1, last_name="Yildiz"),
        )
        await db.commit()
    return cast


SCOPE = "{ me { collectivities { id } } }"
COLLECTIVITY_INSURED = """
query($id: ID!) { collectivity(id: $id) { id insuredPersons(first: 10) { edges { node { id } } } } }
"""
NODE = "query($id: ID!) { node(id: $id) { id } }"


async def scope_of(api: Api, token: str) -> set[str]:
    body = await api.gql(SCOPE, token=token)
    return {c["id"] for c in body["data"]["me"]["collectivities"]}


def payload_of(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"][name]


async def mails_to(db: AsyncSession, address: str) -> list[OutgoingMail]:
    return list(
        await db.scalars(
            select(OutgoingMail).where(OutgoingMail.recipient == address).order_by(OutgoingMail.id)
        )
    )


def token_in(mail: OutgoingMail, path: str) -> str:
    match = re.search(re.escape(path) + r"#token=([A-Za-z0-9_\-]+)", mail.body_text)
    assert match, mail.body_text
    return match.group(1)


async def audit_events(db: AsyncSession, **where: Any) -> list[AuditEvent]:
    statement = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        statement = statement.where(getattr(AuditEvent, name) == value)
    return list(await db.scalars(statement))
