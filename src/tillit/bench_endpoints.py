"""Endpoints that exist only for `bench/` (`TILLIT_BENCH_ENDPOINTS=true`, and only in demo mode).

`POST /api/v1/bench/baseline` inserts one row into a scratch table and answers: the cheapest write the
HTTP stack, the connection pool and the database can do. `bench/chat_turn.py` measures a full chat turn
beside it, so the numbers say how much the turn's own work (classification, holds, audit) costs on top of
"one request, one insert" on the same machine, servers and database.

Why not always on: it is an unauthenticated write endpoint that grows a table nothing sweeps. Normal
deployments must not have it, so the router is not even mounted unless the flag is set, and the settings
refuse the flag outside demo mode (see `tillit.config.Settings`). Its table lives in its own metadata,
outside the migrations and outside every domain.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import Column, DateTime, MetaData, String, Table

from tillit.core.ids import new_id
from tillit.runtime import Runtime

bench_metadata = MetaData()
baseline_rows = Table(
    "bench_baseline",
    bench_metadata,
    Column("id", String(36), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def create_tables(runtime: Runtime) -> None:
    """Create the scratch table (the bench calls this before starting several server processes, so that
    they do not race to create it)."""
    bench_metadata.create_all(runtime.engine, checkfirst=True)


def build_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(prefix="/api/v1/bench", tags=["bench"], include_in_schema=False)
    create_tables(runtime)

    @router.post("/baseline", status_code=201)
    def baseline() -> dict[str, str]:
        """One row inserted in its own transaction, nothing else."""
        row_id = new_id()
        with runtime.uow.begin() as session:
            session.execute(baseline_rows.insert().values(id=row_id, created_at=runtime.clock.now()))
        return {"id": row_id}

    return router
