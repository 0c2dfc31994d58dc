"""Every pack's business tables are created and filled on both backends and read back unchanged, with
timestamps still aware UTC. What only one pack's tables promise (foreign keys, unique identities,
anonymisation, finding a person) is tested in that pack's `test_<pack>_business_tables.py`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select

from tests.integration.packs.conftest import Filled
from tillit.policy.loader import available_packs

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("pack", available_packs())
def test_create_tables_and_insert_rows(filled: Filled) -> None:
    business, data = filled.business, filled.data
    assert set(business.metadata.tables) <= set(inspect(filled.engine).get_table_names())
    with filled.engine.connect() as conn:
        for table in business.metadata.sorted_tables:
            count = conn.execute(select(func.count()).select_from(table)).scalar_one()
            assert count == len(data.rows[table.name]), table.name

        for table in business.metadata.sorted_tables:
            for row in (data.rows[table.name][0], data.rows[table.name][-1]):
                stored = conn.execute(select(table).where(table.c.id == row["id"])).one()
                assert stored._asdict() == row, table.name
                for column, value in stored._asdict().items():
                    if isinstance(value, datetime):
                        assert value.tzinfo is not None, (table.name, column)
