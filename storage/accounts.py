"""Portal accounts and everything that authenticates them (A1–A8)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamped, enum_column
from .enums import AccountRequestStatus, ThrottleScope, TokenPurpose, UserRole, UserStatus
from .organisations import Collectivity


class User(Timestamped, Base):
    """A portal user. The e-mail is the username, compared case-insensitively (A2)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    # Lower-cased e-mail: the unique login key (A2).
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = enum_column(UserRole)
    status: Mapped[UserStatus] = enum_column(UserStatus)
    home_collectivity_id: Mapped[int | None] = mapped_column(
        ForeignKey("collectivities.id", ondelete="RESTRICT"), index=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2), default="nl")
    last_login_at: Mapped[dt.datetime | None]
    password_changed_at: Mapped[dt.datetime | None]
    deactivated_at: Mapped[dt.datetime | None]

    home_collectivity: Mapped[Collectivity | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "(role = 'STAFF' AND home_collectivity_id IS NULL) OR "
            "(role <> 'STAFF' AND home_collectivity_id IS NOT NULL)",
            name="home_collectivity_by_role",
        ),
        CheckConstraint(
            "status <> 'ACTIVE' OR password_hash IS NOT NULL", name="active_has_password"
        ),
        CheckConstraint("language IN ('nl', 'en')", name="language_known"),
    )


class AuthSession(Base):
    """A login session (A8). Only a SHA-256 hash of the random token is stored."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    client_address: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()

    __table_args__ = (CheckConstraint("expires_at > created_at", name="expires_after_creation"),)


class UserToken(Base):
    """A single-use token mailed or handed to a user: activation, invitation, reset, 2FA challenge."""

    __tablename__ = "user_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = enum_column(TokenPurpose)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]

    __table_args__ = (CheckConstraint("expires_at > created_at", name="expires_after_creation"),)


class TotpDevice(Base):
    """A user's authenticator app (A6). The secret is encrypted with the key from settings.

    A user has at most one confirmed device (the one login asks a code of) and at most one being
    registered: a new phone is registered beside the old one, which keeps working until the new
    one is confirmed.
    """

    __tablename__ = "totp_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary(512))
    created_at: Mapped[dt.datetime]
    confirmed_at: Mapped[dt.datetime | None]
    # The last accepted TOTP time step: a code is accepted once (A6).
    last_used_step: Mapped[int | None]

    __table_args__ = (
        Index("ix_totp_devices_user", "user_id"),
        Index(
            "uq_totp_devices_one_confirmed",
            "user_id",
            unique=True,
            sqlite_where=text("confirmed_at IS NOT NULL"),
            postgresql_where=text("confirmed_at IS NOT NULL"),
        ),
        Index(
            "uq_totp_devices_one_pending",
            "user_id",
            unique=True,
            sqlite_where=text("confirmed_at IS NULL"),
            postgresql_where=text("confirmed_at IS NULL"),
        ),
    )


class AccountRequest(Timestamped, Base):
    """An employer's request for a main-user account (A1)."""

    __tablename__ = "account_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(20))
    collectivity_number: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    # Lower-cased e-mail: at most one PENDING request per address (A1, A2).
    email_key: Mapped[str] = mapped_column(String(254))
    # The language of the mails about the request and of the account it leads to.
    language: Mapped[str] = mapped_column(String(2), default="nl")
    status: Mapped[AccountRequestStatus] = enum_column(AccountRequestStatus)
    # The collectivity the customer and collectivity numbers matched when the request came in;
    # None when they did not match (the requester is not told, staff see it).
    collectivity_id: Mapped[int | None] = mapped_column(
        ForeignKey("collectivities.id", ondelete="SET NULL")
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index("ix_account_requests_status", "status", "created_at"),
        Index(
            "uq_account_requests_pending_email",
            "email_key",
            unique=True,
            sqlite_where=text("status = 'PENDING'"),
            postgresql_where=text("status = 'PENDING'"),
        ),
        CheckConstraint("language IN ('nl', 'en')", name="language_known"),
    )


class LoginThrottle(Base):
    """Failed-attempt counters per account and per client address (A4), shared by all workers."""

    __tablename__ = "login_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[ThrottleScope] = enum_column(ThrottleScope)
    key: Mapped[str] = mapped_column(String(254))
    failures: Mapped[int] = mapped_column(default=0)
    first_failure_at: Mapped[dt.datetime]
    last_failure_at: Mapped[dt.datetime]
    blocked_until: Mapped[dt.datetime | None]

    __table_args__ = (
        UniqueConstraint("scope", "key"),
        CheckConstraint("failures >= 0", name="failures_not_negative"),
    )
