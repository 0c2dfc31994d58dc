"""Retention rule evaluation: which purposes hold a record, by which rule, until when.

Pure functions of the policy and a record's *facts* (a mapping such as
`{"record_kind": "conversation", "created_at": ..., "closed_at": None, "had_advisor": True}`).
No I/O and no clock: the caller passes `now` where it matters, so the same facts always give the same
decision and the rules can be tested exhaustively without a database.

Facts always include `record_kind` and `created_at` (`decide_holds` adds the first and insists on the
second). A fact whose value is `None` counts as missing: "the conversation has no `closed_at` yet" and
"the conversation offers no `closed_at`" mean the same thing to a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

import isodate
from dateutil.relativedelta import relativedelta

from tillit.core.clock import ensure_utc
from tillit.policy.schema import FactValue, Policy, Purpose, RetentionAction

Facts = Mapping[str, object]
"""A record's facts: booleans, strings, numbers, lists of strings, datetimes (anchors), or None."""


@dataclass(frozen=True)
class HoldDecision:
    """What one purpose's retention rules say about one record.

    `expires_at` is None when the rule's anchor fact is not known yet (e.g. `closed_at` of a conversation
    that is still open): the record is then held until the fact arrives and the holds are recomputed.
    `keep` and `anchor` are kept so that a proof of deletion or a forecast can say *why* a date was chosen.
    """

    purpose: str
    rule_index: int
    action: RetentionAction
    expires_at: datetime | None
    keep: str
    anchor: str


def matches(condition: Mapping[str, FactValue], facts: Facts) -> bool:
    """True when every fact named in `condition` has the required value.

    - A scalar value means equality. Booleans compare only with booleans, so `true` never matches the
      number 1 (Python's `True == 1` would).
    - A list means membership: `channel: [chat, email]` matches a record whose channel is either. When the
      fact itself is a list (e.g. tags), the condition matches if the two share at least one value.
    - A missing fact (absent or None) never matches a non-empty condition, not even `had_advisor: false`.
      Rules and `applies_if` are promises about records; a record that cannot show the fact must not
      get (or escape) a period by accident. Callers that know a flag is false must say so.
    - An empty condition matches every record (the catch-all rule).
    """
    for name, expected in condition.items():
        actual = facts.get(name)
        if actual is None:
            return False
        if isinstance(expected, list):
            actual_values = actual if isinstance(actual, list | tuple | set | frozenset) else [actual]
            if not any(_equal(value, wanted) for value in actual_values for wanted in expected):
                return False
        elif not _equal(actual, expected):
            return False
    return True


def _equal(actual: object, expected: object) -> bool:
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual is expected
    return actual == expected


def parse_duration(value: str) -> relativedelta:
    """An ISO 8601 duration (`P1M`, `P1Y`, `P3Y6M`, `P2W`, `P0D`) as a calendar-aware `relativedelta`.

    Calendar-aware on purpose: "one year" from 2024-02-29 is 2025-02-28 and "one month" from January 31
    is the last day of February, which is what a person reading the notice expects. A `timedelta` of 365
    or 30 days would drift from the promise by a day or more.
    """
    try:
        parsed = isodate.parse_duration(value)
    except ValueError as exc:  # isodate.ISO8601Error is a ValueError
        raise ValueError(f"'{value}' is not an ISO 8601 duration such as P1M, P1Y or P3Y6M") from exc
    if isinstance(parsed, isodate.Duration):
        years, months, rest = _whole(parsed.years, value), _whole(parsed.months, value), parsed.tdelta
    else:
        years, months, rest = 0, 0, parsed
    if rest.total_seconds() < 0 or years < 0 or months < 0:
        raise ValueError(f"'{value}' is a negative duration; retention periods cannot be negative")
    return relativedelta(
        years=years, months=months, days=rest.days, seconds=rest.seconds, microseconds=rest.microseconds
    )


def _whole(number: int | float | Decimal, text: str) -> int:
    if number != int(number):
        raise ValueError(f"'{text}': fractional years or months have no calendar meaning; use e.g. P1Y6M")
    return int(number)


def anchor_time(value: object, name: str) -> datetime | None:
    """The anchor fact as an aware UTC datetime; None when missing. A date means its midnight UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return ensure_utc(value)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC)
    raise TypeError(f"anchor fact '{name}' must be a datetime, got {type(value).__name__}")


def evaluate(purpose: Purpose, facts: Facts) -> HoldDecision | None:
    """The purpose's decision for a record with these facts, or None if the purpose does not hold it.

    None when `applies_if` does not match (e.g. the chat archive only holds logged-in conversations), and
    also when no retention rule matches: a purpose without a stated period for a record must not keep it
    (storage limitation). The policy lint requires a catch-all last rule, so the second case only happens
    in a policy that bypassed lint.

    Otherwise the first matching rule decides: its index, its action, and `expires_at` = anchor fact +
    duration, or None while the anchor fact is missing (the record is held until the fact arrives).
    """
    if not matches(purpose.applies_if, facts):
        return None
    for index, rule in enumerate(purpose.retention):
        if not matches(rule.when, facts):
            continue
        anchor = anchor_time(facts.get(rule.from_), rule.from_)
        expires_at = None if anchor is None else anchor + parse_duration(rule.keep)
        return HoldDecision(
            purpose=purpose.id,
            rule_index=index,
            action=rule.action,
            expires_at=expires_at,
            keep=rule.keep,
            anchor=rule.from_,
        )
    return None


def facts_used(policy: Policy, record_kind: str) -> frozenset[str]:
    """The facts the holds of a record of this kind depend on under the policy: those its purposes test
    (`applies_if`, each rule's `when`) and count from (each rule's `from`). Changing any other fact of
    the record cannot change its holds, so it needs no recompute."""
    used: set[str] = set()
    for purpose in policy.purposes_holding(record_kind):
        used.update(purpose.applies_if)
        for rule in purpose.retention:
            used.update(rule.when)
            used.add(rule.from_)
    return frozenset(used)


def decide_holds(policy: Policy, record_kind: str, facts: Facts) -> dict[str, HoldDecision]:
    """Every purpose that holds a record of this kind with these facts, mapped to its decision.

    Only purposes that declare the kind in `records` (or use the dataset of that id) are asked. The
    `record_kind` fact is set here so rules can tell kinds apart; `created_at` must be given, because
    every record has one and it is the default anchor.
    """
    if facts.get("created_at") is None:
        raise ValueError(f"facts of a '{record_kind}' record must include created_at")
    given_kind = facts.get("record_kind")
    if given_kind is not None and given_kind != record_kind:
        raise ValueError(f"facts say record_kind '{given_kind}' but the record is a '{record_kind}'")
    full: dict[str, object] = {**facts, "record_kind": record_kind}
    decisions: dict[str, HoldDecision] = {}
    for purpose in policy.purposes_holding(record_kind):
        decision = evaluate(purpose, full)
        if decision is not None:
            decisions[purpose.id] = decision
    return decisions


def alive(expires_at: datetime | None, now: datetime) -> bool:
    """A hold is alive while it has no expiry yet (anchor unknown) or its expiry is still in the future.

    The boundary instant counts as expired, so a hold ended "now" (expires_at = now) is dead at once.
    """
    return expires_at is None or ensure_utc(expires_at) > ensure_utc(now)
