"""Queries for rights requests and evidence. Never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tillit.rights.models import RightsEvidence, RightsRequest


def get(session: Session, request_id: str, *, for_update: bool = False) -> RightsRequest | None:
    query = select(RightsRequest).where(RightsRequest.id == request_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def add(session: Session, request: RightsRequest) -> None:
    session.add(request)
    session.flush()


def listing(
    session: Session, *, status: str | None, type_: str | None, subject_id: str | None, limit: int
) -> Sequence[RightsRequest]:
    query = select(RightsRequest)
    if status is not None:
        query = query.where(RightsRequest.status == status)
    if type_ is not None:
        query = query.where(RightsRequest.type == type_)
    if subject_id is not None:
        query = query.where(RightsRequest.subject_id == subject_id)
    return session.scalars(query.order_by(RightsRequest.due_at, RightsRequest.id).limit(limit)).all()


def evidence(session: Session, request_id: str) -> Sequence[RightsEvidence]:
    return session.scalars(
        select(RightsEvidence).where(RightsEvidence.request_id == request_id).order_by(RightsEvidence.seq)
    ).all()


def next_evidence_seq(session: Session, request_id: str) -> int:
    value = session.scalar(
        select(func.max(RightsEvidence.seq)).where(RightsEvidence.request_id == request_id)
    )
    return int(value or 0) + 1


def add_evidence(session: Session, rows: Sequence[RightsEvidence]) -> None:
    session.add_all(rows)
    session.flush()
