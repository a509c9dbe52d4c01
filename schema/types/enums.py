"""GraphQL enums, taken from the domain so that the values cannot drift apart."""

from __future__ import annotations

import strawberry

from resolvers.insured_listing import MembershipStatus as _MembershipStatus
from storage import enums

PremiumCollection = strawberry.enum(
    enums.PremiumCollection, description="Whether the employer collects the premium via payroll."
)
PaymentMethod = strawberry.enum(enums.PaymentMethod, description="How the employer pays.")
EmployerContributionKind = strawberry.enum(
    enums.EmployerContributionKind, description="How the employer contributes to the premium."
)
Relation = strawberry.enum(enums.Relation, description="The insured's place on the policy.")
UserRole = strawberry.enum(enums.UserRole)
UserStatus = strawberry.enum(enums.UserStatus, description="Where a portal account stands (A7).")
ContractLinkStatus = strawberry.enum(
    enums.ContractLinkStatus,
    description="PENDING: awaiting the linked collectivity's main user, gives no access; "
    "ACTIVE: in scope (B2).",
)
AuditOutcome = strawberry.enum(enums.AuditOutcome, description="How an audited event ended (A9).")
MembershipStatus = strawberry.enum(
    _MembershipStatus, description="ACTIVE today, FUTURE (starts later) or ENDED (C1)."
)
MutationKind = strawberry.enum(
    enums.MutationKind, description="What a recorded change to an insured's membership did (C8)."
)
ProductKind = strawberry.enum(enums.ProductKind, description="Basic, supplementary or dental (D1).")
Gender = strawberry.enum(enums.Gender)
