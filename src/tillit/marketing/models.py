"""Marketing tables: campaigns, the outbox the dispatcher delivers from, and the send log.

The outbox holds no address and no message text: the dispatcher reads the subject's contact address
(encrypted in `subject_identifier`) and renders the campaign's content at delivery time, so a queued
message never copies personal data into a second place. The send log (`marketing_send_log`) is the
record of who got what and how they responded; it is a tillit record of kind `marketing_send`, held by
the campaign's purpose as the policy says (5 years in the bank pack).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tillit.db.base import Base


class MarketingCampaign(Base):
    """A campaign: a purpose and a channel, a segment (a small declarative filter) and content per
    language. `kind` is `marketing` (direct marketing, needs consent or respects opt-outs) or `service`
    (a message under a contract, which reaches people who opted out of marketing)."""

    __tablename__ = "marketing_campaign"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    segment: Mapped[dict[str, Any]] = mapped_column(JSON)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class MarketingOutbox(Base):
    """One message to deliver: written in the send's transaction, delivered (or suppressed, or failed
    after its retries) by the dispatcher, which re-checks consent in the transaction that marks it."""

    __tablename__ = "marketing_outbox"
    __table_args__ = (
        UniqueConstraint("campaign_id", "subject_id", name="uq_marketing_outbox_campaign_subject"),
        Index("ix_marketing_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(36))
    subject_id: Mapped[str] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class MarketingSendLog(Base):
    """Who got what, on which channel, when, and how they responded (`opened`, `clicked`,
    `unsubscribed`, `none`). No message text and no address: the campaign says what was sent."""

    __tablename__ = "marketing_send_log"
    __table_args__ = (
        Index("ix_marketing_send_log_subject_id_sent_at", "subject_id", "sent_at"),
        Index("ix_marketing_send_log_campaign_id", "campaign_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    outbox_id: Mapped[str] = mapped_column(String(36), unique=True)
    campaign_id: Mapped[str] = mapped_column(String(36))
    subject_id: Mapped[str] = mapped_column(String(36))
    purpose: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime]
    response: Mapped[str] = mapped_column(String(16))
    responded_at: Mapped[datetime | None]
