"""Retention rules: condition matching, calendar arithmetic, first-rule-wins, applies_if, missing anchors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from tests.retention_policies import policy_with, purpose_yaml
from tillit.retention.rules import alive, decide_holds, evaluate, facts_used, matches, parse_duration

POLICY = policy_with(
    purpose_yaml(
        "customer_service",
        """
- when: {deleted_by_customer: true}
  keep: P0D
  from: created_at
- when: {complaint: true}
  keep: P3Y6M
  from: closed_at
- when: {had_advisor: true}
  keep: P1Y6M
  from: closed_at
- keep: P1M
  from: closed_at
""",
    ),
    purpose_yaml(
        "chat_archive",
        """
- keep: P3Y
  from: closed_at
  action: anonymise
""",
        applies_if="{authenticated: true}",
    ),
    purpose_yaml(
        "security",
        """
- when: {record_kind: conversation_ip}
  keep: P30D
- keep: P90D
""",
        records="[conversation, conversation_ip]",
        legal_basis="legal_obligation",
    ),
    purpose_yaml(
        "feedback_survey", "- keep: P6M\n  from: closed_at", records="[feedback]", legal_basis="consent"
    ),
)

CREATED = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
CLOSED = datetime(2026, 1, 10, 12, 30, tzinfo=UTC)


def facts(**extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "record_kind": "conversation",
        "created_at": CREATED,
        "closed_at": CLOSED,
        "had_advisor": False,
        "complaint": False,
        "authenticated": False,
        "deleted_by_customer": False,
    }
    base.update(extra)
    return base


# --- matches -----------------------------------------------------------------------------------------


def test_boolean_condition_matches_only_the_same_boolean() -> None:
    assert matches({"had_advisor": True}, {"had_advisor": True})
    assert not matches({"had_advisor": True}, {"had_advisor": False})
    assert matches({"had_advisor": False}, {"had_advisor": False})


def test_boolean_condition_does_not_match_numbers_that_python_calls_equal() -> None:
    assert not matches({"had_advisor": True}, {"had_advisor": 1})
    assert not matches({"had_advisor": False}, {"had_advisor": 0})
    assert not matches({"count": 1}, {"count": True})


def test_string_condition_is_equality() -> None:
    assert matches({"channel": "chat"}, {"channel": "chat"})
    assert not matches({"channel": "chat"}, {"channel": "phone"})
    assert not matches({"channel": "chat"}, {"channel": "Chat"})


def test_list_condition_means_membership() -> None:
    condition: dict[str, object] = {"channel": ["chat", "email"]}
    assert matches(condition, {"channel": "email"})  # type: ignore[arg-type]
    assert not matches(condition, {"channel": "phone"})  # type: ignore[arg-type]


def test_list_condition_against_a_list_fact_needs_a_shared_value() -> None:
    assert matches({"tags": ["complaint", "claim"]}, {"tags": ["claim", "other"]})
    assert not matches({"tags": ["complaint"]}, {"tags": ["other"]})
    assert not matches({"tags": ["complaint"]}, {"tags": []})


def test_missing_or_null_fact_never_matches_a_non_empty_condition() -> None:
    assert not matches({"had_advisor": True}, {})
    assert not matches({"had_advisor": False}, {})  # absent is not "false"
    assert not matches({"had_advisor": False}, {"had_advisor": None})
    assert not matches({"channel": ["chat"]}, {"channel": None})


def test_every_fact_of_a_condition_must_match() -> None:
    condition = {"had_advisor": True, "channel": "chat"}
    assert matches(condition, {"had_advisor": True, "channel": "chat", "other": 1})
    assert not matches(condition, {"had_advisor": True, "channel": "phone"})
    assert not matches(condition, {"had_advisor": True})


def test_empty_condition_matches_every_record() -> None:
    assert matches({}, {})
    assert matches({}, facts())


# --- parse_duration: calendar arithmetic -------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (datetime(2024, 2, 29), "P1Y", datetime(2025, 2, 28)),  # leap day + 1 year
        (datetime(2024, 2, 29), "P4Y", datetime(2028, 2, 29)),
        (datetime(2024, 1, 31), "P1M", datetime(2024, 2, 29)),  # January 31 + 1 month, leap year
        (datetime(2025, 1, 31), "P1M", datetime(2025, 2, 28)),
        (datetime(2026, 3, 31), "P1M", datetime(2026, 4, 30)),
        (datetime(2026, 12, 31), "P1M", datetime(2027, 1, 31)),
        (datetime(2024, 8, 31), "P3Y6M", datetime(2028, 2, 29)),  # years and months applied together
        (datetime(2025, 8, 31), "P1Y6M", datetime(2027, 2, 28)),
        (datetime(2026, 1, 15, 9, 30), "P5Y", datetime(2031, 1, 15, 9, 30)),  # keeps the time of day
        (datetime(2026, 1, 15), "P2W", datetime(2026, 1, 29)),
        (datetime(2026, 1, 15), "P30D", datetime(2026, 2, 14)),
        (datetime(2026, 1, 15, 9, 0), "P0D", datetime(2026, 1, 15, 9, 0)),
    ],
)
def test_parse_duration_is_calendar_correct(start: datetime, duration: str, expected: datetime) -> None:
    assert start + parse_duration(duration) == expected


def test_parse_duration_returns_a_relativedelta() -> None:
    assert parse_duration("P3Y6M") == relativedelta(years=3, months=6)
    assert parse_duration("P0D") == relativedelta()


@pytest.mark.parametrize("text", ["", "3 years", "P", "P1.5Y", "-P1D", "-P1Y"])
def test_parse_duration_rejects_what_is_not_a_whole_calendar_duration(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


# --- evaluate ----------------------------------------------------------------------------------------


def test_catch_all_rule_decides_a_bot_only_conversation() -> None:
    decision = evaluate(POLICY.purpose("customer_service"), facts())
    assert decision is not None
    assert (decision.purpose, decision.rule_index, decision.keep, decision.anchor) == (
        "customer_service",
        3,
        "P1M",
        "closed_at",
    )
    assert decision.action == "delete"
    assert decision.expires_at == datetime(2026, 2, 10, 12, 30, tzinfo=UTC)


def test_first_matching_rule_wins() -> None:
    both = evaluate(POLICY.purpose("customer_service"), facts(complaint=True, had_advisor=True))
    assert both is not None
    assert both.rule_index == 1
    assert both.expires_at == datetime(2029, 7, 10, 12, 30, tzinfo=UTC)  # P3Y6M, not P1Y6M

    advisor = evaluate(POLICY.purpose("customer_service"), facts(had_advisor=True))
    assert advisor is not None
    assert advisor.rule_index == 2
    assert advisor.expires_at == datetime(2027, 7, 10, 12, 30, tzinfo=UTC)


def test_deleted_by_customer_expires_at_creation_and_precedes_every_other_rule() -> None:
    decision = evaluate(POLICY.purpose("customer_service"), facts(complaint=True, deleted_by_customer=True))
    assert decision is not None
    assert decision.rule_index == 0
    assert decision.expires_at == CREATED  # P0D: gone now
    assert not alive(decision.expires_at, CLOSED)


def test_applies_if_decides_whether_the_purpose_holds_the_record_at_all() -> None:
    archive = POLICY.purpose("chat_archive")
    assert evaluate(archive, facts(authenticated=False)) is None
    assert evaluate(archive, {k: v for k, v in facts().items() if k != "authenticated"}) is None
    held = evaluate(archive, facts(authenticated=True))
    assert held is not None
    assert held.expires_at == datetime(2029, 1, 10, 12, 30, tzinfo=UTC)


def test_anonymise_action_is_carried_into_the_decision() -> None:
    decision = evaluate(POLICY.purpose("chat_archive"), facts(authenticated=True))
    assert decision is not None
    assert decision.action == "anonymise"


def test_missing_anchor_gives_a_hold_without_expiry() -> None:
    open_chat = facts(closed_at=None, had_advisor=True)
    decision = evaluate(POLICY.purpose("customer_service"), open_chat)
    assert decision is not None
    assert decision.rule_index == 2  # the rule is known, only its date is not
    assert decision.expires_at is None
    assert alive(decision.expires_at, datetime(2100, 1, 1, tzinfo=UTC))

    absent = {k: v for k, v in facts(had_advisor=True).items() if k != "closed_at"}
    absent_decision = evaluate(POLICY.purpose("customer_service"), absent)
    assert absent_decision is not None
    assert absent_decision.expires_at is None


def test_default_anchor_is_created_at_and_dates_count_from_midnight_utc() -> None:
    security = POLICY.purpose("security")
    decision = evaluate(security, facts())
    assert decision is not None
    assert decision.anchor == "created_at"
    assert decision.expires_at == CREATED + timedelta(days=90)

    dated = evaluate(security, facts(created_at=date(2026, 1, 10)))
    assert dated is not None
    assert dated.expires_at == datetime(2026, 4, 10, tzinfo=UTC)


def test_naive_anchor_is_read_as_utc() -> None:
    decision = evaluate(POLICY.purpose("security"), facts(created_at=datetime(2026, 1, 10, 12, 0)))
    assert decision is not None
    assert decision.expires_at == CREATED + timedelta(days=90)
    assert decision.expires_at.tzinfo is not None


def test_an_anchor_that_is_not_a_time_is_an_error() -> None:
    with pytest.raises(TypeError, match="closed_at"):
        evaluate(POLICY.purpose("customer_service"), facts(closed_at="yesterday"))


def test_no_matching_rule_means_the_purpose_keeps_nothing() -> None:
    policy = policy_with(
        purpose_yaml("customer_service", "- when: {had_advisor: true}\n  keep: P1Y\n  from: closed_at"),
        strict=False,  # lint may insist on a catch-all rule; evaluate must still be safe without one
    )
    purpose = policy.purpose("customer_service")
    assert evaluate(purpose, facts(had_advisor=False)) is None
    assert evaluate(purpose, facts(had_advisor=True)) is not None


# --- decide_holds ------------------------------------------------------------------------------------


def test_decide_holds_asks_only_the_purposes_holding_the_kind() -> None:
    conversation = decide_holds(POLICY, "conversation", facts(authenticated=True))
    assert set(conversation) == {"customer_service", "chat_archive", "security"}

    bot_only = decide_holds(POLICY, "conversation", facts())
    assert set(bot_only) == {"customer_service", "security"}

    feedback = decide_holds(POLICY, "feedback", {"created_at": CREATED, "closed_at": CLOSED})
    assert set(feedback) == {"feedback_survey"}
    assert decide_holds(POLICY, "rights_request", {"created_at": CREATED}) == {}


def test_record_kind_is_a_fact_rules_can_use() -> None:
    ip_facts = {"created_at": CREATED, "authenticated": False}
    ip = decide_holds(POLICY, "conversation_ip", ip_facts)
    assert set(ip) == {"security"}
    assert ip["security"].rule_index == 0
    assert ip["security"].expires_at == CREATED + timedelta(days=30)
    assert decide_holds(POLICY, "conversation", facts())["security"].rule_index == 1


def test_decide_holds_needs_created_at_and_a_consistent_kind() -> None:
    with pytest.raises(ValueError, match="created_at"):
        decide_holds(POLICY, "conversation", {"closed_at": CLOSED})
    with pytest.raises(ValueError, match="record_kind"):
        decide_holds(POLICY, "conversation", facts(record_kind="feedback"))


# --- alive -------------------------------------------------------------------------------------------


def test_alive_until_the_expiry_instant() -> None:
    now = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    assert alive(None, now)
    assert alive(now + timedelta(microseconds=1), now)
    assert not alive(now, now)  # ending a hold "now" kills it at once
    assert not alive(now - timedelta(days=1), now)
    assert not alive(datetime(2026, 1, 15, 9, 0), now)  # naive = UTC


def test_the_facts_holds_depend_on_are_those_tested_and_counted_from_per_record_kind() -> None:
    assert facts_used(POLICY, "conversation") == {
        "deleted_by_customer",
        "complaint",
        "had_advisor",
        "created_at",
        "closed_at",
        "authenticated",  # chat_archive's applies_if
        "record_kind",  # security tells kinds apart
    }
    assert facts_used(POLICY, "conversation_ip") == {"record_kind", "created_at"}
    assert facts_used(POLICY, "feedback") == {"closed_at"}
    assert facts_used(POLICY, "no_such_kind") == frozenset()
