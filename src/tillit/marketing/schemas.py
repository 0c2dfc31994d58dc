"""What the marketing domain hands out and takes in: campaigns, dry runs, sends, the send log.

Other parts (the console, the API, the propensity model and customer matching next door, the benchmark)
use these shapes and `service`; the ORM rows stay private to the domain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CampaignKind = Literal["marketing", "service"]
Response = Literal["opened", "clicked", "unsubscribed", "none"]
OutboxStatus = Literal["pending", "sent", "suppressed", "failed"]
RESPONSES: tuple[Response, ...] = ("opened", "clicked", "unsubscribed", "none")


class Segment(BaseModel):
    """Who a campaign is about before consent is asked: a small declarative filter over subjects.

    `subject_kinds`: the policy's data-subject keys (default: customers). `languages`: only subjects
    with one of these languages (empty: any). Consent, restriction and reachability are not part of the
    segment: they are decided at send time, and a dry run reports each exclusion with its reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject_kinds: list[str] = Field(default_factory=lambda: ["customer"], min_length=1, max_length=10)
    languages: list[str] = Field(default_factory=list, max_length=10)


class MessageContent(BaseModel):
    """A campaign's text in one language. `subject` is the e-mail subject line (unused for SMS)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str = Field(default="", max_length=200)
    body: str = Field(min_length=1, max_length=5000)


class CampaignCreate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    kind: CampaignKind = "marketing"
    purpose: str = Field(min_length=1, max_length=64)
    channel: str = Field(min_length=1, max_length=32)
    segment: Segment = Field(default_factory=Segment)
    content: dict[str, MessageContent] = Field(min_length=1)


class CampaignRead(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    kind: CampaignKind
    purpose: str
    channel: str
    segment: Segment
    content: dict[str, MessageContent]
    status: Literal["draft", "sent"]
    created_by: str
    created_at: datetime
    sent_at: datetime | None


class SampleRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject_id: str
    reason: str


class DryRun(BaseModel):
    """The audience if the campaign were sent now: how many of the segment it reaches and, for every
    one it does not, why (a stable reason code: `no_consent`, `withdrawn`, `opted_out`, `objected`,
    `restricted`, `no_address`...), with a few subject ids per reason for the console."""

    model_config = ConfigDict(frozen=True)

    campaign_id: str
    candidates: int
    included: int
    included_reasons: dict[str, int]
    excluded: dict[str, int]
    sample: list[SampleRow]


class SendResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    campaign_id: str
    queued: int
    excluded: dict[str, int]


class DispatchResult(BaseModel):
    """One dispatcher pass: delivered, suppressed at the last check (a withdrawal came first), retried
    later after a delivery failure, failed for good after the last retry."""

    model_config = ConfigDict(frozen=True)

    sent: int = 0
    suppressed: int = 0
    retried: int = 0
    failed: int = 0


class OutboxRead(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: str
    campaign_id: str
    subject_id: str
    channel: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    finished_at: datetime | None


class SendLogRead(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: str
    outbox_id: str
    campaign_id: str
    subject_id: str
    purpose: str
    channel: str
    message_id: str | None
    sent_at: datetime
    response: Response
    responded_at: datetime | None
