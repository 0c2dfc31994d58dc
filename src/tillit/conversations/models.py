"""Conversations and what hangs off them. A conversation and its messages are one record for retention
(record kind `conversation`); the IP address, the handoff contact details and the feedback answer are
records of their own, each held by its own purposes, and deleted with the conversation at the latest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tillit.db.base import Base


class Conversation(Base):
    __tablename__ = "conversation_conversation"
    __table_args__ = (
        Index("ix_conversation_conversation_status_queued_at", "status", "queued_at"),
        Index("ix_conversation_conversation_subject_id", "subject_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    subject_id: Mapped[str | None] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    authenticated: Mapped[bool] = mapped_column(Boolean, default=False)
    had_advisor: Mapped[bool] = mapped_column(Boolean, default=False)
    complaint: Mapped[bool] = mapped_column(Boolean, default=False)
    advisory: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_by_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    advisor_id: Mapped[str | None] = mapped_column(String(36), index=True)
    failed_turns: Mapped[int] = mapped_column(Integer, default=0)
    next_seq: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    queued_at: Mapped[datetime | None]
    taken_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    last_message_at: Mapped[datetime]


class Message(Base):
    __tablename__ = "conversation_message"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_conversation_message_conversation_seq"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversation_conversation.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str | None] = mapped_column(String(36))
    text: Mapped[str] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    generated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ConversationIp(Base):
    """The IP address a chat came from, encrypted, held by its own purpose."""

    __tablename__ = "conversation_ip"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversation_conversation.id", ondelete="CASCADE"), primary_key=True
    )
    ip_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class HandoffContact(Base):
    """Name, e-mail and phone given while waiting for an advisor (parcel pack), encrypted."""

    __tablename__ = "conversation_handoff_contact"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversation_conversation.id", ondelete="CASCADE"), primary_key=True
    )
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    email_enc: Mapped[bytes] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class Feedback(Base):
    """The voluntary answer to "how was our service?" after a closed conversation."""

    __tablename__ = "conversation_feedback"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversation_conversation.id", ondelete="CASCADE"), primary_key=True
    )
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
