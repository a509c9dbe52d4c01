"""Self-service password reset from the login screen (A5).

``request_password_reset`` answers the same for every address — known, unknown, invited or
deactivated — and does the same work for each: one look-up, one revocation statement, one audit
row, one commit. Only for an ACTIVE user does it also issue a PASSWORD_RESET token (1 hour; the
user's older reset links are voided) and queue the mail with the link; those two row inserts ride
in the same commit and cost far less than the variation of a network round trip.

``reset_password`` uses the token once (unknown, expired, used and voided tokens all answer
TOKEN_INVALID), checks the new password against the policy (a refusal leaves the token usable),
sets it, ends **all** sessions of the user, voids pending two-factor challenges, clears the
account's failed-login count (a reset is the way out of a lock, A4), and mails a notice. A reset
never logs the user in and never touches their authenticator: a user with 2FA still needs a code
at the next login (A5: a reset never bypasses 2FA).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import User
from storage.enums import AuditOutcome, TokenPurpose, UserStatus

from . import audit, throttling
from .errors import DomainError, ErrorCode
from .login import MAX_EMAIL_LENGTH, email_key
from .mail import queue_mail
from .password_change import (
    end_credentials_of_old_password,
    queue_password_changed_mail,
    store_new_password,
)
from .password_policy import check_new_password
from .refusals import refuse
from .rules import PortalRules
from .tokens import LIFETIMES, issue_token, revoke_tokens, use_token

RESET_PATH = "/wachtwoord-herstellen"
# Matches no user: the revocation statement runs for unknown addresses too (same work).
_NO_USER = -1


async def request_password_reset(
    db: AsyncSession,
    *,
    email: str,
    rules: PortalRules,
    now: dt.datetime,
    client_address: str | None,
) -> None:
    """Mail a reset link to an ACTIVE user with this address; answer nothing either way."""
    key = email_key(email)
    user = None
    if 0 < len(key) <= MAX_EMAIL_LENGTH:
        user = await db.scalar(select(User).where(User.email_key == key))
    active = user is not None and user.status is UserStatus.ACTIVE
    # Counted for every address alike; over the per-recipient limit nothing is sent, and the
    # answer is the same (no flooding of an inbox, no hint whether the account exists).
    within_limit = await throttling.allow_mail_request(
        db, purpose="password_reset", client_address=client_address, recipient=key, now=now,
        limit=rules.mail_requests,
    )  # fmt: skip
    eligible = active and within_limit
    reason = None if eligible else ("recipient_limit" if active else "no_active_account")
    await revoke_tokens(
        db, user.id if user and eligible else _NO_USER, TokenPurpose.PASSWORD_RESET, now=now
    )
    if user is not None and eligible:
        token = await issue_token(db, user.id, TokenPurpose.PASSWORD_RESET, now=now)
        queue_mail(
            db,
            recipient=user.email,
            template="password_reset",
            language=user.language,
            now=now,
            name=user.name,
            link=rules.link(RESET_PATH, token),
            minutes=int(LIFETIMES[TokenPurpose.PASSWORD_RESET].total_seconds() // 60),
            product=rules.product_name,
        )
    audit.record(
        db,
        action="request_password_reset",
        outcome=AuditOutcome.SUCCESS if eligible else AuditOutcome.FAILURE,
        at=now,
        actor_user_id=user.id if user else None,
        collectivity_id=user.home_collectivity_id if user else None,
        client_address=client_address,
        **({"reason": reason} if reason else {}),
    )
    await db.commit()


async def reset_password(
    db: AsyncSession,
    *,
    token: str,
    new_password: str,
    rules: PortalRules,
    now: dt.datetime,
    client_address: str | None,
) -> None:
    """Set a new password with a reset token; ends every session, logs nobody in (A5)."""
    action = "reset_password"
    user = await use_token(db, token, TokenPurpose.PASSWORD_RESET, now=now)
    user_id = user.id if user else None
    home_id = user.home_collectivity_id if user else None
    try:
        if user is None or user.status is not UserStatus.ACTIVE:
            raise DomainError(ErrorCode.TOKEN_INVALID, field="token")
        check_new_password(
            new_password, email=user.email, policy=rules.password_policy, field="new_password"
        )
    except DomainError as error:
        raise await refuse(
            db,
            error,
            action=action,
            now=now,
            client_address=client_address,
            actor_user_id=user_id,
            collectivity_id=home_id,
        ) from None
    await store_new_password(user, new_password, now=now)
    await end_credentials_of_old_password(db, user.id, now=now, keep_session_id=None)
    await throttling.forget_account_failures(db, email_key(user.email))
    queue_password_changed_mail(db, user, rules=rules, now=now)
    audit.record(
        db,
        action=action,
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=user.id,
        collectivity_id=user.home_collectivity_id,
        client_address=client_address,
    )
    await db.commit()
