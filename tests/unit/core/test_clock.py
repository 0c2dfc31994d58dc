from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from tillit.core.clock import FixedClock, SystemClock, ensure_utc


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    clock.advance(timedelta(days=366))
    assert clock.now() == datetime(2027, 1, 2, tzinfo=UTC)


def test_naive_and_offset_times_become_utc() -> None:
    assert ensure_utc(datetime(2026, 5, 1, 12)).tzinfo is UTC
    oslo_summer = timezone(timedelta(hours=2))
    assert ensure_utc(datetime(2026, 5, 1, 12, tzinfo=oslo_summer)) == datetime(2026, 5, 1, 10, tzinfo=UTC)


def test_system_clock_is_aware() -> None:
    assert SystemClock().now().tzinfo is not None
