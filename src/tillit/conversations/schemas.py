"""What the conversations domain hands out: conversations, messages, queue entries, transcripts."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from tillit.conversations.rules import MAX_MESSAGE_CHARS, Author, Channel, Status


class ConversationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    subject_id: str | None
    channel: Channel
    language: str
    status: Status
    authenticated: bool
    had_advisor: bool
    complaint: bool
    advisory: bool
    advisor_id: str | None
    created_at: datetime
    queued_at: datetime | None
    closed_at: datetime | None
    last_message_at: datetime


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    seq: int
    author: Author
    text: str
    topic: str | None = None
    confidence: float | None = None
    generated: bool = False
    created_at: datetime


class StartedConversation(BaseModel):
    conversation: ConversationRead
    access_token: str = Field(description="Unguessable; the only way to reach an anonymous conversation")


class MessageCreate(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class HandoffContactCreate(BaseModel):
    name: str = Field(min_length=2, max_length=120)
    email: EmailStr
    phone: str = Field(min_length=5, max_length=32)


class QueueEntry(BaseModel):
    conversation_id: str
    position: int
    expected_wait: timedelta
    language: str
    authenticated: bool
    queued_at: datetime


class FeedbackCreate(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class ConversationExport(BaseModel):
    """One conversation of a subject with everything hanging off it, decrypted, for a rights request's
    access or portability package (built by `service.export_for_subject`)."""

    conversation: ConversationRead
    messages: list[MessageRead]
    ip_address: str | None = None
    handoff_contact: HandoffContactCreate | None = None
    feedback: FeedbackCreate | None = None
