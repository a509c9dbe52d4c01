"""``downloadInsuredOverview`` (C2), ``requestExtendedInsuredList`` (C3) and ``markDocumentRead``
(F1): files through short-lived links and background jobs (G5)."""

from __future__ import annotations

import strawberry

from resolvers import documents, extended_insured_list, insured_overview

from ..context import RequestContext
from ..errors import UserError, payload_or_user_errors
from ..ids import decode_id
from ..types.inbox import Document, DownloadLink, Job
from ..types.insured_search import InsuredPersonFilter, InsuredPersonOrder, InsuredPersonSearch

Info = strawberry.Info[RequestContext, None]


@strawberry.input(
    description="The overview to download: the same search, filter and order as "
    "Collectivity.insuredPersons, every row (no paging)."
)
class DownloadInsuredOverviewInput:
    collectivity_id: strawberry.ID
    search: InsuredPersonSearch | None = None
    filter: InsuredPersonFilter | None = None
    order_by: InsuredPersonOrder | None = strawberry.field(
        default=None, description="Default: by name, ascending."
    )


@strawberry.type
class DownloadInsuredOverviewPayload:
    download: DownloadLink | None = strawberry.field(
        default=None,
        description="A link to the Excel file (.xlsx), for this user, valid 5 minutes.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RequestExtendedInsuredListInput:
    collectivity_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Optional, at most 100 characters: a retried request with the same key "
        "returns the first request's job instead of queueing another.",
    )


@strawberry.type
class RequestExtendedInsuredListPayload:
    job: Job | None = strawberry.field(
        default=None,
        description="The queued job (or the collectivity's list already waiting or running).",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class MarkDocumentReadInput:
    document_id: strawberry.ID


@strawberry.type
class MarkDocumentReadPayload:
    document: Document | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def download_insured_overview(
    info: Info, input: DownloadInsuredOverviewInput
) -> DownloadInsuredOverviewPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> DownloadInsuredOverviewPayload:
        collectivity_id = decode_id(input.collectivity_id, "Collectivity", "collectivity_id")
        selection = insured_overview.OverviewSelection(
            criteria=input.filter.to_rules() if input.filter is not None else None,
            search=input.search.to_rules() if input.search is not None else None,
            order=input.order_by.to_rules() if input.order_by is not None else None,
        )
        async with context.db() as db:
            link = await insured_overview.issue_overview_link(
                db,
                actor,
                collectivity_id,
                selection,
                links=context.rules.downloads(),
                now=context.clock.now(),
                today=context.clock.today(),
                language=context.language,
                client_address=context.client_address,
            )
        return DownloadInsuredOverviewPayload(download=DownloadLink.from_link(link))

    return await payload_or_user_errors(
        context.language, make, lambda errors: DownloadInsuredOverviewPayload(user_errors=errors)
    )


async def request_extended_insured_list(
    info: Info, input: RequestExtendedInsuredListInput
) -> RequestExtendedInsuredListPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> RequestExtendedInsuredListPayload:
        collectivity_id = decode_id(input.collectivity_id, "Collectivity", "collectivity_id")
        async with context.db() as db:
            job = await extended_insured_list.request_extended_list(
                db,
                actor,
                collectivity_id,
                now=context.clock.now(),
                language=context.language,
                idempotency_key=input.idempotency_key or None,
                client_address=context.client_address,
            )
        return RequestExtendedInsuredListPayload(job=Job.from_row(job))

    return await payload_or_user_errors(
        context.language,
        make,
        lambda errors: RequestExtendedInsuredListPayload(user_errors=errors),
    )


async def mark_document_read(info: Info, input: MarkDocumentReadInput) -> MarkDocumentReadPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> MarkDocumentReadPayload:
        document_id = decode_id(input.document_id, "Document", "document_id")
        async with context.db() as db:
            row = await documents.mark_read(
                db,
                actor,
                document_id,
                now=context.clock.now(),
                client_address=context.client_address,
            )
        return MarkDocumentReadPayload(document=Document.from_row(row))

    return await payload_or_user_errors(
        context.language, make, lambda errors: MarkDocumentReadPayload(user_errors=errors)
    )
