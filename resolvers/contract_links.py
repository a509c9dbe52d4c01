"""Linked contracts ("Koppelen contracten", B1, B2).

A link from collectivity S to collectivity T brings T into the scope of every user of S (B1):
``sessions.authenticate`` reads the ACTIVE links of the user's home collectivity on every request,
so a link works, and stops working, from the next request on, without logging in again.

* The main user of S enters T's customer number and collectivity number (``link_contract``).
  Both must match one collectivity; a wrong pair and a non-existent one answer the same
  LINK_TARGET_NOT_FOUND, and the attempt is audited.
* T of the same customer as S: ACTIVE at once. T of another customer: PENDING, which gives no
  access at all, until T's main user approves (``approve_contract_link``); T's main users are
  e-mailed about the request. Two guessable numbers never open another employer's data (B2).
* Either side's main user removes a link (``unlink_contract``): S's to withdraw a request or
  give up access, T's to withdraw access it granted (or was never asked about, same customer).
* The links are listed, outgoing and incoming, for the users of the collectivity and for staff.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence
from typing import NoReturn

from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage import Collectivity, ContractLink, Customer, User
from storage.enums import AuditOutcome, ContractLinkStatus, UserRole, UserStatus

from . import audit
from .actor import Actor
from .errors import DomainError, ErrorCode, NotFound
from .mail import queue_mail
from .permissions import require_home_member, require_main_user_audited
from .rules import PortalRules
from .user_summary import UserSummary, summary_of

MAX_NUMBER_LENGTH = 20


class LinkDirection(enum.StrEnum):
    # The viewing collectivity's users see the other collectivity through this link.
    OUTGOING = "OUTGOING"
    # The other collectivity's users see the viewing collectivity through this link.
    INCOMING = "INCOMING"


@dataclasses.dataclass(frozen=True)
class LinkView:
    """A link as seen from one of its two collectivities (or from the source, for staff)."""

    id: int
    direction: LinkDirection
    status: ContractLinkStatus
    source_collectivity_id: int
    target_collectivity_id: int
    other_collectivity_id: int
    other_collectivity_number: str
    other_collectivity_name: str
    requested_by: UserSummary | None
    requested_at: dt.datetime
    approved_by: UserSummary | None
    approved_at: dt.datetime | None


_source = aliased(Collectivity)
_target = aliased(Collectivity)
_requester = aliased(User)
_approver = aliased(User)


def _link_rows() -> Select[tuple]:
    return (
        select(ContractLink, _source, _target, _requester, _approver)
        .join(_source, _source.id == ContractLink.collectivity_id)
        .join(_target, _target.id == ContractLink.linked_collectivity_id)
        .outerjoin(_requester, _requester.id == ContractLink.requested_by_id)
        .outerjoin(_approver, _approver.id == ContractLink.approved_by_id)
    )


def _view(
    link: ContractLink,
    source: Collectivity,
    target: Collectivity,
    requester: User | None,
    approver: User | None,
    *,
    viewpoint: int | None,
) -> LinkView:
    incoming = viewpoint is not None and viewpoint == target.id
    other = source if incoming else target
    return LinkView(
        id=link.id,
        direction=LinkDirection.INCOMING if incoming else LinkDirection.OUTGOING,
        status=link.status,
        source_collectivity_id=source.id,
        target_collectivity_id=target.id,
        other_collectivity_id=other.id,
        other_collectivity_number=other.collectivity_number,
        other_collectivity_name=other.name,
        requested_by=summary_of(requester),
        requested_at=link.requested_at,
        approved_by=summary_of(approver),
        approved_at=link.approved_at,
    )


async def _load_view(db: AsyncSession, link_id: int, *, viewpoint: int | None) -> LinkView:
    row = (await db.execute(_link_rows().where(ContractLink.id == link_id))).one()
    return _view(*row, viewpoint=viewpoint)


async def links_of_collectivity(
    db: AsyncSession, actor: Actor, collectivity_id: int
) -> list[LinkView]:
    """Outgoing and incoming links of the collectivity, oldest request first (B2).

    For the collectivity's own users and staff; FORBIDDEN for users who see it only through a link.
    """
    require_home_member(actor, collectivity_id)
    statement = (
        _link_rows()
        .where(
            or_(
                ContractLink.collectivity_id == collectivity_id,
                ContractLink.linked_collectivity_id == collectivity_id,
            )
        )
        .order_by(ContractLink.requested_at, ContractLink.id)
    )
    rows = (await db.execute(statement)).all()
    return [_view(*row, viewpoint=collectivity_id) for row in rows]


async def links_by_ids(
    db: AsyncSession, actor: Actor, link_ids: Sequence[int]
) -> list[LinkView | None]:
    """For ``node``: links of the actor's home collectivity (either side); staff: all (B3)."""
    statement = _link_rows().where(ContractLink.id.in_(set(link_ids)))
    if not actor.is_staff:
        statement = statement.where(
            or_(
                ContractLink.collectivity_id == actor.home_collectivity_id,
                ContractLink.linked_collectivity_id == actor.home_collectivity_id,
            )
        )
    found = {
        row[0].id: _view(*row, viewpoint=actor.home_collectivity_id)
        for row in (await db.execute(statement)).all()
    }
    return [found.get(i) for i in link_ids]


def _record(
    db: AsyncSession,
    actor: Actor,
    *,
    action: str,
    now: dt.datetime,
    client_address: str | None,
    collectivity_ids: Sequence[int],
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    **details: object,
) -> None:
    """One event in each collectivity concerned, so both main users see it in their trail."""
    for collectivity_id in dict.fromkeys(collectivity_ids):
        audit.record(
            db,
            action=action,
            outcome=outcome,
            at=now,
            actor_user_id=actor.user_id,
            collectivity_id=collectivity_id,
            client_address=client_address,
            **details,
        )


async def link_contract(
    db: AsyncSession,
    actor: Actor,
    *,
    customer_number: str,
    collectivity_number: str,
    now: dt.datetime,
    client_address: str | None,
    rules: PortalRules,
) -> LinkView:
    """Link the main user's home collectivity to the collectivity with both numbers (B2)."""
    home_id = await require_main_user_audited(
        db, actor, action="link_contract", now=now, client_address=client_address
    )
    customer_number = customer_number.strip()
    collectivity_number = collectivity_number.strip()
    target = None
    if 0 < len(customer_number) <= MAX_NUMBER_LENGTH and (
        0 < len(collectivity_number) <= MAX_NUMBER_LENGTH
    ):
        target = await db.scalar(
            select(Collectivity)
            .join(Customer, Customer.id == Collectivity.customer_id)
            .where(
                Collectivity.collectivity_number == collectivity_number,
                Customer.customer_number == customer_number,
            )
        )
    if target is None:
        await _refuse_unknown_target(
            db, actor, home_id, customer_number, collectivity_number, now, client_address
        )
    if target.id == home_id:
        raise DomainError(ErrorCode.CANNOT_LINK_TO_SELF, field="collectivity_number")
    existing = await db.scalar(
        select(ContractLink.id).where(
            ContractLink.collectivity_id == home_id,
            ContractLink.linked_collectivity_id == target.id,
        )
    )
    if existing is not None:
        raise DomainError(ErrorCode.ALREADY_LINKED, field="collectivity_number")
    home = await db.get(Collectivity, home_id)
    assert home is not None
    same_customer = home.customer_id == target.customer_id
    link = ContractLink(
        collectivity_id=home_id,
        linked_collectivity_id=target.id,
        status=ContractLinkStatus.ACTIVE if same_customer else ContractLinkStatus.PENDING,
        requested_by_id=actor.user_id,
        requested_at=now,
        # ``approved_at`` is when the link became ACTIVE: at once within one customer, with
        # nobody's approval (``approved_by_id`` stays empty).
        approved_at=now if same_customer else None,
    )
    db.add(link)
    try:
        await db.flush()
    except IntegrityError:  # the same link made at the same moment by another request
        await db.rollback()
        raise DomainError(ErrorCode.ALREADY_LINKED, field="collectivity_number") from None
    _record(
        db,
        actor,
        action="link_contract",
        now=now,
        client_address=client_address,
        collectivity_ids=[home_id, target.id],
        link_id=link.id,
        source_collectivity_number=home.collectivity_number,
        target_collectivity_number=target.collectivity_number,
        status=link.status.value,
    )
    if not same_customer:
        await _mail_target_main_users(db, actor, home, target, now=now, rules=rules)
    await db.commit()
    return await _load_view(db, link.id, viewpoint=home_id)


async def _refuse_unknown_target(
    db: AsyncSession,
    actor: Actor,
    home_id: int,
    customer_number: str,
    collectivity_number: str,
    now: dt.datetime,
    client_address: str | None,
) -> NoReturn:
    """Audit the failed attempt and raise LINK_TARGET_NOT_FOUND.

    The requester's trail reads the same for a wrong pair and a non-existent one (it must not tell
    which numbers exist). When the collectivity number exists but belongs to another customer, that
    collectivity's trail records the attempt too, so its main user can see someone guessing.
    """
    _record(
        db,
        actor,
        action="link_contract",
        outcome=AuditOutcome.FAILURE,
        now=now,
        client_address=client_address,
        collectivity_ids=[home_id],
        reason="target_not_found",
        customer_number=customer_number[:MAX_NUMBER_LENGTH],
        collectivity_number=collectivity_number[:MAX_NUMBER_LENGTH],
    )
    probed = None
    if 0 < len(collectivity_number) <= MAX_NUMBER_LENGTH:
        probed = await db.scalar(
            select(Collectivity.id).where(Collectivity.collectivity_number == collectivity_number)
        )
    if probed is not None and probed != home_id:
        _record(
            db,
            actor,
            action="link_contract",
            outcome=AuditOutcome.DENIED,
            now=now,
            client_address=client_address,
            collectivity_ids=[probed],
            reason="customer_number_mismatch",
        )
    await db.commit()
    raise DomainError(ErrorCode.LINK_TARGET_NOT_FOUND)


async def _mail_target_main_users(
    db: AsyncSession,
    actor: Actor,
    source: Collectivity,
    target: Collectivity,
    *,
    now: dt.datetime,
    rules: PortalRules,
) -> None:
    requester = await db.get(User, actor.user_id)
    assert requester is not None
    main_users = await db.scalars(
        select(User).where(
            User.home_collectivity_id == target.id,
            User.role == UserRole.MAIN,
            User.status == UserStatus.ACTIVE,
        )
    )
    for user in main_users:
        queue_mail(
            db,
            recipient=user.email,
            template="contract_link_requested",
            language=user.language,
            now=now,
            name=user.name,
            requester_name=requester.name,
            requester_email=requester.email,
            source_number=source.collectivity_number,
            source_name=source.name,
            target_number=target.collectivity_number,
            portal_url=rules.portal_url,
            product_name=rules.product_name,
        )


async def approve_contract_link(
    db: AsyncSession,
    actor: Actor,
    link_id: int,
    *,
    now: dt.datetime,
    client_address: str | None,
) -> LinkView:
    """The main user of the target collectivity approves a pending link (B2).

    Any other link id, including the requester's own outgoing link, is NOT_FOUND.
    """
    home_id = await require_main_user_audited(
        db, actor, action="approve_contract_link", now=now, client_address=client_address
    )
    link = await db.scalar(
        select(ContractLink).where(
            ContractLink.id == link_id, ContractLink.linked_collectivity_id == home_id
        )
    )
    if link is None:
        raise NotFound("id")
    if link.status is not ContractLinkStatus.PENDING:
        raise DomainError(ErrorCode.LINK_NOT_PENDING, field="id")
    approved = await db.execute(
        update(ContractLink)
        .where(ContractLink.id == link.id, ContractLink.status == ContractLinkStatus.PENDING)
        .values(status=ContractLinkStatus.ACTIVE, approved_by_id=actor.user_id, approved_at=now)
    )
    if approved.rowcount != 1:  # approved by a concurrent request
        raise DomainError(ErrorCode.LINK_NOT_PENDING, field="id")
    _record(
        db,
        actor,
        action="approve_contract_link",
        now=now,
        client_address=client_address,
        collectivity_ids=[link.collectivity_id, home_id],
        link_id=link.id,
    )
    await db.commit()
    db.expire_all()  # the UPDATE bypassed the loaded row
    return await _load_view(db, link_id, viewpoint=home_id)


async def unlink_contract(
    db: AsyncSession,
    actor: Actor,
    link_id: int,
    *,
    now: dt.datetime,
    client_address: str | None,
) -> LinkView:
    """Remove a link; the main user of either collectivity may (B2). Access ends at once."""
    home_id = await require_main_user_audited(
        db, actor, action="unlink_contract", now=now, client_address=client_address
    )
    row = (
        await db.execute(
            _link_rows().where(
                ContractLink.id == link_id,
                or_(
                    ContractLink.collectivity_id == home_id,
                    ContractLink.linked_collectivity_id == home_id,
                ),
            )
        )
    ).one_or_none()
    if row is None:
        raise NotFound("id")
    view = _view(*row, viewpoint=home_id)
    await db.execute(delete(ContractLink).where(ContractLink.id == link_id))
    _record(
        db,
        actor,
        action="unlink_contract",
        now=now,
        client_address=client_address,
        collectivity_ids=[view.source_collectivity_id, view.target_collectivity_id],
        link_id=view.id,
        status=view.status.value,
        source_collectivity_number=row[1].collectivity_number,
        target_collectivity_number=row[2].collectivity_number,
    )
    await db.commit()
    return view
