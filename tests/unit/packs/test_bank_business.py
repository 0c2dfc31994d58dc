"""The bank pack's fictional business data: deterministic, valid identities, and every table and personal
column declared in the policy, so that nothing the bank stores escapes the notice or the engine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import phonenumbers
import pytest
from sqlalchemy import Table
from stdnum import luhn
from stdnum.no import fodselsnummer, kontonr

from tillit.core.identifiers import normalise
from tillit.packs.bank import business
from tillit.packs.base import BusinessData
from tillit.policy.loader import load_pack
from tillit.policy.schema import Policy
from tillit.retention.rules import alive, decide_holds

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def data() -> BusinessData:
    return business.generate(NOW)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_pack("bank").policy


def test_generation_is_deterministic_for_a_seed() -> None:
    first, second = business.generate(NOW), business.generate(NOW)
    assert first == second
    assert business.generate(NOW, seed=8) != first


def test_timestamps_follow_now(data: BusinessData) -> None:
    """Moving `now` moves every timestamp, so retention scenarios line up with a moved clock."""
    later = business.generate(NOW + timedelta(days=100))
    for table in ("bank_customers", "bank_transactions", "bank_marketing_send_log"):
        for before, after in zip(data.rows[table], later.rows[table], strict=True):
            for column, value in before.items():
                if isinstance(value, datetime):
                    assert after[column] == value + timedelta(days=100), (table, column)


def test_about_thirty_fictional_people_in_both_languages(data: BusinessData, policy: Policy) -> None:
    assert 25 <= len(data.subjects) <= 35
    assert {s.kind for s in data.subjects} <= {s.key for s in policy.data_subjects}
    assert {s.language for s in data.subjects} == {"nb", "en"}
    assert any(not name.isascii() for name in (s.name for s in data.subjects)), "Norwegian letters too"


def test_identities_are_valid_and_unique(data: BusinessData) -> None:
    seen: set[tuple[str, str]] = set()
    for subject in data.subjects:
        ids = subject.identifiers
        assert set(ids) == {"customer_number", "national_id", "email", "phone"}
        assert fodselsnummer.is_valid(ids["national_id"]), ids["national_id"]
        assert ids["email"].endswith("@example.com") and ids["email"].isascii()
        number = phonenumbers.parse(ids["phone"], None)
        assert phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) == "NO"
        assert luhn.is_valid(ids["customer_number"]), ids["customer_number"]
        for kind, value in ids.items():
            assert normalise(kind, value) == value, (kind, value)
            assert (kind, value) not in seen
            seen.add((kind, value))


def test_national_ids_agree_with_birth_date_and_gender(data: BusinessData) -> None:
    for row in data.rows["bank_customers"]:
        assert fodselsnummer.get_birth_date(row["national_id"]) == row["birth_date"]
        assert fodselsnummer.get_gender(row["national_id"]) == row["gender"]
        assert row["birth_date"] < NOW.date() - timedelta(days=18 * 365)


def test_account_numbers_pass_mod_11(data: BusinessData) -> None:
    numbers = [row["account_number"] for row in data.rows["bank_accounts"]]
    assert numbers and all(kontonr.is_valid(n) and len(n) == 11 for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_cards_never_hold_a_full_card_number(data: BusinessData) -> None:
    for row in data.rows["bank_cards"]:
        assert row["masked_pan"] == f"**** **** **** {row['last_four']}"
        assert sum(ch.isdigit() for ch in row["masked_pan"]) == 4
    for row in data.rows["bank_transactions"]:
        assert row["card_last_four"] is None or len(row["card_last_four"]) == 4


def test_amounts_have_two_decimals(data: BusinessData) -> None:
    for table, column in (("bank_accounts", "balance"), ("bank_transactions", "amount")):
        for row in data.rows[table]:
            assert isinstance(row[column], Decimal) and row[column].as_tuple().exponent == -2


def test_every_subject_appears_in_the_rows_by_its_identities(data: BusinessData, policy: Policy) -> None:
    """A rights request finds each person through the dataset identity columns."""
    found: set[tuple[str, str]] = set()
    for dataset in policy.datasets:
        for row in data.rows[dataset.table]:
            found.update((i.kind, row[i.column]) for i in dataset.identity if row[i.column] is not None)
    for subject in data.subjects:
        for kind, value in subject.identifiers.items():
            assert (kind, value) in found, (subject.name, kind)


def test_rows_point_at_existing_customers_and_accounts(data: BusinessData) -> None:
    customers = {row["customer_number"] for row in data.rows["bank_customers"]}
    accounts = {row["id"]: row["customer_number"] for row in data.rows["bank_accounts"]}
    for name, rows in data.rows.items():
        for row in rows:
            assert row["customer_number"] in customers, name
            if "account_id" in row:
                assert accounts[row["account_id"]] == row["customer_number"], name


def test_every_business_table_is_a_dataset(policy: Policy) -> None:
    assert {d.table for d in policy.datasets} == set(business.metadata.tables)
    assert len(policy.datasets) == len(business.metadata.tables)
    assert all(name.startswith("bank_") for name in business.metadata.tables)


TABLES: list[Table] = [business.metadata.tables[name] for name in sorted(business.metadata.tables)]


@pytest.mark.parametrize("table", TABLES, ids=str)
def test_dataset_names_real_columns_and_maps_every_personal_one(table: Table, policy: Policy) -> None:
    dataset = next(d for d in policy.datasets if d.table == table.name)
    columns = set(table.c.keys())
    assert all("personal" in column.info for column in table.c), "every column says whether it is personal"
    personal = {c.name for c in table.c if c.info["personal"]}
    assert dataset.primary_key in columns and table.c[dataset.primary_key].primary_key
    assert {identity.column for identity in dataset.identity} <= set(dataset.fields)
    assert set(dataset.facts) <= columns
    assert set(dataset.fields) == personal, "personal columns and mapped fields differ"
    unaccounted = columns - personal - set(dataset.facts) - {dataset.primary_key}
    assert unaccounted <= {"currency", "account_id"}, f"columns neither personal nor facts: {unaccounted}"


def test_identity_columns_have_the_right_categories(policy: Policy) -> None:
    expected = {
        "customer_number": "user.unique_id.customer_number",
        "national_id": "user.government_id.national_identification_number",
        "email": "user.contact.email",
        "phone": "user.contact.phone_number",
    }
    for dataset in policy.datasets:
        for identity in dataset.identity:
            assert dataset.fields[identity.column] == expected[identity.kind], (dataset.id, identity.column)


def test_rows_have_only_table_columns_and_aware_timestamps(data: BusinessData) -> None:
    for name, rows in data.rows.items():
        table = business.metadata.tables[name]
        assert rows, f"{name} has no rows"
        for row in rows:
            assert set(row) == set(table.c.keys()), name
            for column in table.c:
                if not column.nullable:
                    assert row[column.name] is not None, (name, column.name)
            for value in row.values():
                if isinstance(value, datetime):
                    assert value.tzinfo is not None and value <= NOW
                elif isinstance(value, date):
                    assert value <= NOW.date()


def test_rows_are_ordered_for_foreign_keys(data: BusinessData) -> None:
    order = list(data.rows)
    for table in business.metadata.sorted_tables:
        for key in table.foreign_keys:
            assert order.index(key.column.table.name) < order.index(table.name)


def test_some_rows_are_already_past_retention_and_some_are_not(data: BusinessData, policy: Policy) -> None:
    """The demo shows the sweeper at work: for every dataset, some rows have a live hold and some none."""
    for dataset in policy.datasets:
        live = expired = 0
        for row in data.rows[dataset.table]:
            facts = {name: row[name] for name in dataset.facts}
            facts.setdefault("created_at", NOW)
            holds = decide_holds(policy, dataset.id, facts)
            assert holds, (dataset.id, row)
            if any(alive(h.expires_at, NOW) for h in holds.values()):
                live += 1
            else:
                expired += 1
        assert live and expired, (dataset.id, live, expired)
