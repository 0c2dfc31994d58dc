"""Queries for rights requests and evidence. Never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tillit.rights.intake_models import RightsVerification, RightsWebhookDelivery
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


def delete_requests(session: Session, request_ids: Sequence[str], *, chunk: int = 900) -> dict[str, int]:
    """Delete requests with their evidence, verification codes and finished webhook deliveries; rows per
    table. Pending deliveries stay: they carry ids only, and the processor must still be told."""
    ids = list(request_ids)
    counts: dict[str, int] = {}
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        for table, stmt in (
            (RightsEvidence.__tablename__, delete(RightsEvidence).where(RightsEvidence.request_id.in_(part))),
            (
                RightsVerification.__tablename__,
                delete(RightsVerification).where(RightsVerification.request_id.in_(part)),
            ),
            (
                RightsWebhookDelivery.__tablename__,
                delete(RightsWebhookDelivery).where(
                    RightsWebhookDelivery.request_id.in_(part), RightsWebhookDelivery.status != "pending"
                ),
            ),
            (RightsRequest.__tablename__, delete(RightsRequest).where(RightsRequest.id.in_(part))),
        ):
            result = session.execute(stmt.execution_options(synchronize_session=False))
            counts[table] = counts.get(table, 0) + int(getattr(result, "rowcount", 0) or 0)
    return counts
