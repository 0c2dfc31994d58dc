"""Pure rules of a conversation's life: status transitions, the facts retention reads, the queue estimate."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

Status = Literal["bot", "queued", "with_advisor", "closed"]
Channel = Literal["chat", "phone", "email", "letter", "social"]
Author = Literal["customer", "bot", "advisor", "system"]

CHANNELS: tuple[Channel, ...] = ("chat", "phone", "email", "letter", "social")
MAX_MESSAGE_CHARS = 4000
"""A chat message longer than this is refused (413), so one request cannot store a book."""

TRANSITIONS: dict[str, frozenset[str]] = {
    "bot": frozenset({"queued", "with_advisor", "closed"}),
    "queued": frozenset({"with_advisor", "bot", "closed"}),
    "with_advisor": frozenset({"closed"}),
    "closed": frozenset(),
}
"""Allowed status changes. An advisor may log a phone call straight into `with_advisor`."""

DEFAULT_HANDLING_TIME = timedelta(minutes=4)


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def retention_facts(
    *,
    channel: str,
    authenticated: bool,
    had_advisor: bool,
    complaint: bool,
    advisory: bool,
    deleted_by_customer: bool,
    created_at: datetime,
    closed_at: datetime | None,
    last_message_at: datetime,
    subject_kind: str | None = None,
) -> dict[str, object]:
    """The facts a conversation offers to retention rules (see `policy.schema.RECORD_FACTS`)."""
    return {
        "channel": channel,
        "authenticated": authenticated,
        "had_advisor": had_advisor,
        "complaint": complaint,
        "advisory": advisory,
        "deleted_by_customer": deleted_by_customer,
        "created_at": created_at,
        "closed_at": closed_at,
        "last_message_at": last_message_at,
        "subject_kind": subject_kind,
    }


def expected_wait(
    position: int, advisors_online: int, handling_time: timedelta = DEFAULT_HANDLING_TIME
) -> timedelta:
    """A rough wait estimate: the queue ahead of you shared among the advisors who are working."""
    if position <= 0:
        return timedelta(0)
    advisors = max(advisors_online, 1)
    rounds = (position + advisors - 1) // advisors
    return handling_time * rounds
