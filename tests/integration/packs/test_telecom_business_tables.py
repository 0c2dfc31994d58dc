"""The telecom pack's business tables are created and filled on both backends and read back unchanged:
timestamps stay aware UTC, coordinates and amounts exact, and a customer is found in every table by an
identity."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from tillit.db.session import make_engine
from tillit.packs.telecom import business

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

            for table_name, table in business.metadata.tables.items():
                first = data.rows[table_name][0]
                stored = conn.execute(select(table).where(table.c.id == first["id"])).one()
                assert stored._asdict() == first, table_name

            customer = data.subjects[0].identifiers
            subscriber = conn.execute(
                select(business.subscribers).where(
                    business.subscribers.c.cpr_number == customer["national_id"]
                )
            ).one()
            assert subscriber.customer_number == customer["customer_number"]
            for table in (business.subscriptions, business.invoices):
                found = conn.execute(
                    select(func.count())
                    .select_from(table)
                    .where(table.c.customer_number == customer["customer_number"])
                ).scalar_one()
                assert found >= 1, table.name
            calls = conn.execute(
                select(func.count())
                .select_from(business.call_records)
                .where(business.call_records.c.msisdn == customer["phone"])
            ).scalar_one()
            assert calls >= 1
    finally:
        engine.dispose()


def test_a_customer_number_belongs_to_one_customer(database_url: str) -> None:
    data = business.generate(NOW)
    engine = make_engine(database_url)
    try:
        business.metadata.create_all(engine)
        first = data.rows["telecom_subscribers"][0]
        with engine.begin() as conn:
            conn.execute(business.subscribers.insert(), [first])
        duplicate = {**first, "id": first["id"] + 1000, "email": "en.anden@example.com"}
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(business.subscribers.insert(), [duplicate])
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(business.subscribers)).scalar_one() == 1
    finally:
        engine.dispose()


def test_anonymised_call_records_keep_their_time(database_url: str) -> None:
    """After the logging year the call records are anonymised: the personal columns are cleared on both
    backends, and the time of each call survives for traffic statistics."""
    data = business.generate(NOW)
    engine = make_engine(database_url)
    personal = {c.name: None for c in business.call_records.c if c.info["personal"]}
    try:
        business.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(business.call_records.insert(), data.rows["telecom_call_records"])
            conn.execute(business.call_records.update().values(**personal))
        with engine.connect() as conn:
            rows = conn.execute(select(business.call_records).order_by(business.call_records.c.id)).all()
        assert all(row.msisdn is None and row.cell_id is None for row in rows)
        assert [row.started_at for row in rows] == [
            r["started_at"] for r in data.rows["telecom_call_records"]
        ]
    finally:
        engine.dispose()
