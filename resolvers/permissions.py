"""Who may manage what within a collectivity (A7, A9, B1, B2, B4).

Scope (``Actor.require_scope``) decides what a user may *see*; these rules decide what a user may
*manage* among what they see. Seeing a collectivity without the right to manage it is FORBIDDEN
(a top-level error, G2); a collectivity outside the scope stays NOT_FOUND (B3).

* Managing users, contract links and reading the audit trail belong to the **main user** of the
  home collectivity (A7, A9, B2). Colleagues have the same rights otherwise (A7).
* The users overview and the list of linked contracts are for the users of the **home**
  collectivity: a linked collectivity's users see its insured, not its users or its links.
* Insurer **staff** read all of these for every collectivity (B4) but manage none of them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import AuditOutcome, UserRole

from . import audit
from .actor import Actor
from .errors import DomainError, ErrorCode


class Forbidden(DomainError):
    """The actor sees the object but may not do this (a top-level error, never a userError)."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.FORBIDDEN)


def require_staff(actor: Actor) -> None:
    """Insurer staff only (B4): FORBIDDEN for employer users."""
    if not actor.is_staff:
        raise Forbidden()


def require_main_user(actor: Actor) -> int:
    """The main user's home collectivity id; FORBIDDEN for colleagues and staff (A7, B2)."""
    if actor.role is not UserRole.MAIN or actor.home_collectivity_id is None:
        raise Forbidden()
    return actor.home_collectivity_id


async def require_main_user_audited(
    db: AsyncSession,
    actor: Actor,
    *,
    action: str,
    now: dt.datetime,
    client_address: str | None,
) -> int:
    """``require_main_user`` for a mutation: a refusal is a security event, recorded as DENIED
    and committed before FORBIDDEN is raised (A9). Call it before changing anything."""
    try:
        return require_main_user(actor)
    except Forbidden:
        audit.record(
            db,
            action=action,
            outcome=AuditOutcome.DENIED,
            at=now,
            actor_user_id=actor.user_id,
            collectivity_id=actor.home_collectivity_id,
            client_address=client_address,
            reason="not_main_user",
        )
        await db.commit()
        raise


def require_home_member(actor: Actor, collectivity_id: int) -> None:
    """Users of ``collectivity_id`` itself, and staff (users overview, linked contracts)."""
    actor.require_scope(collectivity_id, "id")
    if not actor.is_staff and actor.home_collectivity_id != collectivity_id:
        raise Forbidden()


def require_main_user_of(actor: Actor, collectivity_id: int) -> None:
    """The main user of ``collectivity_id``, and staff (the audit trail, A9, B4)."""
    actor.require_scope(collectivity_id, "id")
    if actor.is_staff:
        return
    if actor.role is not UserRole.MAIN or actor.home_collectivity_id != collectivity_id:
        raise Forbidden()
