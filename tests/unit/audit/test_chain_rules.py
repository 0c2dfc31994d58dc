"""The audit chain's pure rules: canonical hashing, the detail guard, and the row-by-row checker."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tillit.audit.errors import AuditInputError
from tillit.audit.rules import GENESIS_HASH, ChainChecker, ChainRow, check_detail, check_fields, event_hash

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def _chain(n: int) -> list[ChainRow]:
    rows: list[ChainRow] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        fields: dict[str, Any] = {
            "seq": seq,
            "at": T0 + timedelta(seconds=seq),
            "actor_type": "staff",
            "actor_id": "advisor-1",
            "action": "subject.read",
            "purpose": "customer_service",
            "subject_id": f"subject-{seq}",
            "record_type": "conversation",
            "record_id": f"c-{seq}",
            "detail": {"rows": seq},
            "prev_hash": prev,
        }
        digest = event_hash(**fields)
        rows.append(ChainRow(**fields, hash=digest))
        prev = digest
    return rows


def _walk(rows: list[ChainRow], head: tuple[int, str] | None) -> ChainChecker:
    checker = ChainChecker()
    for row in rows:
        if checker.feed(row):
            break
    checker.check_head(head)
    return checker


def test_intact_chain() -> None:
    rows = _chain(5)
    checker = _walk(rows, (5, rows[-1].hash))
    assert checker.problem is None
    assert checker.count == 5


def test_empty_log_without_head_is_fine() -> None:
    assert _walk([], None).problem is None


def test_hash_covers_time_in_utc_regardless_of_offset() -> None:
    row = _chain(1)[0]
    shifted = dataclasses.replace(row, at=row.at.astimezone(timezone(timedelta(hours=2))))
    assert shifted.recomputed_hash() == row.hash
    later = dataclasses.replace(row, at=row.at + timedelta(microseconds=1))
    assert later.recomputed_hash() != row.hash


def test_changed_content_is_tampering() -> None:
    rows = _chain(5)
    rows[2] = dataclasses.replace(rows[2], detail={"rows": 999})
    problem = _walk(rows, (5, rows[-1].hash)).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (3, "tampered")


def test_missing_middle_row_is_a_gap() -> None:
    rows = _chain(5)
    del rows[2]
    problem = _walk(rows, (5, rows[-1].hash)).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (3, "gap")
    assert "seq 3 missing" in problem.message


def test_missing_first_rows_is_a_gap() -> None:
    rows = _chain(5)[2:]
    problem = _walk(rows, (5, rows[-1].hash)).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (1, "gap")
    assert "seq 1 to 2 missing" in problem.message


def test_rehashed_row_breaks_the_link_to_the_next() -> None:
    rows = _chain(5)
    forged = dataclasses.replace(rows[2], detail={"rows": 999})
    rows[2] = dataclasses.replace(forged, hash=forged.recomputed_hash())
    problem = _walk(rows, (5, rows[-1].hash)).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (4, "chain")


def test_deleted_tail_is_detected_by_the_head() -> None:
    rows = _chain(5)
    problem = _walk(rows[:3], (5, rows[-1].hash)).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (4, "truncated")
    assert "seq 4 to 5 missing" in problem.message


def test_missing_head_and_disagreeing_head() -> None:
    rows = _chain(3)
    missing = _walk(rows, None).problem
    assert missing is not None and missing.kind == "head"
    wrong = _walk(rows, (3, "f" * 64)).problem
    assert wrong is not None and (wrong.seq, wrong.kind) == (3, "head")
    behind = _walk(rows, (2, rows[1].hash)).problem
    assert behind is not None and (behind.seq, behind.kind) == (3, "chain")
    all_gone = _walk([], (3, rows[-1].hash)).problem
    assert all_gone is not None and (all_gone.seq, all_gone.kind) == (1, "truncated")


@pytest.mark.parametrize(
    "detail",
    [
        {"rows": 3, "kinds": ["email", "phone"], "reason": "erasure"},
        {"conversation_ids": ["123e4567-e89b-12d3-a456-426614174000"]},
        {"expires_at": "2026-01-15T09:00:00+00:00", "on": "2026-01-15"},
        {"hash": "ab" * 32, "ratio": 0.5, "flag": True, "none": None},
        {"nested": {"counts": {"deleted": 1}}},
    ],
)
def test_detail_accepts_ids_counts_and_codes(detail: dict[str, Any]) -> None:
    assert check_detail(detail) == detail


@pytest.mark.parametrize(
    ("detail", "reason"),
    [
        ({"email": "ola@example.com"}, "e-mail"),
        ({"who": "write to Ola.Nordmann@example.no please"}, "e-mail"),
        ({"phone": "+47 912 34 567"}, "phone or national ID"),
        ({"fnr": "150385 10190"}, "phone or national ID"),
        ({"hetu": "131052-123U"}, "national ID"),
        ({"text": "x" * 201}, "longer than"),
        ({"Bad-Key": 1}, "lower-case identifier"),
        ({"n": float("nan")}, "finite"),
        ({"blob": b"bytes"}, "unsupported type"),
        ({"a": {"b": {"c": {"d": 1}}}}, "deeper"),
        ({"ids": list(range(201))}, "count instead"),
    ],
)
def test_detail_refuses_content_and_identifiers(detail: dict[str, Any], reason: str) -> None:
    with pytest.raises(AuditInputError, match=reason):
        check_detail(detail)


def test_fields_checked_against_columns() -> None:
    check_fields(actor_type="staff", action="subject.read", actor_id="a1", purpose=None)
    with pytest.raises(AuditInputError, match="actor_type"):
        check_fields(actor_type="robot", action="x", actor_id="a1")
    with pytest.raises(AuditInputError, match="action"):
        check_fields(actor_type="job", action="Subject Read", actor_id="a1")
    with pytest.raises(AuditInputError, match="record_id is longer"):
        check_fields(actor_type="job", action="x.y", actor_id="a1", record_id="r" * 129)
    with pytest.raises(AuditInputError, match="actor_id is empty"):
        check_fields(actor_type="job", action="x.y", actor_id="")
