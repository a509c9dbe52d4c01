"""The payroll exporter and options an employer chose, remembered per collectivity (E)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ExporterChoice(Base):
    __tablename__ = "exporter_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    collectivity_id: Mapped[int] = mapped_column(
        ForeignKey("collectivities.id", ondelete="CASCADE"), unique=True
    )
    exporter: Mapped[str] = mapped_column(String(100))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime]
