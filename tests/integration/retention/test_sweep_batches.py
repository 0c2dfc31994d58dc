"""The sweeper's batches on both backends: per-table counts in proofs, holds ending at the same instant,
legal holds at a batch's edge, keys with commas; and on PostgreSQL, the grouped candidate query against
the row-by-row one SQLite uses."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import text

from tests.integration.retention.sweep_helpers import chat, count, customer, exists, sweep
from tillit.conversations import service as conversations
from tillit.conversations.schemas import FeedbackCreate
from tillit.core.clock import FixedClock
from tillit.core.ids import new_id
from tillit.retention import legal, sweep_repository, sweeper
from tillit.retention import service as retention_service
from tillit.runtime import Runtime

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CLOSED = T0 + timedelta(minutes=10)
DAY = timedelta(days=1)
AFTER_A_YEAR = CLOSED + relativedelta(years=1) + DAY
TABLES = (
    "conversation_message",
    "conversation_ip",
    "conversation_handoff_contact",
    "conversation_feedback",
    "conversation_conversation",
)


def _chats_with_parts(rt: Runtime) -> list[str]:
    """Five bot chats closed at CLOSED: 1 to 5 messages, an IP address on three, feedback on one."""
    ids = [chat(rt, T0, messages=n, ip="192.0.2.10" if n % 2 else None) for n in range(1, 6)]
    with rt.uow.begin() as session:
        conversations.give_feedback(
            session, rt.policy, ids[1], FeedbackCreate(rating=4, comment=None), clock=FixedClock(CLOSED)
        )
    return ids


def _proof_rows(rt: Runtime) -> list[tuple[str, int, dict[str, int]]]:
    with rt.uow.read() as session:
        proofs = sweeper.proofs_between(session, T0, T0 + relativedelta(years=10))
    return [(p.record_type, p.records, dict(p.table_counts)) for p in proofs]


def _holds(rt: Runtime) -> int:
    return count(rt, "retention_hold")


@pytest.mark.parametrize("batch_size", [sweeper.DEFAULT_BATCH, 2, 1])
def test_proofs_count_every_deleted_row_once_whatever_the_batches(runtime: Runtime, batch_size: int) -> None:
    _chats_with_parts(runtime)
    before = {table: count(runtime, table) for table in TABLES}
    assert before == {
        "conversation_message": 15,
        "conversation_ip": 3,
        "conversation_handoff_contact": 0,
        "conversation_feedback": 1,
        "conversation_conversation": 5,
    }

    result = sweep(runtime, AFTER_A_YEAR, batch_size=batch_size)

    assert {table: count(runtime, table) for table in TABLES} == dict.fromkeys(TABLES, 0)
    assert _holds(runtime) == 0
    proofs = _proof_rows(runtime)
    totals: dict[str, int] = defaultdict(int)
    for record_type, records, tables in proofs:
        for table, rows in tables.items():
            totals[table] += rows
        if record_type == "conversation_ip":  # an IP address erased as a record of its own: its one row
            assert tables == {"conversation_ip": records}
        else:
            assert record_type == "conversation"
            assert tables["conversation_conversation"] == records
    assert {table: totals[table] for table in TABLES} == before  # each row in exactly one proof
    assert sum(records for _, records, _ in proofs) == result.records
    assert sum(group.records for group in result.groups) == result.records
    for table in TABLES:
        assert sum(group.tables.get(table, 0) for group in result.groups) == before[table]
    if batch_size == sweeper.DEFAULT_BATCH:  # one batch: the IP addresses go first, as records of their own
        assert sorted((record_type, records) for record_type, records, _ in proofs) == [
            ("conversation", 5),
            ("conversation_ip", 3),
        ]


def _end_holds(rt: Runtime, conversation_id: str, at: datetime, anonymise: str | None = None) -> None:
    """Make every hold of the conversation end at `at` (ties at the last instant); `anonymise` names a
    purpose whose hold says anonymise."""
    with rt.engine.begin() as conn:
        conn.execute(
            text(
                "update retention_hold set expires_at = :at"
                " where record_type = 'conversation' and record_id = :c"
            ),
            {"at": at, "c": conversation_id},
        )
        if anonymise is not None:
            conn.execute(
                text(
                    "update retention_hold set action = 'anonymise' where record_type = 'conversation'"
                    " and record_id = :c and purpose = :p"
                ),
                {"c": conversation_id, "p": anonymise},
            )


def test_holds_ending_at_the_same_instant_decide_as_sweep_rules_says(runtime: Runtime) -> None:
    tied = chat(runtime, T0)  # both holds end at once, both delete: the first purpose by id decides
    anonymising = chat(runtime, T0)  # both end at once, `chatbot` anonymises: the deleting one decides
    plain = chat(runtime, T0)  # `chatbot_improvement` ends last and decides
    _end_holds(runtime, tied, CLOSED + relativedelta(months=6))
    _end_holds(runtime, anonymising, CLOSED + relativedelta(months=7), anonymise="chatbot")
    with runtime.uow.read() as session:
        rules = {h.purpose: h for h in retention_service.holds_for(session, "conversation", plain)}
    assert set(rules) == {"chatbot", "chatbot_improvement"}

    result = sweep(runtime, AFTER_A_YEAR)

    assert not any(exists(runtime, c) for c in (tied, anonymising, plain))
    with runtime.uow.read() as session:
        proofs = sweeper.proofs_between(session, T0, T0 + relativedelta(years=10))
    by_purpose = {p.purpose: p for p in proofs}
    assert set(by_purpose) == {"chatbot", "chatbot_improvement"}
    assert by_purpose["chatbot"].records == 1
    assert by_purpose["chatbot"].earliest_expiry == by_purpose["chatbot"].latest_expiry
    assert by_purpose["chatbot"].latest_expiry == CLOSED + relativedelta(months=6)
    # `anonymising` and `plain` are decided by the same rule: one proof row, both in its window.
    improvement = by_purpose["chatbot_improvement"]
    assert improvement.records == 2
    assert improvement.action == "delete"
    assert improvement.earliest_expiry == CLOSED + relativedelta(months=7)
    assert improvement.latest_expiry == CLOSED + relativedelta(years=1)
    assert improvement.table_counts["conversation_message"] == 4
    assert result.records == 3


def test_a_legal_hold_at_the_end_of_a_batch_is_passed_not_read_again(runtime: Runtime) -> None:
    held = chat(runtime, T0)
    subject = customer(runtime)
    by_subject = chat(runtime, T0 + DAY, subject_id=subject)
    free = chat(runtime, T0 + 2 * DAY)
    with runtime.uow.begin() as session:
        legal.place_on_records(
            session,
            record_type="conversation",
            record_ids=[held],
            reason="case 12/2027",
            authority="Oslo tingrett",
            placed_by="dpo-1",
            clock=runtime.clock,
        )
        legal.place(
            session,
            subject_id=subject,
            reason="tax audit",
            authority="Skatteetaten",
            placed_by="dpo-1",
            clock=runtime.clock,
        )

    # A customer's chat is kept longer than a bot chat; four years on, all three have expired.
    result = sweep(runtime, CLOSED + relativedelta(years=4) + 3 * DAY, batch_size=1)  # one record per batch

    assert (result.records, result.legal_held) == (1, 2)
    assert result.batches == 3
    assert exists(runtime, held) and exists(runtime, by_subject) and not exists(runtime, free)


def test_forgetting_holds_of_keys_with_commas(runtime: Runtime) -> None:
    keys = ["a,b", "c", "", "d,", ",e"]
    with runtime.engine.begin() as conn:
        for key in [*keys, "a", "b", "kept"]:
            conn.execute(
                text(
                    "insert into retention_hold (id, record_type, record_id, subject_id, purpose, rule_index,"
                    " action, expires_at, created_at, updated_at, ended_reason) values (:id, 'some_dataset',"
                    " :rid, null, 'bookkeeping', 0, 'delete', :at, :at, :at, null)"
                ),
                {"id": new_id(), "rid": key, "at": T0},
            )
    with runtime.uow.begin() as session:
        forgotten = retention_service.forget_records(session, record_type="some_dataset", record_ids=keys)
    assert forgotten == len(keys)
    with runtime.engine.connect() as conn:
        left = sorted(r[0] for r in conn.execute(text("select record_id from retention_hold")))
    assert left == ["a", "b", "kept"]


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_grouped_candidates_are_the_row_by_row_ones(runtime: Runtime) -> None:
    """PostgreSQL's one-statement, grouped candidate query gives what the row-by-row query (SQLite's)
    gives on the same data: the same records in the same groups, windows, legal holds and cursor."""
    _chats_with_parts(runtime)
    tied = chat(runtime, T0)
    _end_holds(runtime, tied, CLOSED + relativedelta(months=6), anonymise="chatbot")
    held = chat(runtime, T0)
    subject = customer(runtime)
    by_subject = chat(runtime, T0, subject_id=subject)
    alive = chat(runtime, T0, advisor=True)  # kept five years: never a candidate
    at = CLOSED + relativedelta(years=4) + DAY  # a customer's chat is kept longer than a bot chat
    legal_records = frozenset({("conversation", held)})
    legal_subjects = frozenset({subject})

    def normalised(batch: sweep_repository.ExpiredBatch) -> tuple[object, ...]:
        """The batch with groups of the same kind and `last` merged (SQL may split them by the order
        of their ties) and each group's ids as a set."""
        merged: dict[tuple[str, sweep_repository.Last], tuple[set[str], datetime, datetime]] = {}
        for g in batch.groups:
            ids, earliest, latest = merged.get((g.record_type, g.last), (set(), g.earliest, g.latest))
            merged[(g.record_type, g.last)] = (
                ids | set(g.record_ids),
                min(earliest, g.earliest),
                max(latest, g.latest),
            )
        return batch.found, batch.legal_held, batch.cursor, sorted(merged.items(), key=repr)

    with runtime.uow.read() as session:
        for limit in (100, 3, 4):  # one batch; batches whose edges fall inside groups
            cursor = None
            while True:
                args = (session, at, limit, cursor, legal_records, legal_subjects)
                grouped = sweep_repository._expired_batch_pg(*args)
                rows = sweep_repository._expired_batch_generic(*args)
                assert normalised(grouped) == normalised(rows)
                if grouped.cursor is None:
                    break
                assert all(alive not in g.record_ids for g in grouped.groups)
                cursor = grouped.cursor
        everything = sweep_repository._expired_batch_pg(session, at, 100, None, legal_records, legal_subjects)
    assert everything.found == 5 + 3 + 3  # five chats and their three IP addresses, tied, held, by_subject
    assert everything.legal_held == 2
    assert {r for g in everything.groups for r in g.record_ids} >= {tied}
    assert not {held, by_subject} & {r for g in everything.groups for r in g.record_ids}
