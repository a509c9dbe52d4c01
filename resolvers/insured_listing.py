"""The rows of the collectivity overview with the limited fields of C1, and single insured by id.

A row is an insured's membership of the collectivity: the latest enrollment when someone left and
came back. Birth date, relation and policy number are read from the membership's copies (see
``storage.Enrollment``), so what the overview shows is what it filters and sorts on. Pages of the
overview, with search, filters and sorting, are ``resolvers.insured_search``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence

from sqlalchemy import Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import Enrollment, InsuredPerson
from storage.enums import Relation

from .actor import Actor
from .errors import NotFound
from .names import display_name


class MembershipStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    FUTURE = "FUTURE"
    ENDED = "ENDED"


def membership_status(start: dt.date, end: dt.date | None, today: dt.date) -> MembershipStatus:
    if start > today:
        return MembershipStatus.FUTURE
    if end is not None and end < today:
        return MembershipStatus.ENDED
    return MembershipStatus.ACTIVE


@dataclasses.dataclass(frozen=True)
class InsuredRow:
    """C1's limited fields of one insured in one collectivity."""

    insured_id: int
    enrollment_id: int
    collectivity_id: int
    initials: str
    first_name: str
    name_prefix: str | None
    last_name: str
    birth_date: dt.date
    relation: Relation
    policy_number: str
    employee_number: str | None
    start_date: dt.date
    end_date: dt.date | None
    status: MembershipStatus

    @property
    def display_name(self) -> str:
        return display_name(self.initials, self.name_prefix, self.last_name)


_later = aliased(Enrollment)

_COLUMNS = (
    InsuredPerson.id,
    Enrollment.id,
    Enrollment.collectivity_id,
    InsuredPerson.initials,
    InsuredPerson.first_name,
    InsuredPerson.name_prefix,
    InsuredPerson.last_name,
    Enrollment.birth_date,
    Enrollment.relation,
    Enrollment.policy_number,
    Enrollment.employee_number,
    Enrollment.start_date,
    Enrollment.end_date,
)


def _membership_rows() -> Select[tuple]:
    """Latest enrollment per insured and collectivity, joined with the person."""
    newer = exists().where(
        _later.insured_id == Enrollment.insured_id,
        _later.collectivity_id == Enrollment.collectivity_id,
        _later.start_date > Enrollment.start_date,
    )
    return (
        select(*_COLUMNS)
        .select_from(Enrollment)
        .join(InsuredPerson, InsuredPerson.id == Enrollment.insured_id)
        .where(~newer)
    )


# Built once: constructing SQL expressions costs more than executing this indexed query.
MEMBERSHIP_ROWS = _membership_rows()


def row_from_values(values: Sequence, today: dt.date) -> InsuredRow:
    (insured_id, enrollment_id, collectivity_id, initials, first_name, prefix, last_name,
     birth_date, relation, policy_number, employee_number, start, end) = values  # fmt: skip
    return InsuredRow(
        insured_id=insured_id,
        enrollment_id=enrollment_id,
        collectivity_id=collectivity_id,
        initials=initials,
        first_name=first_name,
        name_prefix=prefix,
        last_name=last_name,
        birth_date=birth_date,
        relation=relation,
        policy_number=policy_number,
        employee_number=employee_number,
        start_date=start,
        end_date=end,
        status=membership_status(start, end, today),
    )


async def insured_rows_by_ids(
    db: AsyncSession, actor: Actor, insured_ids: Sequence[int], *, today: dt.date
) -> list[InsuredRow | None]:
    """For ``node``: each insured's latest membership among the actor's collectivities (B3)."""
    statement = MEMBERSHIP_ROWS.where(InsuredPerson.id.in_(set(insured_ids)))
    if actor.scope is not None:
        statement = statement.where(Enrollment.collectivity_id.in_(actor.scope))
    best: dict[int, InsuredRow] = {}
    for values in await db.execute(statement):
        row = row_from_values(values, today)
        current = best.get(row.insured_id)
        if current is None or (row.start_date, row.enrollment_id) > (
            current.start_date,
            current.enrollment_id,
        ):
            best[row.insured_id] = row
    return [best.get(i) for i in insured_ids]


async def get_insured_row(
    db: AsyncSession, actor: Actor, insured_id: int, *, today: dt.date
) -> InsuredRow:
    (row,) = await insured_rows_by_ids(db, actor, [insured_id], today=today)
    if row is None:
        raise NotFound("id")
    return row


__all__ = [
    "MEMBERSHIP_ROWS",
    "InsuredRow",
    "MembershipStatus",
    "get_insured_row",
    "insured_rows_by_ids",
    "membership_status",
    "row_from_values",
]
