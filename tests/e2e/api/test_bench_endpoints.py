"""The benchmark's baseline endpoint exists only when asked for, and only in demo mode."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from tests.conftest import TEST_SECRET, make_settings
from tillit.bench_endpoints import baseline_rows
from tillit.config import Settings
from tillit.main import create_app


def test_the_baseline_endpoint_is_absent_by_default(sqlite_url: str) -> None:
    app = create_app(make_settings(sqlite_url, pack="parcel"))
    try:
        client = TestClient(app)
        assert client.post("/api/v1/bench/baseline").status_code == 404
        assert "/api/v1/bench/baseline" not in client.get("/openapi.json").text
    finally:
        app.state.context.close()


def test_with_the_flag_it_inserts_one_row_per_request(sqlite_url: str) -> None:
    app = create_app(make_settings(sqlite_url, pack="parcel", bench_endpoints=True))
    try:
        client = TestClient(app)
        ids = {client.post("/api/v1/bench/baseline").json()["id"] for _ in range(3)}
        assert len(ids) == 3
        with app.state.context.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(baseline_rows)).scalar_one() == 3
    finally:
        app.state.context.close()


def test_the_flag_is_refused_outside_demo_mode(sqlite_url: str) -> None:
    with pytest.raises(ValidationError, match="refused outside demo mode"):
        Settings(database_url=sqlite_url, secret_key=TEST_SECRET, bench_endpoints=True)
