"""Queries for staff accounts and sessions. Never commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tillit.auth.models import AuthSession, StaffAccount


def staff_by_username(session: Session, username: str) -> StaffAccount | None:
    return session.scalars(select(StaffAccount).where(StaffAccount.username == username)).first()


def staff_by_id(session: Session, staff_id: str) -> StaffAccount | None:
    return session.get(StaffAccount, staff_id)


def list_staff(session: Session) -> list[StaffAccount]:
    return list(session.scalars(select(StaffAccount).order_by(StaffAccount.username)))


def session_by_hash(session: Session, token_hash: str) -> AuthSession | None:
    return session.get(AuthSession, token_hash)
