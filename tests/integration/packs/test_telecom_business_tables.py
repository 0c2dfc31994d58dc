"""The telecom pack's business tables are created and filled on both backends and read back unchanged:
timestamps stay aware UTC, coordinates and amounts exact, and a customer is found in every table by an
identity."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from tests.integration.packs.conftest import Filled
from tillit.packs.base import BusinessData
from tillit.packs.telecom import business

PACK = "telecom"
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_a_customer_is_found_in_every_table_by_an_identity(filled: Filled) -> None:
    data = filled.data
    with filled.engine.connect() as conn:
        for table_name, table in business.metadata.tables.items():
            first = data.rows[table_name][0]
            stored = conn.execute(select(table).where(table.c.id == first["id"])).one()
            assert stored._asdict() == first, table_name

        customer = data.subjects[0].identifiers
        subscriber = conn.execute(
            select(business.subscribers).where(business.subscribers.c.cpr_number == customer["national_id"])
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


def test_a_customer_number_belongs_to_one_customer(data: BusinessData, engine: Engine) -> None:
    first = data.rows["telecom_subscribers"][0]
    with engine.begin() as conn:
        conn.execute(business.subscribers.insert(), [first])
    duplicate = {**first, "id": first["id"] + 1000, "email": "en.anden@example.com"}
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(business.subscribers.insert(), [duplicate])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(business.subscribers)).scalar_one() == 1


def test_anonymised_call_records_keep_their_time(data: BusinessData, engine: Engine) -> None:
    """After the logging year the call records are anonymised: the personal columns are cleared on both
    backends, and the time of each call survives for traffic statistics."""
    personal = {c.name: None for c in business.call_records.c if c.info["personal"]}
    with engine.begin() as conn:
        conn.execute(business.call_records.insert(), data.rows["telecom_call_records"])
        conn.execute(business.call_records.update().values(**personal))
    with engine.connect() as conn:
        rows = conn.execute(select(business.call_records).order_by(business.call_records.c.id)).all()
    assert all(row.msisdn is None and row.cell_id is None for row in rows)
    assert [row.started_at for row in rows] == [r["started_at"] for r in data.rows["telecom_call_records"]]
