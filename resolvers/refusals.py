"""Refusing a request without changing anything but the audit trail (A9).

A use case that finds a rule broken part-way (a token already marked used, a row already
inserted) rolls its transaction back, so nothing of it remains, and then records the refusal in a
transaction of its own: the audit trail keeps every security event, also the refused ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import AuditOutcome

from . import audit
from .errors import DomainError


async def refuse(
    db: AsyncSession,
    error: DomainError,
    *,
    action: str,
    now: dt.datetime,
    client_address: str | None,
    actor_user_id: int | None = None,
    collectivity_id: int | None = None,
    outcome: AuditOutcome = AuditOutcome.FAILURE,
    **details: Any,
) -> DomainError:
    """Roll back, record ``action`` refused with ``error``'s code, commit; returns ``error`` so
    that the caller can ``raise await refuse(...)``. Pass ids as plain values: rows loaded in the
    rolled-back transaction are expired."""
    await db.rollback()
    audit.record(
        db,
        action=action,
        outcome=outcome,
        at=now,
        actor_user_id=actor_user_id,
        collectivity_id=collectivity_id,
        client_address=client_address,
        reason=error.code.value,
        **details,
    )
    await db.commit()
    return error
