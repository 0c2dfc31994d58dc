"""Pydantic shapes of subjects at the service boundary (other domains see these, never the models).

`SubjectRead` never carries a national ID number in clear: it is masked to its last two characters
(see `rules.mask_national_id` for why). Whoever needs the clear values (the datasets connector, a rights
request's export) asks `service.identities_of` explicitly, and audits that read.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tillit.core.identifiers import SUBJECT_IDENTIFIER_KINDS


class SubjectCreate(BaseModel):
    """A new data subject. `identifiers` maps a kind (customer_number, national_id, email, phone) to a
    value in any usual spelling; the service validates and normalises it."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(default="customer", pattern=r"^[a-z][a-z0-9_]*$", max_length=32)
    language: str | None = Field(default=None, max_length=8)
    display_name: str | None = Field(default=None, max_length=200)
    identifiers: dict[str, str] = Field(default_factory=dict)

    @field_validator("identifiers")
    @classmethod
    def _known_kinds(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SUBJECT_IDENTIFIER_KINDS))
        if unknown:
            expected = ", ".join(SUBJECT_IDENTIFIER_KINDS)
            raise ValueError(f"unknown identifier kind(s) {', '.join(unknown)}; expected {expected}")
        return value


class IdentifierRead(BaseModel):
    """One identity as shown to people: `value` is masked for national IDs."""

    model_config = ConfigDict(frozen=True)

    kind: str
    value: str
    masked: bool = False


class SubjectRead(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    language: str | None
    display_name: str | None
    restricted: bool
    created_at: datetime
    last_seen_at: datetime | None
    identifiers: list[IdentifierRead]

    def identifier(self, kind: str) -> str | None:
        """The (possibly masked) value of the first identifier of `kind`, if any."""
        return next((i.value for i in self.identifiers if i.kind == kind), None)
