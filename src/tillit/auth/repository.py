"""Queries for staff accounts, sessions and failed logins. Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from tillit.auth.models import AuthSession, LoginFailure, StaffAccount


def staff_by_username(session: Session, username: str) -> StaffAccount | None:
    return session.scalars(select(StaffAccount).where(StaffAccount.username == username)).first()


def staff_by_id(session: Session, staff_id: str) -> StaffAccount | None:
    return session.get(StaffAccount, staff_id)


def list_staff(session: Session) -> list[StaffAccount]:
    return list(session.scalars(select(StaffAccount).order_by(StaffAccount.username)))


def session_by_hash(session: Session, token_hash: str) -> AuthSession | None:
    return session.get(AuthSession, token_hash)


def lock_login_key(session: Session, namespace: int, key: int) -> None:
    """PostgreSQL: wait for, then hold until the transaction ends, the advisory lock on (namespace, key).
    Elsewhere nothing: SQLite runs one writing transaction at a time anyway (`db.session.WriterLock`)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :key)"), {"namespace": namespace, "key": key}
        )


def failure_times_by_username(session: Session, username_hash: str, since: datetime) -> list[datetime]:
    query = select(LoginFailure.at).where(
        LoginFailure.username_hash == username_hash, LoginFailure.at >= since
    )
    return list(session.scalars(query))


def failure_times_by_client(session: Session, client_hash: str, since: datetime) -> list[datetime]:
    query = select(LoginFailure.at).where(LoginFailure.client_hash == client_hash, LoginFailure.at >= since)
    return list(session.scalars(query))


def add_failure(session: Session, failure: LoginFailure) -> None:
    session.add(failure)
    session.flush()


def delete_failures_of_username(session: Session, username_hash: str) -> int:
    result = session.execute(delete(LoginFailure).where(LoginFailure.username_hash == username_hash))
    return int(getattr(result, "rowcount", 0) or 0)


def delete_failures_before(session: Session, cutoff: datetime) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff))
