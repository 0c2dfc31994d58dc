"""The SQLite sweep lease: taken once, refused while held, taken over from a dead process or when lapsed."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, update

from tillit.db.session import make_engine
from tillit.retention.lock import LOCK_NAME, SweepBusyError, sweep_lock
from tillit.retention.sweep_models import SweepLock


def _plant(url: str, holder: str, lease_until: datetime) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            insert(SweepLock).values(
                name=LOCK_NAME, holder=holder, acquired_at=datetime.now(UTC), lease_until=lease_until
            )
        )
    engine.dispose()


def test_lease_is_exclusive_and_released(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with sweep_lock(engine) as lease:
        lease.renew()
        with pytest.raises(SweepBusyError), sweep_lock(engine):
            pass
    with sweep_lock(engine):
        pass
    engine.dispose()


def test_lease_of_a_dead_process_on_this_host_is_taken_over(sqlite_url: str) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    _plant(
        sqlite_url,
        f"{socket.gethostname()}:{dead.stdout.strip()}:abcd",
        datetime.now(UTC) + timedelta(hours=1),
    )
    engine = make_engine(sqlite_url)
    with sweep_lock(engine):
        pass
    engine.dispose()


def test_live_lease_elsewhere_blocks_until_it_lapses(sqlite_url: str) -> None:
    _plant(sqlite_url, "other-host:1:abcd", datetime.now(UTC) + timedelta(hours=1))
    engine = make_engine(sqlite_url)
    with pytest.raises(SweepBusyError), sweep_lock(engine):
        pass
    with engine.begin() as conn:
        conn.execute(update(SweepLock).values(lease_until=datetime.now(UTC) - timedelta(seconds=1)))
    with sweep_lock(engine):
        pass
    engine.dispose()
