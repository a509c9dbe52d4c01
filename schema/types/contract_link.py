"""A linked contract (B1, B2)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers.contract_links import LinkDirection, LinkView

from ..context import RequestContext
from ..ids import Node, encode_id
from .enums import ContractLinkStatus
from .user_summary import UserSummary

if TYPE_CHECKING:
    from .collectivity import Collectivity

ContractLinkDirection = strawberry.enum(
    LinkDirection,
    description="OUTGOING: this collectivity's users see the linked collectivity; INCOMING: the "
    "linked collectivity's users see this one.",
)


@strawberry.type(
    description="A link between two collectivities (Koppelen contracten, B2), seen from one of "
    "them: in `linkedContracts` from that collectivity, elsewhere from the caller's home "
    "collectivity."
)
class ContractLink(Node):
    direction: ContractLinkDirection
    status: ContractLinkStatus
    linked_collectivity_number: str = strawberry.field(
        description="The collectivity number at the other end of the link."
    )
    linked_collectivity_name: str
    requested_by: UserSummary | None = strawberry.field(
        description="Who asked for the link (null when that account no longer exists)."
    )
    requested_at: dt.datetime
    approved_by: UserSummary | None = strawberry.field(
        description="The linked collectivity's main user who approved; null while PENDING and "
        "for links within one customer, which need no approval."
    )
    approved_at: dt.datetime | None = strawberry.field(
        description="When the link became ACTIVE (for a link within one customer: when it was "
        "made); null while PENDING."
    )
    _other_collectivity_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: LinkView) -> ContractLink:
        return cls(
            id=encode_id("ContractLink", row.id),
            direction=row.direction,
            status=row.status,
            linked_collectivity_number=row.other_collectivity_number,
            linked_collectivity_name=row.other_collectivity_name,
            requested_by=UserSummary.from_row(row.requested_by),
            requested_at=row.requested_at,
            approved_by=UserSummary.from_row(row.approved_by),
            approved_at=row.approved_at,
            _other_collectivity_id=row.other_collectivity_id,
        )

    @strawberry.field(
        description="The collectivity at the other end, when it is in the caller's scope "
        "(an ACTIVE outgoing link; always for staff); otherwise null."
    )
    async def linked_collectivity(
        self, info: strawberry.Info[RequestContext, None]
    ) -> Annotated[Collectivity, strawberry.lazy("schema.types.collectivity")] | None:
        from .collectivity import Collectivity

        row = await info.context.loaders.collectivity.load(self._other_collectivity_id)
        return Collectivity.from_row(row) if row else None
