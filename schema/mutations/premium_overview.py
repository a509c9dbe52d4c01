"""``exportPremiumOverview`` (D6): the premium overview of a month as an Excel file with the
columns the user picks, through a short-lived download link (G5)."""

from __future__ import annotations

import strawberry

from resolvers import premium_overview

from ..context import RequestContext
from ..errors import UserError, payload_or_user_errors
from ..ids import decode_id
from ..types.inbox import DownloadLink
from ..types.premium_overview import PremiumOverviewColumn

Info = strawberry.Info[RequestContext, None]


@strawberry.input(description="The premium overview to export (D6): one month, chosen columns.")
class ExportPremiumOverviewInput:
    collectivity_id: strawberry.ID
    month: str = strawberry.field(
        description="YYYY-MM: at most the coming month, within a contract year."
    )
    columns: list[PremiumOverviewColumn] | None = strawberry.field(
        default=None,
        description="The columns, in this order, each at most once; default: all, in the "
        "order of PremiumOverviewColumn. An empty list is VALUE_REQUIRED.",
    )


@strawberry.type
class ExportPremiumOverviewPayload:
    download: DownloadLink | None = strawberry.field(
        default=None,
        description="A link to the Excel file (.xlsx), for this user, valid 5 minutes.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def export_premium_overview(
    info: Info, input: ExportPremiumOverviewInput
) -> ExportPremiumOverviewPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> ExportPremiumOverviewPayload:
        collectivity_id = decode_id(input.collectivity_id, "Collectivity", "collectivity_id")
        columns = None if input.columns is None else [c.value for c in input.columns]
        async with context.db() as db:
            link = await premium_overview.issue_export_link(
                db,
                actor,
                collectivity_id,
                input.month,
                columns,
                links=context.rules.downloads(),
                now=context.clock.now(),
                today=context.clock.today(),
                language=context.language,
                client_address=context.client_address,
            )
        return ExportPremiumOverviewPayload(download=DownloadLink.from_link(link))

    return await payload_or_user_errors(
        context.language, make, lambda errors: ExportPremiumOverviewPayload(user_errors=errors)
    )
