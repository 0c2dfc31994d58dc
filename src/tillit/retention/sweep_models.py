"""Tables of retention enforcement: legal holds, proofs of deletion, and the sweeper's lease.

Kept apart from `models.py` (holds) because they belong to the sweeper, which other domains never touch:
other domains see holds through `retention.service`, and these tables only through `retention.legal` and
`retention.sweeper`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tillit.db.base import Base


class LegalHold(Base):
    """A litigation hold or an authority's order: suspends deletion of what it covers, without touching the
    policy or the holds. Covers every record of a subject (`subject_id`) or one named record
    (`record_type` + `record_id`). Released, never deleted: the history of holds is evidence too."""

    __tablename__ = "retention_legal_hold"
    __table_args__ = (
        CheckConstraint(
            "subject_id IS NOT NULL OR (record_type IS NOT NULL AND record_id IS NOT NULL)",
            name="subject_or_record",
        ),
        Index("ix_retention_legal_hold_released_at", "released_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject_id: Mapped[str | None] = mapped_column(String(36))
    record_type: Mapped[str | None] = mapped_column(String(64))
    record_id: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(500))
    authority: Mapped[str] = mapped_column(String(200))
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(64))
    release_reason: Mapped[str | None] = mapped_column(String(500))


class DeletionProof(Base):
    """One row per (sweep batch, record type, purpose, rule, action): what went, by which rule, how many,
    from which tables, over which expiry window. Append-only (a trigger refuses UPDATE), and content-free:
    no record ids, no subject ids, nothing that names a person, so it can be kept and shown indefinitely."""

    __tablename__ = "retention_proof"
    __table_args__ = (Index("ix_retention_proof_swept_at", "swept_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sweep_id: Mapped[str] = mapped_column(String(36), index=True)
    batch_no: Mapped[int] = mapped_column(Integer)
    record_type: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    rule_index: Mapped[int] = mapped_column(Integer)
    keep: Mapped[str | None] = mapped_column(String(32))
    anchor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    records: Mapped[int] = mapped_column(Integer)
    table_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    earliest_expiry: Mapped[datetime]
    latest_expiry: Mapped[datetime]
    policy_version: Mapped[str | None] = mapped_column(String(64))
    swept_at: Mapped[datetime]


class SweepLock(Base):
    """The lease that makes one sweeper at a time on SQLite (PostgreSQL uses an advisory lock instead).

    `holder` names host, process id and a random token; `lease_until` is wall-clock time, renewed at
    every batch, so a crashed sweeper's lease lapses on its own (and at once on the same host when its
    process is gone)."""

    __tablename__ = "retention_sweep_lock"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime]
    lease_until: Mapped[datetime]
