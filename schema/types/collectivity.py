"""Customer, Collectivity and Contract types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from resolvers import collectivities
from storage import Collectivity as CollectivityRow
from storage import Contract as ContractRow
from storage import Customer as CustomerRow

from ..context import RequestContext
from ..ids import Node, encode_id
from ..scalars import Money, Percentage
from . import collectivity_admin, insured_details, insured_search, premium_overview
from .billing import collectivity_borderels, collectivity_invoices
from .enums import EmployerContributionKind, PaymentMethod, PremiumCollection
from .exports import collectivity_exporter_choice
from .inbox import collectivity_documents, collectivity_jobs


@strawberry.type(description="The employer organisation (klant).")
class Customer(Node):
    customer_number: str
    name: str

    @classmethod
    def from_row(cls, row: CustomerRow) -> Customer:
        return cls(
            id=encode_id("Customer", row.id), customer_number=row.customer_number, name=row.name
        )


@strawberry.type(description="The employer's contribution to the premium (D1).")
class EmployerContribution:
    kind: EmployerContributionKind
    amount: Money | None = strawberry.field(description="FIXED: per policyholder per month.")
    percentage: Percentage | None = strawberry.field(description="PERCENTAGE: of the premium.")


@strawberry.type(description="The terms of a collectivity for one calendar year.")
class Contract:
    year: int
    start_date: dt.date
    end_date: dt.date
    premium_collection: PremiumCollection
    payment_method: PaymentMethod | None = strawberry.field(
        description="Set only with salary deduction: how the employer pays the insurer."
    )
    discount_percentage: Percentage = strawberry.field(
        description="Contract discount on supplementary and dental products (D1)."
    )
    employer_contribution: EmployerContribution

    @classmethod
    def from_row(cls, row: ContractRow) -> Contract:
        return cls(
            year=row.year,
            start_date=row.start_date,
            end_date=row.end_date,
            premium_collection=row.premium_collection,
            payment_method=row.payment_method,
            discount_percentage=Decimal(row.discount_percentage),
            employer_contribution=EmployerContribution(
                kind=row.employer_contribution_kind,
                amount=row.employer_contribution_amount,
                percentage=row.employer_contribution_percentage,
            ),
        )


@strawberry.type(description="A group contract of one customer (collectiviteit).")
class Collectivity(Node):
    collectivity_number: str
    name: str
    _key: strawberry.Private[int]
    _customer_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: CollectivityRow) -> Collectivity:
        return cls(
            id=encode_id("Collectivity", row.id),
            _key=row.id,
            collectivity_number=row.collectivity_number,
            name=row.name,
            _customer_id=row.customer_id,
        )

    users = strawberry.field(
        resolver=collectivity_admin.users,
        description="Every user of this collectivity with status, 2FA and last login (A7). For "
        "its own users (colleagues read-only) and staff; FORBIDDEN for users of a linked one.",
    )
    linked_contracts = strawberry.field(
        resolver=collectivity_admin.linked_contracts,
        description="Links to and from this collectivity, pending and active (B2). For its own "
        "users and staff; FORBIDDEN for users of a linked one.",
    )
    audit_events = strawberry.field(
        resolver=collectivity_admin.audit_events,
        description="The audit trail of this collectivity, newest first (A9). For its main user "
        "and staff; FORBIDDEN for colleagues and users of a linked one.",
    )
    documents = strawberry.field(
        resolver=collectivity_documents,
        description="The inbox (F1): complete documents only (F2), newest first, with "
        "read/unread; totalCount with unreadOnly is the number of unread documents.",
    )
    borderels = strawberry.field(
        resolver=collectivity_borderels,
        description="The borderels (D3), newest month first. Only collectivities with salary "
        "deduction have them.",
    )
    invoices = strawberry.field(
        resolver=collectivity_invoices,
        description="Invoices with status and balance, newest month first (D8). Only with "
        "salary deduction and acceptgiro.",
    )
    exporter_choice = strawberry.field(
        resolver=collectivity_exporter_choice,
        description="The exporter and options this collectivity used for its last export (E), "
        "the defaults of exportBorderel; null before the first.",
    )
    jobs = strawberry.field(
        resolver=collectivity_jobs,
        description="Background jobs for this collectivity (C3), newest first.",
    )
    insured_person_details = strawberry.field(
        resolver=insured_details.insured_person_details,
        description="One insured of this collectivity in full: policy, coverage, family, "
        "membership and mutation history (C4). Only with salary deduction in the contract in "
        "force today (else DETAILS_NEED_SALARY_DEDUCTION); NOT_FOUND for anyone never a member "
        "here (B3). A staff read is audited (B4).",
    )
    mutations = strawberry.field(
        resolver=insured_details.mutations,
        description="The history of changes to this collectivity's memberships (C5-C8), newest "
        "registration first, with effective date and registration time.",
    )

    @strawberry.field
    async def customer(self, info: strawberry.Info[RequestContext, None]) -> Customer:
        row = await info.context.loaders.customer.load(self._customer_id)
        assert row is not None  # the collectivity is in scope, so is its customer
        return Customer.from_row(row)

    @strawberry.field(description="The contract in force today (or the nearest year).")
    async def contract(self, info: strawberry.Info[RequestContext, None]) -> Contract | None:
        rows = await info.context.loaders.contracts.load(self._key)
        current = collectivities.contract_on(rows, info.context.clock.today())
        return Contract.from_row(current) if current else None

    @strawberry.field(description="Every contract year, oldest first.")
    async def contracts(self, info: strawberry.Info[RequestContext, None]) -> list[Contract]:
        rows = await info.context.loaders.contracts.load(self._key)
        return [Contract.from_row(r) for r in rows]

    insured_persons = strawberry.field(
        resolver=insured_search.insured_persons,
        description="The insured of this collectivity with the limited fields of C1: searched, "
        "filtered and sorted on every column (default: by name), page by page.",
    )
    premium_overview = strawberry.field(
        resolver=premium_overview.premium_overview,
        description="Every insured with a membership here in the month and their premium for "
        "it (D6), by name, page by page: the amounts of the month's regular borderel lines. For "
        "every collectivity in scope; employer contribution and deduction only with salary "
        "deduction. A staff read is audited (B4).",
    )
