"""Queries of the sweeper, the forecast, legal holds and proofs. Never commits.

The sweeper reads expired records through the expires_at index in (expires_at, id) order with a keyset
cursor, so every batch is one short range scan however far the sweep has come, and records it must leave
(legal holds, kinds it cannot erase) are passed once per sweep instead of being read again by every batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from tillit.retention.models import Hold
from tillit.retention.repository import ids_in, outlived_clause
from tillit.retention.sweep_models import DeletionProof, LegalHold


class Candidate(NamedTuple):
    """A record all of whose holds have ended, found through the hold that ended last."""

    hold_id: str
    record_type: str
    record_id: str
    expires_at: datetime


class HoldRow(NamedTuple):
    record_id: str
    subject_id: str | None
    purpose: str
    rule_index: int
    action: str
    expires_at: datetime | None


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


def expired_candidates(
    session: Session, now: datetime, limit: int, after: tuple[datetime, str] | None = None
) -> list[Candidate]:
    """Up to `limit` expired records after the cursor `(expires_at, hold id)`, oldest first."""
    stmt = _candidates_statement(now, limit, after)
    return [Candidate(r.id, r.record_type, r.record_id, r.expires_at) for r in session.execute(stmt)]


def expired_with_holds(
    session: Session, now: datetime, limit: int, after: tuple[datetime, str] | None = None
) -> tuple[list[Candidate], dict[tuple[str, str], list[HoldRow]]]:
    """`expired_candidates` and every hold of those records, by (record_type, record_id), in one query:
    the candidates joined back to their holds through the (record_type, record_id, purpose) index. (A
    second query with the batch's ids as an array made PostgreSQL scan the whole hold table per batch.)"""
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
    candidates: list[Candidate] = []
    holds: dict[tuple[str, str], list[HoldRow]] = {}
    for row in session.execute(stmt):
        key = (row[1], row[2])
        if key not in holds:
            candidates.append(Candidate(row[0], row[1], row[2], row[3]))
            holds[key] = []
        holds[key].append(HoldRow(row[2], row[4], row[5], row[6], row[7], row[8]))
    return candidates, holds


def count_expired(session: Session, now: datetime) -> int:
    """How many records have no alive hold left (the sweep's total, for its progress bar)."""
    stmt = select(func.count()).select_from(Hold).where(Hold.expires_at <= now, ~outlived_clause())
    return int(session.scalar(stmt) or 0)


def holds_of_records(session: Session, record_type: str, record_ids: Sequence[str]) -> list[HoldRow]:
    """Every hold of these records of one kind, as plain rows (one query over the record index)."""
    if not record_ids:
        return []
    stmt = select(
        Hold.record_id, Hold.subject_id, Hold.purpose, Hold.rule_index, Hold.action, Hold.expires_at
    ).where(Hold.record_type == record_type, ids_in(session, Hold.record_id, record_ids))
    return [HoldRow(*row) for row in session.execute(stmt)]


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
