"""Queries over holds. Never commits; the service decides the transaction.

"Alive" is defined once for SQL here (`alive_clause`) and once for Python in `rules.alive`; both say
`expires_at IS NULL OR expires_at > now`. Ending a hold sets `expires_at` to the moment it ended, so an
ended hold is dead by the same test and no query needs to look at `ended_reason`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, String, and_, any_, bindparam, delete, exists, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from tillit.db.keys import key_array
from tillit.retention.models import Hold


def alive_clause(now: datetime, hold: type[Hold] = Hold) -> ColumnElement[bool]:
    """SQL for "this hold is alive at `now`"; the expiry comparison can use the expires_at index."""
    return or_(hold.expires_at.is_(None), hold.expires_at > now)


def holds_of_record(
    session: Session, record_type: str, record_id: str, *, for_update: bool = False
) -> Sequence[Hold]:
    """Every hold on the record, ended ones included, ordered by purpose.

    `for_update` locks the rows (PostgreSQL) so two recomputes of one record do not interleave.
    """
    stmt = (
        select(Hold)
        .where(Hold.record_type == record_type, Hold.record_id == record_id)
        .order_by(Hold.purpose)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).all()


def alive_hold_exists(
    session: Session, *, record_type: str, record_id: str, now: datetime, purpose: str | None = None
) -> bool:
    stmt = select(Hold.id).where(
        Hold.record_type == record_type, Hold.record_id == record_id, alive_clause(now)
    )
    if purpose is not None:
        stmt = stmt.where(Hold.purpose == purpose)
    return session.scalars(stmt.limit(1)).first() is not None


def readable_ids(purpose: str, record_type: str, now: datetime) -> Select[str]:
    """The ids of records of `record_type` that `purpose` holds alive at `now`, as a subquery."""
    return select(Hold.record_id).where(
        Hold.record_type == record_type, Hold.purpose == purpose, alive_clause(now)
    )


def expired_records_statement(now: datetime, limit: int) -> Select[str, str]:
    """Records with at least one hold and no alive hold, oldest first (by their last expiry), at most `limit`.

    Each such record is found through exactly one of its holds: the one that expires last (ties broken
    by id). That hold has `expires_at <= now` (a range scan of the expires_at index, read in index order
    so LIMIT stops early), and a NOT EXISTS probe over the (record_type, record_id, purpose) unique index
    checks that no other hold of the record lives longer. No GROUP BY: with one, SQLite walks the whole
    unique index instead. A record whose holds are all open (expires_at NULL) is never a candidate.
    """
    return (
        select(Hold.record_type, Hold.record_id)
        .where(Hold.expires_at <= now, ~outlived_clause())
        .order_by(Hold.expires_at, Hold.id)
        .limit(limit)
    )


def outlived_clause() -> ColumnElement[bool]:
    """SQL for "another hold of this hold's record lives longer" (open, later, or equal with a larger id).

    Its negation picks exactly one hold per record: the one that expires last.
    """
    other = aliased(Hold)
    return exists().where(
        other.record_type == Hold.record_type,
        other.record_id == Hold.record_id,
        other.id != Hold.id,
        or_(
            other.expires_at.is_(None),
            other.expires_at > Hold.expires_at,
            and_(other.expires_at == Hold.expires_at, other.id > Hold.id),
        ),
    )


def expired_records(session: Session, now: datetime, limit: int) -> list[tuple[str, str]]:
    return [
        (row.record_type, row.record_id) for row in session.execute(expired_records_statement(now, limit))
    ]


def delete_holds_of_record(session: Session, record_type: str, record_id: str) -> int:
    result = session.execute(delete(Hold).where(Hold.record_type == record_type, Hold.record_id == record_id))
    return int(getattr(result, "rowcount", 0) or 0)


def records_held_for_subject(
    session: Session, subject_id: str, purpose: str, now: datetime
) -> list[tuple[str, str]]:
    """(record_type, record_id) of the subject's records that `purpose` holds alive at `now`."""
    stmt = (
        select(Hold.record_type, Hold.record_id)
        .where(Hold.subject_id == subject_id, Hold.purpose == purpose, alive_clause(now))
        .order_by(Hold.record_type, Hold.record_id)
    )
    return [(row.record_type, row.record_id) for row in session.execute(stmt)]


def delete_holds_of_records(
    session: Session, record_types: Collection[str], record_ids: Sequence[str]
) -> int:
    """`delete_holds_of_record` for many records of some kinds at once (the sweeper's batches)."""
    if not record_ids:
        return 0
    stmt = (
        delete(Hold)
        .where(Hold.record_type.in_(list(record_types)), ids_in(session, Hold.record_id, record_ids))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(session.execute(stmt), "rowcount", 0) or 0)


def ids_in(session: Session, column: InstrumentedAttribute[str], ids: Sequence[str]) -> ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL one parameter (`= ANY(:ids)`, see `db.keys`) instead of one per id,
    because with hundreds of ids the driver's per-parameter query rewriting costs more than the query."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(key_array(ids))
    return column.in_(list(ids))


def hold_rows_of_records(
    session: Session, record_type: str, record_ids: Sequence[str], *, chunk: int
) -> list[tuple[list[str], str, datetime | None, str | None]]:
    """Every hold on these records, grouped: ([record_id, ...], purpose, expires_at, ended_reason), one
    tuple per distinct hold (most records of one kind are held alike, so 100,000 records give a few
    groups and a few timestamps to convert, not 100,000 rows).

    PostgreSQL: one query joining the holds to `unnest(:ids)` (one array parameter, a hash join; an
    `= ANY(:ids)` literal of 100,000 ids costs more to plan than to run) and grouping with `array_agg`.
    Elsewhere `chunk` ids per IN list, grouped here. Core on the session's connection: no ORM rows."""
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        ids = (
            func.unnest(bindparam(None, list(dict.fromkeys(record_ids)), type_=ARRAY(String)))
            .table_valued("id")
            .render_derived()
        )
        stmt = (
            select(func.array_agg(Hold.record_id), Hold.purpose, Hold.expires_at, Hold.ended_reason)
            .join_from(Hold, ids, Hold.record_id == ids.c.id)
            .where(Hold.record_type == record_type)
            .group_by(Hold.purpose, Hold.expires_at, Hold.ended_reason)
        )
        return [(list(r[0]), r[1], r[2], r[3]) for r in connection.execute(stmt).all()]
    groups: dict[tuple[str, datetime | None, str | None], list[str]] = {}
    columns = (Hold.record_id, Hold.purpose, Hold.expires_at, Hold.ended_reason)
    for start in range(0, len(record_ids), chunk):
        part = list(record_ids[start : start + chunk])
        stmt = select(*columns).where(Hold.record_type == record_type, Hold.record_id.in_(part))
        for r in connection.execute(stmt):
            groups.setdefault((r[1], r[2], r[3]), []).append(r[0])
    return [(found, *key) for key, found in groups.items()]
