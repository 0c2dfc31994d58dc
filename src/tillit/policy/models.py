"""Policy versions as loaded into a database: which text was in force, from when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tillit.db.base import Base


class PolicyVersion(Base):
    __tablename__ = "policy_version"
    __table_args__ = (Index("ix_policy_version_pack_active", "pack", "active"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pack: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=False)
