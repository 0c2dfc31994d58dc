"""Fixtures of the pack table tests. A module names its pack in `PACK` (or parametrizes `pack`) and the
moment of its business data in `NOW`. `engine` reaches the test database (SQLite and PostgreSQL, like
`database_url`) with the pack's business tables created and empty; `filled` also inserts the rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType

import pytest
from sqlalchemy import Engine

from tillit.db.session import make_engine
from tillit.packs.base import BusinessData
from tillit.packs.demo import business_module


@dataclass(frozen=True)
class Filled:
    business: ModuleType
    data: BusinessData
    engine: Engine


@pytest.fixture
def pack(request: pytest.FixtureRequest) -> str:
    return str(request.module.PACK)


@pytest.fixture
def business(pack: str) -> ModuleType:
    return business_module(pack)


@pytest.fixture
def data(request: pytest.FixtureRequest, business: ModuleType) -> BusinessData:
    generated = business.generate(request.module.NOW)
    assert isinstance(generated, BusinessData)
    return generated


@pytest.fixture
def engine(business: ModuleType, database_url: str) -> Iterator[Engine]:
    """An engine on the test database in which the pack's business tables exist, empty."""
    engine = make_engine(database_url)
    try:
        business.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def filled(business: ModuleType, data: BusinessData, engine: Engine) -> Filled:
    """The pack's business tables holding all the generated rows."""
    with engine.begin() as conn:
        for table in business.metadata.sorted_tables:
            conn.execute(table.insert(), data.rows[table.name])
    return Filled(business=business, data=data, engine=engine)
