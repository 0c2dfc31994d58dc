"""The parcel pack's business tables are created and filled on both backends and read back unchanged:
timestamps stay aware UTC, and a recipient is found by e-mail, phone and shipment number."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from tests.integration.packs.conftest import Filled
from tillit.packs.base import BusinessData
from tillit.packs.parcel import business

PACK = "parcel"
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_a_recipient_is_found_by_e_mail_phone_and_shipment_number(filled: Filled) -> None:
    data = filled.data
    with filled.engine.connect() as conn:
        shipment = data.rows["parcel_shipments"][0]
        stored = conn.execute(
            select(business.shipments).where(business.shipments.c.id == shipment["id"])
        ).one()
        assert stored._asdict() == shipment
        assert stored.created_at.tzinfo is not None

        recipient = data.subjects[0]
        by_email = business.shipments.c.recipient_email == recipient.identifiers["email"]
        by_phone = business.shipments.c.recipient_phone == recipient.identifiers["phone"]
        numbers = conn.execute(select(business.shipments.c.tracking_number).where(by_email)).scalars().all()
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


def test_a_shipment_number_belongs_to_one_shipment(data: BusinessData, engine: Engine) -> None:
    """The tracking number is unique, so the bot's lookup finds at most one shipment."""
    first = data.rows["parcel_shipments"][0]
    with engine.begin() as conn:
        conn.execute(business.shipments.insert(), [first])
    duplicate = {**first, "id": first["id"] + 1000, "sscc": "106141411234567897"}
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(business.shipments.insert(), [duplicate])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(business.shipments)).scalar_one() == 1


def test_anonymised_rows_keep_their_statistics(data: BusinessData, engine: Engine) -> None:
    """Clearing the personal columns (what the retention action `anonymise` does) is possible on both
    backends, and the status and dates that statistics need survive."""
    personal = {c.name: None for c in business.shipments.c if c.info["personal"]}
    with engine.begin() as conn:
        conn.execute(business.shipments.insert(), data.rows["parcel_shipments"])
        conn.execute(business.shipments.update().values(**personal))
    with engine.connect() as conn:
        rows = conn.execute(select(business.shipments)).all()
    assert len(rows) == len(data.rows["parcel_shipments"])
    assert all(row.tracking_number is None and row.recipient_email is None for row in rows)
    assert {row.status for row in rows} == set(business.SHIPMENT_STATUSES)
