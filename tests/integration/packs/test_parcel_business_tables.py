"""The parcel pack's business tables are created and filled on both backends and read back unchanged:
timestamps stay aware UTC, and a recipient is found by e-mail, phone and shipment number."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from tillit.db.session import make_engine
from tillit.packs.parcel import business

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

            shipment = data.rows["parcel_shipments"][0]
            stored = conn.execute(
                select(business.shipments).where(business.shipments.c.id == shipment["id"])
            ).one()
            assert stored._asdict() == shipment
            assert stored.created_at.tzinfo is not None

            recipient = data.subjects[0]
            by_email = business.shipments.c.recipient_email == recipient.identifiers["email"]
            by_phone = business.shipments.c.recipient_phone == recipient.identifiers["phone"]
            numbers = (
                conn.execute(select(business.shipments.c.tracking_number).where(by_email)).scalars().all()
            )
            assert numbers
            assert (
                numbers
                == conn.execute(select(business.shipments.c.tracking_number).where(by_phone)).scalars().all()
            )
            events = conn.execute(
                select(func.count())
                .select_from(business.tracking_events)
                .where(business.tracking_events.c.tracking_number.in_(numbers))
            ).scalar_one()
            assert events >= len(numbers)
    finally:
        engine.dispose()


def test_a_shipment_number_belongs_to_one_shipment(database_url: str) -> None:
    """The tracking number is unique, so the bot's lookup finds at most one shipment."""
    data = business.generate(NOW)
    engine = make_engine(database_url)
    try:
        business.metadata.create_all(engine)
        first = data.rows["parcel_shipments"][0]
        with engine.begin() as conn:
            conn.execute(business.shipments.insert(), [first])
        duplicate = {**first, "id": first["id"] + 1000, "sscc": "106141411234567897"}
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(business.shipments.insert(), [duplicate])
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(business.shipments)).scalar_one() == 1
    finally:
        engine.dispose()


def test_anonymised_rows_keep_their_statistics(database_url: str) -> None:
    """Clearing the personal columns (what the retention action `anonymise` does) is possible on both
    backends, and the status and dates that statistics need survive."""
    data = business.generate(NOW)
    engine = make_engine(database_url)
    personal = {c.name: None for c in business.shipments.c if c.info["personal"]}
    try:
        business.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(business.shipments.insert(), data.rows["parcel_shipments"])
            conn.execute(business.shipments.update().values(**personal))
        with engine.connect() as conn:
            rows = conn.execute(select(business.shipments)).all()
        assert len(rows) == len(data.rows["parcel_shipments"])
        assert all(row.tracking_number is None and row.recipient_email is None for row in rows)
        assert {row.status for row in rows} == set(business.SHIPMENT_STATUSES)
    finally:
        engine.dispose()
