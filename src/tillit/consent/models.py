"""Consent tables: the append-only ledger, the notice texts it points to, and the current-state projection.

`consent_event` and `consent_notice_text` are never updated in place (DESIGN §4): the service has no
update path, and migration 0005 adds a database trigger that refuses UPDATE on both tables. Rows leave
only through retention (a consent record whose last hold ended), which deletes.

`consent_state` is a projection of the ledger, rewritten in the same transaction as each event. "All
channels" is stored as `channel = '*'` (never NULL) and "the whole purpose" as `scope = ''`, so that the
unique keys really are unique (NULLs never collide in a unique index) and "may P use C for S?" is one
range scan of `uq_consent_state_subject_key`: `subject_id = S AND purpose = P AND channel IN (C, '*')`.
`ix_consent_state_audience` serves audience queries (every subject granted P on C) from the index alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tillit.db.base import Base

ALL_CHANNELS = "*"
"""`consent_state.channel` for an event that named no channel (it applies to every channel)."""


class ConsentNoticeText(Base):
    """The exact notice text a person saw, stored once per distinct SHA-256 (events point to it)."""

    __tablename__ = "consent_notice_text"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ConsentEvent(Base):
    """One decision of a data subject (or a website visitor), as it was made. Append-only."""

    __tablename__ = "consent_event"
    __table_args__ = (
        CheckConstraint("(subject_id IS NULL) <> (visitor_id IS NULL)", name="subject_or_visitor"),
        Index("ix_consent_event_subject_id_occurred_at", "subject_id", "occurred_at"),
        Index("ix_consent_event_visitor_id_occurred_at", "visitor_id", "occurred_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str | None] = mapped_column(String(36))
    visitor_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(32))
    scope: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))
    policy_version: Mapped[str] = mapped_column(String(64))
    notice_text_sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]


class ConsentState(Base):
    """Where a subject (or visitor) stands now for one purpose × channel × scope. Also a `consent_record`
    that the policy's purposes hold (its id is the record id), with facts state, last_used_at and
    withdrawn_at."""

    __tablename__ = "consent_state"
    __table_args__ = (
        CheckConstraint("(subject_id IS NULL) <> (visitor_id IS NULL)", name="subject_or_visitor"),
        UniqueConstraint("subject_id", "purpose", "channel", "scope", name="uq_consent_state_subject_key"),
        UniqueConstraint("visitor_id", "purpose", "channel", "scope", name="uq_consent_state_visitor_key"),
        Index("ix_consent_state_audience", "purpose", "channel", "state", "subject_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str | None] = mapped_column(String(36))
    visitor_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(16))
    since: Mapped[datetime]
    last_event_id: Mapped[str] = mapped_column(String(36))
    last_used_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
