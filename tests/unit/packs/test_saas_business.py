"""The saas pack's fictional business data: deterministic, valid identities, and every table and personal
column declared in the policy, so that nothing the company stores escapes the notice or the engine."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tillit.packs.base import BusinessData
from tillit.packs.saas import business
from tillit.policy.schema import Policy
from tillit.retention.rules import alive, decide_holds

PACK = "saas"
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_timestamps_follow_now(data: BusinessData) -> None:
    """Moving `now` moves every timestamp, so retention scenarios line up with a moved clock."""
    later = business.generate(NOW + timedelta(days=100))
    shifted = data.rows["saas_users"][0]["created_at"] + timedelta(days=100)
    assert later.rows["saas_users"][0]["created_at"] == shifted


def test_there_are_20_to_30_people_of_every_kind(data: BusinessData, policy: Policy) -> None:
    assert 20 <= len(data.subjects) <= 30
    kinds = Counter(subject.kind for subject in data.subjects)
    assert set(kinds) == {"customer", "business_user", "business_decision_maker", "job_applicant"}
    assert set(kinds) <= {s.key for s in policy.data_subjects}
    assert {subject.language for subject in data.subjects} == {"nb", "sv", "en"}


def test_subject_kind_of_rows_matches_the_person(data: BusinessData) -> None:
    kinds = {s.identifiers.get("customer_number"): s.kind for s in data.subjects}
    for table in ("saas_users", "saas_invoices"):
        for row in data.rows[table]:
            assert row["subject_kind"] == kinds[row["customer_number"]]
    companies = {row["subject_kind"]: row["company"] is not None for row in data.rows["saas_users"]}
    assert companies == {"customer": False, "business_user": True}


def test_datasets_are_named_after_their_tables(policy: Policy) -> None:
    assert all(d.id == d.table for d in policy.datasets)


def _facts(row: dict[str, object], facts: list[str]) -> dict[str, object]:
    return {name: row[name] for name in facts}


@pytest.mark.parametrize(
    ("dataset_id", "purpose"),
    [
        ("saas_remember_me_tokens", "service_security"),  # 30 days from the last visit
        ("saas_invoices", "bookkeeping"),  # 5 years after the financial year
        ("saas_users", "customer_administration_private"),  # 5 years after the subscription ended
        ("saas_users", "service_security"),  # deactivated when the subscription ended
        ("saas_job_applications", "recruitment"),  # kept while the process runs
        ("saas_prospects", "prospecting_social_media"),  # 5 years after the last interaction
    ],
)
def test_some_rows_are_already_past_retention_and_some_are_not(
    data: BusinessData, policy: Policy, dataset_id: str, purpose: str
) -> None:
    """The demo shows the sweeper at work: for each promise, rows on both sides of the line."""
    dataset = policy.dataset(dataset_id)
    states: set[bool] = set()
    for row in data.rows[dataset.table]:
        decision = decide_holds(policy, dataset_id, _facts(row, dataset.facts)).get(purpose)
        if decision is not None:
            states.add(alive(decision.expires_at, NOW))
    assert states == {True, False}
