"""The scheduled sweep: runs at the real time, steps aside when another sweeper holds the lock, and the
`tillit worker` process sweeps on its schedule."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import TEST_SECRET
from tests.integration.retention.sweep_helpers import chat, exists
from tillit.retention import jobs
from tillit.retention.lock import sweep_lock
from tillit.runtime import Runtime

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def test_scheduled_sweep_uses_the_real_time_and_yields_to_a_running_sweeper(runtime: Runtime) -> None:
    old = chat(runtime, LONG_AGO)
    with sweep_lock(runtime.engine):
        assert jobs.run_sweep(runtime) is None
    assert exists(runtime, old)
    result = jobs.run_sweep(runtime)
    assert result is not None and result.records == 1
    assert not exists(runtime, old)


def test_embedded_scheduler_sweeps_in_the_background(runtime: Runtime) -> None:
    old = chat(runtime, LONG_AGO)
    scheduler = jobs.start_embedded(runtime, every=3600)
    try:
        deadline = time.monotonic() + 30
        while exists(runtime, old) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.shutdown()
    assert not exists(runtime, old)


def test_worker_process_sweeps_on_schedule(sqlite_url: str, tmp_path: Path) -> None:
    from tests.conftest import make_settings
    from tillit.core.clock import FixedClock

    rt = Runtime(settings=make_settings(sqlite_url), clock=FixedClock(LONG_AGO))
    old = chat(rt, LONG_AGO)
    env = {
        **os.environ,
        "TILLIT_DATABASE_URL": sqlite_url,
        "TILLIT_PACK": "bank",
        "TILLIT_SECRET_KEY": TEST_SECRET,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "tillit.cli", "worker", "--every", "3600"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while exists(rt, old) and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGINT)
        _out, err = worker.communicate(timeout=30)
    assert not exists(rt, old), err
    assert "retention sweep" in err
    rt.close()
