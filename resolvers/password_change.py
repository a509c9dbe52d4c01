"""Setting a password: on activation, by the logged-in user (``change_password``), and by reset
(A1, A3, A5, A7).

Every new password passes ``password_policy`` against the user's own e-mail and is stored as an
argon2id hash, computed off the event loop. Changing it ends the user's other sessions (the one
that changed it goes on), voids open reset links and pending two-factor challenges (begun with the
old password), and mails the user a notice. A wrong current password counts as a failed attempt
for the account in the login throttle (A4), so a stolen session cannot be used to guess it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from storage import User
from storage.enums import AuditOutcome, TokenPurpose

from . import audit, throttling
from .actor import Actor
from .errors import DomainError, ErrorCode, NotFound
from .login import MAX_PASSWORD_LENGTH, email_key
from .mail import queue_mail
from .password_policy import check_new_password
from .passwords import check_password, make_password_hash
from .refusals import refuse
from .rules import PortalRules
from .sessions import revoke_all_sessions
from .tokens import revoke_tokens


async def store_new_password(user: User, password: str, *, now: dt.datetime) -> None:
    """Hash (argon2id, off the event loop) and set; the caller has checked the policy."""
    user.password_hash = await make_password_hash(password)
    user.password_changed_at = now


async def end_credentials_of_old_password(
    db: AsyncSession, user_id: int, *, now: dt.datetime, keep_session_id: int | None
) -> None:
    """What the old password opened: sessions (but ``keep_session_id``), reset links, and
    two-factor challenges of a login that got past the old password."""
    await revoke_all_sessions(db, user_id, now=now, keep_session_id=keep_session_id)
    await revoke_tokens(db, user_id, TokenPurpose.PASSWORD_RESET, now=now)
    await revoke_tokens(db, user_id, TokenPurpose.TWO_FACTOR_CHALLENGE, now=now)


def queue_password_changed_mail(
    db: AsyncSession, user: User, *, rules: PortalRules, now: dt.datetime
) -> None:
    queue_mail(
        db,
        recipient=user.email,
        template="password_changed",
        language=user.language,
        now=now,
        name=user.name,
        product=rules.product_name,
    )


async def change_password(
    db: AsyncSession,
    actor: Actor,
    *,
    current_password: str,
    new_password: str,
    rules: PortalRules,
    now: dt.datetime,
    client_address: str | None,
) -> User:
    """A3: the logged-in user replaces their password, proving the current one."""
    action = "change_password"
    user = await db.get(User, actor.user_id)
    if user is None:
        raise NotFound()
    user_id, home_id, key = user.id, user.home_collectivity_id, email_key(user.email)
    refused = await throttling.refusal(
        db, account=key, address=client_address, now=now, policy=rules.throttle
    )
    try:
        if refused is not None:
            raise DomainError(refused.code, field="current_password")
        current_ok = len(current_password) <= MAX_PASSWORD_LENGTH and await check_password(
            user.password_hash, current_password
        )
        if not current_ok:
            raise DomainError(ErrorCode.CURRENT_PASSWORD_INCORRECT, field="current_password")
        check_new_password(
            new_password, email=user.email, policy=rules.password_policy, field="new_password"
        )
    except DomainError as error:
        if error.code is ErrorCode.CURRENT_PASSWORD_INCORRECT:
            # Count the failure in a transaction of its own: the refusal rolls back.
            await db.rollback()
            await throttling.record_failure(
                db, account=key, address=client_address, now=now, policy=rules.throttle
            )
            await db.commit()
        elif refused is not None:
            await db.commit()  # the refused attempt was counted too (throttling.refusal)
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
    await end_credentials_of_old_password(db, user.id, now=now, keep_session_id=actor.session_id)
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
    return user
