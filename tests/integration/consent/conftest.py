"""Helpers for the consent integration tests: subjects and events on both backends."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import TEST_SECRET
from tillit.consent import service
from tillit.consent.schemas import ConsentEventCreate, RecordResult
from tillit.policy.schema import Policy
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service

Record = Callable[..., RecordResult]


def new_subject(rt: Runtime) -> str:
    with rt.uow.begin() as session:
        return subjects_service.create_subject(
            session, clock=rt.clock, default_region="NO", secret=TEST_SECRET
        ).id


@pytest.fixture
def record(runtime: Runtime) -> Record:
    """Record one event in its own transaction, as a customer in the privacy centre unless told."""

    def _record(
        policy: Policy,
        subject_id: str,
        purpose: str,
        action: str,
        channel: str | None = None,
        **extra: object,
    ) -> RecordResult:
        fields: dict[str, object] = {
            "subject_id": subject_id,
            "purpose": purpose,
            "action": action,
            "channel": channel,
            "source": "privacy_centre",
            "actor_type": "customer",
            "actor_id": subject_id,
            **extra,
        }
        with runtime.uow.begin() as session:
            return service.record_event(session, policy, ConsentEventCreate(**fields), clock=runtime.clock)  # type: ignore[arg-type]

    return _record
