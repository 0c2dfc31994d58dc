"""The GDPR clocks of a rights request, as pure functions of timestamps (no I/O, no clock: `now` is an
argument), so every month end, leap year and pause can be unit-tested exactly.

- Due one calendar month after receipt (Art. 12(3)); `relativedelta` clamps to the month's last day, so
  a request received on 31 January is due on 28 February (29 in a leap year).
- Paused while the controller verifies the identity (Art. 12(6)): the deadline moves by the time paused.
  While a verification is running, the deadline keeps moving with it, so it can never become overdue.
- Extendable by two further months (Art. 12(3)), counted from receipt (three calendar months in all,
  plus pauses), only while the first month is running; the reason must reach the person within that
  first month, which is why an extension and its notice are refused once the first month is over.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

DUE_SOON = timedelta(days=7)
"""A request whose deadline is this close stands out in the DPO console."""
FIRST_PERIOD = relativedelta(months=1)
EXTENDED_PERIOD = relativedelta(months=3)


def paused_total(paused_seconds: int, verification_started_at: datetime | None, now: datetime) -> timedelta:
    """Time paused so far, including a verification still running at `now`."""
    running = (
        max(now - verification_started_at, timedelta(0)) if verification_started_at is not None else None
    )
    return timedelta(seconds=paused_seconds) + (running or timedelta(0))


def first_month_end(
    received_at: datetime,
    paused_seconds: int = 0,
    verification_started_at: datetime | None = None,
    now: datetime | None = None,
) -> datetime:
    """The end of the first period: one calendar month after receipt, plus the time paused."""
    paused = paused_total(paused_seconds, verification_started_at, now or received_at)
    return received_at + FIRST_PERIOD + paused


def due_at(
    received_at: datetime,
    *,
    paused_seconds: int = 0,
    verification_started_at: datetime | None = None,
    extended: bool = False,
    now: datetime | None = None,
) -> datetime:
    """The deadline: one month (three when extended) after receipt, plus every pause so far."""
    paused = paused_total(paused_seconds, verification_started_at, now or received_at)
    return received_at + (EXTENDED_PERIOD if extended else FIRST_PERIOD) + paused


def may_extend(received_at: datetime, paused_seconds: int, now: datetime, *, already_extended: bool) -> bool:
    """An extension is possible once, and only before the first month has run out."""
    return not already_extended and now <= first_month_end(received_at, paused_seconds)


def may_notify_extension(received_at: datetime, paused_seconds: int, now: datetime) -> bool:
    """The reason for an extension must reach the person within the first month."""
    return now <= first_month_end(received_at, paused_seconds)


def is_open(status: str) -> bool:
    return status not in ("completed", "rejected")


def is_overdue(status: str, due: datetime, now: datetime, *, verifying: bool = False) -> bool:
    """Open and past its deadline. A paused clock (verifying) cannot run out."""
    return is_open(status) and not verifying and now > due


def is_due_soon(status: str, due: datetime, now: datetime, *, window: timedelta = DUE_SOON) -> bool:
    """Open, not overdue, and due within `window` (7 days by default)."""
    return is_open(status) and now <= due <= now + window


def time_to_completion(received_at: datetime, completed_at: datetime, paused_seconds: int = 0) -> timedelta:
    """How long the controller took, without the time the clock was paused for verification."""
    return max(completed_at - received_at - timedelta(seconds=paused_seconds), timedelta(0))


def pause_seconds(started: datetime, ended: datetime) -> int:
    """Whole seconds between the start and end of a verification (never negative)."""
    return max(int((ended - started).total_seconds()), 0)
