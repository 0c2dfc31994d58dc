"""What every pack's `business.py` provides, so the demo loader treats all packs alike.

A pack's `business.py` defines:
- `metadata: sqlalchemy.MetaData` holding the business tables (the company's own tables that tillit
  reaches as *datasets*; they are not tillit's tables and are not in tillit's migrations);
- `generate(now: datetime, seed: int = 7) -> BusinessData`: fictional rows, deterministic for a seed,
  with timestamps relative to `now` so that retention scenarios line up with a moved clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
