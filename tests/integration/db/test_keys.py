"""`db.keys.key_array`: many keys as one PostgreSQL parameter, given back exactly, whatever they contain."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.functions import Function

from tillit.db.keys import key_array
from tillit.db.session import make_engine

POSTGRES = [pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("empty_database_url", POSTGRES, indirect=True)
@pytest.mark.parametrize(
    "keys",
    [
        ["c1", "c2", "c3"],
        ["only"],
        [],
        [""],
        ["", ""],
        ["a", "", "b"],
        ["a,b", "c"],  # a comma in a key: sent as an array, not split
        [",", ",,"],
        ["æøå", "with space", "quote'd", 'double"d', "back\\slash", "{braces}", "NULL"],
        [f"id-{n}" for n in range(5000)],
    ],
)
def test_key_array_gives_the_keys_back_in_order(empty_database_url: str, keys: list[str]) -> None:
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            back = conn.execute(select(func.array_to_json(key_array(keys)))).scalar_one()
    finally:
        engine.dispose()
    assert back == keys


def test_keys_go_as_one_string_unless_a_key_holds_the_separator() -> None:
    assert isinstance(key_array(["c1", "c2"]), Function)  # string_to_array(:joined, ',')
    assert isinstance(key_array(["a,b", "c"]), BindParameter)
    assert isinstance(key_array([""]), BindParameter)
