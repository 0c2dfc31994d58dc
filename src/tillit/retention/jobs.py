"""The sweep on a schedule: in-process in the embedded mode (`tillit serve`), or `tillit worker`.

Scheduling is APScheduler's (an interval trigger, at most one run at a time per process, missed runs
coalesced), not a loop of our own. Across processes and replicas the sweep lock decides: a run that finds
another sweeper holding it logs that and waits for its next turn, so starting the worker on every replica
is safe and one of them sweeps.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]

from tillit.core.clock import SystemClock
from tillit.retention import sweeper
from tillit.retention.lock import SweepBusyError
from tillit.retention.sweep_schemas import SweepResult
from tillit.runtime import Runtime

log = logging.getLogger("tillit.retention")
JOB_ID = "retention-sweep"
DEFAULT_INTERVAL = 3600


def run_sweep(runtime: Runtime) -> SweepResult | None:
    """One scheduled sweep at the real time; None when another process is sweeping."""
    try:
        result = sweeper.sweep(
            runtime.uow,
            runtime.engine,
            runtime.policy,
            SystemClock(),
            policy_version=runtime.policy.version,
        )
    except SweepBusyError:
        log.info("retention sweep skipped: another sweeper holds the lock")
        return None
    log.info(
        "retention sweep %s: %d records in %d batches (%d under legal hold)",
        result.sweep_id,
        result.records,
        result.batches,
        result.legal_held,
    )
    return result


def _add_job(scheduler: BackgroundScheduler | BlockingScheduler, runtime: Runtime, every: int) -> None:
    scheduler.add_job(
        run_sweep,
        "interval",
        seconds=every,
        args=[runtime],
        id=JOB_ID,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )


def start_embedded(runtime: Runtime, every: int = DEFAULT_INTERVAL) -> BackgroundScheduler:
    """Start sweeping every `every` seconds in a background thread of this process (first run now)."""
    scheduler = BackgroundScheduler(timezone=UTC)
    _add_job(scheduler, runtime, every)
    scheduler.start()
    return scheduler


def run_worker(runtime: Runtime, every: int = DEFAULT_INTERVAL) -> None:
    """Sweep every `every` seconds until interrupted (the production `tillit worker`)."""
    scheduler = BlockingScheduler(timezone=UTC)
    _add_job(scheduler, runtime, every)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        runtime.close()
