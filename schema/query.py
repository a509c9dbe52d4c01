"""The root Query type (SPEC §12)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry

from resolvers import borderels, collectivities, users
from resolvers.errors import DomainError, ErrorCode
from resolvers.months import parse_month

from .context import RequestContext
from .ids import Node, decode_id
from .node import MAX_NODES, find_node, resolve_node
from .pagination import Connection
from .types.account_request import AccountRequest, account_requests
from .types.billing import CorrectionDifferences, ProlongationDifferences
from .types.collectivity import Collectivity
from .types.exports import Exporter, exporters
from .types.user import User

Info = strawberry.Info[RequestContext, None]


@strawberry.type(description="The logged-in user and what they act on (B1).")
class Me:
    user: User
    _home_collectivity_id: strawberry.Private[int | None]

    @strawberry.field(description="The user's own collectivity; null for insurer staff.")
    async def home_collectivity(self, info: Info) -> Collectivity | None:
        if self._home_collectivity_id is None:
            return None
        row = await info.context.loaders.collectivity.load(self._home_collectivity_id)
        return Collectivity.from_row(row) if row else None

    @strawberry.field(
        description="The collectivities in scope: the home collectivity plus linked contracts "
        "(B1); for insurer staff every collectivity (B4). Ordered by collectivity number."
    )
    async def collectivities(self, info: Info) -> list[Collectivity]:
        actor = info.context.require_actor()
        async with info.context.db() as db:
            rows = await collectivities.collectivities_in_scope_list(db, actor)
        return [Collectivity.from_row(r) for r in rows]


@strawberry.type
class Query:
    account_requests: Connection[AccountRequest] = strawberry.field(
        resolver=account_requests,
        description="Staff: requests for main-user accounts, oldest first (A1). FORBIDDEN for "
        "anyone else.",
    )

    exporters: list[Exporter] = strawberry.field(
        resolver=exporters,
        description="The payroll export formats this server offers (E1, E2), by name: built-ins "
        "and allowed plugins that loaded.",
    )

    @strawberry.field(description="The logged-in user. UNAUTHENTICATED when not logged in.")
    async def me(self, info: Info) -> Me | None:
        actor = info.context.require_actor()
        async with info.context.db() as db:
            user = await users.get_self(db, actor)
        return Me(user=User.from_row(user), _home_collectivity_id=actor.home_collectivity_id)

    @strawberry.field(description="Any object by its global id; NOT_FOUND when not visible (B3).")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info.context, id)

    @strawberry.field(
        description=f"Objects by global ids (at most {MAX_NODES}), in order; null for an id "
        "that is not visible, exactly as for one that does not exist (B3)."
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        info.context.require_actor()
        if len(ids) > MAX_NODES:
            raise DomainError(ErrorCode.TOO_MANY_IDS, field="ids", maximum=MAX_NODES)
        return list(await asyncio.gather(*(find_node(info.context, i) for i in ids)))

    @strawberry.field(description="One collectivity in scope; NOT_FOUND otherwise (B3).")
    async def collectivity(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id.")],
    ) -> Collectivity | None:
        actor = info.context.require_actor()
        key = decode_id(id, "Collectivity")
        async with info.context.db() as db:
            row = await collectivities.get_collectivity(db, actor, key)
        return Collectivity.from_row(row)

    @strawberry.field(
        description="D4: the corrections processed into a collectivity's borderel of a month, "
        "per insured and corrected month, with totals. BORDEREL_NOT_MADE when that month has no "
        "borderel; NOT_FOUND outside the scope (B3)."
    )
    async def correction_differences(
        self,
        info: Info,
        collectivity_id: strawberry.ID,
        month: Annotated[str, strawberry.argument(description='"YYYY-MM".')],
    ) -> CorrectionDifferences:
        actor = info.context.require_actor()
        key = decode_id(collectivity_id, "Collectivity", "collectivity_id")
        async with info.context.db() as db:
            result = await borderels.correction_differences(db, actor, key, parse_month(month))
        return CorrectionDifferences.of(result)

    @strawberry.field(
        description="D5: who was added, removed or changed in amount between the regular lines "
        "of two months' borderels. BORDEREL_NOT_MADE when either month has no borderel."
    )
    async def prolongation_differences(
        self,
        info: Info,
        collectivity_id: strawberry.ID,
        from_month: Annotated[str, strawberry.argument(description='"YYYY-MM".')],
        to_month: Annotated[str, strawberry.argument(description='"YYYY-MM".')],
    ) -> ProlongationDifferences:
        actor = info.context.require_actor()
        key = decode_id(collectivity_id, "Collectivity", "collectivity_id")
        first = parse_month(from_month, field="from_month")
        last = parse_month(to_month, field="to_month")
        async with info.context.db() as db:
            result = await borderels.prolongation_differences(db, actor, key, first, last)
        return ProlongationDifferences.of(result)
