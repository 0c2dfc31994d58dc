"""What the chat API (`router.py`) receives and sends: payloads, responses, the per-pack features the
widget shows, and the transcript as text. Kept apart from the endpoints so each file reads on its own;
the `/chat` page uses `chat_features` too, so the page and the API never disagree about a pack.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from tillit.conversations import service, turns
from tillit.conversations.schemas import ConversationRead, MessageRead, QueueEntry
from tillit.policy.i18n import translations
from tillit.policy.schema import Policy

TOKEN_HEADER = "X-Conversation-Token"  # noqa: S105 - a header name, not a secret


# --- payloads ------------------------------------------------------------------------------------------


class StartRequest(BaseModel):
    language: str | None = Field(default=None, description="One of the policy's languages; default its own")


class MessageRequest(BaseModel):
    text: str = Field(min_length=1, description="At most 4,000 characters (longer: 413)")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a message cannot be empty")
        return value


class ContactRequest(BaseModel):
    name: str = Field(min_length=2, max_length=120)
    email: str = Field(max_length=254)
    phone: str = Field(min_length=5, max_length=32)


class MessageOut(BaseModel):
    seq: int
    author: str
    text: str
    generated: bool
    created_at: datetime

    @classmethod
    def of(cls, message: MessageRead) -> MessageOut:
        return cls(
            seq=message.seq,
            author=message.author,
            text=message.text,
            generated=message.generated,
            created_at=message.created_at,
        )


class QueueOut(BaseModel):
    position: int
    expected_wait_minutes: int

    @classmethod
    def of(cls, entry: QueueEntry | None) -> QueueOut | None:
        if entry is None:
            return None
        return cls(
            position=entry.position, expected_wait_minutes=int(entry.expected_wait.total_seconds() // 60)
        )


class ConversationOut(BaseModel):
    id: str
    language: str
    status: str
    authenticated: bool
    last_seq: int
    queue: QueueOut | None


class StartedOut(ConversationOut):
    access_token: str = Field(description=f"Send it back in {TOKEN_HEADER}; it is shown only once")


class TurnOut(BaseModel):
    messages: list[MessageOut]
    status: str
    queue: QueueOut | None
    offer_human: bool = False
    login_required: bool = False
    disclaimer: str | None = None


class PollOut(BaseModel):
    messages: list[MessageOut]
    status: str
    queue: QueueOut | None


class KeptOut(BaseModel):
    purpose: str
    name: str
    reason: str | None
    until: datetime | None


class DeletedOut(BaseModel):
    deleted: bool = Field(description="True when nothing keeps the conversation and it is gone")
    ended: list[str] = Field(description="The purposes whose holds ended")
    kept: list[KeptOut] = Field(description="What a law obliges us to keep, and which law")


# --- features and transcripts -------------------------------------------------------------------------


def chat_features(policy: Policy) -> dict[str, Any]:
    """What the widget offers in this pack, read from the policy (shared with the /chat page)."""
    conversation_purposes = policy.purposes_holding(service.CONVERSATION)
    disclaimers = [p.generative_ai.disclaimer for p in conversation_purposes if p.generative_ai is not None]
    return {
        "contact_in_queue": bool(policy.purposes_holding(service.HANDOFF_CONTACT)),
        "advisor_requires_login": turns.advisor_requires_login(policy),
        "feedback": bool(policy.purposes_holding(service.FEEDBACK)),
        "delete": any("delete" in p.self_service for p in conversation_purposes),
        "disclaimer": disclaimers[0] if disclaimers else {},
    }


def kept_names(
    hold_purpose: str, name: dict[str, str], law: dict[str, str] | None, lang: str
) -> tuple[str, str | None]:
    def pick(text: dict[str, str] | None) -> str | None:
        return None if not text else text.get(lang) or next(iter(text.values()))

    return pick(name) or hold_purpose, pick(law)


def transcript_text(policy: Policy, conversation: ConversationRead, messages: list[MessageRead]) -> str:
    """A readable transcript in the conversation's language (fixed words from the catalogues)."""
    t = translations(conversation.language)
    authors = {
        "customer": t.gettext("You"),
        "bot": t.gettext("Chatbot"),
        "advisor": t.gettext("Advisor"),
        "system": t.gettext("Notice"),
    }
    lines = [
        t.gettext("Chat transcript, %(organisation)s") % {"organisation": policy.organisation.name},
        t.gettext("Conversation %(id)s, started %(at)s UTC")
        % {"id": conversation.id, "at": conversation.created_at.strftime("%Y-%m-%d %H:%M")},
        "",
    ]
    for message in messages:
        stamp = message.created_at.strftime("%Y-%m-%d %H:%M")
        lines.append(f"[{stamp}] {authors.get(message.author, message.author)}: {message.text}")
    return "\n".join(lines) + "\n"
