"""Account requests (A1): an employer asks for a main-user account; insurer staff decide.

Requesting is anonymous. The e-mail must pass ``email_policy`` (valid, of the organisation,
personal); those refusals are shown, since they concern only what the requester typed. Whether
the customer number and collectivity number belong together is **not** shown: a wrong pair gets
the same answer as a right one, so the form cannot be used to find out which numbers exist (the
same concern as B2). The request is stored either way, with the matched collectivity or none, and
staff see the mismatch and reject it. Likewise an address that already has an account, or already
has a pending request, gets the same answer; at most one request per address is PENDING (a
partial unique index), a second one is not stored.

Deciding is for staff only (FORBIDDEN otherwise, recorded as DENIED). Approval creates the
collectivity's **main user**, INVITED and without a password, and mails a single-use activation
link valid for 7 days (``activation.activate_account`` sets the password). A collectivity has one
main user: approval is refused with MAIN_USER_EXISTS while another main user is INVITED or
ACTIVE (a DEACTIVATED one may be succeeded). Approving a new request of the same person whose
earlier activation link lapsed mails a fresh link to the existing INVITED main user. Approval
re-checks the numbers (COLLECTIVITY_MISMATCH) and refuses an address that holds another account
(EMAIL_IN_USE). Rejection mails the requester the reason staff give.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage import AccountRequest, Collectivity, Customer, User
from storage.enums import AccountRequestStatus, AuditOutcome, TokenPurpose, UserRole, UserStatus

from . import audit, throttling
from .actor import Actor
from .email_policy import check_account_email
from .errors import DomainError, ErrorCode, NotFound
from .mail import queue_mail
from .pagination import Page, check_page_size, decode_cursor, encode_cursor
from .refusals import refuse
from .rules import PortalRules
from .tokens import LIFETIMES, issue_token, revoke_tokens

MAX_NUMBER_LENGTH = 20
MAX_NAME_LENGTH = 200
MAX_REASON_LENGTH = 500
LANGUAGES = ("nl", "en")
ACTIVATION_PATH = "/activeren"


def _text(value: str, field: str, maximum: int) -> str:
    """Trimmed, inner whitespace collapsed; VALUE_REQUIRED when empty, VALUE_TOO_LONG."""
    value = " ".join(value.split())
    if not value:
        raise DomainError(ErrorCode.VALUE_REQUIRED, field=field)
    if len(value) > maximum:
        raise DomainError(ErrorCode.VALUE_TOO_LONG, field=field, maximum=maximum)
    return value


def _language(language: str | None, default: str) -> str:
    chosen = default if language is None else language.strip().lower()
    if chosen not in LANGUAGES:
        raise DomainError(ErrorCode.LANGUAGE_NOT_SUPPORTED, field="language")
    return chosen


async def matching_collectivity(
    db: AsyncSession, customer_number: str, collectivity_number: str
) -> int | None:
    """The collectivity with this number whose customer has this number, if both match."""
    return await db.scalar(
        select(Collectivity.id)
        .join(Customer, Customer.id == Collectivity.customer_id)
        .where(
            Collectivity.collectivity_number == collectivity_number,
            Customer.customer_number == customer_number,
        )
    )


async def request_account(
    db: AsyncSession,
    *,
    customer_number: str,
    collectivity_number: str,
    name: str,
    email: str,
    language: str | None,
    default_language: str,
    rules: PortalRules,
    now: dt.datetime,
    client_address: str | None,
) -> None:
    """Store a PENDING request (A1). Returns nothing: the answer is the same whether the numbers
    match, the address has an account or a request is already pending."""
    action = "request_account"
    try:
        customer_number = _text(customer_number, "customer_number", MAX_NUMBER_LENGTH)
        collectivity_number = _text(collectivity_number, "collectivity_number", MAX_NUMBER_LENGTH)
        name = _text(name, "name", MAX_NAME_LENGTH)
        address = check_account_email(email, rules.email_policy)
        chosen_language = _language(language, default_language)
    except DomainError as error:
        raise await refuse(
            db, error, action=action, now=now, client_address=client_address
        ) from None
    key = address.lower()
    # Anonymous: limited per client address (TOO_MANY_ATTEMPTS), so nobody fills the staff queue.
    await throttling.allow_mail_request(
        db, purpose="account_request", client_address=client_address, recipient=key, now=now,
        limit=rules.mail_requests,
    )  # fmt: skip
    pending = await db.scalar(
        select(AccountRequest.id).where(
            AccountRequest.email_key == key, AccountRequest.status == AccountRequestStatus.PENDING
        )
    )
    collectivity_id = await matching_collectivity(db, customer_number, collectivity_number)
    if pending is None:
        request = AccountRequest(
            customer_number=customer_number,
            collectivity_number=collectivity_number,
            name=name,
            email=address,
            email_key=key,
            language=chosen_language,
            status=AccountRequestStatus.PENDING,
            collectivity_id=collectivity_id,
            created_at=now,
        )
        db.add(request)
        try:
            await db.flush()
        except IntegrityError:  # the same address, concurrently: that one is the pending request
            await db.rollback()
        else:
            audit.record(
                db,
                action=action,
                outcome=AuditOutcome.SUCCESS,
                at=now,
                collectivity_id=collectivity_id,
                client_address=client_address,
                request_id=request.id,
                numbers_match=collectivity_id is not None,
            )
            await db.commit()
            return
    audit.record(
        db,
        action=action,
        outcome=AuditOutcome.FAILURE,
        at=now,
        collectivity_id=collectivity_id,
        client_address=client_address,
        reason="pending_request_exists",
        request_id=pending,
    )
    await db.commit()


async def _require_staff(
    db: AsyncSession, actor: Actor, *, action: str, now: dt.datetime, client_address: str | None
) -> None:
    """FORBIDDEN for anyone but insurer staff, recorded as DENIED (A9, B4)."""
    if actor.is_staff:
        return
    raise await refuse(
        db,
        DomainError(ErrorCode.FORBIDDEN),
        action=action,
        now=now,
        client_address=client_address,
        actor_user_id=actor.user_id,
        collectivity_id=actor.home_collectivity_id,
        outcome=AuditOutcome.DENIED,
    )


async def _claim(
    db: AsyncSession,
    actor: Actor,
    request_id: int | None,
    status: AccountRequestStatus,
    *,
    now: dt.datetime,
    reason: str | None = None,
) -> AccountRequest:
    """Decide a PENDING request in one conditional UPDATE, so two staff members deciding at the
    same time cannot both succeed; NOT_FOUND or ACCOUNT_REQUEST_DECIDED otherwise."""
    if request_id is None:
        raise NotFound("id")
    claimed = await db.execute(
        update(AccountRequest)
        .where(
            AccountRequest.id == request_id,
            AccountRequest.status == AccountRequestStatus.PENDING,
        )
        .values(status=status, decided_by_id=actor.user_id, decided_at=now, decision_reason=reason)
    )
    if claimed.rowcount != 1:
        if await db.get(AccountRequest, request_id) is None:
            raise NotFound("id")
        raise DomainError(ErrorCode.ACCOUNT_REQUEST_DECIDED, field="id")
    request = await db.get(AccountRequest, request_id, populate_existing=True)
    assert request is not None
    return request


async def _main_user_for(db: AsyncSession, request: AccountRequest, collectivity_id: int) -> User:
    """The INVITED main user to mail an activation link to: new, or the same person again."""
    existing = await db.scalar(select(User).where(User.email_key == request.email_key))
    main = await db.scalar(
        select(User)
        .where(
            User.home_collectivity_id == collectivity_id,
            User.role == UserRole.MAIN,
            User.status != UserStatus.DEACTIVATED,
        )
        .order_by(User.id)
        .limit(1)
    )
    if existing is not None:
        if main is None or main.id != existing.id or existing.status is not UserStatus.INVITED:
            raise DomainError(ErrorCode.EMAIL_IN_USE, field="id")
        return existing
    if main is not None:
        raise DomainError(ErrorCode.MAIN_USER_EXISTS, field="id")
    user = User(
        email=request.email,
        email_key=request.email_key,
        name=request.name,
        role=UserRole.MAIN,
        status=UserStatus.INVITED,
        home_collectivity_id=collectivity_id,
        password_hash=None,
        language=request.language,
    )
    db.add(user)
    try:
        await db.flush()
    except IntegrityError:  # the address got an account concurrently
        raise DomainError(ErrorCode.EMAIL_IN_USE, field="id") from None
    return user


async def approve_account_request(
    db: AsyncSession,
    actor: Actor,
    request_id: int | None,
    *,
    rules: PortalRules,
    now: dt.datetime,
    client_address: str | None,
) -> AccountRequest:
    """Staff: create the INVITED main user and mail the activation link (A1)."""
    action = "approve_account_request"
    await _require_staff(db, actor, action=action, now=now, client_address=client_address)
    try:
        request = await _claim(db, actor, request_id, AccountRequestStatus.APPROVED, now=now)
        collectivity_id = await matching_collectivity(
            db, request.customer_number, request.collectivity_number
        )
        if collectivity_id is None:
            raise DomainError(ErrorCode.COLLECTIVITY_MISMATCH, field="id")
        request.collectivity_id = collectivity_id
        user = await _main_user_for(db, request, collectivity_id)
    except DomainError as error:
        raise await refuse(
            db,
            error,
            action=action,
            now=now,
            client_address=client_address,
            actor_user_id=actor.user_id,
            request_id=request_id,
        ) from None
    await revoke_tokens(db, user.id, TokenPurpose.ACTIVATION, now=now)
    token = await issue_token(db, user.id, TokenPurpose.ACTIVATION, now=now)
    queue_mail(
        db,
        recipient=user.email,
        template="account_activation",
        language=user.language,
        now=now,
        name=user.name,
        link=rules.link(ACTIVATION_PATH, token),
        days=LIFETIMES[TokenPurpose.ACTIVATION].days,
        product=rules.product_name,
    )
    audit.record(
        db,
        action=action,
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=actor.user_id,
        collectivity_id=collectivity_id,
        client_address=client_address,
        request_id=request.id,
        user_id=user.id,
    )
    await db.commit()
    return request


async def reject_account_request(
    db: AsyncSession,
    actor: Actor,
    request_id: int | None,
    *,
    reason: str,
    rules: PortalRules,
    now: dt.datetime,
    client_address: str | None,
) -> AccountRequest:
    """Staff: reject the request and mail the requester the reason (A1)."""
    action = "reject_account_request"
    await _require_staff(db, actor, action=action, now=now, client_address=client_address)
    try:
        reason = _text(reason, "reason", MAX_REASON_LENGTH)
        request = await _claim(
            db, actor, request_id, AccountRequestStatus.REJECTED, now=now, reason=reason
        )
    except DomainError as error:
        raise await refuse(
            db,
            error,
            action=action,
            now=now,
            client_address=client_address,
            actor_user_id=actor.user_id,
            request_id=request_id,
        ) from None
    queue_mail(
        db,
        recipient=request.email,
        template="account_request_rejected",
        language=request.language,
        now=now,
        name=request.name,
        reason=reason,
        product=rules.product_name,
    )
    audit.record(
        db,
        action=action,
        outcome=AuditOutcome.SUCCESS,
        at=now,
        actor_user_id=actor.user_id,
        collectivity_id=request.collectivity_id,
        client_address=client_address,
        request_id=request.id,
    )
    await db.commit()
    return request


def require_staff_reader(actor: Actor) -> None:
    """Reading account requests is for insurer staff only (FORBIDDEN otherwise)."""
    if not actor.is_staff:
        raise DomainError(ErrorCode.FORBIDDEN)


_CURSOR_KIND = "account_requests"


def _filtered(statement: Select[Any], status: AccountRequestStatus | None) -> Select[Any]:
    return statement if status is None else statement.where(AccountRequest.status == status)


async def list_account_requests(
    db: AsyncSession,
    actor: Actor,
    *,
    status: AccountRequestStatus | None,
    first: int | None,
    after: str | None,
) -> Page[AccountRequest]:
    """Staff: requests oldest first (the order to handle them in), optionally of one status."""
    require_staff_reader(actor)
    size = check_page_size(first)
    statement = _filtered(select(AccountRequest), status)
    if after is not None:
        (last_id,) = decode_cursor(_CURSOR_KIND, after, 1)
        if not isinstance(last_id, int):
            raise DomainError(ErrorCode.INVALID_CURSOR, field="after")
        statement = statement.where(AccountRequest.id > last_id)
    rows = list(await db.scalars(statement.order_by(AccountRequest.id).limit(size + 1)))
    items = rows[:size]
    return Page(
        items=items,
        cursors=[encode_cursor(_CURSOR_KIND, [r.id]) for r in items],
        has_next_page=len(rows) > size,
        has_previous_page=after is not None,
    )


async def count_account_requests(
    db: AsyncSession, actor: Actor, *, status: AccountRequestStatus | None
) -> int:
    require_staff_reader(actor)
    statement = _filtered(select(func.count()).select_from(AccountRequest), status)
    return int(await db.scalar(statement) or 0)


async def account_requests_by_ids(
    db: AsyncSession, actor: Actor, ids: list[int]
) -> list[AccountRequest | None]:
    """For ``node``: staff see every request; anyone else none (as if they did not exist, B3)."""
    if not actor.is_staff:
        return [None for _ in ids]
    rows = await db.scalars(select(AccountRequest).where(AccountRequest.id.in_(set(ids))))
    found = {r.id: r for r in rows}
    return [found.get(i) for i in ids]
