"""Inviting a colleague (A7).

Only the main user invites, into their own home collectivity. The address follows the same rules
as an account request (``email_policy``: of the organisation, personal) and must not hold an
account yet (A2, compared case-insensitively). The colleague is created INVITED, without a
password, and receives a single-use invitation link valid for 7 days; ``activateAccount`` with
that token lets them choose a password, after which they can log in.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage import Collectivity, User
from storage.enums import AuditOutcome, TokenPurpose, UserRole, UserStatus

from . import audit
from .actor import Actor
from .email_policy import check_account_email
from .errors import DomainError, ErrorCode
from .login import email_key
from .mail import queue_mail
from .permissions import require_main_user_audited
from .rules import PortalRules
from .tokens import LIFETIMES, issue_token

MAX_NAME_LENGTH = 200
LANGUAGES = ("nl", "en")
ACTIVATION_PATH = "/activeren"


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise DomainError(ErrorCode.VALUE_REQUIRED, field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise DomainError(ErrorCode.VALUE_TOO_LONG, field="name", maximum=MAX_NAME_LENGTH)
    return name


async def invite_colleague(
    db: AsyncSession,
    actor: Actor,
    *,
    name: str,
    email: str,
    language: str | None,
    now: dt.datetime,
    client_address: str | None,
    rules: PortalRules,
) -> User:
    """Create the INVITED colleague, issue the invitation token and queue the mail (A7)."""
    home_id = await require_main_user_audited(
        db, actor, action="invite_colleague", now=now, client_address=client_address
    )
    name = _check_name(name)
    address = check_account_email(email, rules.email_policy)
    chosen_language = actor.language if language is None else language.strip().lower()
    if chosen_language not in LANGUAGES:
        raise DomainError(ErrorCode.LANGUAGE_NOT_SUPPORTED, field="language")
    key = email_key(address)
    if await db.scalar(select(User.id).where(User.email_key == key)) is not None:
        raise DomainError(ErrorCode.EMAIL_IN_USE, field="email")
    colleague = User(
        email=address,
        email_key=key,
        name=name,
        role=UserRole.COLLEAGUE,
        status=UserStatus.INVITED,
        home_collectivity_id=home_id,
        password_hash=None,
        language=chosen_language,
    )
    db.add(colleague)
    try:
        await db.flush()
    except IntegrityError:  # the same address registered at the same moment
        await db.rollback()
        raise DomainError(ErrorCode.EMAIL_IN_USE, field="email") from None
    token = await issue_token(db, colleague.id, TokenPurpose.INVITATION, now=now)
    inviter = await db.get(User, actor.user_id)
    home = await db.get(Collectivity, home_id)
    assert inviter is not None
    assert home is not None
    queue_mail(
        db,
        recipient=colleague.email,
        template="colleague_invitation",
        language=colleague.language,
        now=now,
        name=colleague.name,
        inviter_name=inviter.name,
        collectivity_name=home.name,
        collectivity_number=home.collectivity_number,
        link=rules.link(ACTIVATION_PATH, token),
        days=LIFETIMES[TokenPurpose.INVITATION].days,
        product_name=rules.product_name,
    )
    audit.record(
        db,
        action="invite_colleague",
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=actor.user_id,
        collectivity_id=home_id,
        client_address=client_address,
        user_id=colleague.id,
    )
    await db.commit()
    return colleague
