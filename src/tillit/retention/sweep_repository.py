"""Queries of the sweeper, the forecast, legal holds and proofs. Never commits.

The sweeper reads expired records through the expires_at index in (expires_at, id) order with a keyset
cursor, so every batch is one short range scan however far the sweep has come, and records it must leave
(legal holds, kinds it cannot erase) are passed once per sweep instead of being read again by every batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    and_,
    any_,
    false,
    func,
    or_,
    select,
    true,
    tuple_,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from tillit.db.keys import key_array
from tillit.retention.models import Hold
from tillit.retention.repository import ids_in, outlived_clause
from tillit.retention.sweep_models import DeletionProof, LegalHold


def _candidates_statement(
    now: datetime, limit: int, after: tuple[datetime, str] | None
) -> Select[str, str, str, datetime | None]:
    stmt = select(Hold.id, Hold.record_type, Hold.record_id, Hold.expires_at).where(
        Hold.expires_at <= now, ~outlived_clause()
    )
    if after is not None:
        at, hold_id = after
        # `expires_at >= at` is the index range; the OR only trims the first instant.
        stmt = stmt.where(Hold.expires_at >= at, or_(Hold.expires_at > at, Hold.id > hold_id))
    return stmt.order_by(Hold.expires_at, Hold.id).limit(limit)


Last = tuple[tuple[str, int, str], ...]
"""(purpose, rule_index, action) of every hold of a record that ended at its last instant (usually one),
sorted: what `sweep_rules.decide` chooses from."""


class ExpiredGroup(NamedTuple):
    """Expired records of one kind whose holds ended alike at their last instant (same `last`)."""

    record_type: str
    last: Last
    record_ids: list[str]
    earliest: datetime
    """When the first of these records' last hold ended (timezone-aware)."""
    latest: datetime


class ExpiredBatch(NamedTuple):
    """The next expired records of a sweep: those no legal hold covers, grouped; how many one did."""

    groups: list[ExpiredGroup]
    found: int
    """Records read, legal-held ones included."""
    legal_held: int
    cursor: tuple[datetime, str] | None
    """(expires_at, hold id) of the last record read, where the next batch starts; None if none was."""


def expired_batch(
    session: Session,
    now: datetime,
    limit: int,
    after: tuple[datetime, str] | None = None,
    *,
    legal_records: frozenset[tuple[str, str]] = frozenset(),
    legal_subjects: frozenset[str] = frozenset(),
) -> ExpiredBatch:
    """The next `limit` expired records after the cursor `(expires_at, hold id)`, oldest first, minus
    those a legal hold covers (named in `legal_records`, or a hold of theirs names a subject of
    `legal_subjects`), grouped by kind and by the holds of their last instant.

    PostgreSQL: one statement, a few rows. For each hold of the `expires_at` range one probe of the
    (record_type, record_id, purpose) index reads all the record's holds (LATERAL) and tells at once
    whether another hold outlives it, which holds end at the same instant and whether a legal hold
    covers it; the candidates are grouped in SQL with their ids as one array per group, so no row per
    record travels to Python. (One row per record cost about as much client time as the statement's
    server time.) Elsewhere (SQLite: no LATERAL, no arrays) one row per hold of the candidates, grouped
    here; the result is the same."""
    if session.get_bind().dialect.name == "postgresql":
        return _expired_batch_pg(session, now, limit, after, legal_records, legal_subjects)
    return _expired_batch_generic(session, now, limit, after, legal_records, legal_subjects)


def _expired_batch_pg(
    session: Session,
    now: datetime,
    limit: int,
    after: tuple[datetime, str] | None,
    legal_records: frozenset[tuple[str, str]],
    legal_subjects: frozenset[str],
) -> ExpiredBatch:
    other = aliased(Hold, name="other")
    later = or_(
        other.expires_at.is_(None),
        other.expires_at > Hold.expires_at,
        and_(other.expires_at == Hold.expires_at, other.id > Hold.id),
    )
    tie = and_(other.expires_at == Hold.expires_at, other.id != Hold.id)
    # The tie arrays are parallel (one aggregation over the same rows) but not sorted: an ORDER BY in
    # an aggregate sorts the rows of every probe, for ties that are rare. Python sorts `last`, and groups
    # whose ties came in another order meet again in the sweeper (same verdict, same proof).
    columns = [
        func.bool_or(later).label("outlived"),
        func.array_agg(other.purpose).filter(tie).label("tie_purposes"),
        func.array_agg(other.rule_index).filter(tie).label("tie_rules"),
        func.array_agg(other.action).filter(tie).label("tie_actions"),
    ]
    if legal_subjects:
        named = other.subject_id == any_(key_array(sorted(legal_subjects)))
        columns.append(func.coalesce(func.bool_or(named), false()).label("by_subject"))
    holds = (
        select(*columns)
        .where(other.record_type == Hold.record_type, other.record_id == Hold.record_id)
        .lateral("holds")
    )
    held: ColumnElement[bool] = false()
    if legal_records:
        held = tuple_(Hold.record_type, Hold.record_id).in_(sorted(legal_records))
    if legal_subjects:
        held = or_(held, holds.c.by_subject)
    candidates = (
        select(
            Hold.id.label("hold_id"),
            Hold.record_type,
            Hold.record_id,
            # As the driver returns it (aware, in the session's time zone): only compared and bound back.
            type_coerce(Hold.expires_at, DateTime(timezone=True)).label("expires_at"),
            Hold.purpose,
            Hold.rule_index,
            Hold.action,
            holds.c.tie_purposes,
            holds.c.tie_rules,
            holds.c.tie_actions,
            held.label("held"),
        )
        .join(holds, true())
        .where(Hold.expires_at <= now, ~holds.c.outlived)
    )
    if after is not None:
        at, hold_id = after
        candidates = candidates.where(Hold.expires_at >= at, or_(Hold.expires_at > at, Hold.id > hold_id))
    candidate = candidates.order_by(Hold.expires_at, Hold.id).limit(limit).cte("candidate")
    last = (
        select(candidate.c.expires_at, candidate.c.hold_id)
        .order_by(candidate.c.expires_at.desc(), candidate.c.hold_id.desc())
        .limit(1)
        .subquery("last")
    )
    keys = (
        candidate.c.held,
        candidate.c.record_type,
        candidate.c.purpose,
        candidate.c.rule_index,
        candidate.c.action,
        candidate.c.tie_purposes,
        candidate.c.tie_rules,
        candidate.c.tie_actions,
    )
    stmt = (
        select(
            *keys,
            func.array_agg(candidate.c.record_id),
            func.min(candidate.c.expires_at),
            func.max(candidate.c.expires_at),
            last.c.expires_at,
            last.c.hold_id,
        )
        .select_from(candidate.join(last, true()))
        .group_by(*keys, last.c.expires_at, last.c.hold_id)
    )
    groups: list[ExpiredGroup] = []
    found = legal_held = 0
    cursor: tuple[datetime, str] | None = None
    for row in session.connection().execute(stmt).all():
        record_ids: list[str] = row[8]
        found += len(record_ids)
        cursor = (row[11], row[12])
        if row[0]:
            legal_held += len(record_ids)
            continue
        own = (row[2], row[3], row[4])
        ties = () if row[5] is None else tuple(zip(row[5], row[6], row[7], strict=True))
        groups.append(ExpiredGroup(row[1], tuple(sorted((own, *ties))), record_ids, row[9], row[10]))
    return ExpiredBatch(groups, found, legal_held, cursor)


def _expired_batch_generic(
    session: Session,
    now: datetime,
    limit: int,
    after: tuple[datetime, str] | None,
    legal_records: frozenset[tuple[str, str]],
    legal_subjects: frozenset[str],
) -> ExpiredBatch:
    found = _candidates_statement(now, limit, after).subquery("candidate")
    other = aliased(Hold)
    stmt = (
        select(
            found.c.id,
            found.c.record_type,
            found.c.record_id,
            found.c.expires_at,
            other.subject_id,
            other.purpose,
            other.rule_index,
            other.action,
            other.expires_at,
        )
        .join(other, and_(other.record_type == found.c.record_type, other.record_id == found.c.record_id))
        .order_by(found.c.expires_at, found.c.id)
    )
    candidates: dict[tuple[str, str], tuple[str, datetime]] = {}
    last: dict[tuple[str, str], list[tuple[str, int, str]]] = {}
    subjects: dict[tuple[str, str], set[str]] = {}
    for row in session.connection().execute(stmt):
        key = (row[1], row[2])
        if key not in candidates:
            candidates[key] = (row[0], row[3])
            last[key] = []
            subjects[key] = set()
        if row[8] == row[3]:  # ends at the record's last instant (the candidate's own hold among them)
            last[key].append((row[5], row[6], row[7]))
        if row[4] is not None:
            subjects[key].add(row[4])
    by_key: dict[tuple[str, Last], ExpiredGroup] = {}
    legal_held = 0
    cursor: tuple[datetime, str] | None = None
    for key, (hold_id, expires_at) in candidates.items():
        cursor = (expires_at, hold_id)
        if key in legal_records or not subjects[key].isdisjoint(legal_subjects):
            legal_held += 1
            continue
        record_type, record_id = key
        pattern = tuple(sorted(last[key]))
        group = by_key.get((record_type, pattern))
        if group is None:
            by_key[(record_type, pattern)] = ExpiredGroup(
                record_type, pattern, [record_id], expires_at, expires_at
            )
        else:
            group.record_ids.append(record_id)
            by_key[(record_type, pattern)] = group._replace(
                earliest=min(group.earliest, expires_at), latest=max(group.latest, expires_at)
            )
    return ExpiredBatch(list(by_key.values()), len(candidates), legal_held, cursor)


def count_expired(session: Session, now: datetime) -> int:
    """How many records have no alive hold left (the sweep's total, for its progress bar)."""
    stmt = select(func.count()).select_from(Hold).where(Hold.expires_at <= now, ~outlived_clause())
    return int(session.scalar(stmt) or 0)


def subjects_with_other_records(session: Session, subject_ids: Sequence[str], *, own_kind: str) -> set[str]:
    """Those of these subjects that a hold of a record of another kind names: records of theirs that
    are still stored (a record's holds go with it, ended or not)."""
    if not subject_ids:
        return set()
    stmt = (
        select(Hold.subject_id)
        .where(ids_in(session, Hold.subject_id, subject_ids), Hold.record_type != own_kind)  # type: ignore[arg-type]
        .distinct()
    )
    return {s for s in session.scalars(stmt) if s is not None}


def last_holds_between(session: Session, start: datetime, end: datetime) -> Iterator[tuple[str, datetime]]:
    """(purpose, expires_at) of each record's last hold when it ends in (start, end], streamed."""
    stmt = (
        select(Hold.purpose, Hold.expires_at)
        .where(Hold.expires_at > start, Hold.expires_at <= end, ~outlived_clause())
        .execution_options(yield_per=2000)
    )
    for row in session.execute(stmt):
        assert row.expires_at is not None
        yield row.purpose, row.expires_at


def holds_page(session: Session, record_type: str, after: str | None, limit: int) -> Sequence[Hold]:
    """Holds of one kind ordered by (record_id, purpose), the records after `after` (impact reports)."""
    ids = select(Hold.record_id).where(Hold.record_type == record_type)
    if after is not None:
        ids = ids.where(Hold.record_id > after)
    ids = ids.group_by(Hold.record_id).order_by(Hold.record_id).limit(limit)
    page = list(session.scalars(ids))
    if not page:
        return []
    return session.scalars(
        select(Hold)
        .where(Hold.record_type == record_type, Hold.record_id.in_(page))
        .order_by(Hold.record_id, Hold.purpose)
    ).all()


def record_types_with_holds(session: Session) -> list[str]:
    return list(session.scalars(select(Hold.record_type).distinct().order_by(Hold.record_type)))


def active_legal_holds(session: Session) -> Sequence[LegalHold]:
    return session.scalars(
        select(LegalHold).where(LegalHold.released_at.is_(None)).order_by(LegalHold.placed_at)
    ).all()


def legal_holds(session: Session, *, include_released: bool = True, limit: int = 200) -> Sequence[LegalHold]:
    stmt = select(LegalHold)
    if not include_released:
        stmt = stmt.where(LegalHold.released_at.is_(None))
    return session.scalars(stmt.order_by(LegalHold.placed_at.desc()).limit(limit)).all()


def legal_hold(session: Session, legal_hold_id: str, *, for_update: bool = False) -> LegalHold | None:
    stmt = select(LegalHold).where(LegalHold.id == legal_hold_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def proofs_between(session: Session, start: datetime, end: datetime, limit: int) -> Sequence[DeletionProof]:
    return session.scalars(
        select(DeletionProof)
        .where(and_(DeletionProof.swept_at >= start, DeletionProof.swept_at < end))
        .order_by(DeletionProof.swept_at, DeletionProof.batch_no, DeletionProof.record_type)
        .limit(limit)
    ).all()
