"""One sweeper at a time across processes and replicas.

PostgreSQL: a session-level `pg_try_advisory_lock` on a connection held open for the whole sweep. The
server releases it when that connection ends, so a sweeper killed with SIGKILL frees the lock at once.

SQLite (embedded mode, one machine): a lease row in `retention_sweep_lock`. Taking it is one UPDATE
("take it if it has lapsed, or if it is mine") or, when no row exists yet, one INSERT that the primary key
lets only one process win; SQLite runs each of them under its single write lock, so two processes cannot
both succeed. The lease lasts `ttl` of wall-clock time and is renewed after every batch. A sweeper that
crashed leaves its row behind: another process on the same host takes it over at once when the holder's
process id no longer exists, otherwise when the lease lapses.

The lease is on wall-clock time, never the `--now` clock a sweep may simulate.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Engine, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from tillit.core.errors import ConflictError
from tillit.retention.sweep_models import SweepLock

LOCK_NAME = "sweep"
PG_LOCK_KEY = 7_417_117_500_005
"""pg_advisory_lock key reserved for the retention sweeper (the audit chain uses ...001)."""
DEFAULT_TTL = timedelta(minutes=2)


class SweepBusyError(ConflictError):
    code = "sweep_running"


class Lease:
    """A held sweep lock; `renew` extends a SQLite lease (a no-op on PostgreSQL)."""

    def __init__(self, engine: Engine, holder: str, ttl: timedelta) -> None:
        self._engine = engine
        self.holder = holder
        self._ttl = ttl

    def renew(self) -> None:
        if self._engine.dialect.name == "postgresql":
            return
        with self._engine.begin() as conn:
            conn.execute(
                update(SweepLock)
                .where(SweepLock.name == LOCK_NAME, SweepLock.holder == self.holder)
                .values(lease_until=_wall_now() + self._ttl)
            )


@contextmanager
def sweep_lock(engine: Engine, *, ttl: timedelta = DEFAULT_TTL) -> Iterator[Lease]:
    """Hold the sweep lock for the duration of the block; SweepBusyError when another sweeper has it."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": PG_LOCK_KEY}).scalar()
            conn.commit()
            if not got:
                raise SweepBusyError("another retention sweep is running; try again when it has finished")
            try:
                yield Lease(engine, holder, ttl)
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
                conn.commit()
        return
    if not _take_lease(engine, holder, ttl):
        raise SweepBusyError("another retention sweep is running; try again when it has finished")
    try:
        yield Lease(engine, holder, ttl)
    finally:
        with engine.begin() as conn:
            conn.execute(delete(SweepLock).where(SweepLock.name == LOCK_NAME, SweepLock.holder == holder))


def _take_lease(engine: Engine, holder: str, ttl: timedelta) -> bool:
    """Compare-and-swap on the lease row: each statement is atomic under SQLite's write lock."""
    now = _wall_now()
    if _swap(engine, SweepLock.lease_until < now, holder, now, ttl):
        return True
    with engine.connect() as conn:
        current = conn.execute(select(SweepLock.holder).where(SweepLock.name == LOCK_NAME)).scalar()
    if current is not None:
        return _dead_on_this_host(current) and _swap(engine, SweepLock.holder == current, holder, now, ttl)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(SweepLock).values(
                    name=LOCK_NAME, holder=holder, acquired_at=now, lease_until=now + ttl
                )
            )
    except IntegrityError:
        return False
    return True


def _swap(engine: Engine, condition: ColumnElement[bool], holder: str, now: datetime, ttl: timedelta) -> bool:
    with engine.begin() as conn:
        result = conn.execute(
            update(SweepLock)
            .where(SweepLock.name == LOCK_NAME, condition)
            .values(holder=holder, acquired_at=now, lease_until=now + ttl)
        )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def _dead_on_this_host(holder: str) -> bool:
    """True when `holder` names a process on this host that no longer runs (a crashed sweeper)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _wall_now() -> datetime:
    return datetime.now(UTC)
