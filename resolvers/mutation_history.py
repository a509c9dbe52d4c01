"""The immutable history of changes to insured persons' memberships (C5–C8).

Every deregistration, employee-number change and move adds ``Mutation`` rows in the transaction of
the change: the kind, the effective date (the first day the change is in force), the registration
time, the user, and what changed (``before``/``after``: small dicts of text values, never a BSN).
Rows are only ever added. A mutation is *back-dated* when it takes effect before the day it was
registered (Amsterdam); those lead to corrections (D3).

The collectivity's list is newest registration first, keyset-paged on (registered_at, id) along
``ix_mutations_collectivity_registered``; cursors hold only the mutation id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from storage import InsuredPerson, Mutation, User
from storage.enums import AuditOutcome, MutationKind

from . import audit
from .actor import Actor
from .clock import AMSTERDAM
from .errors import DomainError, ErrorCode
from .names import display_name
from .pagination import Page, check_page_size, decode_cursor, encode_cursor
from .user_summary import UserSummary, summary_of

CURSOR_KIND = "mutations:newest"
STAFF_READ_ACTION = "staff_read_insured_mutations"
_BIGINT = 2**63 - 1
# Keys that must never be recorded in a mutation's before/after (C8): personal identifiers.
_FORBIDDEN_KEYS = frozenset({"bsn"})


@dataclasses.dataclass(frozen=True)
class Change:
    field: str
    before: str | None
    after: str | None


@dataclasses.dataclass(frozen=True)
class MutationEntry:
    id: int
    kind: MutationKind
    insured_id: int
    insured_name: str
    collectivity_id: int
    effective_date: dt.date
    registered_at: dt.datetime
    registered_by: UserSummary | None
    changes: list[Change]

    @property
    def back_dated(self) -> bool:
        return self.effective_date < self.registered_at.astimezone(AMSTERDAM).date()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def record_mutation(
    db: AsyncSession,
    *,
    kind: MutationKind,
    insured_id: int,
    collectivity_id: int,
    effective_date: dt.date,
    at: dt.datetime,
    user_id: int,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> Mutation:
    """Add a mutation to the caller's transaction; values are stored as text (dates ISO)."""
    if _FORBIDDEN_KEYS & (set(before) | set(after)):
        raise ValueError("a BSN is never recorded in the mutation history")
    row = Mutation(
        kind=kind,
        insured_id=insured_id,
        collectivity_id=collectivity_id,
        effective_date=effective_date,
        registered_at=at,
        user_id=user_id,
        before={k: _text(v) for k, v in before.items()},
        after={k: _text(v) for k, v in after.items()},
    )
    db.add(row)
    return row


def _changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[Change]:
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*after, *before]))
    return [Change(field=k, before=before.get(k), after=after.get(k)) for k in keys]


_ROWS = (
    select(
        Mutation,
        InsuredPerson.initials,
        InsuredPerson.name_prefix,
        InsuredPerson.last_name,
        User,
    )
    .join(InsuredPerson, InsuredPerson.id == Mutation.insured_id)
    .outerjoin(User, User.id == Mutation.user_id)
)
_ORDER = (Mutation.registered_at.desc(), Mutation.id.desc())


def _entry(values: Sequence[Any]) -> MutationEntry:
    mutation, initials, prefix, last_name, user = values
    return MutationEntry(
        id=mutation.id,
        kind=mutation.kind,
        insured_id=mutation.insured_id,
        insured_name=display_name(initials, prefix, last_name),
        collectivity_id=mutation.collectivity_id,
        effective_date=mutation.effective_date,
        registered_at=mutation.registered_at,
        registered_by=summary_of(user),
        changes=_changes(mutation.before, mutation.after),
    )


async def entries_by_ids(db: AsyncSession, ids: Sequence[int]) -> list[MutationEntry]:
    """Mutations just recorded, in the order of ``ids`` (for a mutation's payload)."""
    rows = await db.execute(_ROWS.where(Mutation.id.in_(set(ids))))
    found = {entry.id: entry for entry in map(_entry, rows)}
    return [found[i] for i in ids]


async def history_of(
    db: AsyncSession, insured_id: int, collectivity_id: int
) -> list[MutationEntry]:
    """An insured's mutations in one collectivity, newest registration first (C4)."""
    statement = _ROWS.where(
        Mutation.insured_id == insured_id, Mutation.collectivity_id == collectivity_id
    )
    return [_entry(r) for r in await db.execute(statement.order_by(*_ORDER))]


def _listing(collectivity_id: int) -> Select[tuple]:
    return _ROWS.where(Mutation.collectivity_id == collectivity_id)


_ANCHOR = select(Mutation.registered_at, Mutation.id).where(
    Mutation.id == bindparam("mutation_id"),
    Mutation.collectivity_id == bindparam("collectivity_id"),
)


def _after_mutation(cursor: str) -> int:
    (mutation_id,) = decode_cursor(CURSOR_KIND, cursor, 1)
    if type(mutation_id) is not int or not 0 < mutation_id <= _BIGINT:
        raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
    return mutation_id


async def list_mutations(
    db: AsyncSession, actor: Actor, collectivity_id: int, *, first: int | None, after: str | None
) -> Page[MutationEntry]:
    """One page of the collectivity's mutations, newest registration first (C5, C8)."""
    actor.require_scope(collectivity_id, "id")
    size = check_page_size(first)
    statement = _listing(collectivity_id)
    if after is not None:
        parameters = {"mutation_id": _after_mutation(after), "collectivity_id": collectivity_id}
        anchor = (await db.execute(_ANCHOR, parameters)).first()
        if anchor is None:  # another collectivity's cursor, another listing's, or made up
            raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
        statement = statement.where(tuple_(Mutation.registered_at, Mutation.id) < tuple(anchor))
    result = (await db.execute(statement.order_by(*_ORDER).limit(size + 1))).all()
    rows = result[:size]
    return Page(
        items=[_entry(r) for r in rows],
        cursors=[encode_cursor(CURSOR_KIND, [r[0].id]) for r in rows],
        has_next_page=len(result) > size,
        has_previous_page=after is not None,
    )


async def count_mutations(db: AsyncSession, actor: Actor, collectivity_id: int) -> int:
    actor.require_scope(collectivity_id, "id")
    statement = select(func.count(Mutation.id)).where(Mutation.collectivity_id == collectivity_id)
    return await db.scalar(statement) or 0


async def record_staff_mutations_read(
    db: AsyncSession,
    actor: Actor,
    page: Page[MutationEntry],
    *,
    collectivity_id: int,
    now: dt.datetime,
    client_address: str | None,
) -> None:
    """B4: a staff member read a page of a collectivity's mutations (names and changes of its
    insured); recorded and committed in this session before the page is returned."""
    if not actor.is_staff:
        return
    audit.record(
        db,
        action=STAFF_READ_ACTION,
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=actor.user_id,
        collectivity_id=collectivity_id,
        client_address=client_address,
        insured_ids=sorted({e.insured_id for e in page.items}),
        mutation_count=len(page.items),
    )
    await db.commit()
