"""The bank pack's business tables are created and filled on both backends and read back unchanged:
timestamps stay aware UTC, amounts stay exact, and the foreign keys and unique identities hold."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from tests.integration.packs.conftest import Filled
from tillit.packs.bank import business
from tillit.packs.base import BusinessData
from tillit.policy.loader import load_pack

PACK = "bank"
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_a_customer_reads_back_exactly_and_every_dataset_finds_them(filled: Filled) -> None:
    data = filled.data
    with filled.engine.connect() as conn:
        customer = data.rows["bank_customers"][0]
        stored = conn.execute(
            select(business.customers).where(business.customers.c.id == customer["id"])
        ).one()
        assert stored.national_id == customer["national_id"]
        assert stored.birth_date == customer["birth_date"]
        assert stored.customer_since == customer["customer_since"]
        assert stored.customer_since.tzinfo is not None

        account = data.rows["bank_accounts"][0]
        balance = conn.execute(
            select(business.accounts.c.balance).where(business.accounts.c.id == account["id"])
        ).scalar_one()
        assert balance == account["balance"] and isinstance(balance, Decimal)

        sent = data.rows["bank_marketing_send_log"][-1]
        log = business.marketing_send_log
        sent_at = conn.execute(select(log.c.sent_at).where(log.c.id == sent["id"])).scalar_one()
        assert sent_at == sent["sent_at"]

        # Every declared dataset finds the first person by customer number, as a rights request would.
        number = data.subjects[0].identifiers["customer_number"]
        for dataset in load_pack("bank").policy.datasets:
            table = business.metadata.tables[dataset.table]
            found = conn.execute(
                select(func.count()).select_from(table).where(table.c.customer_number == number)
            ).scalar_one()
            assert found >= 1, dataset.id


def test_foreign_keys_and_identities_are_enforced(data: BusinessData, engine: Engine) -> None:
    """A transaction cannot point at a missing customer, and a national ID belongs to one customer."""
    first = data.rows["bank_customers"][0]
    with engine.begin() as conn:
        conn.execute(business.customers.insert(), [first])
    duplicate = {
        **first,
        "id": 1000,
        "customer_number": "99999997",
        "email": "en.annen@example.com",
        "phone": "+4791000000",
    }
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(business.customers.insert(), [duplicate])
    orphan = {**data.rows["bank_digital_events"][0], "customer_number": "00000000"}
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(business.digital_events.insert(), [orphan])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(business.customers)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(business.digital_events)).scalar_one() == 0
