"""Login sessions (A8): random tokens of 256 bits, stored only as SHA-256 hashes, with idle and
absolute expiry; logout revokes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import AuthSession, ContractLink, User
from storage.enums import ContractLinkStatus, UserStatus

from .actor import Actor, actor_from

# Refresh ``last_seen_at`` at most this often, so that reads do not write on every request.
TOUCH_INTERVAL = dt.timedelta(minutes=1)


@dataclasses.dataclass(frozen=True)
class SessionPolicy:
    idle_timeout: dt.timedelta
    max_lifetime: dt.timedelta


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def start_session(
    db: AsyncSession,
    user: User,
    *,
    now: dt.datetime,
    policy: SessionPolicy,
    client_address: str | None,
) -> tuple[str, AuthSession]:
    """Create a session for ``user``; returns the token (shown once, never stored) and the row."""
    token = new_token()
    row = AuthSession(
        user_id=user.id,
        token_hash=token_hash(token),
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.max_lifetime,
        client_address=client_address,
    )
    db.add(row)
    await db.flush()
    return token, row


# Built once: it runs on every request.
_SESSION_BY_TOKEN = (
    select(AuthSession, User, ContractLink.linked_collectivity_id)
    .join(User, User.id == AuthSession.user_id)
    .outerjoin(
        ContractLink,
        (ContractLink.collectivity_id == User.home_collectivity_id)
        & (ContractLink.status == ContractLinkStatus.ACTIVE),
    )
    .where(AuthSession.token_hash == bindparam("token_hash"))
)


async def authenticate(
    db: AsyncSession, token: str, *, now: dt.datetime, policy: SessionPolicy
) -> Actor | None:
    """The actor of a live session for ``token``, or None when unknown, expired or revoked.

    One query fetches the session, its active user and the collectivities linked to the user's
    home collectivity (B1), since this runs on every request. ``last_seen_at`` is written at
    most once per ``TOUCH_INTERVAL``, and then committed here.
    """
    if not token or len(token) > 200:
        return None
    rows = (await db.execute(_SESSION_BY_TOKEN, {"token_hash": token_hash(token)})).all()
    if not rows:
        return None
    session, user, _ = rows[0]
    if (
        session.revoked_at is not None
        or now >= session.expires_at
        or now - session.last_seen_at >= policy.idle_timeout
        or user.status is not UserStatus.ACTIVE
    ):
        return None
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        await db.execute(
            update(AuthSession).where(AuthSession.id == session.id).values(last_seen_at=now)
        )
        await db.commit()
    linked = [row[2] for row in rows if row[2] is not None]
    return actor_from(user, linked, session_id=session.id)


async def revoke_session(db: AsyncSession, session_id: int, *, now: dt.datetime) -> None:
    await db.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_all_sessions(
    db: AsyncSession, user_id: int, *, now: dt.datetime, keep_session_id: int | None = None
) -> None:
    """End every live session of a user (password change and reset, A3, A5), optionally but one."""
    statement = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep_session_id is not None:
        statement = statement.where(AuthSession.id != keep_session_id)
    await db.execute(statement.values(revoked_at=now))
