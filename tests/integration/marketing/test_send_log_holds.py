"""The send log is held by a purpose of the notice, on both backends: in the telecom pack every entry is
the evidence of a consent's use, held 2 years from sending by the documentation purpose (a legal
obligation) and swept after that, not before; and a message whose entry no purpose would hold is not sent
at all (the row fails with the reason, audited; no entry, no hold, the consent's use not counted)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import text

from tests.conftest import TEST_SECRET
from tests.integration.marketing.helpers import (
    FakeSms,
    campaign,
    customer,
    ports,
    record,
    send_campaign,
    without_send_log,
)
from tests.integration.retention.sweep_helpers import count, sweep
from tillit.consent import service as consent_service
from tillit.core.clock import FixedClock
from tillit.marketing import dispatcher, service
from tillit.marketing.ports import Ports
from tillit.marketing.schemas import CampaignRead
from tillit.policy.schema import Policy
from tillit.retention import service as retention_service
from tillit.runtime import Runtime

DAY = timedelta(days=1)
NOTHING = {"sent": 0, "suppressed": 0, "retried": 0, "failed": 0}


def _dispatch(rt: Runtime, to: Ports, policy: Policy | None = None) -> dict[str, int]:
    result = dispatcher.dispatch(rt.uow, policy or rt.policy, to, secret=TEST_SECRET, clock=rt.clock)
    return result.model_dump()


def _send_log_holds(rt: Runtime) -> int:
    with rt.engine.connect() as conn:
        query = text("select count(*) from retention_hold where record_type = 'marketing_send'")
        return int(conn.execute(query).scalar_one())


def test_a_telecom_send_is_held_two_years_from_sending_then_swept(telecom: Runtime) -> None:
    person = customer(telecom, language="da")
    record(telecom, person, "marketing", "grant")
    offer = campaign(telecom, "marketing", "sms")
    notice = campaign(telecom, "service_messages", "sms", kind="service")
    assert (send_campaign(telecom, offer), send_campaign(telecom, notice)) == (1, 1)
    sms = FakeSms()
    assert _dispatch(telecom, ports(sms=sms)) == {**NOTHING, "sent": 2}
    assert len(sms.sent) == 2
    # withdrawing the consent ends the marketing purpose's holds, not the documentation purpose's
    record(telecom, person, "marketing", "withdraw")

    with telecom.uow.read() as session:
        log = service.send_log(session, subject_id=person)
        assert {e.campaign_id for e in log} == {offer.id, notice.id}
        for entry in log:
            holds = retention_service.holds_for(session, "marketing_send", entry.id)
            assert [(h.purpose, h.expires_at, h.ended_reason) for h in holds] == [
                ("consent_documentation", entry.sent_at + relativedelta(years=2), None)
            ]
    sent_at = log[0].sent_at
    assert {e.sent_at for e in log} == {sent_at}
    two_years = sent_at + relativedelta(years=2)

    early = sweep(telecom, two_years - DAY)
    assert "marketing_send" not in {g.record_type for g in early.groups}
    assert count(telecom, "marketing_send_log") == 2

    late = sweep(telecom, two_years + DAY)
    swept = [(g.record_type, g.purpose, g.action) for g in late.groups if g.record_type == "marketing_send"]
    assert swept == [("marketing_send", "consent_documentation", "delete")]
    assert count(telecom, "marketing_send_log") == 0
    assert _send_log_holds(telecom) == 0
    with telecom.engine.connect() as conn:
        proofs = conn.execute(
            text("select purpose, records from retention_proof where record_type = 'marketing_send'")
        ).all()
    assert [tuple(p) for p in proofs] == [("consent_documentation", 2)]


def _refused_row(rt: Runtime, offer: CampaignRead) -> Any:
    with rt.uow.read() as session:
        (row,) = service.outbox(session, offer.id)
        assert service.send_log(session, campaign_id=offer.id) == []
    return row


def _audit_of(rt: Runtime, record_id: str) -> list[tuple[str, Any]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(
            text("select action, detail from audit_event where record_id = :id order by seq"),
            {"id": record_id},
        ).all()
    return [(r.action, json.loads(r.detail) if isinstance(r.detail, str) else r.detail) for r in rows]


def test_a_message_whose_send_log_no_purpose_holds_is_refused(
    telecom: Runtime, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A policy with a marketing purpose but no holder of `marketing_send` (the lint refuses to load it; a
    deployment that bypassed the lint, or a policy changed after the campaign was queued)."""
    person = customer(telecom)
    record(telecom, person, "marketing", "grant")
    offer = campaign(telecom, "marketing", "sms")
    assert send_campaign(telecom, offer) == 1
    broken = without_send_log(telecom.policy)
    sms = FakeSms()
    granted_at = clock.now()
    clock.advance(DAY)

    with caplog.at_level(logging.ERROR, logger="tillit.marketing.dispatcher"):
        assert _dispatch(telecom, ports(sms=sms), broken) == {**NOTHING, "failed": 1}

    assert sms.sent == []
    row = _refused_row(telecom, offer)
    assert row.status == "failed"
    assert row.last_error == (
        "send_log_unheld: no purpose holds the send log (marketing_send) of purpose 'marketing'"
    )
    assert _send_log_holds(telecom) == 0
    with telecom.uow.read() as session:
        [consent] = consent_service.states(session, subject_id=person)
    assert consent.last_used_at == granted_at  # the refused attempt did not count as a use of the consent
    [(action, detail)] = _audit_of(telecom, row.id)
    assert action == "marketing.message.failed"
    assert detail["reason"] == row.last_error and detail["campaign_id"] == offer.id
    assert any("not sent: send_log_unheld" in r.getMessage() for r in caplog.records)
    # failed for good: the next run has nothing to deliver
    assert _dispatch(telecom, ports(sms=sms), broken) == NOTHING
    assert sms.sent == []


def test_a_message_whose_holders_rules_do_not_apply_is_refused(telecom: Runtime, clock: FixedClock) -> None:
    """The documentation purpose lists the send log but holds only e-mail entries: an SMS entry would get
    no hold from the engine, so the attempt is rolled back before the message reaches the SMS port."""
    person = customer(telecom)
    record(telecom, person, "marketing", "grant")
    offer = campaign(telecom, "marketing", "sms")
    assert send_campaign(telecom, offer) == 1
    purposes = [
        p.model_copy(update={"applies_if": {"channel": "email"}}) if p.id == "consent_documentation" else p
        for p in telecom.policy.purposes
    ]
    email_only = telecom.policy.model_copy(update={"purposes": purposes})
    sms = FakeSms()
    granted_at = clock.now()
    clock.advance(DAY)

    assert _dispatch(telecom, ports(sms=sms), email_only) == {**NOTHING, "failed": 1}

    assert sms.sent == []
    row = _refused_row(telecom, offer)
    assert row.status == "failed"
    assert row.last_error == (
        "send_log_unheld: the retention rules of consent_documentation hold no send-log entry of purpose "
        "'marketing' for this message"
    )
    assert _send_log_holds(telecom) == 0
    with telecom.uow.read() as session:
        [consent] = consent_service.states(session, subject_id=person)
    assert consent.last_used_at == granted_at  # used, then rolled back with the rest of the attempt
    assert [a for a, _ in _audit_of(telecom, row.id)] == ["marketing.message.failed"]
