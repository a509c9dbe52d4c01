"""Login and logout (A2, A4, A8)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import User
from storage.enums import AuditOutcome, UserStatus

from . import audit
from .actor import Actor
from .errors import DomainError, ErrorCode
from .passwords import check_password, make_password_hash, needs_rehash
from .sessions import SessionPolicy, revoke_session, start_session

MAX_EMAIL_LENGTH = 254
MAX_PASSWORD_LENGTH = 1024


def email_key(email: str) -> str:
    """A2: the username is the e-mail, compared case-insensitively."""
    return email.strip().lower()


@dataclasses.dataclass(frozen=True)
class LoginResult:
    user: User
    token: str
    session_id: int
    expires_at: dt.datetime


async def login(
    db: AsyncSession,
    *,
    email: str,
    password: str,
    now: dt.datetime,
    policy: SessionPolicy,
    client_address: str | None,
) -> LoginResult:
    """Check e-mail and password and start a session.

    A wrong e-mail and a wrong password give the same error and cost the same time (A4): the
    password is verified against a dummy hash when the user is unknown. Outdated hashes are
    upgraded on a successful login (A3).
    """
    user = None
    if 0 < len(email) <= MAX_EMAIL_LENGTH and len(password) <= MAX_PASSWORD_LENGTH:
        user = await db.scalar(select(User).where(User.email_key == email_key(email)))
    password_ok = await check_password(user.password_hash if user else None, password)
    if user is None or not password_ok or user.status is not UserStatus.ACTIVE:
        audit.record(
            db,
            action="login",
            outcome=AuditOutcome.FAILURE,
            at=now,
            actor_user_id=user.id if user else None,
            collectivity_id=user.home_collectivity_id if user else None,
            client_address=client_address,
            reason="invalid_credentials",
        )
        await db.commit()
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, field="password")
    assert user.password_hash is not None
    if needs_rehash(user.password_hash):
        user.password_hash = await make_password_hash(password)
    user.last_login_at = now
    token, session = await start_session(
        db, user, now=now, policy=policy, client_address=client_address
    )
    audit.record(
        db,
        action="login",
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=user.id,
        collectivity_id=user.home_collectivity_id,
        client_address=client_address,
    )
    await db.commit()
    return LoginResult(user=user, token=token, session_id=session.id, expires_at=session.expires_at)


async def logout(
    db: AsyncSession, actor: Actor, *, now: dt.datetime, client_address: str | None
) -> None:
    if actor.session_id is not None:
        await revoke_session(db, actor.session_id, now=now)
    audit.record(
        db,
        action="logout",
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=actor.user_id,
        collectivity_id=actor.home_collectivity_id,
        client_address=client_address,
    )
    await db.commit()
