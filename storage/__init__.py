"""Persistence: typed SQLAlchemy models, the engine/session factory and Alembic migrations.

Imports nothing from the other collectief packages.
"""

from .accounts import AccountRequest, AuthSession, LoginThrottle, TotpDevice, User, UserToken
from .audit import AuditEvent
from .base import Base, utcnow
from .billing import Borderel, BorderelLine, DunningNotice, Invoice, Payment
from .documents import Document
from .engine import create_engine, create_session_factory, sqlite_url
from .exporter_choices import ExporterChoice
from .insured import Coverage, Enrollment, InsuredPerson, Mutation, Policy
from .jobs import Job
from .mail import OutgoingMail
from .organisations import Collectivity, Contract, ContractLink, Customer
from .products import Product, Tariff

__all__ = [
    "AccountRequest",
    "AuditEvent",
    "AuthSession",
    "Base",
    "Borderel",
    "BorderelLine",
    "Collectivity",
    "Contract",
    "ContractLink",
    "Coverage",
    "Customer",
    "Document",
    "DunningNotice",
    "Enrollment",
    "ExporterChoice",
    "InsuredPerson",
    "Invoice",
    "Job",
    "LoginThrottle",
    "Mutation",
    "OutgoingMail",
    "Payment",
    "Policy",
    "Product",
    "Tariff",
    "TotpDevice",
    "User",
    "UserToken",
    "create_engine",
    "create_session_factory",
    "sqlite_url",
    "utcnow",
]
