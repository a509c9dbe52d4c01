"""Memberships (enrollments) of insured persons in a collectivity, as the mutations see them (C5–C7).

A person's membership of a collectivity is their latest enrollment there (by start date): the
row the overview shows. Starting a membership copies onto the enrollment what the overview
filters and sorts on but lives on the person and the policy (``storage.insured.Enrollment``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Enrollment, InsuredPerson
from storage.enums import Relation

from .insured_listing import MembershipStatus, membership_status
from .names import display_name, sort_name


@dataclasses.dataclass(frozen=True)
class MembershipView:
    """One enrollment with the person's name: what a mutation payload and the details show."""

    insured_id: int
    collectivity_id: int
    name: str
    relation: Relation
    birth_date: dt.date
    start_date: dt.date
    end_date: dt.date | None
    employee_number: str | None
    status: MembershipStatus
    version: int


def view_of(enrollment: Enrollment, person: InsuredPerson, today: dt.date) -> MembershipView:
    return MembershipView(
        insured_id=person.id,
        collectivity_id=enrollment.collectivity_id,
        name=display_name(person.initials, person.name_prefix, person.last_name),
        relation=person.relation,
        birth_date=person.birth_date,
        start_date=enrollment.start_date,
        end_date=enrollment.end_date,
        employee_number=enrollment.employee_number,
        status=membership_status(enrollment.start_date, enrollment.end_date, today),
        version=person.version,
    )


def overview_copies(person: InsuredPerson, policy_number: str) -> dict[str, Any]:
    """The copies a new enrollment carries of its person and policy (storage.insured.Enrollment)."""
    return {
        "sort_name": sort_name(person.first_name, person.name_prefix, person.last_name),
        "birth_date": person.birth_date,
        "relation": person.relation,
        "policy_number": policy_number,
    }


def start_membership(
    person: InsuredPerson,
    policy_number: str,
    *,
    collectivity_id: int,
    start_date: dt.date,
    employee_number: str | None,
) -> Enrollment:
    """A new open enrollment of ``person`` (not yet added to a session)."""
    return Enrollment(
        insured_id=person.id,
        collectivity_id=collectivity_id,
        start_date=start_date,
        end_date=None,
        employee_number=employee_number,
        **overview_copies(person, policy_number),
    )


async def latest_enrollments(
    db: AsyncSession, insured_ids: Iterable[int], collectivity_id: int
) -> dict[int, Enrollment]:
    """Each person's latest enrollment in the collectivity, freshly read (after a lock)."""
    rows = await db.scalars(
        select(Enrollment)
        .where(
            Enrollment.insured_id.in_(set(insured_ids)),
            Enrollment.collectivity_id == collectivity_id,
        )
        .order_by(Enrollment.start_date, Enrollment.id)
        .execution_options(populate_existing=True)
    )
    latest: dict[int, Enrollment] = {}
    for row in rows:
        latest[row.insured_id] = row  # ordered by start: the last one wins
    return latest


async def enrollments_from(
    db: AsyncSession, insured_ids: Iterable[int], collectivity_id: int, day: dt.date
) -> set[int]:
    """The persons among ``insured_ids`` with a membership of the collectivity on or after ``day``."""
    rows = await db.scalars(
        select(Enrollment.insured_id).where(
            Enrollment.insured_id.in_(set(insured_ids)),
            Enrollment.collectivity_id == collectivity_id,
            (Enrollment.end_date.is_(None)) | (Enrollment.end_date >= day),
        )
    )
    return set(rows)
