"""The audit chain on both backends: append and verify, and every kind of tampering is found."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.audit.errors import AuditInputError, AuditIntegrityError
from tillit.audit.schemas import Actor, VerifyResult
from tillit.core.clock import FixedClock
from tillit.runtime import Runtime


def _append(runtime: Runtime, n: int, *, actor: str = "advisor-1") -> None:
    with runtime.uow.begin() as session:
        for i in range(n):
            audit_service.record(
                session,
                actor_type="staff",
                actor_id=actor,
                action="subject.read",
                purpose="customer_service",
                subject_id=f"subject-{i}",
                record_type="conversation",
                record_id=f"c-{i}",
                detail={"rows": i, "kinds": ["email"]},
                clock=runtime.clock,
            )
            assert isinstance(runtime.clock, FixedClock)
            runtime.clock.advance(timedelta(seconds=1))


def _verify(runtime: Runtime, batch_size: int = 3) -> VerifyResult:
    with runtime.uow.read() as session:
        return audit_service.verify(session, batch_size=batch_size)


def _raw(runtime: Runtime, sql: str, **params: object) -> None:
    with runtime.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_append_then_verify_ok(runtime: Runtime) -> None:
    assert _verify(runtime).ok  # an empty log is intact
    _append(runtime, 7)
    with runtime.uow.read() as session:
        events = audit_service.tail(session, 3)
        assert [e.seq for e in events] == [5, 6, 7]
        assert events[0].prev_hash == audit_service.tail(session, 4)[0].hash
        assert audit_service.count(session) == 7
    result = _verify(runtime)
    assert result.ok, result.message
    assert result.count == 7
    assert result.head_seq == 7
    assert result.message.startswith("OK: 7 audit events")


def test_record_joins_the_callers_transaction(runtime: Runtime) -> None:
    _append(runtime, 2)

    class RolledBackError(Exception):
        pass

    with pytest.raises(RolledBackError), runtime.uow.begin() as session:
        audit_service.record_as(session, Actor.job("sweeper"), "dataset.delete", clock=runtime.clock)
        raise RolledBackError
    with runtime.uow.read() as session:
        assert audit_service.count(session) == 2
    _append(runtime, 1)
    assert _verify(runtime).ok


def test_updated_detail_is_reported_as_tampered(runtime: Runtime) -> None:
    _append(runtime, 6)
    _raw(runtime, "UPDATE audit_event SET detail = :d WHERE seq = 4", d='{"rows": 99, "kinds": ["email"]}')
    result = _verify(runtime)
    assert not result.ok
    assert (result.broken_seq, result.problem) == (4, "tampered")
    assert "seq 4" in result.message


def test_changed_actor_is_reported_as_tampered(runtime: Runtime) -> None:
    _append(runtime, 3)
    _raw(runtime, "UPDATE audit_event SET actor_id = 'someone-else' WHERE seq = 1")
    result = _verify(runtime)
    assert (result.broken_seq, result.problem) == (1, "tampered")


def test_deleted_middle_row_is_a_gap(runtime: Runtime) -> None:
    _append(runtime, 6)
    _raw(runtime, "DELETE FROM audit_event WHERE seq = 3")
    result = _verify(runtime)
    assert not result.ok
    assert (result.broken_seq, result.problem) == (3, "gap")
    assert "rows were deleted" in result.message


def test_deleted_last_row_is_detected_by_the_head(runtime: Runtime) -> None:
    _append(runtime, 5)
    _raw(runtime, "DELETE FROM audit_event WHERE seq = 5")
    result = _verify(runtime)
    assert not result.ok
    assert (result.broken_seq, result.problem) == (5, "truncated")
    # Appending after a truncation keeps the evidence: the new row follows the head, leaving a gap.
    _append(runtime, 1)
    after = _verify(runtime)
    assert (after.broken_seq, after.problem) == (5, "gap")


def test_rehashed_forgery_breaks_the_link(runtime: Runtime) -> None:
    _append(runtime, 4)
    with runtime.uow.read() as session:
        second = audit_service.tail(session, 3)[0]
    assert second.seq == 2
    _raw(runtime, "UPDATE audit_event SET hash = :h WHERE seq = 2", h="a" * 64)
    result = _verify(runtime)
    assert (result.broken_seq, result.problem) == (2, "tampered")


def test_deleted_head_blocks_appends_until_resealed(runtime: Runtime) -> None:
    _append(runtime, 3)
    _raw(runtime, "DELETE FROM audit_head")
    result = _verify(runtime)
    assert (result.problem, result.broken_seq) == ("head", 3)
    with pytest.raises(AuditIntegrityError, match="head is missing"), runtime.uow.begin() as session:
        audit_service.record(session, actor_type="job", actor_id="x", action="a.b", clock=runtime.clock)
    with runtime.uow.begin() as session:
        event = audit_service.reseal(session, actor=Actor.staff("security-1"), clock=runtime.clock)
    assert event.seq == 4
    assert event.detail["previous_head_seq"] is None
    assert _verify(runtime).ok


def test_bad_detail_is_refused_and_nothing_written(runtime: Runtime) -> None:
    with pytest.raises(AuditInputError, match="e-mail"), runtime.uow.begin() as session:
        audit_service.record(
            session,
            actor_type="staff",
            actor_id="advisor-1",
            action="subject.read",
            detail={"looked_up": "ola@example.com"},
            clock=runtime.clock,
        )
    with runtime.uow.read() as session:
        assert audit_service.count(session) == 0


def test_events_for_subject(runtime: Runtime) -> None:
    _append(runtime, 3)
    with runtime.uow.read() as session:
        events = audit_service.events_for_subject(session, "subject-1")
    assert [(e.seq, e.subject_id) for e in events] == [(2, "subject-1")]


def test_concurrent_appends_keep_one_chain(runtime: Runtime) -> None:
    """Threads on their own connections append at once; no seq is taken twice, none is skipped."""
    per_thread, threads = 15, 4
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def worker(name: str) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with runtime.uow.begin() as session:
                    # Read something first, as real use cases do, before appending.
                    session.execute(text("SELECT 1"))
                    audit_service.record(
                        session,
                        actor_type="job",
                        actor_id=name,
                        action="dataset.sweep",
                        detail={"batch": i},
                        clock=runtime.clock,
                    )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(f"worker-{t}",)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert not errors, errors
    result = _verify(runtime, batch_size=7)
    assert result.ok, result.message
    assert result.count == per_thread * threads
    assert result.head_seq == per_thread * threads


def test_appends_in_one_transaction_lock_and_write_the_head_once(runtime: Runtime) -> None:
    """Several appends in one transaction read the head once and write it once, at commit; the chain and
    the head are the same as with one transaction per append."""
    _append(runtime, 1)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        found = re.match(
            r"\s*(?:UPDATE\s+(\w+)|INSERT\s+INTO\s+(\w+)|SELECT\b.*?\bFROM\s+(\w+))", statement, re.S
        )
        if found:
            verb = "UPDATE" if found[1] else "INSERT" if found[2] else "SELECT"
            statements.append(f"{verb} {found[1] or found[2] or found[3]}")

    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        _append(runtime, 3)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)
    head_writes = [s for s in statements if s.startswith("UPDATE audit_head")]
    head_reads = [s for s in statements if s.startswith("SELECT audit_head")]
    event_inserts = [s for s in statements if s.startswith("INSERT audit_event")]
    assert len(event_inserts) == 3
    assert len(head_reads) == 1
    # SQLite also takes its write lock with an UPDATE of the head before reading it.
    assert len(head_writes) == (2 if runtime.engine.dialect.name == "sqlite" else 1)
    result = _verify(runtime)
    assert result.ok, result.message
    assert result.head_seq == 4


def test_a_rolled_back_transaction_forgets_its_tail(runtime: Runtime) -> None:
    """Appends rolled back leave neither rows nor a remembered tail: the next append on the same session
    object continues from the committed head."""
    _append(runtime, 2)
    session = Session(runtime.engine)  # one Session object across two transactions
    try:
        with session.begin():
            audit_service.record_as(session, Actor.job("sweeper"), "dataset.delete", clock=runtime.clock)
            session.rollback()
        with session.begin():
            event = audit_service.record_as(
                session, Actor.job("sweeper"), "dataset.delete", clock=runtime.clock
            )
        assert event.seq == 3
    finally:
        session.close()
    assert _verify(runtime).ok


def test_reseal_after_appends_in_the_same_transaction(runtime: Runtime) -> None:
    _append(runtime, 2)
    with runtime.uow.begin() as session:
        audit_service.record_as(session, Actor.job("sweeper"), "dataset.delete", clock=runtime.clock)
        sealed = audit_service.reseal(session, actor=Actor.job("operator"), clock=runtime.clock)
    assert sealed.seq == 4
    result = _verify(runtime)
    assert result.ok, result.message
    assert result.head_seq == 4
