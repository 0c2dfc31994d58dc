"""Many keys as one SQL parameter on PostgreSQL, for set-based statements over a batch of rows.

A Python list bound as an array parameter is adapted element by element in Python (SQLAlchemy's ARRAY
bind processing, then psycopg's list dumper), which for the thousands of ids of a retention sweep's
batch costs more than the statement that uses them. `key_array` sends them as one comma-joined string
that the server splits (`string_to_array`), unless a key contains a comma: then as a normal array.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Text, bindparam, func
from sqlalchemy.dialects.postgresql import ARRAY

SEPARATOR = ","


def key_array(keys: Sequence[str]) -> ColumnElement[Any]:
    """A PostgreSQL `text[]` holding `keys`, in order, as one bound parameter."""
    joined = SEPARATOR.join(keys)
    # Every separator in `joined` is one we put there, so splitting gives the keys back. (An empty
    # `joined` would split into no key at all, not one empty key: that case goes as an array.)
    if joined and joined.count(SEPARATOR) == len(keys) - 1:
        return func.string_to_array(bindparam(None, joined, type_=Text), SEPARATOR, type_=ARRAY(Text))
    return bindparam(None, list(keys), type_=ARRAY(Text))
