"""Tables of the propensity model and the customer-matching exports (migration 0008).

`marketing_propensity_model` keeps a trained model as JSON parameters (feature means and scales of the
training set, coefficients, intercept) plus its metrics: aggregates over at least `MIN_TRAINING_SUBJECTS`
people, no row per person, no subject id. Scores are not stored at all: they are computed when asked,
after the consent check, so a withdrawal has nothing to delete and nothing stale to serve.

`marketing_matching_export` keeps one hashed contact list for one recipient, encrypted (AES-GCM through
`core.crypto.FieldCipher`, bound to the export's id), with a time to live. It is a `matching_export`
record held by the policy's customer-matching purpose; `matching.purge_expired` deletes it once matched
or past its TTL, so the table never keeps a list longer than its matching needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tillit.db.base import Base


class PropensityModel(Base):
    """One trained propensity model; the newest for its target scores."""

    __tablename__ = "marketing_propensity_model"
    __table_args__ = (Index("ix_marketing_propensity_model_target_trained_at", "target", "trained_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    target: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(64))
    trained_at: Mapped[datetime]
    trained_by: Mapped[str] = mapped_column(String(64))
    n_train: Mapped[int] = mapped_column(Integer)
    n_positive: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class MatchingExport(Base):
    """A hashed contact list for an external channel, stored encrypted until matched or expired."""

    __tablename__ = "marketing_matching_export"
    __table_args__ = (Index("ix_marketing_matching_export_expires_at", "expires_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    matched_at: Mapped[datetime | None]
    downloaded_at: Mapped[datetime | None]
    row_count: Mapped[int] = mapped_column(Integer)
    payload_enc: Mapped[bytes] = mapped_column(LargeBinary)
