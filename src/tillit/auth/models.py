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
