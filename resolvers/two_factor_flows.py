"""The use cases around the authenticator (A6): register (first time, a new phone, or required at
login), confirm, and the staff reset for a lost phone."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import User
from storage.enums import AuditOutcome, TokenPurpose, UserRole, UserStatus

from . import audit, throttling, tokens, two_factor
from .actor import Actor
from .errors import DomainError, ErrorCode, NotFound
from .login import (
    Attempt,
    SessionGrant,
    audit_user,
    fail_attempt,
    guard_attempt,
    open_session,
)
from .mail import queue_mail
from .passwords import check_password
from .rules import PortalRules
from .sessions import SessionPolicy, revoke_all_sessions
from .users import get_self


@dataclasses.dataclass(frozen=True)
class Registrant:
    """Who registers: a logged-in user, or one whose login waits for a required registration."""

    user: User
    challenge: str | None


async def registrant(
    db: AsyncSession, actor: Actor | None, challenge: str | None, attempt: Attempt
) -> Registrant:
    """The logged-in user; else the user of a login challenge that requires registration."""
    if actor is not None:
        return Registrant(user=await get_self(db, actor), challenge=None)
    if challenge:
        user = await tokens.peek_token(
            db, challenge, TokenPurpose.TWO_FACTOR_CHALLENGE, now=attempt.now
        )
        # Only a user without an authenticator may register through a login challenge: with
        # one, the login must be completed with a code first.
        if (
            user is not None
            and user.status is UserStatus.ACTIVE
            and await two_factor.confirmed_device(db, user.id) is None
        ):
            return Registrant(user=user, challenge=challenge)
        raise DomainError(ErrorCode.TWO_FACTOR_CHALLENGE_INVALID, field="challenge")
    raise DomainError(ErrorCode.UNAUTHENTICATED)


async def start(
    db: AsyncSession,
    who: Registrant,
    *,
    password: str | None,
    current_code: str | None,
    attempt: Attempt,
    rules: PortalRules,
) -> two_factor.Registration:
    """A new secret to scan. Replacing a confirmed device (a new phone) needs the password and a
    current code; both are throttled like a login (A4, A6)."""
    user = who.user
    if await two_factor.confirmed_device(db, user.id) is not None:
        action = "start_two_factor_registration"
        async with throttling.one_attempt_at_a_time(db, user.email_key, now=attempt.now):
            await guard_attempt(db, user, user.email_key, attempt, rules, action=action, field=None)
            if not password or not await check_password(user.password_hash, password):
                raise await fail_attempt(
                    db, user, user.email_key, attempt, rules, action=action,
                    code=ErrorCode.INVALID_CREDENTIALS, field="password",
                )  # fmt: skip
            return await _register(db, user, current_code, attempt, rules)
    return await _register(db, user, current_code, attempt, rules)


async def _register(
    db: AsyncSession,
    user: User,
    current_code: str | None,
    attempt: Attempt,
    rules: PortalRules,
) -> two_factor.Registration:
    registration = await two_factor.start_registration(
        db, user, rules.totp_cipher(), issuer=rules.product_name, now=attempt.now,
        current_code=current_code,
    )  # fmt: skip
    audit_user(
        db,
        user,
        attempt,
        action="start_two_factor_registration",
        outcome=AuditOutcome.SUCCESS,
    )
    await db.commit()
    return registration


async def confirm(
    db: AsyncSession,
    who: Registrant,
    *,
    code: str,
    attempt: Attempt,
    policy: SessionPolicy,
    rules: PortalRules,
) -> SessionGrant | None:
    """Confirm the pending device with a valid code. Through a login challenge this completes
    the login: the challenge is used up and a session starts (returned)."""
    user = who.user
    try:
        replaced = await two_factor.confirm_registration(
            db, user, code, rules.totp_cipher(), now=attempt.now
        )
    except DomainError as error:
        if error.code is ErrorCode.INVALID_TWO_FACTOR_CODE:
            raise await fail_attempt(
                db, user, user.email_key, attempt, rules,
                action="confirm_two_factor_registration", code=error.code, field="code",
            ) from None  # fmt: skip
        raise
    audit_user(
        db,
        user,
        attempt,
        action="confirm_two_factor_registration",
        outcome=AuditOutcome.SUCCESS,
        replaced_device=replaced,
    )
    queue_mail(
        db,
        recipient=user.email,
        template="two_factor_enabled",
        language=user.language,
        now=attempt.now,
        name=user.name,
        replaced=_replaced_text(user.language, replaced),
        product=rules.product_name,
    )
    grant = None
    if who.challenge is not None:
        used = await tokens.use_token(
            db, who.challenge, TokenPurpose.TWO_FACTOR_CHALLENGE, now=attempt.now
        )
        if used is None:
            await db.rollback()
            raise DomainError(ErrorCode.TWO_FACTOR_CHALLENGE_INVALID, field="challenge")
        await throttling.forget_account_failures(db, user.email_key)
        grant = await open_session(db, user, attempt, policy, second_factor="registration")
    await db.commit()
    return grant


def _replaced_text(language: str, replaced: bool) -> str:
    if not replaced:
        return ""
    return (
        " (in plaats van uw vorige apparaat)"
        if language == "nl"
        else " (replacing your previous device)"
    )


async def staff_reset(
    db: AsyncSession, actor: Actor, user_id: int, *, attempt: Attempt, rules: PortalRules
) -> User:
    """Lost phone: staff remove a user's authenticator (A6, B4). Audited; the user is told by
    e-mail, and their sessions end so that the next login registers a new phone."""
    if actor.role is not UserRole.STAFF:
        raise DomainError(ErrorCode.FORBIDDEN)
    user = await db.scalar(select(User).where(User.id == user_id))
    if user is None:
        raise NotFound("user_id")
    removed = await two_factor.remove_devices(db, user.id)
    await revoke_all_sessions(db, user.id, now=attempt.now)
    audit.record(
        db,
        action="reset_two_factor",
        outcome=AuditOutcome.SUCCESS,
        at=attempt.now,
        actor_user_id=actor.user_id,
        collectivity_id=user.home_collectivity_id,
        client_address=attempt.client_address,
        user_id=user.id,
        had_device=removed,
    )
    queue_mail(
        db,
        recipient=user.email,
        template="two_factor_reset",
        language=user.language,
        now=attempt.now,
        name=user.name,
        product=rules.product_name,
    )
    await db.commit()
    return user
