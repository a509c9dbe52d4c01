"""Domain errors: every expected business failure carries a stable, language-neutral code (G2, G6).

Resolvers raise these; the GraphQL layer turns them into ``userErrors`` (in mutation payloads) or
into top-level errors with ``extensions.code`` (in queries), and picks the message from its catalogue.
"""

from __future__ import annotations

import enum
from typing import Any


class ErrorCode(enum.StrEnum):
    # Top-level (G2): unauthenticated, forbidden, not found, bad input to a query.
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID_CURSOR = "INVALID_CURSOR"
    PAGE_SIZE_OUT_OF_RANGE = "PAGE_SIZE_OUT_OF_RANGE"
    TOO_MANY_IDS = "TOO_MANY_IDS"
    # Search and filters of the insured overview (C1).
    INVALID_FILTER = "INVALID_FILTER"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    BSN_INVALID = "BSN_INVALID"
    # Login and sessions (A2, A4, A8).
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    # Input that is missing or too long (any mutation).
    VALUE_REQUIRED = "VALUE_REQUIRED"
    VALUE_TOO_LONG = "VALUE_TOO_LONG"
    # E-mail addresses of accounts (A1, A2).
    EMAIL_INVALID = "EMAIL_INVALID"
    EMAIL_FREE_MAIL_DOMAIN = "EMAIL_FREE_MAIL_DOMAIN"
    EMAIL_NOT_PERSONAL = "EMAIL_NOT_PERSONAL"
    EMAIL_IN_USE = "EMAIL_IN_USE"
    # Account requests (A1).
    ACCOUNT_REQUEST_DECIDED = "ACCOUNT_REQUEST_DECIDED"
    COLLECTIVITY_MISMATCH = "COLLECTIVITY_MISMATCH"
    MAIN_USER_EXISTS = "MAIN_USER_EXISTS"
    # Passwords and single-use tokens (A1, A3, A5, A7).
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT"  # noqa: S105 - an error code, not a password
    PASSWORD_TOO_LONG = "PASSWORD_TOO_LONG"  # noqa: S105
    PASSWORD_TOO_COMMON = "PASSWORD_TOO_COMMON"  # noqa: S105
    PASSWORD_CONTAINS_EMAIL = "PASSWORD_CONTAINS_EMAIL"  # noqa: S105
    CURRENT_PASSWORD_INCORRECT = "CURRENT_PASSWORD_INCORRECT"  # noqa: S105
    TOKEN_INVALID = "TOKEN_INVALID"  # noqa: S105
    # Throttling (A4).
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    # Two-factor authentication (A6).
    INVALID_TWO_FACTOR_CODE = "INVALID_TWO_FACTOR_CODE"
    TWO_FACTOR_CODE_REQUIRED = "TWO_FACTOR_CODE_REQUIRED"
    TWO_FACTOR_NOT_STARTED = "TWO_FACTOR_NOT_STARTED"
    TWO_FACTOR_CHALLENGE_INVALID = "TWO_FACTOR_CHALLENGE_INVALID"
    TWO_FACTOR_REGISTRATION_REQUIRED = "TWO_FACTOR_REGISTRATION_REQUIRED"
    # Colleagues (A7).
    CANNOT_DEACTIVATE_SELF = "CANNOT_DEACTIVATE_SELF"
    CANNOT_DEACTIVATE_MAIN_USER = "CANNOT_DEACTIVATE_MAIN_USER"
    USER_ALREADY_DEACTIVATED = "USER_ALREADY_DEACTIVATED"
    LANGUAGE_NOT_SUPPORTED = "LANGUAGE_NOT_SUPPORTED"
    # Linked contracts (B2).
    LINK_TARGET_NOT_FOUND = "LINK_TARGET_NOT_FOUND"
    CANNOT_LINK_TO_SELF = "CANNOT_LINK_TO_SELF"
    ALREADY_LINKED = "ALREADY_LINKED"
    LINK_NOT_PENDING = "LINK_NOT_PENDING"
    # Background jobs and downloads (C2, C3, F2, G5).
    JOB_FAILED = "JOB_FAILED"
    LINK_EXPIRED = "LINK_EXPIRED"
    # Insured persons: details and mutations (C4–C8).
    DETAILS_NEED_SALARY_DEDUCTION = "DETAILS_NEED_SALARY_DEDUCTION"
    CONCURRENT_CHANGE = "CONCURRENT_CHANGE"
    END_DATE_BEFORE_START = "END_DATE_BEFORE_START"
    END_DATE_OUT_OF_RANGE = "END_DATE_OUT_OF_RANGE"
    ALREADY_DEREGISTERED = "ALREADY_DEREGISTERED"
    MEMBERSHIP_ENDED = "MEMBERSHIP_ENDED"
    EMPLOYEE_NUMBER_NOT_TODAY = "EMPLOYEE_NUMBER_NOT_TODAY"
    EMPLOYEE_NUMBER_ONLY_FOR_POLICYHOLDER = "EMPLOYEE_NUMBER_ONLY_FOR_POLICYHOLDER"
    EMPLOYEE_NUMBER_INVALID = "EMPLOYEE_NUMBER_INVALID"
    EMPLOYEE_NUMBER_UNCHANGED = "EMPLOYEE_NUMBER_UNCHANGED"
    EMPLOYEE_NUMBER_TAKEN = "EMPLOYEE_NUMBER_TAKEN"
    MOVE_NEEDS_SALARY_DEDUCTION = "MOVE_NEEDS_SALARY_DEDUCTION"
    MOVE_TO_SAME_COLLECTIVITY = "MOVE_TO_SAME_COLLECTIVITY"
    EFFECTIVE_DATE_OUT_OF_RANGE = "EFFECTIVE_DATE_OUT_OF_RANGE"
    EFFECTIVE_DATE_BEFORE_START = "EFFECTIVE_DATE_BEFORE_START"
    ALREADY_IN_COLLECTIVITY = "ALREADY_IN_COLLECTIVITY"
    # Premiums, borderels and invoices (D1–D8).
    INVALID_MONTH = "INVALID_MONTH"
    MONTH_OUT_OF_RANGE = "MONTH_OUT_OF_RANGE"
    MONTH_BEFORE_CONTRACT = "MONTH_BEFORE_CONTRACT"
    MONTH_WITHOUT_CONTRACT = "MONTH_WITHOUT_CONTRACT"
    BORDEREL_NEEDS_SALARY_DEDUCTION = "BORDEREL_NEEDS_SALARY_DEDUCTION"
    TARIFF_MISSING = "TARIFF_MISSING"
    BORDEREL_NOT_MADE = "BORDEREL_NOT_MADE"
    PAYMENT_NOT_POSITIVE = "PAYMENT_NOT_POSITIVE"
    PAYMENT_EXCEEDS_BALANCE = "PAYMENT_EXCEEDS_BALANCE"
    PAYMENT_DATE_IN_FUTURE = "PAYMENT_DATE_IN_FUTURE"
    INVALID_COLUMN = "INVALID_COLUMN"
    # Payroll exports (E1–E3).
    EXPORTER_UNKNOWN = "EXPORTER_UNKNOWN"
    EXPORT_OPTIONS_INVALID = "EXPORT_OPTIONS_INVALID"
    EXPORT_FAILED = "EXPORT_FAILED"
    EMPLOYEE_NUMBER_MISSING = "EMPLOYEE_NUMBER_MISSING"
    EXPORT_PROBLEM = "EXPORT_PROBLEM"


class DomainError(Exception):
    """An expected failure: ``code`` for programs, ``field`` for forms, ``params`` for the message."""

    def __init__(self, code: ErrorCode, *, field: str | None = None, **params: Any) -> None:
        super().__init__(code.value)
        self.code = code
        self.field = field
        self.params = params

    def __repr__(self) -> str:
        return f"DomainError({self.code.value}, field={self.field!r})"


class NotFound(DomainError):
    """Raised for ids that do not exist *and* for ids outside the actor's scope (B3)."""

    def __init__(self, field: str | None = None) -> None:
        super().__init__(ErrorCode.NOT_FOUND, field=field)
