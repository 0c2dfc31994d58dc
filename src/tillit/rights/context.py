"""What every execution step needs, in one place: the request, the subject's identities, the policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tillit.audit.schemas import Actor
from tillit.core.clock import Clock
from tillit.policy.schema import Policy
from tillit.rights.schemas import RequestRead


@dataclass
class Context:
    session: Session
    policy: Policy
    request: RequestRead
    subject_id: str
    identities: dict[str, list[str]]
    details: dict[str, Any]
    clock: Clock
    secret: str
    actor: Actor
    notified: list[str] = field(default_factory=list)

    @property
    def region(self) -> str:
        return self.policy.organisation.country

    @property
    def lang(self) -> str:
        """The request's language if the catalogues have it, else the organisation's default."""
        if self.request.language in ("nb", "sv", "da", "en"):
            return self.request.language
        return self.policy.organisation.default_language
