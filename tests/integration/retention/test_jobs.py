"""The scheduled jobs: the sweep runs at the real time and steps aside when another sweeper holds the
lock; the embedded scheduler runs the sweep, processor webhook retries and the matching purge, each
failure isolated; the `tillit worker` process sweeps on its schedule and stops promptly on Ctrl-C."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from tests.conftest import TEST_SECRET
from tests.integration.retention.sweep_helpers import chat, exists
from tillit import jobs as scheduled
from tillit.core.clock import FixedClock
from tillit.policy.loader import load_text
from tillit.retention import jobs
from tillit.retention.lock import sweep_lock
from tillit.rights import webhooks
from tillit.runtime import Runtime

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
WEBHOOK_POLICY = Path(__file__).resolve().parents[2] / "fixtures" / "policies" / "webhooks.yaml"


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
    scheduler = scheduled.start_embedded(runtime, scheduled.Schedule(sweep_every=3600))
    try:
        deadline = time.monotonic() + 30
        while exists(runtime, old) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.shutdown(wait=False)
    assert not exists(runtime, old)


def test_a_failing_job_is_logged_and_the_others_still_run(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    old = chat(runtime, LONG_AGO)

    def broken(_runtime: Runtime) -> int:
        raise RuntimeError("processor endpoint exploded")

    monkeypatch.setattr(scheduled, "deliver_webhooks", broken)
    caplog.set_level(logging.INFO, logger="tillit")
    scheduler = scheduled.start_embedded(runtime)
    try:
        deadline = time.monotonic() + 30
        while (exists(runtime, old) or "rights-webhooks failed" not in caplog.text) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.1)
    finally:
        scheduler.shutdown(wait=False)
    assert "job rights-webhooks failed" in caplog.text
    assert not exists(runtime, old)


def test_worker_process_sweeps_on_schedule(sqlite_url: str, tmp_path: Path) -> None:
    from tests.conftest import make_settings

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
        # Generous under load: start-up imports the app, loads the policy and sweeps.
        deadline = time.monotonic() + 120
        while exists(rt, old) and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
    finally:
        stopped_at = time.monotonic()
        worker.send_signal(signal.SIGINT)
        try:
            _out, err = worker.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            _out, err = worker.communicate()
            pytest.fail(f"the worker did not stop within 60 s of Ctrl-C:\n{err}")
    assert not exists(rt, old), err
    assert "retention sweep" in err
    # Prompt: the scheduler is shut down without waiting, a running job gets STOP_GRACE seconds.
    assert time.monotonic() - stopped_at < scheduled.STOP_GRACE + 20, err
    assert worker.returncode == 0, err
    rt.close()


class _Processor(BaseHTTPRequestHandler):
    """A processor's webhook endpoint that accepts everything and remembers the delivery ids."""

    received: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(self.headers["X-Tillit-Delivery"])
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


def test_the_webhook_job_retries_a_pending_delivery(runtime: Runtime, clock: FixedClock) -> None:
    _Processor.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Processor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        policy = load_text(WEBHOOK_POLICY.read_text().replace("CALLBACK", base), "webhooks.yaml").policy
        payload = {"request_id": "req-1", "subject_id": "subj-1", "erased": ["conversation"]}
        with runtime.uow.begin() as session:
            queued = webhooks.WebhookNotifier(session, policy, clock).notify_processors("erasure", payload)
        with runtime.uow.begin() as session:  # the first attempt fails: the processor is down
            first = webhooks.deliver_pending(session, clock, _Down(), secret=TEST_SECRET)
        assert first.retrying == len(queued) > 0 and not _Processor.received
        report = scheduled.deliver_webhooks(runtime)
    finally:
        server.shutdown()
        server.server_close()
    assert report.delivered == len(queued) and report.retrying == 0
    assert sorted(_Processor.received) == sorted(d.id for d in _deliveries(runtime))
    assert {d.status for d in _deliveries(runtime)} == {"delivered"}


class _Down:
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        return 503


def _deliveries(runtime: Runtime) -> list[webhooks.DeliveryRead]:
    with runtime.uow.read() as session:
        return webhooks.deliveries(session)
