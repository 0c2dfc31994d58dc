"""The sweeper on both backends: what goes when, proofs, legal holds, dry run, idempotence, the lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import text

from tests.integration.retention.sweep_helpers import chat, count, customer, exists, sweep
from tillit.core.clock import FixedClock
from tillit.retention import legal, sweeper
from tillit.retention import service as retention_service
from tillit.retention.lock import SweepBusyError, sweep_lock
from tillit.runtime import Runtime

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CLOSED = T0 + timedelta(minutes=10)
DAY = timedelta(days=1)


def test_bot_chat_goes_after_one_year_with_its_messages_and_a_proof(runtime: Runtime) -> None:
    bot = chat(runtime, T0, messages=3)
    advisor = chat(runtime, T0, advisor=True)

    early = sweep(runtime, CLOSED + relativedelta(years=1) - DAY)
    assert early.records == 0
    assert exists(runtime, bot)

    result = sweep(runtime, CLOSED + relativedelta(years=1) + DAY)
    assert result.records == 1
    assert not exists(runtime, bot)
    assert exists(runtime, advisor)
    assert count(runtime, "conversation_message") == 2  # only the advisor chat's messages are left
    [group] = result.groups
    assert (group.record_type, group.purpose, group.action) == (
        "conversation",
        "chatbot_improvement",
        "delete",
    )
    assert group.tables["conversation_message"] == 3
    assert group.tables["conversation_conversation"] == 1

    with runtime.uow.read() as session:
        proofs = sweeper.proofs_between(session, T0, T0 + relativedelta(years=10))
        assert retention_service.holds_for(session, "conversation", bot) == []
    [proof] = proofs
    assert proof.records == 1
    assert (proof.keep, proof.anchor) == ("P1Y", "closed_at")
    assert proof.table_counts["conversation_message"] == 3
    assert proof.earliest_expiry == proof.latest_expiry == CLOSED + relativedelta(years=1)
    assert bot not in proof.model_dump_json()  # no record ids in a proof


def test_advisor_chat_kept_five_years_archive_view_gone_after_three(runtime: Runtime) -> None:
    subject = customer(runtime)
    cid = chat(runtime, T0, subject_id=subject, advisor=True)
    at = CLOSED + relativedelta(years=3) + DAY
    with runtime.uow.read() as session:
        archive = retention_service.can_read(
            session,
            runtime.policy,
            "chat_archive",
            record_type="conversation",
            record_id=cid,
            clock=FixedClock(at),
        )
        service = retention_service.can_read(
            session,
            runtime.policy,
            "customer_service",
            record_type="conversation",
            record_id=cid,
            clock=FixedClock(at),
        )
    assert (archive, service) == (False, True)
    assert sweep(runtime, at).records == 0
    assert exists(runtime, cid)
    assert sweep(runtime, CLOSED + relativedelta(years=5) + DAY).records == 1
    assert not exists(runtime, cid)


def test_second_sweep_finds_nothing_and_counts_nothing_twice(runtime: Runtime) -> None:
    for _ in range(7):
        chat(runtime, T0)
    at = CLOSED + relativedelta(years=2)
    first = sweep(runtime, at, batch_size=3)
    assert (first.records, first.batches) == (7, 3)
    again = sweep(runtime, at, batch_size=3)
    assert again.records == 0
    with runtime.uow.read() as session:
        proofs = sweeper.proofs_between(session, T0, at + DAY)
    assert sum(p.records for p in proofs) == 7
    assert sorted(p.batch_no for p in proofs) == [1, 2, 3]


def test_interrupted_sweep_continues_where_it_stopped(runtime: Runtime) -> None:
    for _ in range(5):
        chat(runtime, T0)
    at = CLOSED + relativedelta(years=2)
    assert sweep(runtime, at, batch_size=2, max_batches=1).records == 2
    assert count(runtime, "conversation_conversation") == 3
    assert sweep(runtime, at, batch_size=2).records == 3
    assert count(runtime, "conversation_conversation") == 0
    assert count(runtime, "conversation_message") == 0


def test_dry_run_counts_and_changes_nothing(runtime: Runtime) -> None:
    chat(runtime, T0, messages=4)
    at = CLOSED + relativedelta(years=2)
    dry = sweep(runtime, at, dry_run=True)
    assert dry.records == 1
    assert dry.rows()["conversation_message"] == 4
    assert count(runtime, "conversation_message") == 4
    assert count(runtime, "retention_proof") == 0
    assert sweep(runtime, at).records == 1


def test_legal_hold_keeps_expired_record_until_released(runtime: Runtime) -> None:
    held = chat(runtime, T0)
    by_subject = customer(runtime)
    subject_chat = chat(runtime, T0, subject_id=by_subject)
    free = chat(runtime, T0)
    with runtime.uow.begin() as session:
        [record_hold] = legal.place_on_records(
            session,
            record_type="conversation",
            record_ids=[held],
            reason="case 12/2027",
            authority="Oslo tingrett",
            placed_by="dpo-1",
            clock=runtime.clock,
        )
        subject_hold = legal.place(
            session,
            subject_id=by_subject,
            reason="tax audit",
            authority="Skatteetaten",
            placed_by="dpo-1",
            clock=runtime.clock,
        )
    at = CLOSED + relativedelta(years=4)
    result = sweep(runtime, at)
    assert result.records == 1
    assert result.legal_held == 2
    assert exists(runtime, held) and exists(runtime, subject_chat) and not exists(runtime, free)

    with runtime.uow.begin() as session:
        legal.release(session, record_hold.id, released_by="dpo-1", reason="case closed", clock=runtime.clock)
    assert sweep(runtime, at).records == 1
    assert not exists(runtime, held)
    assert exists(runtime, subject_chat)
    with runtime.uow.begin() as session:
        legal.release(session, subject_hold.id, released_by="dpo-1", reason="audit over", clock=runtime.clock)
    assert sweep(runtime, at).records == 1
    assert not exists(runtime, subject_chat)
    with runtime.engine.connect() as conn:
        actions = [r[0] for r in conn.execute(text("select action from audit_event order by seq"))]
    assert actions.count("retention.legal_hold_placed") == 2
    assert actions.count("retention.legal_hold_released") == 2


def test_releasing_twice_is_a_conflict(runtime: Runtime) -> None:
    from tillit.core.errors import ConflictError, ValidationFailedError

    with runtime.uow.begin() as session:
        hold = legal.place(
            session, subject_id="s-1", reason="r", authority="a", placed_by="d", clock=runtime.clock
        )
        legal.release(session, hold.id, released_by="d", reason="done", clock=runtime.clock)
        with pytest.raises(ConflictError):
            legal.release(session, hold.id, released_by="d", reason="done", clock=runtime.clock)
        with pytest.raises(ValidationFailedError):
            legal.place(
                session, subject_id="s-1", reason=" ", authority="a", placed_by="d", clock=runtime.clock
            )


def test_only_one_sweeper_at_a_time(runtime: Runtime) -> None:
    chat(runtime, T0)
    with sweep_lock(runtime.engine), pytest.raises(SweepBusyError):
        sweep(runtime, CLOSED + relativedelta(years=2))
    assert sweep(runtime, CLOSED + relativedelta(years=2)).records == 1


def test_proofs_are_append_only(runtime: Runtime) -> None:
    chat(runtime, T0)
    sweep(runtime, CLOSED + relativedelta(years=2))
    with pytest.raises(Exception, match="append-only"), runtime.engine.begin() as conn:
        conn.execute(text("update retention_proof set records = 99"))
