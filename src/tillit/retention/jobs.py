"""The retention sweep as a scheduled job: one run at the real time, stepping aside for another sweeper.

The scheduler that runs it (with the other periodic jobs: processor webhooks, the customer-matching
purge) is `tillit.jobs`, at the entry-point level because it calls several domains: in-process in the
embedded mode (`tillit serve`) or as `tillit worker`. Across processes and replicas the sweep lock decides:
a run that finds another sweeper holding it logs that and waits for its next turn, so starting the worker
on every replica is safe and one of them sweeps.
"""

from __future__ import annotations

import logging

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
        "retention sweep %s: %d records in %d batches (%d under legal hold, %d waiting)",
        result.sweep_id,
        result.records,
        result.batches,
        result.legal_held,
        sum(result.waiting.values()),
    )
    return result
