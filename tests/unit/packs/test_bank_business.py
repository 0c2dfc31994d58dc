"""The bank pack's fictional business data: deterministic, valid identities, and every table and personal
column declared in the policy, so that nothing the bank stores escapes the notice or the engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from stdnum.no import fodselsnummer, kontonr

from tillit.packs.bank import business
from tillit.packs.base import BusinessData
from tillit.policy.schema import Policy
from tillit.retention.rules import alive, decide_holds

PACK = "bank"
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


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


def test_every_customer_has_all_four_identities(data: BusinessData) -> None:
    for subject in data.subjects:
        assert set(subject.identifiers) == {"customer_number", "national_id", "email", "phone"}


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


def test_rows_point_at_existing_customers_and_accounts(data: BusinessData) -> None:
    customers = {row["customer_number"] for row in data.rows["bank_customers"]}
    accounts = {row["id"]: row["customer_number"] for row in data.rows["bank_accounts"]}
    for name, rows in data.rows.items():
        for row in rows:
            assert row["customer_number"] in customers, name
            if "account_id" in row:
                assert accounts[row["account_id"]] == row["customer_number"], name


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
