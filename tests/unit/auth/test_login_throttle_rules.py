"""The login throttle's pure rule: given the failures and now, allowed (None) or refused until when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tillit.auth import rules, service
from tillit.config import Settings

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
LIMIT = rules.FailureLimit(max_failures=5, window=15 * MINUTE, lockout=15 * MINUTE)
LIMITS = rules.LoginLimits(
    max_failures_per_username=5, max_failures_per_client=20, window=15 * MINUTE, lockout=15 * MINUTE
)


def _at(*minutes: float) -> list[datetime]:
    return [T0 + m * MINUTE for m in minutes]


def test_fewer_failures_than_the_limit_lock_nothing() -> None:
    assert rules.locked_until([], LIMIT, T0) is None
    assert rules.locked_until(_at(0, 1, 2, 3), LIMIT, T0 + 4 * MINUTE) is None


def test_the_limit_within_the_window_locks_for_the_lockout_from_the_last_failure() -> None:
    failures = _at(0, 1, 2, 3, 4)
    assert rules.locked_until(failures, LIMIT, T0 + 4 * MINUTE) == T0 + 19 * MINUTE
    assert rules.locked_until(failures, LIMIT, T0 + 19 * MINUTE - timedelta(seconds=1)) == T0 + 19 * MINUTE


def test_the_lock_ends_at_its_end() -> None:
    assert rules.locked_until(_at(0, 1, 2, 3, 4), LIMIT, T0 + 19 * MINUTE) is None


def test_failures_spread_wider_than_the_window_lock_nothing() -> None:
    # five failures, but never five within 15 minutes (the first has left the window when the fifth comes)
    assert rules.locked_until(_at(0, 4, 8, 12, 15), LIMIT, T0 + 15 * MINUTE) is None
    assert rules.locked_until(_at(0, 4, 8, 12, 14.9), LIMIT, T0 + 15 * MINUTE) == T0 + 29.9 * MINUTE


def test_the_order_of_the_failures_does_not_matter() -> None:
    assert rules.locked_until(_at(4, 0, 3, 1, 2), LIMIT, T0 + 5 * MINUTE) == T0 + 19 * MINUTE


def test_a_lockout_shorter_than_the_window_relocks_at_the_next_failure() -> None:
    short = rules.FailureLimit(max_failures=5, window=15 * MINUTE, lockout=2 * MINUTE)
    failures = _at(0, 1, 2, 3, 4)
    assert rules.locked_until(failures, short, T0 + 6 * MINUTE) is None
    # one more failure while the earlier ones still count: locked again at once, not after four more
    assert rules.locked_until([*failures, T0 + 6 * MINUTE], short, T0 + 6 * MINUTE) == T0 + 8 * MINUTE


def test_a_lockout_as_long_as_the_window_gives_a_fresh_budget_after_it() -> None:
    failures = _at(0, 1, 2, 3, 4)
    assert rules.locked_until([*failures, T0 + 20 * MINUTE], LIMIT, T0 + 20 * MINUTE) is None


def test_refusal_names_the_locked_scopes_and_waits_for_the_later_lock() -> None:
    username = _at(0, 1, 2, 3, 4)
    client = _at(*(i / 2 for i in range(20)))  # twenty failures, the last at 9.5 minutes
    now = T0 + 10 * MINUTE
    assert rules.refusal([], [], LIMITS, now) is None
    assert rules.refusal(username, [], LIMITS, now) == rules.Refusal(
        until=T0 + 19 * MINUTE, scopes=("username",)
    )
    assert rules.refusal([], client, LIMITS, now) == rules.Refusal(
        until=T0 + 24.5 * MINUTE, scopes=("client",)
    )
    both = rules.refusal(username, client, LIMITS, now)
    assert both == rules.Refusal(until=T0 + 24.5 * MINUTE, scopes=("username", "client"))


def test_the_client_limit_is_its_own() -> None:
    assert rules.refusal([], _at(*(i / 2 for i in range(19))), LIMITS, T0 + 10 * MINUTE) is None


def test_retry_after_is_whole_seconds_rounded_up_and_never_zero() -> None:
    assert rules.retry_after_seconds(T0 + 15 * MINUTE, T0) == 900
    assert rules.retry_after_seconds(T0 + timedelta(seconds=1.2), T0) == 2
    assert rules.retry_after_seconds(T0, T0) == 1


def test_every_spelling_of_a_username_counts_as_one() -> None:
    assert rules.username_key("  Kari ") == rules.username_key("kari") == "kari"
    assert rules.username_key("ＫＡＲＩ") == "kari"  # full-width letters (NFKC)
    assert rules.username_key("kari2") != rules.username_key("kari")


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("testclient", "testclient"),
        (None, None),
        ("", None),
    ],
)
def test_client_keys(host: str | None, key: str | None) -> None:
    assert rules.client_key(host) == key


def test_one_ipv6_subscriber_cannot_escape_by_changing_address() -> None:
    assert rules.client_key("2001:db8:1:2::1") == rules.client_key("2001:db8:1:2::dead:beef")
    assert rules.client_key("2001:db8:1:2::1") != rules.client_key("2001:db8:1:3::1")


def test_limits_come_from_the_settings_with_sensible_defaults() -> None:
    defaults = service.login_limits(Settings(demo_mode=True))
    assert defaults == LIMITS
    tuned = service.login_limits(
        Settings(
            demo_mode=True,
            login_max_failures_per_username=3,
            login_max_failures_per_client=50,
            login_failure_window_s=600,
            login_lockout_s=1800,
        )
    )
    assert tuned == rules.LoginLimits(3, 50, 10 * MINUTE, 30 * MINUTE)
    assert tuned.horizon == 40 * MINUTE


def test_zero_or_negative_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="login_max_failures_per_username"):
        Settings(demo_mode=True, login_max_failures_per_username=0)
