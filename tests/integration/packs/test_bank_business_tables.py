"""The bank pack's business tables are created and filled on both backends and read back unchanged:
timestamps stay aware UTC, amounts stay exact, and the foreign keys and unique identities hold."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from tillit.db.session import make_engine
from tillit.packs.bank import business
from tillit.policy.loader import load_pack

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_create_tables_and_insert_rows(database_url: str) -> None:
    data = business.generate(NOW)
    engine = make_engine(database_url)
    try:
        business.metadata.create_all(engine)
        assert set(business.metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            for table in business.metadata.sorted_tables:
                conn.execute(table.insert(), data.rows[table.name])
        with engine.connect() as conn:
            for table in business.metadata.sorted_tables:
                count = conn.execute(select(func.count()).select_from(table)).scalar_one()
                assert count == len(data.rows[table.name]), table.name

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
    finally:
        engine.dispose()


def test_foreign_keys_and_identities_are_enforced(database_url: str) -> None:
    """A transaction cannot point at a missing customer, and a national ID belongs to one customer."""
    data = business.generate(NOW)
    engine = make_engine(database_url)
    try:
        business.metadata.create_all(engine)
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
    finally:
        engine.dispose()
