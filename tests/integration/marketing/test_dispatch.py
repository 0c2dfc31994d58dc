"""The outbox dispatcher against a real SMTP server (aiosmtpd) and a fake of our SMS port, on both
backends: delivery, language, the send log and its 5-year hold (bank), retries, suppression of a
withdrawal that came after the send, service messages to those who opted out (telecom), audit rows
without addresses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import text

from tests.conftest import TEST_SECRET
from tests.integration.marketing.helpers import (
    STAFF,
    FakeSms,
    campaign,
    customer,
    ports,
    record,
    send_campaign,
)
from tillit.core.clock import FixedClock
from tillit.core.mail import MailError, OutgoingMail, SmtpMailer
from tillit.marketing import dispatcher, service
from tillit.marketing.ports import Ports
from tillit.retention import service as retention_service
from tillit.runtime import Runtime

Smtp = tuple[str, int, Any]


def _dispatch(rt: Runtime, to: Ports, **extra: Any) -> dict[str, int]:
    result = dispatcher.dispatch(rt.uow, rt.policy, to, secret=TEST_SECRET, clock=rt.clock, **extra)
    return result.model_dump()


def test_email_reaches_the_smtp_server_in_the_customers_language_and_is_logged_5_years(
    runtime: Runtime, smtp_server: Smtp
) -> None:
    host, port, inbox = smtp_server
    english, norwegian, never = customer(runtime), customer(runtime, language="nb"), customer(runtime)
    for subject in (english, norwegian):
        record(runtime, subject, "email_sms_marketing", "grant")
    offer = campaign(runtime, "email_sms_marketing", "email")
    assert send_campaign(runtime, offer) == 2
    assert _dispatch(runtime, ports(host, port)) == {"sent": 2, "suppressed": 0, "retried": 0, "failed": 0}

    received = {m["Subject"]: m for m in inbox.messages}
    assert set(received) == {"Offer (en)", "Offer (nb)"}
    assert "Hello from email_sms_marketing (nb)" in received["Offer (nb)"].get_content()
    assert all(m["X-Tillit-Campaign"] == offer.id for m in inbox.messages)
    with runtime.uow.begin() as session:
        log = service.send_log(session, campaign_id=offer.id)
        assert {e.subject_id for e in log} == {english, norwegian} and never not in {
            e.subject_id for e in log
        }
        assert all(e.response == "none" and e.channel == "email" for e in log)
        for entry in log:
            holds = retention_service.holds_for(session, "marketing_send", entry.id)
            assert [(h.purpose, h.expires_at) for h in holds] == [
                ("email_sms_marketing", entry.sent_at + relativedelta(years=5))
            ]
        responded = service.record_response(session, log[0].id, "clicked", actor=STAFF, clock=runtime.clock)
        assert responded.response == "clicked" and responded.responded_at == runtime.clock.now()
        assert service.outbox_counts(session, offer.id) == {"sent": 2}
        audit = " ".join(str(r) for r in session.execute(text("select * from audit_event")).all())
    assert "marketing.message.sent" in audit
    assert "@example.com" not in audit and "Hello from" not in audit


def test_a_withdrawal_after_the_send_is_never_delivered(runtime: Runtime, smtp_server: Smtp) -> None:
    host, port, inbox = smtp_server
    stays, leaves = customer(runtime), customer(runtime)
    for subject in (stays, leaves):
        record(runtime, subject, "email_sms_marketing", "grant")
    offer = campaign(runtime, "email_sms_marketing", "email")
    assert send_campaign(runtime, offer) == 2
    record(runtime, leaves, "email_sms_marketing", "withdraw", "email")
    assert _dispatch(runtime, ports(host, port)) == {"sent": 1, "suppressed": 1, "retried": 0, "failed": 0}
    assert len(inbox.messages) == 1
    with runtime.uow.read() as session:
        rows = {o.subject_id: o for o in service.outbox(session, offer.id)}
    assert (rows[leaves].status, rows[leaves].last_error) == ("suppressed", "withdrawn")
    assert rows[stays].status == "sent"


class _Flaky:
    """Our Mailer port over the real SMTP server, refusing the first `failures` calls."""

    def __init__(self, inner: SmtpMailer, failures: int) -> None:
        self.inner, self.failures, self.calls = inner, failures, 0

    def send(self, mail: OutgoingMail) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise MailError("server said 451 try again later")
        return self.inner.send(mail)


def test_a_failed_delivery_is_retried_with_back_off_then_sent(
    runtime: Runtime, clock: FixedClock, smtp_server: Smtp
) -> None:
    host, port, inbox = smtp_server
    subject = customer(runtime)
    record(runtime, subject, "email_sms_marketing", "grant")
    offer = campaign(runtime, "email_sms_marketing", "email")
    send_campaign(runtime, offer)
    flaky = _Flaky(SmtpMailer(host, port, "marketing@example.com"), failures=2)
    to = Ports(mailer=flaky, sms=FakeSms(), inbox=ports().inbox)
    assert _dispatch(runtime, to)["retried"] == 1
    assert _dispatch(runtime, to) == {"sent": 0, "suppressed": 0, "retried": 0, "failed": 0}  # not due yet
    clock.advance(timedelta(minutes=1))
    assert _dispatch(runtime, to)["retried"] == 1
    clock.advance(timedelta(minutes=2))
    assert _dispatch(runtime, to)["sent"] == 1
    assert len(inbox.messages) == 1
    with runtime.uow.read() as session:
        (row,) = service.outbox(session, offer.id)
        # a failed attempt is rolled back whole: the consent's use is counted once, by the delivery
        log = service.send_log(session, subject_id=subject)
    assert (row.status, row.attempts) == ("sent", 3)
    assert len(log) == 1


def test_an_unreachable_server_fails_for_good_after_the_last_retry(
    runtime: Runtime, clock: FixedClock
) -> None:
    subject = customer(runtime)
    record(runtime, subject, "email_sms_marketing", "grant")
    offer = campaign(runtime, "email_sms_marketing", "email")
    send_campaign(runtime, offer)
    closed = ports("127.0.0.1", 9)  # nothing listens on the discard port
    outcomes = []
    for _ in range(3):
        outcomes.append(_dispatch(runtime, closed, max_attempts=3))
        clock.advance(timedelta(hours=1))
    assert [o["retried"] for o in outcomes] == [1, 1, 0] and outcomes[-1]["failed"] == 1
    with runtime.uow.read() as session:
        (row,) = service.outbox(session, offer.id)
    assert row.status == "failed" and row.last_error is not None and "MailError" in row.last_error
    assert "@" not in row.last_error


def test_telecom_service_messages_reach_customers_who_opted_out_of_marketing(telecom: Runtime) -> None:
    opted_out, consented = customer(telecom), customer(telecom)
    record(telecom, consented, "marketing", "grant")
    record(telecom, opted_out, "marketing", "grant")
    record(telecom, opted_out, "marketing", "withdraw")
    sms = FakeSms()
    offer = campaign(telecom, "marketing", "sms")
    notice = campaign(telecom, "service_messages", "sms", kind="service")
    assert (send_campaign(telecom, offer), send_campaign(telecom, notice)) == (1, 2)
    assert _dispatch(telecom, ports(sms=sms))["sent"] == 3
    texts = {(m.to, m.text) for m in sms.sent}
    with telecom.uow.read() as session:
        log = {(e.subject_id, e.campaign_id) for e in service.send_log(session)}
    assert log == {(consented, offer.id), (opted_out, notice.id), (consented, notice.id)}
    assert (
        sum("service_messages" in t for _, t in texts) == 2
        and sum("from marketing" in t for _, t in texts) == 1
    )
