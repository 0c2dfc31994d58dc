"""What the retention domain hands to other domains: read-only views of holds and of their ending.

Other domains never see the ORM `Hold` (its module is private to this domain), so they cannot change a
hold behind the service's back; they get these frozen views instead.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from tillit.policy.schema import LegalBasis, LocalText, RetentionAction
from tillit.retention import rules


class EndReason(StrEnum):
    """Why a hold ended before (or instead of) its natural expiry; stored in `retention_hold.ended_reason`.

    Only `NO_LONGER_APPLIES` is set by a recompute, and only it can be undone by one (the facts changed
    back). Every other reason records a decision by or about the data subject, which a recompute must
    never revive: an objection stays an objection whatever the record's facts become.
    """

    NO_LONGER_APPLIES = "no_longer_applies"
    OBJECTION = "objection"
    WITHDRAWAL = "withdrawal"
    ERASURE = "erasure"
    CUSTOMER_DELETED = "customer_deleted"
    RESTRICTION = "restriction"


class HoldRead(BaseModel):
    """One purpose's hold on one record. `expires_at` None: held until the anchor fact is known."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: str
    record_type: str
    record_id: str
    subject_id: str | None
    purpose: str
    rule_index: int
    action: RetentionAction
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    ended_reason: str | None

    def alive_at(self, now: datetime) -> bool:
        """True while the purpose may still use the record (the same test the SQL queries apply)."""
        return rules.alive(self.expires_at, now)


class KeptHold(BaseModel):
    """A hold that `end_holds` left alive because a law obliges keeping the record, and which law."""

    model_config = ConfigDict(frozen=True)

    purpose: str
    purpose_name: LocalText
    legal_basis: LegalBasis
    legal_obligation: LocalText | None
    """The law as the policy names it (e.g. the bookkeeping act); shown to the subject as the reason."""
    expires_at: datetime | None


class EndResult(BaseModel):
    """What ending holds did, and what is left.

    `ended`: the holds ended now. `kept`: holds that were asked to end but stay because a law obliges
    keeping the record (with the law, so erasure can tell the subject why). `remaining`: every hold still
    alive on the record afterwards, including the kept ones and those of purposes that were not asked to
    end; the record survives exactly while this is not empty.
    """

    model_config = ConfigDict(frozen=True)

    ended: list[HoldRead]
    kept: list[KeptHold]
    remaining: list[HoldRead]

    @property
    def record_alive(self) -> bool:
        return bool(self.remaining)


class RecordRef(NamedTuple):
    """A record as holds name it: its kind (tillit record kind or dataset id) and its id."""

    record_type: str
    record_id: str


class HoldBrief(NamedTuple):
    """A hold as a rights request's package shows it: which purpose keeps the record, until when, and
    why it ended if it did (a light tuple: a package may list holds of 100,000 records)."""

    purpose: str
    expires_at: datetime | None
    ended_reason: str | None
