"""The disclosure register: one row per request from an authority (SQLAlchemy only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tillit.db.base import Base


class DisclosureRequest(Base):
    """A request from the police for logged traffic and location data of one subject over a period.

    Holds references, not data: the records are read from the dataset each time they are shown (every
    read audited), so the register itself never becomes a second copy of the location log. The subject
    is referenced by id only; the identifier the officer typed is not kept.
    """

    __tablename__ = "disclosure_request"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    authority: Mapped[str] = mapped_column(String(200))
    court_order_reference: Mapped[str] = mapped_column(String(200))
    case_reference: Mapped[str | None] = mapped_column(String(200))
    subject_id: Mapped[str] = mapped_column(String(36), index=True)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(index=True)
    registered_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    """`open` (registered, nothing handed over yet) or `disclosed`."""
    disclosed_at: Mapped[datetime | None]
    disclosed_by: Mapped[str | None] = mapped_column(String(64))
    disclosed_records: Mapped[int | None] = mapped_column(Integer)
