"""Reading the audit trail of a collectivity (A9, B4).

The main user of a collectivity reads its trail; colleagues may not (FORBIDDEN: they see the
collectivity but do not manage it, A7), nor may users who see it only through a link; staff read
every trail (B4). Events are listed newest first, page by page, keyset on (occurred_at, id) along
the index ``ix_audit_events_collectivity``; cursors hold only the event id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from storage import AuditEvent, User
from storage.enums import AuditOutcome

from .actor import Actor
from .errors import DomainError, ErrorCode
from .pagination import Page, check_page_size, decode_cursor, encode_cursor
from .permissions import require_main_user_of
from .user_summary import UserSummary, summary_of

CURSOR_KIND = "audit:newest"
MAX_ACTION_LENGTH = 60
_BIGINT = 2**63 - 1


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    id: int
    occurred_at: dt.datetime
    action: str
    outcome: AuditOutcome
    actor: UserSummary | None
    client_address: str | None
    # (key, value) pairs, sorted by key; values are text (JSON for anything but a string).
    details: list[tuple[str, str]]


def detail_pairs(details: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The event's details as sorted key/value text pairs, safe for any client."""
    if not isinstance(details, Mapping):
        return []
    return [
        (str(key), value if isinstance(value, str) else json.dumps(value, default=str))
        for key, value in sorted(details.items(), key=lambda item: str(item[0]))
    ]


def _events(collectivity_id: int, action: str | None) -> Select[tuple]:
    statement = (
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_user_id)
        .where(AuditEvent.collectivity_id == collectivity_id)
    )
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    return statement


_ORDER = (AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
_ANCHOR = select(AuditEvent.occurred_at, AuditEvent.id).where(
    AuditEvent.id == bindparam("event_id"),
    AuditEvent.collectivity_id == bindparam("collectivity_id"),
)


def _after_event(cursor: str) -> int:
    (event_id,) = decode_cursor(CURSOR_KIND, cursor, 1)
    if type(event_id) is not int or not 0 < event_id <= _BIGINT:
        raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
    return event_id


def _check_action(action: str | None) -> str | None:
    if action is None:
        return None
    return action.strip()[:MAX_ACTION_LENGTH] or None


async def list_audit_events(
    db: AsyncSession,
    actor: Actor,
    collectivity_id: int,
    *,
    first: int | None,
    after: str | None,
    action: str | None = None,
) -> Page[AuditEntry]:
    """One page of the collectivity's audit trail, newest first, optionally of one action."""
    require_main_user_of(actor, collectivity_id)
    size = check_page_size(first)
    statement = _events(collectivity_id, _check_action(action))
    if after is not None:
        parameters = {"event_id": _after_event(after), "collectivity_id": collectivity_id}
        anchor = (await db.execute(_ANCHOR, parameters)).first()
        if anchor is None:  # another collectivity's cursor, another listing's, or made up
            raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
        # A plain tuple: its values are bound with the columns' types (UTCDateTime on SQLite).
        statement = statement.where(tuple_(AuditEvent.occurred_at, AuditEvent.id) < tuple(anchor))
    result = (await db.execute(statement.order_by(*_ORDER).limit(size + 1))).all()
    rows = result[:size]
    return Page(
        items=[
            AuditEntry(
                id=event.id,
                occurred_at=event.occurred_at,
                action=event.action,
                outcome=event.outcome,
                actor=summary_of(user),
                client_address=event.client_address,
                details=detail_pairs(event.details),
            )
            for event, user in rows
        ],
        cursors=[encode_cursor(CURSOR_KIND, [event.id]) for event, _ in rows],
        has_next_page=len(result) > size,
        has_previous_page=after is not None,
    )


async def count_audit_events(
    db: AsyncSession, actor: Actor, collectivity_id: int, *, action: str | None = None
) -> int:
    require_main_user_of(actor, collectivity_id)
    statement = select(func.count(AuditEvent.id)).where(
        AuditEvent.collectivity_id == collectivity_id
    )
    checked = _check_action(action)
    if checked is not None:
        statement = statement.where(AuditEvent.action == checked)
    return await db.scalar(statement) or 0
