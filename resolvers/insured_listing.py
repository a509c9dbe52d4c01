"""The list of insured of a collectivity with the limited fields of C1, page by page.

A row is an insured's membership of the collectivity: the latest enrollment when someone left and
came back. Filters and sorting on every column follow in a later issue; the listing is sorted by
name with the enrollment id as a stable tiebreak, and paginated by keyset so a page deep in a
50,000-member collectivity costs as much as the first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence

from sqlalchemy import Select, bindparam, exists, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import Enrollment, InsuredPerson, Policy
from storage.enums import Relation

from .actor import Actor
from .errors import DomainError, ErrorCode, NotFound
from .names import display_name
from .pagination import Page, check_page_size, decode_cursor, encode_cursor


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
    InsuredPerson.birth_date,
    InsuredPerson.relation,
    Policy.policy_number,
    Enrollment.employee_number,
    Enrollment.start_date,
    Enrollment.end_date,
)


def _membership_rows() -> Select[tuple]:
    """Latest enrollment per insured and collectivity, joined with person and policy."""
    newer = exists().where(
        _later.insured_id == Enrollment.insured_id,
        _later.collectivity_id == Enrollment.collectivity_id,
        _later.start_date > Enrollment.start_date,
    )
    return (
        select(*_COLUMNS)
        .select_from(Enrollment)
        .join(InsuredPerson, InsuredPerson.id == Enrollment.insured_id)
        .join(Policy, Policy.id == InsuredPerson.policy_id)
        .where(~newer)
    )


# Built once: constructing SQL expressions costs more than executing this indexed query.
MEMBERSHIP_ROWS = _membership_rows()
_LISTING_KEY = (Enrollment.sort_name, Enrollment.id)
_ANCHOR = select(*_LISTING_KEY).where(
    Enrollment.id == bindparam("enrollment_id"),
    Enrollment.collectivity_id == bindparam("collectivity_id"),
)


def _to_row(values: Sequence, today: dt.date) -> InsuredRow:
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


CURSOR_KIND = "insured:name"
_BIGINT = 2**63 - 1


def _after_enrollment(cursor: str) -> int:
    """The enrollment id in a cursor. Cursors hold only that id: no names in client state."""
    (enrollment_id,) = decode_cursor(CURSOR_KIND, cursor, 1)
    if type(enrollment_id) is not int or not 0 < enrollment_id <= _BIGINT:
        raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
    return enrollment_id


async def list_insured(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    *,
    first: int | None,
    after: str | None,
    today: dt.date,
) -> Page[InsuredRow]:
    """One page of the collectivity's insured, ordered by name (C1).

    Keyset pagination on (sort_name, enrollment id), read straight from the index
    ``ix_enrollments_collectivity_name``; the cursor's enrollment gives the key to continue after,
    and must belong to this collectivity.
    """
    actor.require_scope(collectivity_id, "id")
    size = check_page_size(first)
    statement = MEMBERSHIP_ROWS.where(Enrollment.collectivity_id == collectivity_id)
    if after is not None:
        parameters = {"enrollment_id": _after_enrollment(after), "collectivity_id": collectivity_id}
        anchor = (await db.execute(_ANCHOR, parameters)).first()
        if anchor is None:  # a cursor of another listing, or made up
            raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
        statement = statement.where(tuple_(*_LISTING_KEY) > tuple_(*anchor))
    result = (await db.execute(statement.order_by(*_LISTING_KEY).limit(size + 1))).all()
    rows = result[:size]
    return Page(
        items=[_to_row(r, today) for r in rows],
        cursors=[encode_cursor(CURSOR_KIND, [r[1]]) for r in rows],
        has_next_page=len(result) > size,
        has_previous_page=after is not None,
    )


async def count_insured(db: AsyncSession, actor: Actor, collectivity_id: int) -> int:
    actor.require_scope(collectivity_id, "id")
    statement = MEMBERSHIP_ROWS.where(Enrollment.collectivity_id == collectivity_id)
    return await db.scalar(select(func.count()).select_from(statement.subquery())) or 0


async def insured_rows_by_ids(
    db: AsyncSession, actor: Actor, insured_ids: Sequence[int], *, today: dt.date
) -> list[InsuredRow | None]:
    """For ``node``: each insured's latest membership among the actor's collectivities (B3)."""
    statement = MEMBERSHIP_ROWS.where(InsuredPerson.id.in_(set(insured_ids)))
    if actor.scope is not None:
        statement = statement.where(Enrollment.collectivity_id.in_(actor.scope))
    best: dict[int, InsuredRow] = {}
    for values in await db.execute(statement):
        row = _to_row(values, today)
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
    "InsuredRow",
    "MembershipStatus",
    "count_insured",
    "get_insured_row",
    "insured_rows_by_ids",
    "list_insured",
    "membership_status",
]
