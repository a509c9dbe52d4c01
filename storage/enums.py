"""Closed sets of values used in the domain model (SPEC §3)."""

from __future__ import annotations

import enum


class PremiumCollection(enum.StrEnum):
    SALARY_DEDUCTION = "SALARY_DEDUCTION"
    INDIVIDUAL = "INDIVIDUAL"


class PaymentMethod(enum.StrEnum):
    ACCEPTGIRO = "ACCEPTGIRO"
    DIRECT_DEBIT = "DIRECT_DEBIT"


class EmployerContributionKind(enum.StrEnum):
    NONE = "NONE"
    FIXED = "FIXED"
    PERCENTAGE = "PERCENTAGE"


class ProductKind(enum.StrEnum):
    BASIC = "BASIC"
    SUPPLEMENTARY = "SUPPLEMENTARY"
    DENTAL = "DENTAL"


class UserRole(enum.StrEnum):
    MAIN = "MAIN"
    COLLEAGUE = "COLLEAGUE"
    STAFF = "STAFF"


class UserStatus(enum.StrEnum):
    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    DEACTIVATED = "DEACTIVATED"


class TokenPurpose(enum.StrEnum):
    ACTIVATION = "ACTIVATION"
    INVITATION = "INVITATION"
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - a token purpose, not a password
    TWO_FACTOR_CHALLENGE = "TWO_FACTOR_CHALLENGE"


class AccountRequestStatus(enum.StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ContractLinkStatus(enum.StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"


class ThrottleScope(enum.StrEnum):
    ACCOUNT = "ACCOUNT"
    ADDRESS = "ADDRESS"


class Gender(enum.StrEnum):
    FEMALE = "FEMALE"
    MALE = "MALE"
    OTHER = "OTHER"


class Relation(enum.StrEnum):
    POLICYHOLDER = "POLICYHOLDER"
    PARTNER = "PARTNER"
    CHILD = "CHILD"


class MutationKind(enum.StrEnum):
    ENROLL = "ENROLL"
    DEREGISTER = "DEREGISTER"
    EMPLOYEE_NUMBER = "EMPLOYEE_NUMBER"
    MOVE = "MOVE"
    PERSONAL_DATA = "PERSONAL_DATA"
    COVERAGE = "COVERAGE"


class BorderelLineKind(enum.StrEnum):
    REGULAR = "REGULAR"
    CORRECTION = "CORRECTION"


class InvoiceStatus(enum.StrEnum):
    OPEN = "OPEN"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"


class DunningKind(enum.StrEnum):
    REMINDER = "REMINDER"
    DEMAND = "DEMAND"


class DocumentKind(enum.StrEnum):
    EXTENDED_INSURED_LIST = "EXTENDED_INSURED_LIST"
    BORDEREL = "BORDEREL"
    INVOICE = "INVOICE"
    REMINDER = "REMINDER"
    DEMAND = "DEMAND"
    EXPORT = "EXPORT"


class JobStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class AuditOutcome(enum.StrEnum):
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    DENIED = "DENIED"
