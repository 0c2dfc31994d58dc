"""Rights requests and their evidence. `rights_evidence` is append-only: nothing updates or deletes a row
while its request exists (the request's own retention ends both)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tillit.db.base import Base


class RightsRequest(Base):
    __tablename__ = "rights_request"
    __table_args__ = (
        Index("ix_rights_request_status_due_at", "status", "due_at"),
        Index("ix_rights_request_subject_id", "subject_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str | None] = mapped_column(String(36))
    language: Mapped[str] = mapped_column(String(8))
    requester_email_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    details_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    filed_by: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime]
    extended_until: Mapped[datetime | None]
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_notified_at: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    verification_started_at: Mapped[datetime | None]
    due_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    rejected_reason: Mapped[str | None] = mapped_column(Text)


class RightsEvidence(Base):
    __tablename__ = "rights_evidence"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("rights_request.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str | None] = mapped_column(String(64))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
