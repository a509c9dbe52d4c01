"""Activating an account with the mailed link (A1, A2, A7).

The link carries an ACTIVATION token (a main user approved from an account request) or an
INVITATION token (a colleague invited by the main user); both are valid 7 days and single-use.
The user, still INVITED, chooses a password (``password_policy`` against their own e-mail) and
becomes ACTIVE; then they log in as usual (activation starts no session). Unknown, expired, used
or voided tokens, and tokens of a user who is no longer INVITED (deactivated meanwhile), all
answer TOKEN_INVALID. A password refusal leaves the token usable.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from storage import User
from storage.enums import AuditOutcome, TokenPurpose, UserStatus

from . import audit
from .errors import DomainError, ErrorCode
from .password_change import store_new_password
from .password_policy import check_new_password
from .refusals import refuse
from .rules import PortalRules
from .tokens import revoke_tokens, use_token

ACTIVATING_PURPOSES = (TokenPurpose.ACTIVATION, TokenPurpose.INVITATION)


async def activate_account(
    db: AsyncSession,
    *,
    token: str,
    password: str,
    rules: PortalRules,
    now: dt.datetime,
    client_address: str | None,
) -> User:
    action = "activate_account"
    user = None
    for purpose in ACTIVATING_PURPOSES:
        user = await use_token(db, token, purpose, now=now)
        if user is not None:
            break
    user_id = user.id if user else None
    home_id = user.home_collectivity_id if user else None
    try:
        if user is None or user.status is not UserStatus.INVITED:
            raise DomainError(ErrorCode.TOKEN_INVALID, field="token")
        check_new_password(password, email=user.email, policy=rules.password_policy)
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
    await store_new_password(user, password, now=now)
    user.status = UserStatus.ACTIVE
    for purpose in ACTIVATING_PURPOSES:
        await revoke_tokens(db, user.id, purpose, now=now)
    audit.record(
        db,
        action=action,
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=user.id,
        collectivity_id=user.home_collectivity_id,
        client_address=client_address,
        role=user.role.value,
    )
    await db.commit()
    return user
