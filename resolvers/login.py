"""Login, the second factor and logout (A2, A4, A6, A8).

``login`` checks e-mail and password under the throttle (A4). Without two-factor authentication it
starts a session. With it — the user has a confirmed authenticator, or the deployment requires
2FA — it hands out a short-lived, single-use challenge instead, and the session starts only in
``verify_two_factor`` with a valid code, or in ``resolvers.two_factor_flows`` once a required
authenticator has been registered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import User
from storage.enums import AuditOutcome, TokenPurpose, UserStatus

from . import audit, throttling, tokens, two_factor
from .actor import Actor
from .errors import DomainError, ErrorCode
from .mail import queue_mail
from .passwords import check_password, make_password_hash, needs_rehash
from .rules import PortalRules
from .sessions import SessionPolicy, revoke_session, start_session

MAX_EMAIL_LENGTH = 254
MAX_PASSWORD_LENGTH = 1024


def email_key(email: str) -> str:
    """A2: the username is the e-mail, compared case-insensitively."""
    return email.strip().lower()


@dataclasses.dataclass(frozen=True)
class SessionGrant:
    """A started session: the token is shown once (cookie or bearer), never stored."""

    user: User
    token: str
    session_id: int
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Challenge:
    """The password was right; a TOTP code (or a first registration) must follow (A6)."""

    token: str
    expires_at: dt.datetime
    registration_required: bool


@dataclasses.dataclass(frozen=True)
class LoginResult:
    session: SessionGrant | None = None
    challenge: Challenge | None = None


@dataclasses.dataclass(frozen=True)
class Attempt:
    """Who tries, from where, when: what throttling and auditing need."""

    now: dt.datetime
    client_address: str | None


def audit_user(
    db: AsyncSession,
    user: User,
    attempt: Attempt,
    *,
    action: str,
    outcome: AuditOutcome,
    **details: object,
) -> None:
    """Audit an event of ``user``'s own account, from ``attempt``'s address and time (A9)."""
    audit.record(
        db,
        action=action,
        outcome=outcome,
        at=attempt.now,
        actor_user_id=user.id,
        collectivity_id=user.home_collectivity_id,
        client_address=attempt.client_address,
        **details,
    )


async def open_session(
    db: AsyncSession, user: User, attempt: Attempt, policy: SessionPolicy, **audit_details: object
) -> SessionGrant:
    """Start a session for a fully authenticated user, audited; the caller commits."""
    user.last_login_at = attempt.now
    token, session = await start_session(
        db, user, now=attempt.now, policy=policy, client_address=attempt.client_address
    )
    audit_user(
        db,
        user,
        attempt,
        action="login",
        outcome=AuditOutcome.SUCCESS,
        **audit_details,
    )
    return SessionGrant(
        user=user, token=token, session_id=session.id, expires_at=session.expires_at
    )


async def refuse_attempt(
    db: AsyncSession,
    user: User | None,
    attempt: Attempt,
    rules: PortalRules,
    *,
    action: str,
    code: ErrorCode,
    account_locked_now: bool,
    field: str | None,
) -> DomainError:
    """Audit a failed attempt, tell the user when it locked their account, commit the counts,
    and return the error to raise."""
    audit.record(
        db,
        action=action,
        outcome=AuditOutcome.FAILURE,
        at=attempt.now,
        actor_user_id=user.id if user else None,
        collectivity_id=user.home_collectivity_id if user else None,
        client_address=attempt.client_address,
        reason=code.value.lower(),
    )
    if account_locked_now and user is not None:
        audit.record(
            db,
            action="account_locked",
            outcome=AuditOutcome.DENIED,
            at=attempt.now,
            actor_user_id=user.id,
            collectivity_id=user.home_collectivity_id,
            client_address=attempt.client_address,
        )
        queue_mail(
            db,
            recipient=user.email,
            template="account_locked",
            language=user.language,
            now=attempt.now,
            name=user.name,
            minutes=int(rules.throttle.lock_duration.total_seconds() // 60),
            product=rules.product_name,
        )
    await db.commit()
    return DomainError(code, field=field)


async def guard_attempt(
    db: AsyncSession,
    user: User | None,
    account: str | None,
    attempt: Attempt,
    rules: PortalRules,
    *,
    action: str,
    field: str | None,
) -> None:
    """Refuse the attempt while the account or the address waits or is locked (A4)."""
    refused = await throttling.refusal(
        db, account=account, address=attempt.client_address, now=attempt.now,
        policy=rules.throttle,
    )  # fmt: skip
    if refused is not None:
        raise await refuse_attempt(
            db, user, attempt, rules, action=action, code=refused.code,
            account_locked_now=refused.account_locked_now, field=field,
        )  # fmt: skip


async def fail_attempt(
    db: AsyncSession,
    user: User | None,
    account: str | None,
    attempt: Attempt,
    rules: PortalRules,
    *,
    action: str,
    code: ErrorCode,
    field: str | None,
) -> DomainError:
    """Count a failed attempt (A4), audit it, commit; returns the error to raise."""
    locked_now = await throttling.record_failure(
        db, account=account, address=attempt.client_address, now=attempt.now,
        policy=rules.throttle,
    )  # fmt: skip
    return await refuse_attempt(
        db, user, attempt, rules, action=action, code=code, account_locked_now=locked_now,
        field=field,
    )  # fmt: skip


async def login(
    db: AsyncSession,
    *,
    email: str,
    password: str,
    attempt: Attempt,
    policy: SessionPolicy,
    rules: PortalRules,
) -> LoginResult:
    """Check e-mail and password and start a session or a two-factor challenge.

    A wrong e-mail and a wrong password give the same error and cost the same time (A4): the
    password is verified against a dummy hash when the user is unknown, and unknown addresses
    are throttled like known ones. Outdated hashes are upgraded on success (A3).
    """
    key = email_key(email) if 0 < len(email) <= MAX_EMAIL_LENGTH else None
    user = None
    if key is not None and len(password) <= MAX_PASSWORD_LENGTH:
        user = await db.scalar(select(User).where(User.email_key == key))
    async with throttling.one_attempt_at_a_time(db, key, now=attempt.now):
        await guard_attempt(db, user, key, attempt, rules, action="login", field="email")
        password_ok = await check_password(user.password_hash if user else None, password)
        if user is None or not password_ok or user.status is not UserStatus.ACTIVE:
            raise await fail_attempt(
                db, user, key, attempt, rules, action="login",
                code=ErrorCode.INVALID_CREDENTIALS, field="password",
            )  # fmt: skip
        assert user.password_hash is not None
        assert key is not None
        await throttling.forget_account_failures(db, key)
        return await _password_accepted(db, user, password, attempt, policy, rules)


async def _password_accepted(
    db: AsyncSession,
    user: User,
    password: str,
    attempt: Attempt,
    policy: SessionPolicy,
    rules: PortalRules,
) -> LoginResult:
    """After the password: upgrade its hash, then a 2FA challenge or the session; commits."""
    assert user.password_hash is not None
    if needs_rehash(user.password_hash):
        user.password_hash = await make_password_hash(password)
    has_device = await two_factor.confirmed_device(db, user.id) is not None
    if has_device or rules.require_two_factor:
        challenge = await issue_challenge(db, user, attempt, registration_required=not has_device)
        await db.commit()
        return LoginResult(challenge=challenge)
    grant = await open_session(db, user, attempt, policy)
    await db.commit()
    return LoginResult(session=grant)


async def issue_challenge(
    db: AsyncSession, user: User, attempt: Attempt, *, registration_required: bool
) -> Challenge:
    lifetime = tokens.LIFETIMES[TokenPurpose.TWO_FACTOR_CHALLENGE]
    token = await tokens.issue_token(
        db, user.id, TokenPurpose.TWO_FACTOR_CHALLENGE, now=attempt.now, lifetime=lifetime
    )
    audit_user(
        db,
        user,
        attempt,
        action="login_password_accepted",
        outcome=AuditOutcome.SUCCESS,
        second_factor="registration" if registration_required else "code",
    )
    return Challenge(
        token=token, expires_at=attempt.now + lifetime, registration_required=registration_required
    )


async def verify_two_factor(
    db: AsyncSession,
    *,
    challenge: str,
    code: str,
    attempt: Attempt,
    policy: SessionPolicy,
    rules: PortalRules,
) -> SessionGrant:
    """Complete a login with a TOTP code (A6); throttled like passwords (A4). A wrong code keeps
    the challenge usable until it expires; the right one uses it up and starts the session."""
    user = await tokens.peek_token(
        db, challenge, TokenPurpose.TWO_FACTOR_CHALLENGE, now=attempt.now
    )
    if user is None or user.status is not UserStatus.ACTIVE:
        raise DomainError(ErrorCode.TWO_FACTOR_CHALLENGE_INVALID, field="challenge")
    async with throttling.one_attempt_at_a_time(db, user.email_key, now=attempt.now):
        return await _verify_code(db, user, challenge, code, attempt, policy, rules)


async def _verify_code(
    db: AsyncSession,
    user: User,
    challenge: str,
    code: str,
    attempt: Attempt,
    policy: SessionPolicy,
    rules: PortalRules,
) -> SessionGrant:
    await guard_attempt(
        db, user, user.email_key, attempt, rules, action="verify_two_factor", field="code"
    )
    device = await two_factor.confirmed_device(db, user.id)
    if device is None:
        raise DomainError(ErrorCode.TWO_FACTOR_REGISTRATION_REQUIRED, field="challenge")
    if not await two_factor.accept_code(db, device, code, rules.totp_cipher(), now=attempt.now):
        raise await fail_attempt(
            db, user, user.email_key, attempt, rules, action="verify_two_factor",
            code=ErrorCode.INVALID_TWO_FACTOR_CODE, field="code",
        )  # fmt: skip
    if (
        await tokens.use_token(db, challenge, TokenPurpose.TWO_FACTOR_CHALLENGE, now=attempt.now)
        is None
    ):
        await db.rollback()  # used by a concurrent request meanwhile
        raise DomainError(ErrorCode.TWO_FACTOR_CHALLENGE_INVALID, field="challenge")
    await throttling.forget_account_failures(db, user.email_key)
    grant = await open_session(db, user, attempt, policy, second_factor="totp")
    await db.commit()
    return grant


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
