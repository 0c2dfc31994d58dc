"""Propensity scoring exists only with consent: training selects consenting subjects, scoring checks
consent at call time, and a withdrawal takes effect at once (bank pack, both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_SECRET
from tillit.audit import service as audit_service
from tillit.consent import service as consent_service
from tillit.consent.schemas import ConsentEventCreate
from tillit.core.errors import NotFoundError, PurposeNotAllowedError
from tillit.marketing import propensity
from tillit.marketing.analytics_models import PropensityModel
from tillit.packs.bank import business
from tillit.packs.demo import load_demo
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service

PURPOSE = "personalised_marketing"


def demo_subject_ids(rt: Runtime) -> list[str]:
    """The demo customers' subject ids, in the order the bank's generator made them."""
    load_demo(rt)
    data = business.generate(rt.clock.now())
    ids: list[str] = []
    with rt.uow.read() as session:
        for person in data.subjects:
            found = subjects_service.find_by_identifier(
                session, "customer_number", person.identifiers["customer_number"], secret=TEST_SECRET
            )
            assert found is not None
            ids.append(found.id)
    return ids


def consent(rt: Runtime, subject_id: str, action: str = "grant", purpose: str = PURPOSE) -> None:
    with rt.uow.begin() as session:
        consent_service.record_event(
            session,
            rt.policy,
            ConsentEventCreate(
                subject_id=subject_id,
                purpose=purpose,
                action=action,
                source="online_bank",
                actor_type="customer",
                actor_id=subject_id,
            ),
            clock=rt.clock,
        )


def train(rt: Runtime) -> propensity.ModelInfo:
    with rt.uow.begin() as session:
        return propensity.train(session, rt.policy, clock=rt.clock, secret=TEST_SECRET)


def score(rt: Runtime, subject_id: str) -> propensity.Score:
    with rt.uow.begin() as session:
        return propensity.score(session, rt.policy, subject_id, clock=rt.clock, secret=TEST_SECRET)


def read_subjects(rt: Runtime, subject_ids: list[str]) -> set[str]:
    """Which of these subjects had their bank data read for personalised marketing (from the audit log)."""
    read: set[str] = set()
    with rt.uow.read() as session:
        for subject_id in subject_ids:
            events = audit_service.events_for_subject(session, subject_id, limit=1000)
            if any(e.action == "dataset.read" and e.purpose == PURPOSE for e in events):
                read.add(subject_id)
    return read


@pytest.fixture
def consenting(runtime: Runtime) -> tuple[list[str], list[str]]:
    """(consenting, others): 20 demo customers consent to personalised marketing, 10 do not (two of
    them consented to e-mail/SMS offers instead, which does not cover profiling)."""
    ids = demo_subject_ids(runtime)
    yes, no = ids[:20], ids[20:]
    for subject_id in yes:
        consent(runtime, subject_id)
    consent(runtime, no[0], purpose="email_sms_marketing")
    consent(runtime, no[1], "grant")
    consent(runtime, no[1], "withdraw")
    return yes, no


def test_trains_only_on_consenting_subjects(
    runtime: Runtime, consenting: tuple[list[str], list[str]]
) -> None:
    yes, no = consenting
    info = train(runtime)
    assert info.n_train == len(yes)
    assert 0 < info.n_positive < info.n_train
    assert read_subjects(runtime, yes + no) == set(yes)
    assert "gender" not in info.features and "age_band" not in info.features
    with runtime.uow.read() as session:
        assert session.scalar(select(func.count()).select_from(PropensityModel)) == 1


def test_score_refused_without_consent(runtime: Runtime, consenting: tuple[list[str], list[str]]) -> None:
    yes, no = consenting
    train(runtime)
    for subject_id in no[:3]:
        with pytest.raises(PurposeNotAllowedError):
            score(runtime, subject_id)
    assert read_subjects(runtime, no) == set()  # refused before any of their data was read
    result = score(runtime, yes[0])
    assert 0.0 < result.probability < 1.0
    assert 1 <= len(result.top_features) <= 3
    sizes = [abs(f.contribution) for f in result.top_features]
    assert sizes == sorted(sizes, reverse=True)


def test_withdrawal_removes_from_scoring_at_once_and_from_next_training(
    runtime: Runtime, consenting: tuple[list[str], list[str]]
) -> None:
    yes, _ = consenting
    before = train(runtime)
    gone = yes[3]
    score(runtime, gone)  # allowed while consenting
    consent(runtime, gone, "withdraw")
    # the model trained before the withdrawal must not score them
    with pytest.raises(PurposeNotAllowedError):
        score(runtime, gone)
    with runtime.uow.begin() as session:
        audience = propensity.score_audience(session, runtime.policy, clock=runtime.clock, secret=TEST_SECRET)
    assert gone not in {s.subject_id for s in audience}
    assert len(audience) == len(yes) - 1
    assert [s.probability for s in audience] == sorted((s.probability for s in audience), reverse=True)
    # the next training excludes them: their data is not read again
    with runtime.uow.read() as session:
        reads_before = sum(
            e.action == "dataset.read" for e in audit_service.events_for_subject(session, gone, limit=1000)
        )
    after = train(runtime)
    assert after.n_train == before.n_train - 1
    with runtime.uow.read() as session:
        reads_after = sum(
            e.action == "dataset.read" for e in audit_service.events_for_subject(session, gone, limit=1000)
        )
    assert reads_after == reads_before


def test_no_model_no_score(runtime: Runtime, consenting: tuple[list[str], list[str]]) -> None:
    yes, _ = consenting
    with pytest.raises(NotFoundError):
        score(runtime, yes[0])
