"""The parcel pack's fictional business data: deterministic, valid shipment numbers and identities, and
every table and personal column declared in the policy, so nothing Nordpost stores escapes the notice."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tillit.core.identifiers import normalise
from tillit.packs.base import BusinessData
from tillit.packs.parcel import business
from tillit.packs.parcel.tracking import (
    is_valid_s10,
    is_valid_shipment_number,
    is_valid_sscc,
    make_s10,
    make_sscc,
    s10_check_digit,
)
from tillit.policy.schema import Policy
from tillit.retention.rules import alive, decide_holds

PACK = "parcel"
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


# --- Shipment numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("serial", "check"),
    [
        ("12345678", "5"),  # the UPU's own example, RR123456785..
        ("00000000", "5"),  # 11 - 0 = 11 -> 5
        ("00004000", "0"),  # weighted sum 12, 11 - 1 = 10 -> 0
        ("47312482", "9"),  # 32+42+12+2+6+20+72+14 = 200, 200 mod 11 = 2, 11 - 2 = 9
    ],
)
def test_s10_check_digit(serial: str, check: str) -> None:
    assert s10_check_digit(serial) == check


def test_s10_validation_catches_typos() -> None:
    assert make_s10("rr", "12345678", "no") == "RR123456785NO"
    assert is_valid_s10("RR123456785NO")
    assert is_valid_s10("rr 123 456 785 no")
    assert not is_valid_s10("RR123456784NO")  # wrong check digit
    assert not is_valid_s10("RR123465785NO")  # two digits swapped
    assert not is_valid_s10("RR12345678NO")  # too short
    with pytest.raises(ValueError, match="8 digits"):
        s10_check_digit("1234567")


def test_sscc_uses_the_gs1_check_digit() -> None:
    assert is_valid_sscc("106141411234567897")  # GS1's published example
    assert is_valid_sscc("(00) 1 0614141 123456789 7".replace("(00)", ""))
    assert not is_valid_sscc("106141411234567898")
    assert not is_valid_sscc("10614141123456789")
    assert make_sscc(1, "0614141", "123456789") == "106141411234567897"
    assert is_valid_shipment_number("106141411234567897") and is_valid_shipment_number("RR123456785NO")
    assert not is_valid_shipment_number("123")


def test_every_generated_shipment_number_is_valid_and_unique(data: BusinessData) -> None:
    rows = data.rows["parcel_shipments"]
    numbers = [row["tracking_number"] for row in rows]
    ssccs = [row["sscc"] for row in rows]
    assert all(is_valid_s10(n) and n.endswith("NO") for n in numbers)
    assert all(is_valid_sscc(n) and n[1:8] == business.SSCC_COMPANY_PREFIX for n in ssccs)
    assert len(set(numbers)) == len(numbers) and len(set(ssccs)) == len(ssccs)
    assert all(normalise("shipment_number", n) == n for n in numbers + ssccs)


# --- Generation ------------------------------------------------------------------------------------


def test_timestamps_follow_now(data: BusinessData) -> None:
    """Moving `now` moves every timestamp, so retention scenarios line up with a moved clock."""
    later = business.generate(NOW + timedelta(days=100))
    for table in ("parcel_shipments", "parcel_tracking_events"):
        for before, after in zip(data.rows[table], later.rows[table], strict=True):
            assert after["created_at"] == before["created_at"] + timedelta(days=100)


def test_there_are_20_to_30_recipients_in_every_language(data: BusinessData, policy: Policy) -> None:
    assert 20 <= len(data.subjects) <= 30
    assert {subject.kind for subject in data.subjects} == {"customer"}
    assert {subject.language for subject in data.subjects} == set(policy.languages)


def test_recipients_are_known_by_e_mail_and_phone(data: BusinessData) -> None:
    """Validity, uniqueness and region of the identities: `test_business_contract.py`."""
    for subject in data.subjects:
        ids = subject.identifiers
        assert set(ids) == {"email", "phone"}
        assert normalise("phone", ids["phone"], default_region="NO") == ids["phone"]


def test_every_subject_is_found_by_its_identities(data: BusinessData, policy: Policy) -> None:
    """A rights request finds each recipient's shipments by e-mail or phone, and then the events by the
    shipment numbers found there."""
    dataset = policy.dataset("parcel_shipments")
    for subject in data.subjects:
        for kind, value in subject.identifiers.items():
            columns = [i.column for i in dataset.identity if i.kind == kind]
            assert any(row[c] == value for row in data.rows[dataset.table] for c in columns), (
                subject.name,
                kind,
            )
    event_numbers = {row["tracking_number"] for row in data.rows["parcel_tracking_events"]}
    assert event_numbers == {row["tracking_number"] for row in data.rows["parcel_shipments"]}


def test_statuses_and_event_codes_are_known_and_translated(data: BusinessData, policy: Policy) -> None:
    statuses = Counter(row["status"] for row in data.rows["parcel_shipments"])
    assert set(statuses) == set(business.SHIPMENT_STATUSES)  # every status occurs in the demo
    codes = {row["status_code"] for row in data.rows["parcel_tracking_events"]}
    assert codes <= set(business.STATUS_TEXT)
    for code, texts in business.STATUS_TEXT.items():
        assert set(texts) == set(policy.languages), code


def test_events_tell_a_consistent_story(data: BusinessData) -> None:
    events: dict[str, list[dict[str, Any]]] = {}
    for row in data.rows["parcel_tracking_events"]:
        events.setdefault(row["tracking_number"], []).append(row)
    for shipment in data.rows["parcel_shipments"]:
        history = events[shipment["tracking_number"]]
        times = [e["occurred_at"] for e in history]
        assert times == sorted(times)
        assert history[0]["status_code"] == "REGISTERED"
        assert history[0]["occurred_at"] == shipment["created_at"]
        assert all(e["occurred_at"] <= NOW for e in history)
        if shipment["status"] in ("delivered", "returned"):
            assert history[-1]["status_code"] == shipment["status"].upper()
            assert history[-1]["occurred_at"] == shipment["completed_at"]
        else:
            assert shipment["completed_at"] is None


# --- The policy declares every table and every personal column -------------------------------------


def test_datasets_are_named_after_their_tables(policy: Policy) -> None:
    assert all(d.id == d.table for d in policy.datasets)


@pytest.mark.parametrize("dataset_id", ["parcel_shipments", "parcel_tracking_events"])
def test_some_rows_are_already_past_retention_and_some_are_not(
    data: BusinessData, policy: Policy, dataset_id: str
) -> None:
    """The demo shows the sweeper at work: rows on both sides of the line, each held by the policy."""
    dataset = policy.dataset(dataset_id)
    states: Counter[bool] = Counter()
    for row in data.rows[dataset.table]:
        decisions = decide_holds(policy, dataset_id, {name: row[name] for name in dataset.facts})
        assert set(decisions) == {"shipment_delivery"}
        states[alive(decisions["shipment_delivery"].expires_at, NOW)] += 1
    assert states[True] > 0 and states[False] > 0


def test_the_lost_shipment_exercises_the_catch_all_rule(data: BusinessData, policy: Policy) -> None:
    lost = [
        r
        for r in data.rows["parcel_shipments"]
        if r["status"] == "in_transit" and r["created_at"] < NOW - timedelta(days=730)
    ]
    assert len(lost) == 1
    facts = {name: lost[0][name] for name in policy.dataset("parcel_shipments").facts}
    decision = decide_holds(policy, "parcel_shipments", facts)["shipment_delivery"]
    assert decision.keep == "P2Y" and not alive(decision.expires_at, NOW)
