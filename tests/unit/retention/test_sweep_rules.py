"""The sweeper's pure decisions: which rule decides an expired record, forecast weeks, policy movements."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tillit.policy.loader import load_pack
from tillit.retention.sweep_rules import LastHold, chunked, decide, movement, rule_of, week_of, weeks_between

T = datetime(2027, 3, 10, 12, tzinfo=UTC)


def test_the_hold_that_ended_last_decides() -> None:
    verdict = decide(
        [LastHold("chatbot", 0, "delete", T - timedelta(days=300)), LastHold("statutory", 1, "anonymise", T)]
    )
    assert (verdict.purpose, verdict.rule_index, verdict.action, verdict.expires_at) == (
        "statutory",
        1,
        "anonymise",
        T,
    )


def test_delete_wins_a_tie_and_ties_are_broken_by_purpose() -> None:
    tie = [LastHold("b", 0, "anonymise", T), LastHold("c", 2, "delete", T), LastHold("a", 1, "anonymise", T)]
    verdict = decide(tie)
    assert (verdict.purpose, verdict.action) == ("c", "delete")
    only_anonymise = decide([LastHold("b", 0, "anonymise", T), LastHold("a", 3, "anonymise", T)])
    assert (only_anonymise.purpose, only_anonymise.rule_index) == ("a", 3)


def test_naive_and_aware_expiries_compare_as_utc() -> None:
    verdict = decide([LastHold("a", 0, "delete", T.replace(tzinfo=None)), LastHold("b", 0, "delete", T)])
    assert verdict.purpose == "a" and verdict.expires_at == T


def test_no_holds_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        decide([])


def test_rule_of_names_keep_and_anchor_or_nothing_when_gone() -> None:
    policy = load_pack("parcel").policy
    assert rule_of(policy, "advisor_chat", 0) == ("P3Y6M", "closed_at")
    assert rule_of(policy, "advisor_chat", 9) == (None, None)
    assert rule_of(policy, "no_such_purpose", 0) == (None, None)


def test_weeks_start_on_monday_and_cover_the_horizon() -> None:
    assert week_of(T) == date(2027, 3, 8)
    assert week_of(datetime(2027, 3, 8, 0, tzinfo=UTC)) == date(2027, 3, 8)
    weeks = weeks_between(T, 14)
    assert weeks == [date(2027, 3, 8), date(2027, 3, 15), date(2027, 3, 22)]


@pytest.mark.parametrize(
    ("old", "new", "had", "has", "expected"),
    [
        (T, T, True, True, "unchanged"),
        (T, T - timedelta(days=1), True, True, "earlier"),
        (T, T + timedelta(days=1), True, True, "later"),
        (None, T, True, True, "earlier"),
        (T, None, True, True, "later"),
        (None, T, False, True, "added"),
        (T, None, True, False, "removed"),
        (None, None, False, False, "unchanged"),
    ],
)
def test_movement(old: datetime | None, new: datetime | None, had: bool, has: bool, expected: str) -> None:
    assert movement(old, new, had=had, has=has) == expected


def test_chunked() -> None:
    assert list(chunked(iter("abcde"), 2)) == [["a", "b"], ["c", "d"], ["e"]]
    assert list(chunked([], 3)) == []
