"""Which columns of a declared dataset the connector hands out, and which count as personal."""

from __future__ import annotations

from tillit.datasets.service import declared_columns, personal_columns
from tillit.policy.schema import Dataset, DatasetIdentity

DATASET = Dataset(
    id="customers",
    name={"en": "Customers"},
    table="customers",
    primary_key="customer_number",
    identity=[
        DatasetIdentity(column="customer_number", kind="customer_number"),
        DatasetIdentity(column="email", kind="email"),
    ],
    fields={"email": "user.contact.email", "name": "user.name"},
    purposes=["customer_service"],
    facts=["contract_ended_at"],
)


def test_declared_columns_in_order_without_repeats() -> None:
    assert declared_columns(DATASET) == ["customer_number", "email", "name", "contract_ended_at"]


def test_personal_columns_exclude_key_and_facts() -> None:
    assert personal_columns(DATASET) == ["email", "name"]
