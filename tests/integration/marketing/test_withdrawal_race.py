"""A withdrawal racing a send: two threads, real concurrent transactions, on SQLite and PostgreSQL.

Each iteration, one thread withdraws a customer's e-mail consent while the other delivers that customer's
queued message through the real SMTP server. The promise: a withdrawal committed before the send's
check is never sent. Observable form: for every message the server received, the withdrawal's commit
returned only after the server had it (the withdrawal waited for the delivering transaction); for every
message it did not receive, the outbox row says `suppressed` because of the withdrawal. A dispatcher that
checked consent only when queueing, or outside the delivering transaction, fails this within a few
iterations (the sleep in the mailer widens the window).
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from tests.conftest import TEST_SECRET
from tests.integration.marketing.helpers import STAFF, campaign, customer, ports, record
from tillit.core.mail import OutgoingMail, SmtpMailer
from tillit.marketing import dispatcher, service
from tillit.marketing.ports import Ports
from tillit.runtime import Runtime

ITERATIONS = 30


class _TimedMailer:
    """The real SMTP mailer, a little slow, noting when the server had accepted each message."""

    def __init__(self, inner: SmtpMailer) -> None:
        self.inner = inner
        self.accepted: dict[str, float] = {}

    def send(self, mail: OutgoingMail) -> str:
        time.sleep(0.005)
        message_id = self.inner.send(mail)
        outbox_id = dict(mail.headers)["X-Tillit-Outbox"]
        self.accepted[outbox_id] = time.monotonic()
        return message_id


def test_a_withdrawal_committed_before_the_send_is_never_sent(
    runtime: Runtime, smtp_server: tuple[str, int, Any]
) -> None:
    host, port, inbox = smtp_server
    subjects = [customer(runtime) for _ in range(ITERATIONS)]
    for subject in subjects:
        record(runtime, subject, "email_sms_marketing", "grant")
    offer = campaign(runtime, "email_sms_marketing", "email")
    with runtime.uow.begin() as session:
        assert (
            service.send(session, runtime.policy, offer.id, actor=STAFF, clock=runtime.clock).queued
            == ITERATIONS
        )
        queued = {o.subject_id: o.id for o in service.outbox(session, offer.id)}
    mailer = _TimedMailer(SmtpMailer(host, port, "marketing@example.com"))
    to = Ports(mailer=mailer, sms=ports().sms, inbox=ports().inbox)
    rng = random.Random(6)
    withdrawn_at: dict[str, float] = {}
    outcomes: dict[str, str] = {}
    errors: list[BaseException] = []

    for subject in subjects:
        outbox_id = queued[subject]
        barrier = threading.Barrier(2)
        delay_withdraw, delay_send = rng.uniform(0, 0.01), rng.uniform(0, 0.01)

        def withdraw(
            subject: str = subject,
            outbox_id: str = outbox_id,
            delay: float = delay_withdraw,
            barrier: threading.Barrier = barrier,
        ) -> None:
            try:
                barrier.wait()
                time.sleep(delay)
                record(runtime, subject, "email_sms_marketing", "withdraw", "email")
                withdrawn_at[outbox_id] = time.monotonic()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        def deliver(
            outbox_id: str = outbox_id, delay: float = delay_send, barrier: threading.Barrier = barrier
        ) -> None:
            try:
                barrier.wait()
                time.sleep(delay)
                outcomes[outbox_id] = dispatcher.deliver(
                    runtime.uow, runtime.policy, to, outbox_id, secret=TEST_SECRET, clock=runtime.clock
                )
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=withdraw), threading.Thread(target=deliver)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []

    received = {m["X-Tillit-Outbox"] for m in inbox.messages}
    assert received == {o for o, outcome in outcomes.items() if outcome == "sent"}
    for outbox_id in received:
        assert mailer.accepted[outbox_id] < withdrawn_at[outbox_id], "sent after the withdrawal committed"
    with runtime.uow.read() as session:
        rows = {o.id: o for o in service.outbox(session, offer.id)}
    for outbox_id, outcome in outcomes.items():
        if outcome != "sent":
            assert (outcome, rows[outbox_id].status, rows[outbox_id].last_error) == (
                "suppressed",
                "suppressed",
                "withdrawn",
            )
    assert len(outcomes) == ITERATIONS
    assert any(o == "suppressed" for o in outcomes.values()), "the race never let the withdrawal win"
