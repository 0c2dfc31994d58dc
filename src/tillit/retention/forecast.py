"""Looking ahead: what the sweeper will delete week by week, and what a new policy would change.

The forecast reads only holds: a record goes in the week its last hold ends, under that hold's purpose.
The impact of a policy change needs each record's facts, which live with the records: conversations
hand them over through `conversations.service.retention_facts_page`, dataset rows through the datasets
connector (fact columns only are used). Other kinds keep their holds and are not part of the impact.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tillit.conversations import service as conversations_service
from tillit.core.clock import Clock, ensure_utc
from tillit.core.errors import ValidationFailedError
from tillit.datasets import service as datasets_service
from tillit.db.session import UnitOfWork
from tillit.policy.schema import Dataset, Policy
from tillit.retention import erasers, rules, sweep_repository, sweep_rules
from tillit.retention import service as retention_service
from tillit.retention.schemas import EndReason, HoldRead
from tillit.retention.sweep_schemas import ForecastRow, ImpactRow

RecordFacts = tuple[str, str | None, dict[str, object]]
"""(record id, subject id or None, facts) of one record of one kind."""


def forecast(session: Session, clock: Clock, days: int) -> list[ForecastRow]:
    """Records per purpose per week (Monday, UTC) whose last hold ends in the coming `days`, every week
    listed (zero included) so a chart has no gaps. Records already expired go at the next sweep and
    are not forecast."""
    if days < 1:
        raise ValidationFailedError("the forecast needs at least one day", details={"field": "days"})
    now = clock.now()
    counts: Counter[tuple[str, Any]] = Counter()
    for purpose, expires_at in sweep_repository.last_holds_between(session, now, now + timedelta(days=days)):
        counts[(purpose, sweep_rules.week_of(expires_at))] += 1
    purposes = sorted({purpose for purpose, _ in counts})
    weeks = sweep_rules.weeks_between(now, days)
    return [ForecastRow(purpose=p, week=w, records=counts.get((p, w), 0)) for p in purposes for w in weeks]


def impact(uow: UnitOfWork, new_policy: Policy, clock: Clock, *, batch_size: int = 500) -> list[ImpactRow]:
    """Per purpose, how many records' expiry a new policy moves earlier or later (or adds, removes)."""
    now = clock.now()
    movements: dict[str, Counter[str]] = defaultdict(Counter)
    with uow.read() as session:
        for record_type, page in _records(session, new_policy, clock, batch_size):
            for record_id, _subject, facts in page:
                current = retention_service.holds_for(session, record_type, record_id)
                new = rules.decide_holds(new_policy, record_type, facts)
                for purpose, move in _moves(current, new, now).items():
                    movements[purpose][move] += 1
    return [
        ImpactRow(purpose=p, **{k: v for k, v in sorted(c.items())}) for p, c in sorted(movements.items())
    ]


def recompute(
    uow: UnitOfWork, new_policy: Policy, clock: Clock, *, batch_size: int = 500, on_batch: Any = None
) -> int:
    """Recompute the holds of every record with known facts under `new_policy`, one transaction per batch
    (holds ended by a right stay ended: `assign_holds` never revives them). Returns records recomputed."""
    done = 0
    with uow.read() as reader:
        for record_type, page in _records(reader, new_policy, clock, batch_size):
            with uow.begin() as session:
                for record_id, subject_id, facts in page:
                    retention_service.recompute_holds(
                        session,
                        new_policy,
                        record_type=record_type,
                        record_id=record_id,
                        facts=facts,
                        clock=clock,
                        subject_id=subject_id,
                    )
            done += len(page)
            if on_batch is not None:
                on_batch(len(page))
    return done


def _moves(current: list[HoldRead], new: Mapping[str, rules.HoldDecision], now: datetime) -> dict[str, str]:
    by_purpose = {h.purpose: h for h in current}
    moves: dict[str, str] = {}
    for purpose in sorted(set(by_purpose) | set(new)):
        hold = by_purpose.get(purpose)
        if hold is not None and hold.ended_reason not in (None, EndReason.NO_LONGER_APPLIES):
            continue  # ended by a right: no policy brings it back
        had = hold is not None and hold.alive_at(now)
        decision = new.get(purpose)
        moves[purpose] = sweep_rules.movement(
            hold.expires_at if hold is not None else None,
            decision.expires_at if decision is not None else None,
            had=had,
            has=decision is not None,
        )
    return moves


def _records(
    session: Session, policy: Policy, clock: Clock, batch_size: int
) -> Iterator[tuple[str, list[RecordFacts]]]:
    """(kind, page of records with facts) for conversations and every dataset table that exists."""
    after: str | None = None
    while True:
        page = conversations_service.retention_facts_page(session, after=after, limit=batch_size)
        if not page:
            break
        by_kind: dict[str, list[RecordFacts]] = defaultdict(list)
        for conversation_id, subject_id, kinds, facts in page:
            for kind in kinds:
                if kind in erasers.CONVERSATION_KINDS:
                    by_kind[kind].append((conversation_id, subject_id, facts))
        yield from by_kind.items()
        after = page[-1][0]
    for dataset in policy.datasets:
        yield from ((dataset.id, page) for page in _dataset_pages(session, dataset, clock, batch_size))


def _dataset_pages(
    session: Session, dataset: Dataset, clock: Clock, batch_size: int
) -> Iterator[list[RecordFacts]]:
    try:
        datasets_service.check_dataset(session, dataset)
    except ValidationFailedError:
        return  # the company table is not in this database
    batches = datasets_service.iter_batches(
        session, dataset, batch_size, actor=erasers.SWEEPER, purpose=dataset.purposes[0], clock=clock
    )
    for rows in batches:
        page: list[RecordFacts] = []
        for row in rows:
            record_id = str(row[dataset.primary_key])
            facts: dict[str, object] = {name: _fact(row.get(name)) for name in dataset.facts}
            if facts.get("created_at") is None:
                facts["created_at"] = _first_hold_time(session, dataset.id, record_id) or clock.now()
            page.append((record_id, None, facts))
        yield page


def _first_hold_time(session: Session, record_type: str, record_id: str) -> datetime | None:
    """A dataset row without a created_at column got its holds when it was loaded: that time stands in."""
    holds = retention_service.holds_for(session, record_type, record_id)
    return min((h.created_at for h in holds), default=None)


def _fact(value: object) -> object:
    return ensure_utc(value) if isinstance(value, datetime) else value
