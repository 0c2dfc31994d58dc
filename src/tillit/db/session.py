"""Engine and session factory, and the unit of work that use cases commit through."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

try:
    import fcntl
except ImportError:  # not on Windows: one process's threads still take turns
    fcntl = None  # type: ignore[assignment]


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


class WriterLock:
    """One writing transaction at a time on an SQLite file: across this process's threads (a re-entrant
    thread lock) and across processes (server workers, `tillit worker`, CLI commands) by an exclusive
    `flock` on `<database>-writer.lock` beside the file.

    SQLite has one writer at a time anyway. Left to itself, a writer that finds the database locked
    sleeps in SQLite's busy handler (up to 100 ms a try, however soon the lock is free), which made
    throughput collapse and p99 reach seconds under 100 concurrent chats, and a transaction that read
    first and wrote later could fail at once with "database is locked" when another writer committed
    in between. Waiting on this lock instead wakes the next writer as soon as the previous one commits.
    The file is opened once per process (again after a fork: flock locks are shared by forked copies of
    one open file). Without a file (in-memory databases) or without `fcntl`, only the thread lock."""

    def __init__(self, database: Path | None) -> None:
        self._threads = threading.RLock()
        self._path = database.with_name(database.name + "-writer.lock") if database and fcntl else None
        self._fd: int | None = None
        self._pid = 0
        self._depth = 0

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._threads:
            if self._depth == 0 and self._path is not None:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            assert self._path is not None
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd


class UnitOfWork:
    """A transaction boundary: a use case opens one, does its work through `session`, commits once.

    On SQLite, write transactions take turns on a `WriterLock` (threads and processes alike).
    PostgreSQL needs none of this."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        bind = session_factory.kw.get("bind")
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        database = bind.url.database if bind is not None and sqlite else None
        file = Path(database) if database and database != ":memory:" else None
        self._write_lock: WriterLock | None = WriterLock(file) if sqlite else None

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """Yield a session inside a transaction; commit on success, roll back on any error."""
        if self._write_lock is None:
            with self._session_factory() as session, session.begin():
                yield session
            return
        with self._write_lock.hold(), self._session_factory() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """Yield a session for reads; nothing is committed."""
        with self._session_factory() as session:
            yield session
