"""Holds. A record lives while at least one of its holds is alive (expires_at null or in the future)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tillit.db.base import Base


class Hold(Base):
    __tablename__ = "retention_hold"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id", "purpose", name="uq_retention_hold_record_purpose"),
        Index("ix_retention_hold_expires_at", "expires_at"),
        Index("ix_retention_hold_subject_id", "subject_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    record_type: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(128))
    subject_id: Mapped[str | None] = mapped_column(String(36))
    purpose: Mapped[str] = mapped_column(String(64))
    rule_index: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16), default="delete")
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_reason: Mapped[str | None] = mapped_column(String(64))
