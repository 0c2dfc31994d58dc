"""Queries on subjects and identifiers. Never commits; the service owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from tillit.subjects.models import Identifier, Subject


def get(session: Session, subject_id: str) -> Subject | None:
    return session.get(Subject, subject_id)


def identifier_by_hash(session: Session, kind: str, value_hash: str) -> Identifier | None:
    return session.scalars(
        select(Identifier).where(Identifier.kind == kind, Identifier.value_hash == value_hash)
    ).first()


def identifiers_by_hashes(session: Session, pairs: Iterable[tuple[str, str]]) -> Sequence[Identifier]:
    """Identifiers matching any (kind, value_hash) pair, in one query."""
    conditions = [and_(Identifier.kind == kind, Identifier.value_hash == h) for kind, h in pairs]
    if not conditions:
        return []
    return session.scalars(select(Identifier).where(or_(*conditions))).all()


def add(session: Session, entity: Subject | Identifier) -> None:
    session.add(entity)
    session.flush()


def delete(session: Session, entity: Subject | Identifier) -> None:
    session.delete(entity)
    session.flush()
