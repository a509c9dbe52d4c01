"""Borderels, their lines, correction and prolongation differences, and invoices (D3–D5, D8)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers import borderels, invoicing
from resolvers.months import format_month
from storage import Borderel as BorderelRow
from storage import Invoice as InvoiceRow
from storage import enums

from ..context import RequestContext
from ..ids import Node, encode_id
from ..pagination import Connection
from ..scalars import Money
from .inbox import collectivity_of

if TYPE_CHECKING:
    from .collectivity import Collectivity

Info = strawberry.Info[RequestContext, None]
CollectivityRef = Annotated["Collectivity", strawberry.lazy("schema.types.collectivity")]

BorderelLineKind = strawberry.enum(
    enums.BorderelLineKind,
    description="REGULAR: the borderel's own month; CORRECTION: an earlier month, recalculated "
    "minus billed (D3).",
)
InvoiceStatus = strawberry.enum(enums.InvoiceStatus, description="How far an invoice is paid.")

MONTH = 'A month as "YYYY-MM".'


@strawberry.type(description="Amounts summed over lines.")
class BorderelTotals:
    line_count: int
    premium: Money
    employer_contribution: Money
    deduction: Money = strawberry.field(
        description="premium − employerContribution: what is deducted from salaries."
    )


@strawberry.type(description="One line of a borderel: an insured, a product, the month billed.")
class BorderelLine:
    kind: BorderelLineKind
    period: str = strawberry.field(description="The month this line bills, " + MONTH)
    employee_number: str | None = strawberry.field(
        description="The policyholder's employee number when the borderel was made."
    )
    initials: str
    name_prefix: str | None
    last_name: str
    policy_number: str
    product_code: str
    product_name: str
    days: int = strawberry.field(
        description="Days billed in the period (for a correction: the recalculated days)."
    )
    gross_premium: Money
    discount: Money
    premium: Money
    employer_contribution: Money
    deduction: Money
    _insured_id: strawberry.Private[int]

    @strawberry.field(description="The insured's global id (InsuredPerson).")
    def insured_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("InsuredPerson", self._insured_id))

    @classmethod
    def from_view(cls, view: borderels.LineView) -> BorderelLine:
        line = view.line
        return cls(
            kind=line.kind,
            period=format_month(line.period),
            employee_number=line.employee_number,
            initials=view.initials,
            name_prefix=view.name_prefix,
            last_name=view.last_name,
            policy_number=view.policy_number,
            product_code=view.product_code,
            product_name=view.product_name,
            days=line.days,
            gross_premium=line.gross_premium,
            discount=line.discount,
            premium=line.premium,
            employer_contribution=line.employer_contribution,
            deduction=line.deduction,
            _insured_id=line.insured_id,
        )


@strawberry.type(
    description="The premium statement of a collectivity for one prolongation month (D3). "
    "Immutable once made."
)
class Borderel(Node):
    month: str = strawberry.field(description=MONTH)
    created_at: dt.datetime
    totals: BorderelTotals
    _row: strawberry.Private[BorderelRow]

    @classmethod
    def from_row(cls, row: BorderelRow) -> Borderel:
        return cls(
            id=encode_id("Borderel", row.id),
            month=format_month(row.month),
            created_at=row.created_at,
            totals=BorderelTotals(
                line_count=row.line_count,
                premium=row.total_premium,
                employer_contribution=row.total_employer_contribution,
                deduction=row.total_deduction,
            ),
            _row=row,
        )

    @strawberry.field(description="The lines, family by family, regular lines before corrections.")
    async def lines(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Page size, 1..100 (default 50).")
        ] = None,
        after: str | None = None,
    ) -> Connection[BorderelLine]:
        context = info.context
        actor = context.require_actor()
        async with context.db() as db:
            page = await borderels.list_lines(db, actor, self._row.id, first=first, after=after)
        count = self._row.line_count

        async def total() -> int:
            return count

        return Connection.of(page, [BorderelLine.from_view(v) for v in page.items], total)

    @strawberry.field
    async def collectivity(self, info: Info) -> CollectivityRef:
        return await collectivity_of(info, self._row.collectivity_id)


@strawberry.type(description="An invoice for a borderel (D8): salary deduction with acceptgiro.")
class Invoice(Node):
    invoice_number: str
    issue_date: dt.date
    due_date: dt.date
    amount: Money = strawberry.field(description="The borderel's total premium.")
    paid_amount: Money
    status: InvoiceStatus
    _row: strawberry.Private[InvoiceRow]

    @classmethod
    def from_row(cls, row: InvoiceRow) -> Invoice:
        return cls(
            id=encode_id("Invoice", row.id),
            invoice_number=row.invoice_number,
            issue_date=row.issue_date,
            due_date=row.due_date,
            amount=row.amount,
            paid_amount=row.paid_amount,
            status=row.status,
            _row=row,
        )

    @strawberry.field(description="What is still to be paid.")
    def balance(self) -> Money:
        return Money(invoicing.balance(self._row))

    @strawberry.field(description="Unpaid after its due date (reminders follow, D8).")
    def overdue(self, info: Info) -> bool:
        return (
            self._row.status is not enums.InvoiceStatus.PAID
            and self._row.due_date < info.context.clock.today()
        )

    @strawberry.field(description="The borderel invoiced.")
    async def borderel(self, info: Info) -> Borderel | None:
        async with info.context.db() as db:
            (row,) = await borderels.borderels_by_ids(
                db, info.context.require_actor(), [self._row.borderel_id]
            )
        return Borderel.from_row(row) if row else None


@strawberry.type(description="Whose amounts a difference concerns.")
class DifferencePerson:
    initials: str
    name_prefix: str | None
    last_name: str
    policy_number: str
    employee_number: str | None
    _insured_id: strawberry.Private[int]

    @strawberry.field(description="The insured's global id (InsuredPerson).")
    def insured_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("InsuredPerson", self._insured_id))

    @classmethod
    def of(cls, person: borderels.Person) -> DifferencePerson:
        return cls(
            initials=person.initials,
            name_prefix=person.name_prefix,
            last_name=person.last_name,
            policy_number=person.policy_number,
            employee_number=person.employee_number,
            _insured_id=person.insured_id,
        )


@strawberry.type(description="The corrections of one insured for one earlier month (D4).")
class CorrectionDifference:
    person: DifferencePerson
    period: str = strawberry.field(description="The corrected month, " + MONTH)
    premium: Money
    employer_contribution: Money
    deduction: Money


@strawberry.type(
    description="D4: the corrections processed into the borderel of a month (for earlier "
    "months), per insured and corrected month, with totals."
)
class CorrectionDifferences:
    month: str
    rows: list[CorrectionDifference]
    premium: Money
    employer_contribution: Money
    deduction: Money

    @classmethod
    def of(cls, result: borderels.CorrectionDifferences) -> CorrectionDifferences:
        return cls(
            month=format_month(result.month),
            rows=[
                CorrectionDifference(
                    person=DifferencePerson.of(r.person),
                    period=format_month(r.period),
                    premium=r.premium,
                    employer_contribution=r.employer_contribution,
                    deduction=r.deduction,
                )
                for r in result.rows
            ],
            premium=result.premium,
            employer_contribution=result.employer_contribution,
            deduction=result.deduction,
        )


@strawberry.enum(description="How an insured's regular premium differs between two months (D5).")
class ProlongationChange(enum.Enum):
    ADDED = "ADDED"
    REMOVED = "REMOVED"
    CHANGED = "CHANGED"


@strawberry.type
class ProlongationDifference:
    person: DifferencePerson
    change: ProlongationChange
    old_premium: Money | None = strawberry.field(description="Null when ADDED.")
    new_premium: Money | None = strawberry.field(description="Null when REMOVED.")
    difference: Money = strawberry.field(description="new − old (a missing side counts as 0).")


@strawberry.type(
    description="D5: the regular lines of two months' borderels compared per insured: who was "
    "added, removed or changed in amount."
)
class ProlongationDifferences:
    from_month: str
    to_month: str
    rows: list[ProlongationDifference]
    old_total: Money = strawberry.field(description="Regular premium of fromMonth.")
    new_total: Money = strawberry.field(description="Regular premium of toMonth.")

    @classmethod
    def of(cls, result: borderels.ProlongationDifferences) -> ProlongationDifferences:
        return cls(
            from_month=format_month(result.from_month),
            to_month=format_month(result.to_month),
            rows=[
                ProlongationDifference(
                    person=DifferencePerson.of(r.person),
                    change=ProlongationChange(r.change),
                    old_premium=r.old_premium,
                    new_premium=r.new_premium,
                    difference=Money(r.difference),
                )
                for r in result.rows
            ],
            old_total=result.old_total,
            new_total=result.new_total,
        )


async def collectivity_borderels(
    root: Any,
    info: Info,
    first: Annotated[
        int | None, strawberry.argument(description="Page size, 1..100 (default 50).")
    ] = None,
    after: str | None = None,
) -> Connection[Borderel]:
    context = info.context
    actor = context.require_actor()
    async with context.db() as db:
        page = await borderels.list_borderels(db, actor, root._key, first=first, after=after)

    async def count() -> int:
        async with context.db() as db:
            return await borderels.count_borderels(db, actor, root._key)

    return Connection.of(page, [Borderel.from_row(r) for r in page.items], count)


async def collectivity_invoices(root: Any, info: Info) -> list[Invoice]:
    async with info.context.db() as db:
        rows = await invoicing.invoices_of(db, info.context.require_actor(), root._key)
    return [Invoice.from_row(r) for r in rows]


async def borderel_node(context: RequestContext, key: int) -> Node | None:
    async with context.db() as db:
        (row,) = await borderels.borderels_by_ids(db, context.require_actor(), [key])
    return Borderel.from_row(row) if row else None


async def invoice_node(context: RequestContext, key: int) -> Node | None:
    async with context.db() as db:
        rows = await invoicing.invoices_by_ids(db, context.require_actor(), [key])
    return Invoice.from_row(rows[0]) if rows[0] else None
