"""Pure decisions of the sweeper, the forecast and the policy-change impact (no I/O, no clock).

Kept apart from `rules.py` (hold evaluation) so that each stays small; both are pure and exhaustively
unit-tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from tillit.core.clock import ensure_utc
from tillit.policy.schema import Policy, RetentionAction

Movement = Literal["earlier", "later", "unchanged", "added", "removed"]


@dataclass(frozen=True)
class LastHold:
    """One hold of a record whose every hold has ended, as the sweeper reads it."""

    purpose: str
    rule_index: int
    action: str
    expires_at: datetime


@dataclass(frozen=True)
class Verdict:
    """What happens to one expired record and which hold decides it (the proof names that rule)."""

    purpose: str
    rule_index: int
    action: RetentionAction
    expires_at: datetime


def decide(holds: Sequence[LastHold]) -> Verdict:
    """Delete or anonymise a record whose every hold has ended: the rule of the hold that ended last.

    The hold that ended last is the one that kept the record until now, so its rule says what becomes
    of it (e.g. the parcel pack anonymises a shipment two years after registration). When several holds
    end at the same instant and disagree, delete wins: deleting keeps every promise an anonymisation
    makes to the person, not the other way round. Ties between purposes are broken by purpose id, so the
    proof names the same rule on every run.
    """
    if not holds:
        raise ValueError("a record without holds has no rule to decide by")
    latest = max(ensure_utc(h.expires_at) for h in holds)
    last = sorted((h for h in holds if ensure_utc(h.expires_at) == latest), key=lambda h: h.purpose)
    deleting = [h for h in last if h.action != "anonymise"]
    chosen = deleting[0] if deleting else last[0]
    action: RetentionAction = "anonymise" if chosen.action == "anonymise" else "delete"
    return Verdict(purpose=chosen.purpose, rule_index=chosen.rule_index, action=action, expires_at=latest)


def rule_of(policy: Policy, purpose: str, rule_index: int) -> tuple[str | None, str | None]:
    """(keep, anchor) of the rule a hold was decided by, or (None, None) when the policy in force no
    longer has it (the proof then says only the index, which is all that is known)."""
    if not policy.has_purpose(purpose):
        return None, None
    retention = policy.purpose(purpose).retention
    if not 0 <= rule_index < len(retention):
        return None, None
    rule = retention[rule_index]
    return rule.keep, rule.from_


def week_of(moment: datetime) -> date:
    """The Monday (UTC) of the ISO week a moment falls in: the forecast's bucket."""
    day = ensure_utc(moment).date()
    return day - timedelta(days=day.weekday())


def weeks_between(start: datetime, days: int) -> list[date]:
    """Every week bucket from `start` to `start + days`, inclusive, so empty weeks show as zero."""
    first, last = week_of(start), week_of(start + timedelta(days=days))
    weeks = []
    current = first
    while current <= last:
        weeks.append(current)
        current += timedelta(days=7)
    return weeks


def movement(old: datetime | None, new: datetime | None, *, had: bool, has: bool) -> Movement:
    """How one purpose's hold on one record moves under a new policy.

    `had`/`has`: whether the purpose holds the record before / after. An open hold (anchor not known
    yet, expires_at None) counts as later than any date: it lasts at least until the fact arrives.
    """
    if not had and not has:
        return "unchanged"
    if not had:
        return "added"
    if not has:
        return "removed"
    if old == new:
        return "unchanged"
    if old is None:
        return "earlier"
    if new is None:
        return "later"
    return "earlier" if ensure_utc(new) < ensure_utc(old) else "later"


def chunked(items: Iterable[str], size: int) -> Iterable[list[str]]:
    """Fixed-size lists from an iterable (the last may be shorter)."""
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
