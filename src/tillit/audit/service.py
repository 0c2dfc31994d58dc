"""The audit log: append one row per read or change of personal data, verify the chain.

`record` takes `session` and joins the caller's transaction (never commits), so the change and its audit
row are written together or not at all. Rows form a hash chain (each row's `hash` covers its content and
its predecessor's hash) with gapless `seq` numbers, and a one-row head (`audit_head`) names the newest
seq and hash, updated in the same transaction: a changed row, a deleted row in the middle, and deleted
rows at the end are all detected by `verify`.

What callers put in a row: the actor, the purpose, the subject id, the record type and id, and in
`detail` only ids, counts, kinds, flags and short codes. Never message text, names, e-mail addresses,
phone or national ID numbers: the log outlives the data it describes, and `rules.check_detail` rejects
the usual mistakes.

Concurrency: two transactions appending at once must not both read the same tail. On PostgreSQL the
append takes a transaction-scoped advisory lock before reading the head; on SQLite it first writes to the
head row, which takes the database's single write lock (held until commit) before the head is read.
Either way the lock lasts until the caller's transaction ends, so appends are serialised: keep audited
transactions short (they should be anyway).

Several appends in one transaction (a chat turn that reads two datasets) lock and read the head once:
the tail is remembered on the session for that transaction, and the head row is written once, just
before the transaction commits (`_write_pending_head`, a `before_commit` hook). A rolled-back
transaction forgets its tail with its rows.

Limits, stated plainly: someone able to rewrite every row *and* the head can recompute a consistent
chain (SHA-256 is unkeyed so that anyone can verify the log without the secret). Guard against that by
recording the head printed by `tillit audit verify` outside the database now and then.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, event, func, insert, select, text, update
from sqlalchemy.orm import Session

from tillit.audit import rules
from tillit.audit.errors import AuditIntegrityError
from tillit.audit.models import AuditEvent, AuditHead
from tillit.audit.schemas import Actor, AuditEventRead, VerifyResult
from tillit.core.clock import Clock

HEAD_ID = 1
_PG_LOCK_KEY = 7_417_117_500_001
"""pg_advisory_xact_lock key reserved for the audit chain (any constant; documented so nobody reuses it)."""

_EVENT_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.at,
    AuditEvent.actor_type,
    AuditEvent.actor_id,
    AuditEvent.action,
    AuditEvent.purpose,
    AuditEvent.subject_id,
    AuditEvent.record_type,
    AuditEvent.record_id,
    AuditEvent.detail,
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


def record(
    session: Session,
    *,
    actor_type: str,
    actor_id: str,
    action: str,
    purpose: str | None = None,
    subject_id: str | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
    detail: dict[str, Any] | None = None,
    clock: Clock,
) -> AuditEventRead:
    """Append one event to the chain inside the caller's transaction and return it.

    `action` is dotted lower-case (`subject.read`, `dataset.delete`); `detail` holds ids and counts only.
    Raises AuditInputError for rows that break those rules, AuditIntegrityError when the head is missing
    while events exist (see `reseal`).
    """
    rules.check_fields(
        actor_type=actor_type,
        action=action,
        actor_id=actor_id,
        purpose=purpose,
        subject_id=subject_id,
        record_type=record_type,
        record_id=record_id,
    )
    clean_detail = rules.check_detail(detail)
    tail = _tail(session)
    prev_seq, prev_hash = tail.seq, tail.hash
    fields: dict[str, Any] = {
        "seq": prev_seq + 1,
        "at": clock.now(),
        "actor_type": actor_type,
        "actor_id": actor_id,
        "action": action,
        "purpose": purpose,
        "subject_id": subject_id,
        "record_type": record_type,
        "record_id": record_id,
        "detail": clean_detail,
        "prev_hash": prev_hash,
    }
    fields["hash"] = rules.event_hash(**fields)
    session.execute(_INSERT_EVENT, fields)
    tail.seq, tail.hash, tail.at, tail.dirty = fields["seq"], fields["hash"], fields["at"], True
    return AuditEventRead(**fields)


_INSERT_EVENT = insert(AuditEvent)
"""Built once: executed with each row's values as parameters (no statement to build per append)."""
_TAIL = "tillit.audit.tail"


@dataclass
class _Tail:
    """The chain's newest row as this transaction sees it, and whether the head row still has to say so."""

    transaction: object
    seq: int
    hash: str
    at: datetime | None
    head_exists: bool
    dirty: bool = False


def _tail(session: Session) -> _Tail:
    """This transaction's tail: remembered after its first append, else locked and read from the head."""
    transaction = session.get_transaction()
    tail: _Tail | None = session.info.get(_TAIL)
    if tail is not None and tail.transaction is transaction:
        return tail
    _lock_chain(session)
    head = _read_head(session)
    if head is None:
        if _last_seq(session) is not None:
            raise AuditIntegrityError(
                "the audit head is missing while the log holds events; run `tillit audit verify`, "
                "investigate, then `tillit audit reseal`"
            )
        tail = _Tail(transaction, 0, rules.GENESIS_HASH, None, head_exists=False)
    else:
        tail = _Tail(transaction, head[0], head[1], None, head_exists=True)
    session.info[_TAIL] = tail
    return tail


@event.listens_for(Session, "before_commit")
def _write_pending_head(session: Session) -> None:
    """Write the head once per transaction, with the transaction's last append, before it commits."""
    tail: _Tail | None = session.info.pop(_TAIL, None)
    if tail is not None and tail.dirty and tail.transaction is session.get_transaction():
        _write_head(session, seq=tail.seq, hash_=tail.hash, at=tail.at, exists=tail.head_exists)


@event.listens_for(Session, "after_rollback")
def _forget_tail(session: Session) -> None:
    session.info.pop(_TAIL, None)


def record_as(
    session: Session,
    actor: Actor,
    action: str,
    *,
    purpose: str | None = None,
    subject_id: str | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
    detail: dict[str, Any] | None = None,
    clock: Clock,
) -> AuditEventRead:
    """`record` for callers holding an `Actor`."""
    return record(
        session,
        actor_type=actor.type,
        actor_id=actor.id,
        action=action,
        purpose=purpose,
        subject_id=subject_id,
        record_type=record_type,
        record_id=record_id,
        detail=detail,
        clock=clock,
    )


def verify(session: Session, *, batch_size: int = 1000) -> VerifyResult:
    """Walk the whole chain in seq order, `batch_size` rows at a time (constant memory), and report the
    first break: a changed row, missing seq numbers, a wrong predecessor, or a head that disagrees.

    Safe while others append: appends commit with their head update, so when the head is found ahead of
    the walk the walk continues, and only a head ahead of rows that do not exist is a truncation.
    """
    checker = rules.ChainChecker()
    while True:
        for row in _rows_after(session, checker.last_seq, batch_size):
            problem = checker.feed(row)
            if problem is not None:
                return _result(checker, problem, _read_head(session))
        head = _read_head(session)
        if head is not None and head[0] > checker.last_seq and (_last_seq(session) or 0) > checker.last_seq:
            continue  # rows were committed after the walk passed; walk them too
        problem = checker.check_head(head)
        return _result(checker, problem, head)


def tail(session: Session, n: int = 20) -> list[AuditEventRead]:
    """The newest `n` events, oldest first."""
    rows = session.execute(select(*_EVENT_COLUMNS).order_by(AuditEvent.seq.desc()).limit(n)).all()
    return [_event(row) for row in reversed(rows)]


def events_for_subject(session: Session, subject_id: str, *, limit: int = 100) -> list[AuditEventRead]:
    """The newest events about one subject, oldest first (who read or changed their data, and why)."""
    rows = session.execute(
        select(*_EVENT_COLUMNS)
        .where(AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    ).all()
    return [_event(row) for row in reversed(rows)]


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def reseal(session: Session, *, actor: Actor, clock: Clock) -> AuditEventRead:
    """Re-anchor a missing or disagreeing head at the current last row, and record that it was done.

    For an operator after investigating a `head` or `truncated` finding: appends stay refused while the
    head is missing. Breaks inside the chain stay visible to `verify` for ever: resealing does not hide
    them, and the `audit.resealed` row itself names the previous head.
    """
    _write_pending_head(session)  # appends earlier in this transaction: the head names them first
    _lock_chain(session)
    previous = _read_head(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    tail_seq, tail_hash = (last[0], last[1]) if last is not None else (0, rules.GENESIS_HASH)
    _write_head(session, seq=tail_seq, hash_=tail_hash, at=clock.now(), exists=previous is not None)
    return record_as(
        session,
        actor,
        "audit.resealed",
        detail={
            "previous_head_seq": previous[0] if previous is not None else None,
            "previous_head_hash": previous[1] if previous is not None else None,
            "tail_seq": tail_seq,
        },
        clock=clock,
    )


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    else:
        # A write (even of no row) makes SQLite take its write lock now and hold it until commit, so the
        # head read next cannot be stale. It also serialises against other writers on any backend
        # that locks the head row.
        session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(id=HEAD_ID))


def _read_head(session: Session) -> tuple[int, str] | None:
    row = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)).first()
    return (int(row[0]), str(row[1])) if row is not None else None


def _write_head(session: Session, *, seq: int, hash_: str, at: Any, exists: bool) -> None:
    if exists:
        session.execute(
            update(AuditHead).where(AuditHead.id == HEAD_ID).values(seq=seq, hash=hash_, updated_at=at)
        )
    else:
        session.execute(insert(AuditHead).values(id=HEAD_ID, seq=seq, hash=hash_, updated_at=at))


def _last_seq(session: Session) -> int | None:
    value = session.execute(select(func.max(AuditEvent.seq))).scalar_one_or_none()
    return int(value) if value is not None else None


def _rows_after(session: Session, after_seq: int, batch_size: int) -> Iterator[rules.ChainRow]:
    """Keyset pagination by seq: each batch is one query, none held in memory after it is walked."""
    last = after_seq
    while True:
        batch = session.execute(
            select(*_EVENT_COLUMNS).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch_size)
        ).all()
        if not batch:
            return
        for row in batch:
            yield _chain_row(row)
        last = int(batch[-1].seq)
        if len(batch) < batch_size:
            return


def _chain_row(row: Row[*tuple[Any, ...]]) -> rules.ChainRow:
    return rules.ChainRow(
        seq=int(row.seq),
        at=row.at,
        actor_type=row.actor_type,
        actor_id=row.actor_id,
        action=row.action,
        purpose=row.purpose,
        subject_id=row.subject_id,
        record_type=row.record_type,
        record_id=row.record_id,
        detail=row.detail if row.detail is not None else {},
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _event(row: Row[*tuple[Any, ...]]) -> AuditEventRead:
    return AuditEventRead(**row._asdict())


def _result(
    checker: rules.ChainChecker, problem: rules.Problem | None, head: tuple[int, str] | None
) -> VerifyResult:
    head_seq, head_hash = head if head is not None else (None, None)
    if problem is None:
        message = f"OK: {checker.count} audit events, chain and head intact" + (
            f" (head seq {head_seq}, hash {head_hash})" if head is not None else ""
        )
        return VerifyResult(
            ok=True, count=checker.count, head_seq=head_seq, head_hash=head_hash, message=message
        )
    return VerifyResult(
        ok=False,
        count=checker.count,
        head_seq=head_seq,
        head_hash=head_hash,
        broken_seq=problem.seq,
        problem=problem.kind,
        message=f"audit log broken at seq {problem.seq}: {problem.message}",
    )
