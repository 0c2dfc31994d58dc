"""Background jobs on a schedule: in-process in the embedded mode (`tillit serve`), or `tillit worker`.

Three jobs, each a promise some other part of tillit makes and only a clock can keep:

- the retention sweep (`retention.jobs.run_sweep`), hourly by default: records go when their last hold
  ends;
- processor webhooks (`rights.webhooks.deliver_pending`), every five minutes: a rectification or erasure
  that could not be told to a processor at once (it was down) is retried with backoff until it is
  delivered or given up for the DPO;
- the customer-matching purge (`marketing.matching.purge_expired`), hourly: a hashed contact list goes
  once it is matched or its time to live ends, whatever the retention sweep's interval.

This module sits at the entry-point level because it calls several domains (the same functions the
console and the CLI call). Scheduling is APScheduler's (interval triggers, at most one run of a job at a
time, missed runs coalesced), not a loop of our own. Each job runs in its own short transaction and its
failure is caught and logged here (the PII filter masks the traceback), so a processor that is down or a
broken export never stops the sweep, and the job runs again at its next turn. Across processes the
sweep lock decides who sweeps; webhook delivery and the purge are idempotent (an outbox row is marked in
the transaction that saw the answer, a purged export is gone), so running them on every replica is safe.

Stopping is prompt: SIGINT or SIGTERM shuts the scheduler down without waiting, running jobs get
`STOP_GRACE` seconds to finish their batch, and then the process leaves anyway. That is safe because
every job is crash-safe by design (the sweeper is tested under SIGKILL; the outbox and the purge commit
per step), and an operator pressing Ctrl-C, or an orchestrator sending SIGTERM, must not wait for a
slow processor's timeouts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
from apscheduler.schedulers import SchedulerNotRunningError  # type: ignore[import-untyped]
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.base import BaseScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]

from tillit.core.clock import SystemClock
from tillit.marketing import matching
from tillit.retention import jobs as retention_jobs
from tillit.rights import webhooks
from tillit.runtime import Runtime

log = logging.getLogger("tillit.jobs")
STOP_GRACE = 10.0
"""Seconds a running job gets to finish after a stop signal before the process leaves anyway."""
WEBHOOK_TIMEOUT = 5.0
"""Seconds one processor gets to answer a webhook (the console and the CLI use the same)."""


@dataclass(frozen=True)
class Schedule:
    """Seconds between runs of each job; 0 leaves a job out. The first run of each is at once."""

    sweep_every: int = retention_jobs.DEFAULT_INTERVAL
    webhooks_every: int = 300
    matching_every: int = 3600


def deliver_webhooks(runtime: Runtime) -> webhooks.DeliveryReport:
    """Send the processor webhooks that are due now (one short transaction, real time)."""
    with runtime.uow.begin() as session:
        report = webhooks.deliver_pending(
            session,
            SystemClock(),
            webhooks.UrllibPoster(timeout=WEBHOOK_TIMEOUT),
            secret=runtime.settings.secret_key,
        )
    if report.delivered or report.retrying or report.failed:
        log.info(
            "processor webhooks: %d delivered, %d to retry, %d given up",
            report.delivered,
            report.retrying,
            report.failed,
        )
    return report


def purge_matching(runtime: Runtime) -> int:
    """Delete the customer-matching exports that are matched, past their time to live, or no longer held."""
    with runtime.uow.begin() as session:
        deleted = matching.purge_expired(session, SystemClock())
    if deleted:
        log.info("customer-matching purge: %d exports deleted", deleted)
    return deleted


class _Running:
    """How many jobs are running now, so a stop can wait for them (briefly)."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def __enter__(self) -> None:
        with self._idle:
            self._count += 1

    def __exit__(self, *_exc: object) -> None:
        with self._idle:
            self._count -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout=timeout)


def _isolated(name: str, job: Callable[[Runtime], object], runtime: Runtime, running: _Running) -> None:
    """Run one job; log its failure instead of letting it reach the scheduler (which would log it with
    no context) or another job."""
    with running:
        try:
            job(runtime)
        except Exception:
            log.exception("job %s failed; it runs again at its next turn", name)


def add_jobs(scheduler: BaseScheduler, runtime: Runtime, schedule: Schedule) -> _Running:
    """Add every job the schedule turns on; returns the counter of running jobs."""
    running = _Running()
    jobs: list[tuple[str, Callable[[Runtime], object], int]] = [
        (retention_jobs.JOB_ID, retention_jobs.run_sweep, schedule.sweep_every),
        ("rights-webhooks", deliver_webhooks, schedule.webhooks_every),
        ("matching-purge", purge_matching, schedule.matching_every),
    ]
    for job_id, job, every in jobs:
        if every <= 0:
            continue
        scheduler.add_job(
            _isolated,
            "interval",
            seconds=every,
            args=[job_id, job, runtime, running],
            id=job_id,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
    return running


def _executors() -> dict[str, Any]:
    # One thread per job, so a slow processor's webhook never delays the sweep.
    return {"default": ThreadPoolExecutor(max_workers=3)}


def start_embedded(runtime: Runtime, schedule: Schedule | None = None) -> BackgroundScheduler:
    """Start the jobs in a background thread of this process (each runs once at once). The caller stops
    it with `scheduler.shutdown(wait=False)`."""
    scheduler = BackgroundScheduler(timezone=UTC, executors=_executors())
    add_jobs(scheduler, runtime, schedule or Schedule())
    scheduler.start()
    return scheduler


def run_worker(runtime: Runtime, schedule: Schedule | None = None, *, grace: float = STOP_GRACE) -> None:
    """Run the jobs until SIGINT or SIGTERM (the production `tillit worker`), then stop promptly."""
    scheduler = BlockingScheduler(timezone=UTC, executors=_executors())
    running = add_jobs(scheduler, runtime, schedule or Schedule())
    stop_requested = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        if stop_requested.is_set():
            log.warning("tillit worker: second stop signal, leaving now")
            _leave(1)
        stop_requested.set()
        log.info("tillit worker: stopping (%s)", signal.Signals(signum).name)
        with contextlib.suppress(SchedulerNotRunningError):  # not started yet: `start` is skipped
            scheduler.shutdown(wait=False)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if not stop_requested.is_set():
            scheduler.start()  # returns once `stop` has shut the scheduler down
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not running.wait_idle(grace):
        # The executor's threads are joined at interpreter exit, which would wait for the job: leave
        # without them. Every job is crash-safe; the next run carries on where this one stopped.
        log.warning("tillit worker: a job is still running after %.0f s; leaving without it", grace)
        _leave(0)
    runtime.close()


def _leave(code: int) -> None:
    logging.shutdown()
    os._exit(code)
