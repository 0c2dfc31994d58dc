"""What the rights domain hands to intake pages, the DPO console, the CLI and tests.

`RequestCreate` is what a channel files; `RequestRead` what everyone reads back, with the clock already
worked out (`due_at` moves with pauses and extensions; `overdue` / `due_soon` are computed at read time
from the caller's clock). `Preview` is what an execution would touch; `Evidence` what it did, per table
and dataset, with the legal reason for every record kept. Evidence carries ids, counts and reasons only:
never the content of a record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

RequestType = Literal[
    "access", "portability", "rectification", "erasure", "restriction", "objection", "withdrawal"
]
Channel = Literal["privacy_centre", "web_form", "letter", "phone", "email"]
Status = Literal["received", "verifying", "in_progress", "completed", "rejected"]
REQUEST_TYPES: tuple[RequestType, ...] = (
    "access",
    "portability",
    "rectification",
    "erasure",
    "restriction",
    "objection",
    "withdrawal",
)
CHANNELS: tuple[Channel, ...] = ("privacy_centre", "web_form", "letter", "phone", "email")
STATUSES: tuple[Status, ...] = ("received", "verifying", "in_progress", "completed", "rejected")


class RequestCreate(BaseModel):
    """A request as a channel files it.

    `details` by type: rectification `{"kind": "email"|"phone"|"name"|"customer_number"|"national_id",
    "value": "...", "old": "..." (optional: which value to replace)}`; objection and withdrawal
    `{"purposes": ["..."]}`; restriction `{"lift": false}` (true lifts a restriction). Other types take
    none. `subject_id` is known when the person is logged in or staff found them; otherwise it is set by
    `service.mark_verified` once the identity check succeeded.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: RequestType
    channel: Channel
    language: str = Field(min_length=2, max_length=8)
    subject_id: str | None = Field(default=None, max_length=36)
    requester_email: str | None = Field(default=None, max_length=254)
    details: dict[str, Any] = Field(default_factory=dict)


class RequestRead(BaseModel):
    """A request with its clock. `due_at` is the deadline now (one month, plus paused time, or the
    extended deadline); `overdue` and `due_soon` were computed against the clock passed to the service."""

    model_config = ConfigDict(frozen=True)

    id: str
    type: RequestType
    channel: Channel
    status: Status
    subject_id: str | None
    language: str
    received_at: datetime
    due_at: datetime
    extended_until: datetime | None
    extension_reason: str | None
    extension_notified_at: datetime | None
    paused_seconds: int
    verification_started_at: datetime | None
    completed_at: datetime | None
    rejected_reason: str | None = None
    filed_by: str = ""
    overdue: bool
    due_soon: bool


class TableLine(BaseModel):
    """One table (tillit record kind) or declared dataset as an execution sees it for one subject.

    `kept_reasons` are the legal reasons (in the request's language, as the policy words them) for the
    rows kept; `purposes` are the purposes holding the rows found."""

    model_config = ConfigDict(frozen=True)

    source: Literal["tillit", "dataset"]
    record_type: str
    table: str
    found: int = 0
    exported: int = 0
    changed: int = 0
    deleted: int = 0
    anonymised: int = 0
    kept: int = 0
    purposes: list[str] = Field(default_factory=list)
    kept_reasons: list[str] = Field(default_factory=list)
    note: str | None = None


class Preview(BaseModel):
    """What executing the request would touch, before anything changes (reads are audited)."""

    model_config = ConfigDict(frozen=True)

    request: RequestRead
    identity_kinds: list[str]
    lines: list[TableLine]
    actions: list[str] = Field(default_factory=list, description="What execution will do, one line each")


class EvidenceRow(BaseModel):
    """One row of `rights_evidence` (append-only)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: str
    request_id: str
    step: str
    record_type: str | None
    counts: dict[str, int]
    reasons: list[str]
    created_at: datetime


class Evidence(BaseModel):
    """What an execution did, per table and dataset, and which processors were told."""

    model_config = ConfigDict(frozen=True)

    request: RequestRead
    executed_at: datetime
    actor: str
    lines: list[TableLine]
    notified: list[str] = Field(default_factory=list, description="Recipient ids sent a webhook")
    rows: list[EvidenceRow] = Field(default_factory=list)


class ProcessorNotifier(Protocol):
    """Tells a processor holding a copy about a rectification or an erasure (`event` is
    `rights.rectification` or `rights.erasure`; `payload` carries ids, never the old value)."""

    def notify(self, recipient_id: str, event: str, payload: dict[str, Any]) -> None: ...
