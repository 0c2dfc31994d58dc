"""The saas pack's fictional business data: deterministic, valid identities, and every table and personal
column declared in the policy, so that nothing the company stores escapes the notice or the engine."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest
from sqlalchemy import Table
from stdnum import luhn

from tillit.packs.base import BusinessData
from tillit.packs.saas import business
from tillit.policy.loader import load_pack
from tillit.policy.schema import Policy
from tillit.retention.rules import alive, decide_holds

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def data() -> BusinessData:
    return business.generate(NOW)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_pack("saas").policy


def test_generation_is_deterministic_for_a_seed() -> None:
    first, second = business.generate(NOW), business.generate(NOW)
    assert first == second
    assert business.generate(NOW, seed=8) != first


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


def test_identities_are_valid_and_unique(data: BusinessData) -> None:
    seen: set[tuple[str, str]] = set()
    for subject in data.subjects:
        ids = subject.identifiers
        assert ids["email"].endswith("@example.com") and ids["email"] == ids["email"].strip().lower()
        number = phonenumbers.parse(ids["phone"], None)
        assert phonenumbers.is_valid_number(number), ids["phone"]
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == ids["phone"]
        if "customer_number" in ids:
            assert luhn.is_valid(ids["customer_number"]), ids["customer_number"]
        for kind, value in ids.items():
            assert (kind, value) not in seen
            seen.add((kind, value))


def test_every_subject_appears_in_the_rows_by_its_identities(data: BusinessData, policy: Policy) -> None:
    """A rights request finds each person through the dataset identity columns."""
    found: dict[tuple[str, str], set[str]] = {}
    for dataset in policy.datasets:
        for row in data.rows[dataset.table]:
            for identity in dataset.identity:
                value = row[identity.column]
                if value is not None:
                    found.setdefault((identity.kind, value), set()).add(dataset.id)
    for subject in data.subjects:
        for kind, value in subject.identifiers.items():
            assert (kind, value) in found, (subject.name, kind)


def test_subject_kind_of_rows_matches_the_person(data: BusinessData) -> None:
    kinds = {s.identifiers.get("customer_number"): s.kind for s in data.subjects}
    for table in ("saas_users", "saas_invoices"):
        for row in data.rows[table]:
            assert row["subject_kind"] == kinds[row["customer_number"]]
    companies = {row["subject_kind"]: row["company"] is not None for row in data.rows["saas_users"]}
    assert companies == {"customer": False, "business_user": True}


def test_every_business_table_is_a_dataset(policy: Policy) -> None:
    assert {d.table for d in policy.datasets} == set(business.metadata.tables)
    assert all(d.id == d.table for d in policy.datasets)
    assert all(name.startswith("saas_") for name in business.metadata.tables)


TABLES: list[Table] = [business.metadata.tables[name] for name in sorted(business.metadata.tables)]


@pytest.mark.parametrize("table", TABLES, ids=[table.name for table in TABLES])
def test_dataset_names_real_columns_and_maps_every_personal_one(table: Table, policy: Policy) -> None:
    dataset = next(d for d in policy.datasets if d.table == table.name)
    columns = set(table.c.keys())
    personal = {c.name for c in table.c if c.info["personal"]}
    assert dataset.primary_key in columns and table.c[dataset.primary_key].primary_key
    assert {identity.column for identity in dataset.identity} <= set(dataset.fields)
    assert set(dataset.fields) <= columns
    assert set(dataset.facts) <= columns
    assert set(dataset.fields) == personal, "personal columns and mapped fields differ"
    unaccounted = columns - personal - set(dataset.facts) - {dataset.primary_key, "currency"}
    assert not unaccounted, f"columns neither personal nor facts: {unaccounted}"


def test_rows_have_only_table_columns_and_aware_timestamps(data: BusinessData) -> None:
    for name, rows in data.rows.items():
        table = business.metadata.tables[name]
        assert rows, f"{name} has no rows"
        for row in rows:
            assert set(row) == set(table.c.keys())
            for value in row.values():
                if isinstance(value, datetime):
                    assert value.tzinfo is not None


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
