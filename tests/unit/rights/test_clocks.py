"""The GDPR clocks: month ends, leap years, pauses, extension only within the first month, flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tillit.rights import rules


def at(y: int, m: int, d: int, h: int = 9) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (at(2026, 1, 31), at(2026, 2, 28)),
        (at(2028, 1, 31), at(2028, 2, 29)),  # leap year
        (at(2026, 1, 15), at(2026, 2, 15)),
        (at(2026, 3, 31), at(2026, 4, 30)),
        (at(2026, 12, 31), at(2027, 1, 31)),
    ],
)
def test_due_one_calendar_month_after_receipt(received: datetime, due: datetime) -> None:
    assert rules.due_at(received) == due


def test_extension_runs_three_calendar_months_from_receipt() -> None:
    assert rules.due_at(at(2026, 1, 31), extended=True) == at(2026, 4, 30)


def test_pause_moves_the_deadline_by_the_paused_time() -> None:
    assert rules.due_at(at(2026, 1, 15), paused_seconds=3 * 86400) == at(2026, 2, 18)


def test_a_running_verification_keeps_moving_the_deadline_and_is_never_overdue() -> None:
    received = at(2026, 1, 15)
    started = at(2026, 1, 20)
    now = at(2026, 3, 1)
    due = rules.due_at(received, verification_started_at=started, now=now)
    assert due == at(2026, 2, 15) + (now - started)
    assert not rules.is_overdue("verifying", at(2026, 2, 15), now, verifying=True)


def test_extension_only_within_the_first_month_and_only_once() -> None:
    received = at(2026, 1, 31)
    assert rules.may_extend(received, 0, at(2026, 2, 28), already_extended=False)
    assert not rules.may_extend(received, 0, at(2026, 2, 28, 10), already_extended=False)
    assert not rules.may_extend(received, 0, at(2026, 2, 10), already_extended=True)
    # a pause lengthens the first month too
    assert rules.may_extend(received, 2 * 86400, at(2026, 3, 1), already_extended=False)


def test_extension_notice_must_go_within_the_first_month() -> None:
    assert rules.may_notify_extension(at(2026, 1, 10), 0, at(2026, 2, 10))
    assert not rules.may_notify_extension(at(2026, 1, 10), 0, at(2026, 2, 11))


def test_overdue_and_due_soon_flags() -> None:
    due = at(2026, 2, 15)
    assert rules.is_overdue("in_progress", due, due + timedelta(seconds=1))
    assert not rules.is_overdue("completed", due, due + timedelta(days=3))
    assert rules.is_due_soon("received", due, due - timedelta(days=7))
    assert not rules.is_due_soon("received", due, due - timedelta(days=8))
    assert not rules.is_due_soon("received", due, due + timedelta(hours=1))  # overdue, not due soon
    assert not rules.is_due_soon("rejected", due, due - timedelta(days=1))


def test_time_to_completion_leaves_out_the_pause() -> None:
    assert rules.time_to_completion(at(2026, 1, 1), at(2026, 1, 11), 2 * 86400) == timedelta(days=8)
    assert rules.pause_seconds(at(2026, 1, 2), at(2026, 1, 1)) == 0
