"""Shapes other domains use with the audit log: who acted (`Actor`), what was stored, what verify found."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from tillit.audit.rules import ProblemKind

ActorType = Literal["staff", "customer", "bot", "job", "system"]


class Actor(BaseModel):
    """Who reads or changes personal data: a staff member, the customer themself, the bot, a job."""

    model_config = ConfigDict(frozen=True)

    type: ActorType
    id: str

    @classmethod
    def staff(cls, staff_id: str) -> Actor:
        return cls(type="staff", id=staff_id)

    @classmethod
    def customer(cls, subject_id: str) -> Actor:
        return cls(type="customer", id=subject_id)

    @classmethod
    def bot(cls, name: str = "chatbot") -> Actor:
        return cls(type="bot", id=name)

    @classmethod
    def job(cls, name: str) -> Actor:
        return cls(type="job", id=name)

    @classmethod
    def system(cls, name: str = "tillit") -> Actor:
        return cls(type="system", id=name)


class AuditEventRead(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    at: datetime
    actor_type: str
    actor_id: str
    action: str
    purpose: str | None
    subject_id: str | None
    record_type: str | None
    record_id: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class VerifyResult(BaseModel):
    """The outcome of walking the chain. `broken_seq` and `problem` name the first break found:

    - `tampered`: the row's stored hash does not match its content (changed after it was written);
    - `gap`: seq numbers missing in the middle (rows deleted);
    - `chain`: a row's prev_hash does not match its predecessor (inserted, replaced or reordered), or
      rows exist beyond the head (appended outside tillit);
    - `truncated`: the head names a later seq than the last row (the newest rows were deleted);
    - `head`: the head is missing or its hash does not match the last row.
    """

    model_config = ConfigDict(frozen=True)

    ok: bool
    count: int
    head_seq: int | None = None
    head_hash: str | None = None
    broken_seq: int | None = None
    problem: ProblemKind | None = None
    message: str
