"""What every pack's fictional business data promises, checked for each pack alike: deterministic for a
seed, rows that fit their tables, identities that pass their checksums and find their person, and every
table and personal column declared in the policy, so that nothing a company stores escapes the notice or
the engine. What only one pack promises is tested in that pack's `test_<pack>_business.py`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import phonenumbers
import pytest
from sqlalchemy import Table
from stdnum import luhn
from stdnum.dk import cpr
from stdnum.no import fodselsnummer

from tillit.core.identifiers import normalise
from tillit.packs.base import BusinessData
from tillit.packs.demo import business_module
from tillit.policy.loader import available_packs
from tillit.policy.schema import Policy

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
PACKS = available_packs()

NEITHER_PERSONAL_NOR_FACT: dict[str, set[str]] = {
    "bank": {"currency", "account_id"},
    "parcel": {"service_code", "sender_name"},
    "saas": {"currency"},
    "telecom": set(),
}
"""Columns besides the primary key that are neither personal data nor a retention fact, per pack."""

MAY_LIE_AHEAD: dict[str, set[str]] = {
    "bank": set(),
    "parcel": set(),
    "saas": {"subscription_ends_at", "fiscal_year_ends_at"},
    "telecom": {"fiscal_year_ends_at"},
}
"""Timestamp columns that may be later than `now` (a fixed term, the end of a financial year)."""

PHONE_REGIONS: dict[str, set[str]] = {
    "bank": {"NO"},
    "parcel": {"NO", "SE", "DK"},
    "saas": {"NO", "SE"},
    "telecom": {"DK"},
}

NATIONAL_ID_VALID: dict[str, Callable[[str], bool]] = {
    "bank": fodselsnummer.is_valid,
    "telecom": cpr.is_valid,
}
"""The checksum of the national ID numbers a pack stores; a pack without one stores none."""

ANONYMISING = ("parcel", "telecom")
"""Packs whose retention anonymises rows: the personal columns are cleared and the rest is kept."""


def _tables(pack: str) -> list[Table]:
    metadata = business_module(pack).metadata
    return [metadata.tables[name] for name in sorted(metadata.tables)]


def _tables_of(packs: list[str] | tuple[str, ...]) -> list[Any]:
    return [pytest.param(pack, table, id=table.name) for pack in packs for table in _tables(pack)]


by_pack = pytest.mark.parametrize("pack", PACKS, scope="module")


def test_every_pack_is_described() -> None:
    for table in (NEITHER_PERSONAL_NOR_FACT, MAY_LIE_AHEAD, PHONE_REGIONS):
        assert set(table) == set(PACKS)
    assert set(NATIONAL_ID_VALID) | set(ANONYMISING) <= set(PACKS)


@by_pack
def test_generation_is_deterministic_for_a_seed(pack: str) -> None:
    business = business_module(pack)
    first, second = business.generate(NOW), business.generate(NOW)
    assert first == second
    assert business.generate(NOW, seed=8) != first


@by_pack
def test_every_business_table_is_a_dataset(pack: str, policy: Policy) -> None:
    tables = business_module(pack).metadata.tables
    assert {d.table for d in policy.datasets} == set(tables)
    assert len(policy.datasets) == len(tables)
    assert all(name.startswith(f"{pack}_") for name in tables)


@pytest.mark.parametrize(("pack", "table"), _tables_of(PACKS), scope="module")
def test_dataset_names_real_columns_and_maps_every_personal_one(
    pack: str, table: Table, policy: Policy
) -> None:
    dataset = next(d for d in policy.datasets if d.table == table.name)
    columns = set(table.c.keys())
    assert all("personal" in column.info for column in table.c), "every column says whether it is personal"
    personal = {c.name for c in table.c if c.info["personal"]}
    assert dataset.primary_key in columns and table.c[dataset.primary_key].primary_key
    assert {identity.column for identity in dataset.identity} <= set(dataset.fields)
    assert set(dataset.fields) <= columns
    assert set(dataset.facts) <= columns
    assert set(dataset.fields) == personal, "personal columns and mapped fields differ"
    unaccounted = columns - personal - set(dataset.facts) - {dataset.primary_key}
    assert unaccounted <= NEITHER_PERSONAL_NOR_FACT[pack], (
        f"columns neither personal nor facts: {unaccounted}"
    )


@pytest.mark.parametrize(("pack", "table"), _tables_of(ANONYMISING), scope="module")
def test_anonymisation_clears_personal_columns_and_keeps_the_facts(
    pack: str, table: Table, policy: Policy
) -> None:
    dataset = next(d for d in policy.datasets if d.table == table.name)
    personal = {c.name for c in table.c if c.info["personal"]}
    assert not personal & set(dataset.facts), "a retention fact must survive anonymisation"
    assert all(table.c[name].nullable for name in personal), "anonymisation clears personal columns"


@by_pack
def test_rows_have_only_table_columns_and_aware_timestamps(pack: str, data: BusinessData) -> None:
    metadata = business_module(pack).metadata
    for name, rows in data.rows.items():
        table = metadata.tables[name]
        assert rows, f"{name} has no rows"
        for row in rows:
            assert set(row) == set(table.c.keys()), name
            for column in table.c:
                if not column.nullable:
                    assert row[column.name] is not None, (name, column.name)
            for key, value in row.items():
                if isinstance(value, datetime):
                    assert value.tzinfo is not None, (name, key)
                    if key not in MAY_LIE_AHEAD[pack]:
                        assert value <= NOW, (name, key)
                elif isinstance(value, date):
                    assert value <= NOW.date(), (name, key)


@by_pack
def test_rows_are_ordered_for_foreign_keys(pack: str, data: BusinessData) -> None:
    order = list(data.rows)
    for table in business_module(pack).metadata.sorted_tables:
        for key in table.foreign_keys:
            assert order.index(key.column.table.name) < order.index(table.name)


@by_pack
def test_values_fit_their_columns(pack: str, data: BusinessData) -> None:
    """PostgreSQL rejects a string longer than its VARCHAR (SQLite would not): check here, without I/O."""
    metadata = business_module(pack).metadata
    for name, rows in data.rows.items():
        table = metadata.tables[name]
        for column in table.c:
            length = getattr(column.type, "length", None)
            if length is None:
                continue
            longest = max((len(row[column.name]) for row in rows if row[column.name] is not None), default=0)
            assert longest <= length, f"{name}.{column.name}: {longest} > {length}"


@by_pack
def test_identities_are_valid_fictional_and_unique(pack: str, data: BusinessData, policy: Policy) -> None:
    seen: set[tuple[str, str]] = set()
    for subject in data.subjects:
        ids = subject.identifiers
        assert ids["email"].endswith("@example.com") and ids["email"].isascii()
        number = phonenumbers.parse(ids["phone"], None)
        assert phonenumbers.is_valid_number(number), ids["phone"]
        assert phonenumbers.region_code_for_number(number) in PHONE_REGIONS[pack], ids["phone"]
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == ids["phone"]
        if "customer_number" in ids:
            assert luhn.is_valid(ids["customer_number"]), ids["customer_number"]
        if pack in NATIONAL_ID_VALID:
            assert NATIONAL_ID_VALID[pack](ids["national_id"]), ids["national_id"]
        else:
            assert "national_id" not in ids
        for kind, value in ids.items():
            for region in (None, policy.organisation.country):
                assert normalise(kind, value, default_region=region) == value, (kind, value, region)
            assert (kind, value) not in seen
            seen.add((kind, value))


@by_pack
def test_every_subject_appears_in_the_rows_by_its_identities(data: BusinessData, policy: Policy) -> None:
    """A rights request finds each person through the dataset identity columns."""
    found: set[tuple[str, str]] = set()
    for dataset in policy.datasets:
        for row in data.rows[dataset.table]:
            found.update((i.kind, row[i.column]) for i in dataset.identity if row[i.column] is not None)
    for subject in data.subjects:
        for kind, value in subject.identifiers.items():
            assert (kind, value) in found, (subject.name, kind)
