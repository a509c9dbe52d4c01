"""``runProlongation`` (D3), ``registerPayment`` (D8) and ``downloadBorderel`` (D7)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from resolvers import borderel_files, borderels, invoicing
from resolvers.errors import DomainError, ErrorCode
from resolvers.months import parse_month
from resolvers.permissions import require_staff
from resolvers.prolongation_runs import prolong_as

from ..context import RequestContext
from ..errors import UserError, payload_or_user_errors
from ..ids import decode_id, encode_id
from ..scalars import Money
from ..types.billing import Borderel, Invoice
from ..types.inbox import DownloadLink

Info = strawberry.Info[RequestContext, None]
MAX_COLLECTIVITIES = 100


@strawberry.input
class RunProlongationInput:
    month: str = strawberry.field(
        description='The prolongation month, "YYYY-MM": at the latest the coming month.'
    )
    collectivity_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Only these collectivities (checked first: a bad one makes nothing). "
        "Default: every collectivity with salary deduction in that month.",
    )


@strawberry.type(description="What the run did for one collectivity.")
class ProlongationResult:
    collectivity_id: strawberry.ID
    made: bool = strawberry.field(
        description="True: made now; false: it existed already (a rerun changes nothing) or see "
        "errorCode."
    )
    borderel: Borderel | None
    error_code: ErrorCode | None = strawberry.field(
        description="Why no borderel could be made (e.g. TARIFF_MISSING)."
    )


@strawberry.type
class RunProlongationPayload:
    results: list[ProlongationResult] | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def run_prolongation(info: Info, input: RunProlongationInput) -> RunProlongationPayload:
    context = info.context
    actor = context.require_actor()
    require_staff(actor)  # before the input is read: employers learn nothing from it

    async def make() -> RunProlongationPayload:
        month = parse_month(input.month)
        ids = None
        if input.collectivity_ids is not None:
            if len(input.collectivity_ids) > MAX_COLLECTIVITIES:
                raise DomainError(
                    ErrorCode.TOO_MANY_IDS, field="collectivity_ids", maximum=MAX_COLLECTIVITIES
                )
            ids = [decode_id(i, "Collectivity", "collectivity_ids") for i in input.collectivity_ids]
        outcomes = await prolong_as(
            context.sessionmaker,
            actor,
            month,
            now=context.clock.now(),
            today=context.clock.today(),
            billing=context.rules.billing,
            collectivity_ids=ids,
        )
        async with context.db() as db:
            found = await borderels.borderels_by_ids(
                db, actor, [o.borderel_id for o in outcomes if o.borderel_id is not None]
            )
            rows = {b.id: b for b in found if b is not None}
        return RunProlongationPayload(
            results=[
                ProlongationResult(
                    collectivity_id=strawberry.ID(encode_id("Collectivity", o.collectivity_id)),
                    made=o.made,
                    borderel=Borderel.from_row(rows[o.borderel_id])
                    if o.borderel_id in rows
                    else None,
                    error_code=o.error,
                )
                for o in outcomes
            ]
        )

    return await payload_or_user_errors(
        context.language, make, lambda errors: RunProlongationPayload(user_errors=errors)
    )


@strawberry.input
class RegisterPaymentInput:
    invoice_id: strawberry.ID
    amount: Money = strawberry.field(description="More than 0, at most the balance.")
    paid_on: dt.date = strawberry.field(description="The day it was paid; not in the future.")


@strawberry.type
class RegisterPaymentPayload:
    invoice: Invoice | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def register_payment(info: Info, input: RegisterPaymentInput) -> RegisterPaymentPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> RegisterPaymentPayload:
        invoice_id = decode_id(input.invoice_id, "Invoice", "invoice_id")
        async with context.db() as db:
            row = await invoicing.register_payment(
                db,
                actor,
                invoice_id,
                amount=Decimal(input.amount),
                paid_on=input.paid_on,
                now=context.clock.now(),
                today=context.clock.today(),
                client_address=context.client_address,
            )
        return RegisterPaymentPayload(invoice=Invoice.from_row(row))

    return await payload_or_user_errors(
        context.language, make, lambda errors: RegisterPaymentPayload(user_errors=errors)
    )


@strawberry.input
class DownloadBorderelInput:
    borderel_id: strawberry.ID


@strawberry.type
class DownloadBorderelPayload:
    download: DownloadLink | None = strawberry.field(
        default=None,
        description="A link to the .dat file (docs/formats/borderel-dat.md), valid 5 minutes. "
        "The prolongation run put the same file in the inbox.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def download_borderel(info: Info, input: DownloadBorderelInput) -> DownloadBorderelPayload:
    context = info.context
    actor = context.require_actor()

    async def make() -> DownloadBorderelPayload:
        borderel_id = decode_id(input.borderel_id, "Borderel", "borderel_id")
        async with context.db() as db:
            link = await borderel_files.download_borderel(
                db,
                actor,
                borderel_id,
                links=context.rules.downloads(),
                now=context.clock.now(),
                language=context.language,
                client_address=context.client_address,
            )
        return DownloadBorderelPayload(download=DownloadLink.from_link(link))

    return await payload_or_user_errors(
        context.language, make, lambda errors: DownloadBorderelPayload(user_errors=errors)
    )
