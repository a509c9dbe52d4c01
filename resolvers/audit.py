"""Recording audit events (A9). Details never hold personal data such as a BSN or a password."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import AuditEvent
from storage.enums import AuditOutcome


def record(
    db: AsyncSession,
    *,
    action: str,
    outcome: AuditOutcome,
    at: dt.datetime,
    actor_user_id: int | None = None,
    collectivity_id: int | None = None,
    client_address: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction (committed with the change it describes)."""
    event = AuditEvent(
        occurred_at=at,
        action=action,
        outcome=outcome,
        actor_user_id=actor_user_id,
        collectivity_id=collectivity_id,
        client_address=client_address,
        details=details,
    )
    db.add(event)
    return event
