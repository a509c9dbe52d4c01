"""``AccountRequest``: an employer's request for a main-user account, as staff see it (A1)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from resolvers import account_requests as resolvers_account_requests
from storage import AccountRequest as AccountRequestRow
from storage import enums

from ..context import RequestContext
from ..ids import Node, encode_id
from ..pagination import Connection
from .collectivity import Collectivity

Info = strawberry.Info[RequestContext, None]

AccountRequestStatus = strawberry.enum(
    enums.AccountRequestStatus,
    description="PENDING until staff approve (the main user is invited) or reject it (A1).",
)


@strawberry.type(description="A request for a main-user account (A1). Only staff see these.")
class AccountRequest(Node):
    customer_number: str = strawberry.field(description="As the requester typed it.")
    collectivity_number: str = strawberry.field(description="As the requester typed it.")
    name: str
    email: str = strawberry.field(description="Normalised; checked against the A1 e-mail rules.")
    language: str = strawberry.field(description="nl or en: of the mails and the account.")
    status: AccountRequestStatus
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str | None = strawberry.field(
        description="The reason given on rejection (mailed to the requester)."
    )
    numbers_match: bool = strawberry.field(
        description="Whether the customer number and collectivity number belonged together "
        "when the request came in. The requester is not told (no enumeration); a request "
        "whose numbers do not match cannot be approved (COLLECTIVITY_MISMATCH)."
    )
    _collectivity_id: strawberry.Private[int | None]

    @strawberry.field(description="The collectivity the numbers matched; null when none.")
    async def collectivity(self, info: Info) -> Collectivity | None:
        if self._collectivity_id is None:
            return None
        row = await info.context.loaders.collectivity.load(self._collectivity_id)
        return Collectivity.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: AccountRequestRow) -> AccountRequest:
        return cls(
            id=encode_id("AccountRequest", row.id),
            customer_number=row.customer_number,
            collectivity_number=row.collectivity_number,
            name=row.name,
            email=row.email,
            language=row.language,
            status=row.status,
            created_at=row.created_at,
            decided_at=row.decided_at,
            decision_reason=row.decision_reason,
            numbers_match=row.collectivity_id is not None,
            _collectivity_id=row.collectivity_id,
        )


async def account_requests(
    info: Info,
    status: Annotated[
        AccountRequestStatus | None,
        strawberry.argument(description="Only requests of this status (default all)."),
    ] = None,
    first: Annotated[
        int | None, strawberry.argument(description="Page size, 1..100 (default 50).")
    ] = None,
    after: str | None = None,
) -> Connection[AccountRequest]:
    """Staff: account requests, oldest first (A1). FORBIDDEN for others."""
    context = info.context
    actor = context.require_actor()
    async with context.db() as db:
        page = await resolvers_account_requests.list_account_requests(
            db, actor, status=status, first=first, after=after
        )

    async def count() -> int:
        async with context.db() as db:
            return await resolvers_account_requests.count_account_requests(db, actor, status=status)

    return Connection.of(page, [AccountRequest.from_row(r) for r in page.items], count)
