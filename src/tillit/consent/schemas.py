"""What the consent domain hands to other parts: events, current states and decisions.

Other domains (marketing, rights, the web pages) use these shapes and `service`; the ORM rows stay
private to the domain, so nobody can change a ledger row behind the service's back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Action = Literal["grant", "withdraw", "opt_out", "opt_in", "object"]
Source = Literal["privacy_centre", "online_bank", "app", "phone_advisor", "cookie_banner", "api"]
State = Literal["granted", "withdrawn", "opted_out", "opted_in", "objected"]
"""The projection's states; `withdrawn` and `opted_out` are the values the packs' retention rules test."""
ActorType = Literal["customer", "staff", "visitor", "system"]

ACTIONS: tuple[Action, ...] = ("grant", "withdraw", "opt_out", "opt_in", "object")
SOURCES: tuple[Source, ...] = (
    "privacy_centre",
    "online_bank",
    "app",
    "phone_advisor",
    "cookie_banner",
    "api",
)


class ConsentEventCreate(BaseModel):
    """One decision to record. Exactly one of `subject_id` (a person) and `visitor_id` (a cookie banner's
    anonymous visitor). `channel` None: every channel of the purpose. `scope`: a part of the purpose the
    person chose separately (a cookie category); None for the whole purpose.

    `notice_text` is the exact text the person was shown; when omitted, the purpose's name and description
    in `language` (what the privacy centre shows) is recorded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject_id: str | None = Field(default=None, max_length=36)
    visitor_id: str | None = Field(default=None, max_length=64)
    purpose: str = Field(min_length=1, max_length=64)
    channel: str | None = Field(default=None, max_length=32)
    scope: str | None = Field(default=None, max_length=64)
    action: Action
    source: Source
    actor_type: ActorType
    actor_id: str = Field(min_length=1, max_length=64)
    language: str | None = Field(default=None, max_length=8)
    notice_text: str | None = Field(default=None, max_length=20_000)

    @model_validator(mode="after")
    def _one_holder(self) -> ConsentEventCreate:
        if (self.subject_id is None) == (self.visitor_id is None):
            raise ValueError("give exactly one of subject_id and visitor_id")
        return self


class ConsentEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: str
    subject_id: str | None
    visitor_id: str | None
    purpose: str
    channel: str | None
    scope: str | None
    action: Action
    source: Source
    policy_version: str
    notice_text_sha256: str
    language: str
    actor_type: ActorType
    actor_id: str
    occurred_at: datetime


class ConsentStateRead(BaseModel):
    """Where the holder stands for purpose × channel × scope. `channel` None: all channels."""

    model_config = ConfigDict(frozen=True)

    id: str
    subject_id: str | None
    visitor_id: str | None
    purpose: str
    channel: str | None
    scope: str | None
    state: State
    since: datetime
    last_event_id: str
    last_used_at: datetime | None
    withdrawn_at: datetime | None


class Decision(BaseModel):
    """May a purpose use a channel for a subject now, and why (a stable reason code, see `rules`)."""

    model_config = ConfigDict(frozen=True)

    allowed: bool
    reason: str
    state: State | None = None


class RecordResult(BaseModel):
    """What recording one event did: the event, the projection rows it changed, the holds it ended."""

    model_config = ConfigDict(frozen=True)

    event: ConsentEventRead
    states: list[ConsentStateRead]
    ended_holds: int = 0


class CookieCategory(BaseModel):
    """A cookie banner category: `purpose` None means strictly necessary (always on, nothing recorded)."""

    model_config = ConfigDict(frozen=True)

    id: str
    purpose: str | None
    recipients: list[str]
