"""Load a demo pack into a database: the policy version, the business tables and rows, the subjects,
and the holds that the policy assigns to every business row.

Loading is idempotent: a second run finds the data in place and changes nothing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from types import ModuleType
from typing import Any, cast

from sqlalchemy import Connection, MetaData, func, select

from tillit.audit import service as audit_service
from tillit.core.clock import ensure_utc
from tillit.db import migrate
from tillit.packs.base import BusinessData
from tillit.policy import service as policy_service
from tillit.policy.schema import Dataset
from tillit.retention import service as retention_service
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service


@dataclass
class DemoSummary:
    pack: str
    policy_version: str
    already_loaded: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    subjects: int = 0
    holds: int = 0


def business_module(pack: str) -> ModuleType:
    return importlib.import_module(f"tillit.packs.{pack}.business")


def load_demo(runtime: Runtime, *, now: datetime | None = None) -> DemoSummary:
    """Migrate, record the policy version and load the pack's fictional business data once."""
    migrate.upgrade(runtime.settings.database_url)
    policy = runtime.policy
    at = now or runtime.clock.now()
    with runtime.uow.begin() as session:
        version = policy_service.record_version(session, runtime.loaded_policy, runtime.clock)
    summary = DemoSummary(pack=policy.pack, policy_version=version.version)

    module = business_module(policy.pack)
    metadata = cast(MetaData, module.metadata)
    metadata.create_all(runtime.engine)
    first_table = next(iter(metadata.sorted_tables))
    with runtime.engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(first_table)).scalar_one() > 0:
            summary.already_loaded = True
            return summary

    data = cast(BusinessData, module.generate(at))
    with runtime.engine.begin() as conn:
        for table in metadata.sorted_tables:
            rows = data.rows.get(table.name, [])
            if rows:
                conn.execute(table.insert(), rows)
            summary.rows[table.name] = len(rows)

    region = policy.organisation.country
    with runtime.uow.begin() as session:
        for person in data.subjects:
            subjects_service.create_subject(
                session,
                kind=person.kind,
                language=person.language,
                display_name=person.name,
                identifiers=person.identifiers,
                clock=runtime.clock,
                default_region=region,
                secret=runtime.settings.secret_key,
            )
            summary.subjects += 1
        with runtime.engine.connect() as conn:
            for dataset in policy.datasets:
                for record_id, facts in _dataset_facts(conn, metadata, dataset, at):
                    holds = retention_service.assign_holds(
                        session,
                        policy,
                        record_type=dataset.id,
                        record_id=record_id,
                        facts=facts,
                        clock=runtime.clock,
                    )
                    summary.holds += len(holds)
        audit_service.record(
            session,
            actor_type="job",
            actor_id="demo-loader",
            action="demo.loaded",
            detail={"pack": policy.pack, "subjects": summary.subjects, "holds": summary.holds},
            clock=runtime.clock,
        )
    return summary


def _dataset_facts(
    conn: Connection, metadata: MetaData, dataset: Dataset, at: datetime
) -> list[tuple[str, dict[str, Any]]]:
    """(primary key, facts) for every row of a dataset: its declared fact columns and its kind."""
    table = metadata.tables.get(dataset.table)
    if table is None:
        return []
    columns = [table.c[dataset.primary_key], *(table.c[name] for name in dataset.facts)]
    result: list[tuple[str, dict[str, Any]]] = []
    for row in conn.execute(select(*columns)).mappings():
        facts: dict[str, Any] = {name: _as_fact(row[name]) for name in dataset.facts}
        facts["record_kind"] = dataset.id
        facts.setdefault("created_at", at)
        result.append((str(row[dataset.primary_key]), facts))
    return result


def _as_fact(value: Any) -> Any:
    """Timestamps as aware UTC datetimes (SQLite returns naive ones; a date means its first moment)."""
    if isinstance(value, datetime):
        return ensure_utc(value)
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=UTC)
    return value
