"""An event of the audit trail (A9)."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers.audit_trail import AuditEntry

from .enums import AuditOutcome
from .user_summary import UserSummary


@strawberry.type(description="One fact about an audit event.")
class AuditDetail:
    key: str
    value: str = strawberry.field(description="Text; JSON for numbers, lists and the like.")


@strawberry.type(description="Who did what, when, from where, and how it ended (A9).")
class AuditEvent:
    occurred_at: dt.datetime
    action: str = strawberry.field(
        description="What happened, e.g. login, invite_colleague, link_contract, "
        "staff_read_insured."
    )
    outcome: AuditOutcome
    actor: UserSummary | None = strawberry.field(
        description="Who did it; null when unknown (e.g. a login with an unknown e-mail)."
    )
    client_address: str | None = strawberry.field(description="The client's IP address.")
    details: list[AuditDetail]

    @classmethod
    def from_row(cls, row: AuditEntry) -> AuditEvent:
        return cls(
            occurred_at=row.occurred_at,
            action=row.action,
            outcome=row.outcome,
            actor=UserSummary.from_row(row.actor),
            client_address=row.client_address,
            details=[AuditDetail(key=k, value=v) for k, v in row.details],
        )
