"""Data subjects and identifiers. Identifier values are never stored in clear text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tillit.db.base import Base


class Subject(Base):
    __tablename__ = "subject_subject"
    # Audiences exclude restricted subjects with an anti-join on this (tiny) partial index instead of a
    # second full scan of the table; the predicate is the one `service.restricted_subject_ids` uses.
    __table_args__ = (
        Index(
            "ix_subject_subject_restricted",
            "id",
            postgresql_where=text("restricted IS true"),
            sqlite_where=text("restricted IS 1"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), default="customer")
    language: Mapped[str | None] = mapped_column(String(8))
    display_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]

    identifiers: Mapped[list[Identifier]] = relationship(
        back_populates="subject", cascade="all, delete-orphan", lazy="selectin"
    )


class Identifier(Base):
    """One identity of a subject. `value_hash` is an HMAC of the normalised value, for lookup only."""

    __tablename__ = "subject_identifier"
    __table_args__ = (
        UniqueConstraint("kind", "value_hash", name="uq_subject_identifier_kind_hash"),
        # "Has an address on the channel" for a whole audience: an index-only, parallel scan of one kind,
        # in subject order, for the EXISTS semi-join (see marketing.service.audience_select).
        Index("ix_subject_identifier_kind_subject_id", "kind", "subject_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subject_subject.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    value_enc: Mapped[bytes] = mapped_column(LargeBinary)
    value_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]

    subject: Mapped[Subject] = relationship(back_populates="identifiers")
