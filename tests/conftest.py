"""Shared fixtures: databases on both backends, a runtime with a fixed clock, the demo packs.

PostgreSQL: 127.0.0.1:5432, user postgres, trust authentication (override with TILLIT_TEST_PG_URL).
Each test run creates its own uniquely named databases and drops them afterwards. Under CI
(`CI=true`) an unreachable server fails the run with a clear message instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import make_url

from tillit.config import Settings
from tillit.core.clock import FixedClock
from tillit.db import migrate
from tillit.db.base import Base
from tillit.db.models_registry import import_all_models
from tillit.db.session import make_engine
from tillit.runtime import Runtime

PG_ADMIN_URL = os.environ.get("TILLIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_SECRET = "test-secret-key-not-for-production-0123456789"
T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)

import_all_models()


def _pg_available() -> str | None:
    """None if PostgreSQL answers, else the reason it does not."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any driver error means "not reachable"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


_PG_REASON: str | bool | None = False  # False = not probed yet


def require_postgres() -> None:
    """Skip (locally) or fail (under CI) when PostgreSQL is unreachable."""
    global _PG_REASON
    if _PG_REASON is False:
        _PG_REASON = _pg_available()
    if _PG_REASON:
        message = f"PostgreSQL at {make_url(PG_ADMIN_URL).render_as_string()} is unreachable ({_PG_REASON})"
        if IN_CI:
            pytest.fail(f"{message}; under CI the PostgreSQL tests must run", pytrace=False)
        pytest.skip(message)


def create_pg_database(prefix: str = "tillit_test") -> str:
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database on the backend named by the test's `backend` parameter."""
    backend = getattr(request, "param", "sqlite")
    if backend == "postgres":
        url = create_pg_database()
        try:
            yield url
        finally:
            drop_pg_database(url)
    else:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"


@pytest.fixture(scope="session")
def _migrated_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated database per backend for the whole run, created lazily."""
    urls: dict[str, str] = {}
    yield urls
    for backend, url in urls.items():
        if backend == "postgres":
            drop_pg_database(url)


def _clean(url: str) -> None:
    """Empty tillit's tables and drop any other table a test created (e.g. a pack's business tables)."""
    engine = make_engine(url)
    reflected = MetaData()
    reflected.reflect(bind=engine)
    with engine.begin() as conn:
        for table in reversed(reflected.sorted_tables):
            if table.name == "alembic_version":
                continue
            if table.name in Base.metadata.tables:
                conn.execute(table.delete())
            else:
                table.drop(conn)
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest,
    _migrated_databases: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A migrated database, on SQLite and on PostgreSQL (each test runs on both); emptied after the test."""
    backend: str = request.param
    if backend not in _migrated_databases:
        if backend == "postgres":
            url = create_pg_database()
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'tillit.sqlite3'}"
        migrate.upgrade(url)
        _migrated_databases[backend] = url
    url = _migrated_databases[backend]
    try:
        yield url
    finally:
        _clean(url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database of its own (for tests that need only the embedded backend)."""
    url = f"sqlite:///{tmp_path / 'tillit.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def make_settings(database_url: str, pack: str = "bank", **extra: object) -> Settings:
    """Test settings. The chatbot is not trained at app start-up (a test that chats trains it on its first
    turn, once per process); pass `chatbot_warmup=True` to test the warm-up itself."""
    extra.setdefault("chatbot_warmup", False)
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET,
        demo_mode=True,
        pack=pack,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def runtime(database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    """A runtime over a migrated database (both backends) with the bank pack and a fixed clock."""
    rt = Runtime(settings=make_settings(database_url), clock=clock)
    yield rt
    rt.close()


class _Inbox:
    """Messages received by the local SMTP server, as `email.message.EmailMessage` objects."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int, _Inbox]]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) for tests that send mail; yields (host, port, inbox)."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, inbox
    finally:
        controller.stop()


_RAN: dict[str, dict[str, int]] = {"postgres": {}, "browser": {}}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count PostgreSQL and browser tests by outcome, so a CI log shows that they ran (not skipped)."""
    for marker, counts in _RAN.items():
        if marker not in report.keywords:
            continue
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for marker, counts in _RAN.items():
        total = sum(counts.values())
        detail = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "none"
        label = "PostgreSQL" if marker == "postgres" else "browser (Chromium)"
        terminalreporter.write_line(f"{label} tests run: {total} ({detail})")
