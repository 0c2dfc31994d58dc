"""Legal holds: litigation or an authority's order suspends deletion of named records or of everything
about one subject, without changing the policy or the holds.

Every function takes `session` and joins the caller's transaction; placing and releasing each write an
audit row in that same transaction. The reason and the authority are kept on the legal hold itself (they
are evidence the DPO must be able to show); the audit row holds only ids and the kind of target, because
the audit log must not carry free text that may name a person.

What a subject hold covers: every record whose holds carry that subject id (tillit's own records, and
dataset rows whose holds were given a subject). A dataset row assigned without a subject can be held
only by naming it (`record_type` = dataset id, `record_id` = its primary key).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from tillit.audit import service as audit_service
from tillit.core.clock import Clock
from tillit.core.errors import ConflictError, NotFoundError, ValidationFailedError
from tillit.core.ids import new_id
from tillit.retention import sweep_repository
from tillit.retention.sweep_models import LegalHold
from tillit.retention.sweep_schemas import LegalHoldRead

MAX_TEXT = 500


@dataclass(frozen=True)
class Coverage:
    """What the active legal holds cover, loaded once per batch and checked in memory."""

    subjects: frozenset[str] = field(default_factory=frozenset)
    records: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def covers(self, record_type: str, record_id: str, subject_ids: Iterable[str | None]) -> bool:
        if (record_type, record_id) in self.records:
            return True
        return any(s is not None and s in self.subjects for s in subject_ids)


def place(
    session: Session,
    *,
    reason: str,
    authority: str,
    placed_by: str,
    clock: Clock,
    subject_id: str | None = None,
    record_type: str | None = None,
    record_id: str | None = None,
) -> LegalHoldRead:
    """Place a legal hold on a subject, or on one named record (kind + id). Audited."""
    reason, authority = _text(reason, "reason"), _text(authority, "authority")
    if subject_id is None and (record_type is None or record_id is None):
        raise ValidationFailedError("a legal hold names a subject, or a record kind and a record id")
    if subject_id is not None and record_type is not None:
        raise ValidationFailedError("a legal hold names a subject or a record, not both")
    hold = LegalHold(
        id=new_id(),
        subject_id=subject_id,
        record_type=record_type,
        record_id=record_id,
        reason=reason,
        authority=authority,
        placed_by=placed_by,
        placed_at=clock.now(),
    )
    session.add(hold)
    session.flush()
    audit_service.record(
        session,
        actor_type="staff",
        actor_id=placed_by,
        action="retention.legal_hold_placed",
        subject_id=subject_id,
        record_type=record_type,
        record_id=record_id,
        detail={"legal_hold": hold.id, "target": "subject" if subject_id else "record"},
        clock=clock,
    )
    return LegalHoldRead.model_validate(hold)


def place_on_records(
    session: Session,
    *,
    record_type: str,
    record_ids: Iterable[str],
    reason: str,
    authority: str,
    placed_by: str,
    clock: Clock,
) -> list[LegalHoldRead]:
    """One legal hold per named record, so each can be released on its own."""
    return [
        place(
            session,
            reason=reason,
            authority=authority,
            placed_by=placed_by,
            clock=clock,
            record_type=record_type,
            record_id=record_id,
        )
        for record_id in dict.fromkeys(record_ids)
    ]


def release(
    session: Session, legal_hold_id: str, *, released_by: str, reason: str, clock: Clock
) -> LegalHoldRead:
    """Release a legal hold (it stays on record). What it covered goes at the next sweep if expired."""
    reason = _text(reason, "release reason")
    hold = sweep_repository.legal_hold(session, legal_hold_id, for_update=True)
    if hold is None:
        raise NotFoundError("no such legal hold")
    if hold.released_at is not None:
        raise ConflictError("the legal hold was already released")
    hold.released_at = clock.now()
    hold.released_by = released_by
    hold.release_reason = reason
    session.flush()
    audit_service.record(
        session,
        actor_type="staff",
        actor_id=released_by,
        action="retention.legal_hold_released",
        subject_id=hold.subject_id,
        record_type=hold.record_type,
        record_id=hold.record_id,
        detail={"legal_hold": hold.id},
        clock=clock,
    )
    return LegalHoldRead.model_validate(hold)


def list_holds(session: Session, *, include_released: bool = True, limit: int = 200) -> list[LegalHoldRead]:
    rows = sweep_repository.legal_holds(session, include_released=include_released, limit=limit)
    return [LegalHoldRead.model_validate(h) for h in rows]


def coverage(session: Session) -> Coverage:
    subjects: set[str] = set()
    records: set[tuple[str, str]] = set()
    for hold in sweep_repository.active_legal_holds(session):
        if hold.subject_id is not None:
            subjects.add(hold.subject_id)
        elif hold.record_type is not None and hold.record_id is not None:
            records.add((hold.record_type, hold.record_id))
    return Coverage(subjects=frozenset(subjects), records=frozenset(records))


def _text(value: str, name: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationFailedError(f"a legal hold needs a {name}", details={"field": name})
    if len(value) > MAX_TEXT:
        raise ValidationFailedError(f"the {name} may have at most {MAX_TEXT} characters")
    return value
