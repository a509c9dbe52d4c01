"""The audit trail (A9): every security event and every mutation, who, what, when, from where."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, enum_column
from .enums import AuditOutcome


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime]
    action: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[AuditOutcome] = enum_column(AuditOutcome)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    collectivity_id: Mapped[int | None] = mapped_column(
        ForeignKey("collectivities.id", ondelete="CASCADE")
    )
    client_address: Mapped[str | None] = mapped_column(String(64))
    # Free-form facts about the event; never personal data such as a BSN or a password.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_audit_events_collectivity", "collectivity_id", "occurred_at"),
        Index("ix_audit_events_actor", "actor_user_id", "occurred_at"),
    )
