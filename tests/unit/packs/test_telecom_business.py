"""The telecom pack's fictional business data: deterministic, identities that pass their checksums, and
every table and personal column declared in the policy, so nothing Nordtel stores escapes the notice."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from stdnum import luhn
from stdnum.dk import cpr

from tillit.core.identifiers import normalise
from tillit.packs.base import BusinessData
from tillit.packs.telecom import business
from tillit.policy.schema import Policy
from tillit.retention.rules import alive, decide_holds

PACK = "telecom"
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_timestamps_follow_now(data: BusinessData) -> None:
    """Moving `now` by whole days moves call records with it, so retention lines up with a moved clock."""
    later = business.generate(NOW + timedelta(days=100))
    for before, after in zip(
        data.rows["telecom_call_records"], later.rows["telecom_call_records"], strict=True
    ):
        assert after["started_at"] == before["started_at"] + timedelta(days=100)
    assert later.rows["telecom_subscribers"][0]["created_at"] == data.rows["telecom_subscribers"][0][
        "created_at"
    ] + timedelta(days=100)


def test_there_are_20_to_30_customers(data: BusinessData, policy: Policy) -> None:
    assert 20 <= len(data.subjects) <= 30
    assert {subject.kind for subject in data.subjects} == {"customer"}
    assert {subject.language for subject in data.subjects} == set(policy.languages)


def test_identities_are_danish(data: BusinessData) -> None:
    """Validity, uniqueness and region of the identities: `test_business_contract.py`."""
    for subject in data.subjects:
        ids = subject.identifiers
        assert set(ids) == {"customer_number", "national_id", "email", "phone"}
        assert luhn.is_valid(ids["customer_number"]) and len(ids["customer_number"]) == 8
        assert cpr.is_valid(ids["national_id"]), ids["national_id"]
        assert cpr.checksum(ids["national_id"]) == 0  # also the pre-2007 modulus-11 rule
        birth = cpr.get_birth_date(ids["national_id"])
        assert NOW.year - 81 <= birth.year <= NOW.year - 19
        for kind, value in ids.items():
            assert normalise(kind, value, default_region="DK") == value, kind


def test_a_customer_number_finds_the_customer_in_every_customer_table(
    data: BusinessData, policy: Policy
) -> None:
    """A rights request by customer number reaches the register, the subscriptions and the invoices."""
    found: dict[str, set[str]] = {}
    for dataset in policy.datasets:
        columns = [i.column for i in dataset.identity if i.kind == "customer_number"]
        for row in data.rows[dataset.table]:
            for column in columns:
                found.setdefault(row[column], set()).add(dataset.id)
    for subject in data.subjects:
        assert found[subject.identifiers["customer_number"]] >= {
            "telecom_subscribers",
            "telecom_subscriptions",
            "telecom_invoices",
        }


def test_call_records_hold_no_other_party_in_clear(data: BusinessData) -> None:
    own = {row["msisdn"] for row in data.rows["telecom_subscriptions"]}
    for row in data.rows["telecom_call_records"]:
        assert row["msisdn"] in own
        if row["kind"] == "data":
            assert row["other_party_hash"] is None
        else:
            assert re.fullmatch(r"[0-9a-f]{32}", row["other_party_hash"])
        assert row["cell_id"] in {cell.cell_id for cell in business.CELLS}
        assert 54.5 < row["cell_latitude"] < 58.0 and 8.0 < row["cell_longitude"] < 13.0  # Denmark
    assert business.hash_other_party("+4520000000") != business.hash_other_party("+4520000001")


def test_invoices_follow_the_calendar(data: BusinessData) -> None:
    numbers = [row["invoice_number"] for row in data.rows["telecom_invoices"]]
    assert len(set(numbers)) == len(numbers)
    for row in data.rows["telecom_invoices"]:
        assert row["fiscal_year_ends_at"] == datetime(row["issued_at"].year + 1, 1, 1, tzinfo=UTC)
        assert row["due_at"] > row["issued_at"]
        assert row["amount_ore"] > 0


def test_some_customers_have_left(data: BusinessData) -> None:
    ended = [row["contract_ended_at"] for row in data.rows["telecom_subscribers"] if row["contract_ended_at"]]
    assert any(NOW - end < timedelta(days=365) for end in ended)
    assert any(NOW - end > timedelta(days=365) for end in ended)
    assert len(ended) < len(data.rows["telecom_subscribers"]) / 2


# --- The policy declares every table and every personal column -------------------------------------


def test_datasets_are_named_after_their_tables(policy: Policy) -> None:
    assert all(d.id == d.table for d in policy.datasets)


def _facts(row: dict[str, object], facts: list[str]) -> dict[str, object]:
    return {name: row[name] for name in facts}


@pytest.mark.parametrize(
    ("dataset_id", "purpose"),
    [
        ("telecom_call_records", "statutory_logging"),  # one year from the call
        ("telecom_call_records", "network_operations"),  # three months from the call
        ("telecom_subscribers", "customer_relationship"),  # one year after the contract
        ("telecom_subscribers", "service_messages"),  # while a customer
        ("telecom_subscriptions", "customer_relationship"),  # anonymised a year after the contract
        ("telecom_invoices", "billing"),  # three years after the due date
        ("telecom_invoices", "bookkeeping"),  # five years after the financial year
    ],
)
def test_some_rows_are_already_past_retention_and_some_are_not(
    data: BusinessData, policy: Policy, dataset_id: str, purpose: str
) -> None:
    """The demo shows the sweeper at work: for each promise, rows on both sides of the line."""
    dataset = policy.dataset(dataset_id)
    states: Counter[bool] = Counter()
    for row in data.rows[dataset.table]:
        decision = decide_holds(policy, dataset_id, _facts(row, dataset.facts)).get(purpose)
        assert decision is not None, (dataset_id, purpose, row["id"])
        states[alive(decision.expires_at, NOW)] += 1
    assert states[True] > 0 and states[False] > 0
