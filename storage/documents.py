"""Inbox documents ("Postvak IN", F1). A document row exists only once its content is complete (F2)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from .base import Base, enum_column
from .enums import DocumentKind


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    collectivity_id: Mapped[int] = mapped_column(
        ForeignKey("collectivities.id", ondelete="RESTRICT")
    )
    kind: Mapped[DocumentKind] = enum_column(DocumentKind)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    created_at: Mapped[dt.datetime]
    read_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The file itself: loaded only when downloaded.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    __table_args__ = (
        CheckConstraint("size >= 0", name="size_not_negative"),
        Index("ix_documents_collectivity_created", "collectivity_id", "created_at"),
    )
