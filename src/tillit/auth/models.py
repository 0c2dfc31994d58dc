"""Staff accounts and server-side sessions (so that logout and expiry are real, not cookie-deep)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tillit.db.base import Base


class StaffAccount(Base):
    __tablename__ = "auth_staff"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class AuthSession(Base):
    """A login. Only the SHA-256 of the session token is stored; the cookie carries the token, signed."""

    __tablename__ = "auth_session"
    __table_args__ = (Index("ix_auth_session_expires_at", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    principal_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginFailure(Base):
    """One failed staff login, kept only while it can still count towards a lockout (see
    `auth.throttle`). The username and the client address are stored as keyed hashes only: a username
    field sometimes holds a mistyped password, and the project treats IP addresses as personal data."""

    __tablename__ = "auth_login_failure"
    __table_args__ = (
        Index("ix_auth_login_failure_username_hash_at", "username_hash", "at"),
        Index("ix_auth_login_failure_client_hash_at", "client_hash", "at"),
        Index("ix_auth_login_failure_at", "at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username_hash: Mapped[str] = mapped_column(String(64))
    client_hash: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime]
