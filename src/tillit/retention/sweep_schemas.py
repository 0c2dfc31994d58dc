"""What the sweeper, legal holds, proofs, forecast and impact hand to entry points (CLI, console)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class LegalHoldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: str
    subject_id: str | None
    record_type: str | None
    record_id: str | None
    reason: str
    authority: str
    placed_by: str
    placed_at: datetime
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None

    @property
    def active(self) -> bool:
        return self.released_at is None

    @property
    def target(self) -> str:
        """What the hold covers, for lists: "subject <id>" or "<kind> <id>"."""
        if self.subject_id is not None:
            return f"subject {self.subject_id}"
        return f"{self.record_type} {self.record_id}"


class ProofRead(BaseModel):
    """A proof of deletion: no content, no record ids, no subject ids."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: str
    sweep_id: str
    batch_no: int
    record_type: str
    purpose: str
    rule_index: int
    keep: str | None
    anchor: str | None
    action: str
    records: int
    table_counts: dict[str, int]
    earliest_expiry: datetime
    latest_expiry: datetime
    policy_version: str | None
    swept_at: datetime


class GroupResult(BaseModel):
    """Records removed under one (kind, purpose, rule, action) in a whole sweep."""

    record_type: str
    purpose: str
    rule_index: int
    action: str
    records: int = 0
    tables: dict[str, int] = Field(default_factory=dict)


class SweepResult(BaseModel):
    sweep_id: str
    now: datetime
    dry_run: bool
    batches: int = 0
    records: int = 0
    legal_held: int = 0
    """Expired records left in place because a legal hold covers them."""
    skipped: dict[str, int] = Field(default_factory=dict)
    """Expired records of kinds the sweeper cannot erase yet (kind -> count), left with their holds."""
    waiting: dict[str, int] = Field(default_factory=dict)
    """Expired records left for a later sweep with their holds (kind -> count): subjects that records
    still stored refer to (their identity is how a rights request finds those records)."""
    groups: list[GroupResult] = Field(default_factory=list)

    def rows(self) -> dict[str, int]:
        """Rows removed or anonymised per table over the whole sweep."""
        totals: dict[str, int] = {}
        for group in self.groups:
            for table, count in group.tables.items():
                totals[table] = totals.get(table, 0) + count
        return totals


class ForecastRow(BaseModel):
    purpose: str
    week: date
    records: int


class ImpactRow(BaseModel):
    """How a new policy moves one purpose's holds: counts of records per movement."""

    purpose: str
    earlier: int = 0
    later: int = 0
    unchanged: int = 0
    added: int = 0
    removed: int = 0
