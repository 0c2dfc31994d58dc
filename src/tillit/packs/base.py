"""What every pack's `business.py` provides, so the demo loader treats all packs alike.

A pack's `business.py` defines:
- `metadata: sqlalchemy.MetaData` holding the business tables (the company's own tables that tillit
  reaches as *datasets*; they are not tillit's tables and are not in tillit's migrations);
- `generate(now: datetime, seed: int = 7) -> BusinessData`: fictional rows, deterministic for a seed,
  with timestamps relative to `now` so that retention scenarios line up with a moved clock.

Every column says in `info["personal"]` whether it holds personal data (`personal()` / `plain()` below),
so a test can insist that each personal column is mapped to a data category in the policy. Helpers for
the fictional people themselves are in `tillit.packs.fiction`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Integer


@dataclass(frozen=True)
class DemoSubject:
    """A fictional person in a pack. `identifiers` maps identity kind (customer_number, national_id,
    email, phone) to a value that passes its checksum; the same values appear in the business rows."""

    kind: str
    name: str
    language: str
    identifiers: dict[str, str]


@dataclass
class BusinessData:
    subjects: list[DemoSubject]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Rows per table name, in an order that satisfies foreign keys."""


def personal() -> dict[str, Any]:
    """Column info of personal data: the policy must map the column in its dataset's `fields`."""
    return {"personal": True}


def plain() -> dict[str, Any]:
    """Column info of a column that is not personal data (keys, retention anchors, codes)."""
    return {"personal": False}


def id_column() -> Column[int]:
    """The primary key every business table has: an integer the generator assigns, not the database."""
    return Column("id", Integer, primary_key=True, autoincrement=False, info=plain())
