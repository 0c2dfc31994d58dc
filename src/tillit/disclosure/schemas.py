"""What the disclosure pages and API send and read back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

IdentifierKind = Literal["phone", "customer_number", "national_id", "email"]


class DisclosureCreate(BaseModel):
    """A request from an authority as the security officer registers it.

    The court-order reference is mandatory: the statutory logging purpose allows disclosure to the
    police only on a court order, so a request without one is refused before anything is read.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    authority: str = Field(min_length=2, max_length=200)
    court_order_reference: str = Field(min_length=3, max_length=200)
    case_reference: str | None = Field(default=None, max_length=200)
    identifier_kind: IdentifierKind
    identifier: str = Field(min_length=1, max_length=64)
    period_start: datetime
    period_end: datetime

    @field_validator("period_start", "period_end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give the time with a time zone (UTC)")
        return value

    @model_validator(mode="after")
    def _period(self) -> DisclosureCreate:
        if self.period_end <= self.period_start:
            raise ValueError("the period must end after it starts")
        if (self.period_end - self.period_start).days > 366:
            raise ValueError("the period may span at most one year (what the logging rules keep)")
        return self


class DisclosureRead(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: str
    authority: str
    court_order_reference: str
    case_reference: str | None
    subject_id: str
    period_start: datetime
    period_end: datetime
    received_at: datetime
    registered_by: str
    status: Literal["open", "disclosed"]
    disclosed_at: datetime | None
    disclosed_by: str | None
    disclosed_records: int | None


class DisclosedRecord(BaseModel):
    """One logged communication with the cell site the phone used: nothing else leaves."""

    model_config = ConfigDict(frozen=True)

    started_at: datetime
    msisdn: str | None
    kind: str | None
    direction: str | None
    duration_seconds: int | None
    cell_id: str | None
    cell_latitude: float | None
    cell_longitude: float | None
