"""Engine and session factory, and the unit of work that use cases commit through."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    """Create an engine; for SQLite create the folder, turn on foreign keys and WAL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("", "psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


class UnitOfWork:
    """A transaction boundary: a use case opens one, does its work through `session`, commits once.

    On SQLite, write transactions of one process take turns on a lock. SQLite has one writer at a time
    anyway; without the lock, threads that find the database locked sleep in SQLite's busy handler (up
    to 100 ms a try, however soon the lock is free), which made throughput collapse and p99 reach
    seconds under 100 concurrent chats; and a transaction that read first and writes later could fail
    at once with "database is locked" when another writer committed in between. Other processes on the
    same file still wait through `busy_timeout`. PostgreSQL needs none of this."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        bind = session_factory.kw.get("bind")
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        self._write_lock: threading.RLock | None = threading.RLock() if sqlite else None

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """Yield a session inside a transaction; commit on success, roll back on any error."""
        if self._write_lock is None:
            with self._session_factory() as session, session.begin():
                yield session
            return
        with self._write_lock, self._session_factory() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """Yield a session for reads; nothing is committed."""
        with self._session_factory() as session:
            yield session
