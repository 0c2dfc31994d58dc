"""Processor webhooks against a real local HTTP server: signed, minimal, retried with backoff, given up
after the last attempt, and never lost between the execution and the delivery (outbox)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import TEST_SECRET
from tillit.core.clock import FixedClock
from tillit.policy.loader import load_text
from tillit.policy.schema import Policy
from tillit.rights import webhooks
from tillit.runtime import Runtime

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "policies" / "webhooks.yaml"


@dataclass
class Receiver:
    """What the processor's endpoint saw; it answers 503 to the first `fail_first` requests."""

    fail_first: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with receiver.lock:
                receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = 503 if len(receiver.received) <= receiver.fail_first else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def receiver() -> Iterator[tuple[str, Receiver]]:
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def _policy(base_url: str) -> Policy:
    return load_text(FIXTURE.read_text().replace("CALLBACK", base_url), "webhooks.yaml").policy


def test_rectification_is_signed_minimal_and_retried_until_accepted(
    runtime: Runtime, clock: FixedClock, receiver: tuple[str, Receiver]
) -> None:
    url, state = receiver
    state.fail_first = 2
    policy = _policy(url)
    payload = {
        "request_id": "req-1",
        "subject_id": "subj-1",
        "changes": [
            {"field": "email", "value": "new@example.com", "category": "user.contact.email"},
            {"field": "chat_note", "value": "secret text", "category": "user.content.chat_log.note"},
        ],
        "name": "Kari Nordmann",  # never forwarded
    }
    with runtime.uow.begin() as session:
        notifier = webhooks.WebhookNotifier(session, policy, clock)
        queued = notifier.notify_processors("rectification", payload)
        notifier.notify("print_shop", "rectification", payload)  # no callback_url: nothing queued
    assert len(queued) == 2

    http = webhooks.UrllibPoster(timeout=5)
    with runtime.uow.begin() as session:
        first = webhooks.deliver_pending(session, clock, http, secret=TEST_SECRET)
    assert first == webhooks.DeliveryReport(delivered=0, retrying=2, failed=0)
    with runtime.uow.begin() as session:  # not due yet: the backoff holds them back
        assert webhooks.deliver_pending(session, clock, http, secret=TEST_SECRET).retrying == 0
    clock.advance(timedelta(seconds=31))
    with runtime.uow.begin() as session:
        second = webhooks.deliver_pending(session, clock, http, secret=TEST_SECRET)
    assert second.delivered == 2
    assert len(state.received) == 4

    by_path = {r["path"]: r for r in state.received[2:]}
    crm, chat = by_path["/crm_vendor"], by_path["/chat_vendor"]
    now = int(clock.now().timestamp())
    key = webhooks.webhook_key(TEST_SECRET, "crm_vendor")
    assert webhooks.verify_signature(key, crm["headers"], crm["body"], now=now)
    assert not webhooks.verify_signature(key, chat["headers"], chat["body"], now=now)  # other key
    assert not webhooks.verify_signature(key, crm["headers"], crm["body"] + b" ", now=now)
    assert not webhooks.verify_signature(key, crm["headers"], crm["body"], now=now + 3600)  # replay
    crm_body, chat_body = json.loads(crm["body"]), json.loads(chat["body"])
    # Each processor gets the new value only of the category it already holds; of the rest, names only.
    assert crm_body["values"] == {"email": "new@example.com"}
    assert chat_body["values"] == {"chat_note": "secret text"}
    assert chat_body["fields"] == crm_body["fields"] == ["chat_note", "email"]
    for body in (crm_body, chat_body):
        assert body["request_id"] == "req-1" and body["subject_id"] == "subj-1"
        assert "Kari" not in json.dumps(body)
    assert "secret text" not in crm["body"].decode() and "new@example.com" not in chat["body"].decode()
    with runtime.uow.read() as session:
        rows = webhooks.deliveries(session, request_id="req-1")
    assert {(r.status, r.attempts) for r in rows} == {("delivered", 2)}


def test_gives_up_after_the_last_attempt_and_says_so(
    runtime: Runtime, clock: FixedClock, receiver: tuple[str, Receiver]
) -> None:
    url, state = receiver
    state.fail_first = 100
    policy = _policy(url)
    with runtime.uow.begin() as session:
        webhooks.WebhookNotifier(session, policy, clock).notify(
            "crm_vendor", "erasure", {"request_id": "req-2", "subject_id": "s", "record_types": ["x"]}
        )
    http = webhooks.UrllibPoster(timeout=5)
    for attempt in range(1, 4):
        with runtime.uow.begin() as session:
            report = webhooks.deliver_pending(session, clock, http, secret=TEST_SECRET, max_attempts=3)
        assert (report.failed == 1) is (attempt == 3)
        clock.advance(webhooks.backoff(attempt) + timedelta(seconds=1))
    with runtime.uow.read() as session:
        failed = webhooks.deliveries(session, status="failed")
        assert [r.last_error for r in failed] == ["HTTP 503"]
        actions = session.execute(text("select action from audit_event")).scalars().all()
    assert "rights.webhook_failed" in actions
    assert json.loads(state.received[0]["body"])["record_types"] == ["x"]
    with runtime.uow.begin() as session:
        webhooks.retry_now(session, failed[0].id, clock=clock)
        state.fail_first = 0
        assert webhooks.deliver_pending(session, clock, http, secret=TEST_SECRET).delivered == 1


def test_an_unreachable_processor_is_retried_and_the_outbox_survives_a_restart(
    runtime: Runtime, clock: FixedClock
) -> None:
    policy = _policy("http://127.0.0.1:9")  # discard port: connection refused
    with runtime.uow.begin() as session:
        webhooks.WebhookNotifier(session, policy, clock).notify(
            "crm_vendor", "erasure", {"request_id": "req-3", "subject_id": "s"}
        )
    with runtime.uow.begin() as session:
        report = webhooks.deliver_pending(
            session, clock, webhooks.UrllibPoster(timeout=2), secret=TEST_SECRET
        )
    assert report.retrying == 1
    with runtime.uow.read() as session:
        (row,) = webhooks.deliveries(session, request_id="req-3")
    assert row.status == "pending" and row.last_error is not None
    assert row.next_attempt_at == clock.now() + webhooks.BASE_DELAY


def test_backoff_doubles_and_is_capped() -> None:
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert webhooks.backoff(30) == webhooks.MAX_DELAY


def test_the_execution_payload_shape_is_minimised_too() -> None:
    """The execution sends `rights.rectification` with the request's details (`kind`, `value`)."""
    policy = _policy("http://127.0.0.1:9")
    payload = {"request_id": "r", "subject_id": "s", "kind": "email", "value": "ny@example.com", "old": "x"}
    crm = webhooks.minimal_body(policy, "crm_vendor", "rights.rectification", payload)
    chat = webhooks.minimal_body(policy, "chat_vendor", "rights.rectification", payload)
    assert crm["fields"] == chat["fields"] == ["email"]
    assert crm["values"] == {"email": "ny@example.com"} and chat["values"] == {}
    assert "old" not in json.dumps(crm)
