"""Consent and holds: withdrawal and objection end the right holds for good; consent records are held."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta

from tests.conftest import T0
from tests.integration.consent.conftest import Record, new_subject
from tillit.consent import service
from tillit.core.clock import FixedClock
from tillit.core.errors import PurposeNotAllowedError
from tillit.policy.loader import load_pack
from tillit.policy.schema import Policy
from tillit.retention import service as retention_service
from tillit.retention.schemas import HoldRead
from tillit.runtime import Runtime

BANK = load_pack("bank").policy
TELECOM = load_pack("telecom").policy


def hold_records(rt: Runtime, policy: Policy, subject_id: str, record_type: str, record_id: str) -> None:
    """Give a dataset record of the subject its holds (as the demo loader does)."""
    with rt.uow.begin() as session:
        retention_service.assign_holds(
            session,
            policy,
            record_type=record_type,
            record_id=record_id,
            facts={"created_at": T0, "sent_at": T0},
            clock=rt.clock,
            subject_id=subject_id,
        )


def holds(rt: Runtime, record_type: str, record_id: str) -> dict[str, HoldRead]:
    with rt.uow.read() as session:
        return {h.purpose: h for h in retention_service.holds_for(session, record_type, record_id)}


def test_withdrawal_ends_that_purposes_holds_and_a_recompute_never_revives_them(
    runtime: Runtime, record: Record, clock: FixedClock
) -> None:
    alice, bob = new_subject(runtime), new_subject(runtime)
    hold_records(runtime, BANK, alice, "marketing_send_log", "send-1")
    hold_records(runtime, BANK, bob, "marketing_send_log", "send-2")
    record(BANK, alice, "personalised_marketing", "grant")
    clock.advance(timedelta(days=1))

    result = record(BANK, alice, "personalised_marketing", "withdraw")
    assert result.ended_holds == 1
    mine = holds(runtime, "marketing_send_log", "send-1")
    assert mine["personalised_marketing"].ended_reason == "withdrawal"
    assert mine["personalised_marketing"].expires_at == clock.now()
    assert mine["simple_marketing"].ended_reason is None  # another purpose keeps its own hold
    assert mine["email_sms_marketing"].ended_reason is None
    assert holds(runtime, "marketing_send_log", "send-2")["personalised_marketing"].ended_reason is None

    hold_records(runtime, BANK, alice, "marketing_send_log", "send-1")  # a recompute with the same facts
    assert (
        holds(runtime, "marketing_send_log", "send-1")["personalised_marketing"].ended_reason == "withdrawal"
    )
    with runtime.uow.read() as session:
        assert "personalised_marketing" in service.excluded_purposes(session, BANK, alice)


def test_withdrawing_one_channel_keeps_the_purpose_while_another_is_granted(
    runtime: Runtime, record: Record
) -> None:
    alice = new_subject(runtime)
    hold_records(runtime, BANK, alice, "marketing_send_log", "send-1")
    record(BANK, alice, "email_sms_marketing", "grant", "email")
    record(BANK, alice, "email_sms_marketing", "grant", "sms")
    assert record(BANK, alice, "email_sms_marketing", "withdraw", "sms").ended_holds == 0
    assert holds(runtime, "marketing_send_log", "send-1")["email_sms_marketing"].ended_reason is None
    assert record(BANK, alice, "email_sms_marketing", "withdraw", "email").ended_holds == 1
    assert holds(runtime, "marketing_send_log", "send-1")["email_sms_marketing"].ended_reason == "withdrawal"


def test_objection_ends_the_objected_purposes_holds_only(runtime: Runtime, record: Record) -> None:
    alice = new_subject(runtime)
    hold_records(runtime, BANK, alice, "digital_events", "ev-1")
    assert record(BANK, alice, "simple_marketing", "opt_out", "sms").ended_holds == 0
    assert record(BANK, alice, "simple_marketing", "object").ended_holds == 1
    after = holds(runtime, "digital_events", "ev-1")
    assert after["simple_marketing"].ended_reason == "objection"
    assert after["service_digital_behaviour"].ended_reason is None
    hold_records(runtime, BANK, alice, "digital_events", "ev-1")
    assert holds(runtime, "digital_events", "ev-1")["simple_marketing"].ended_reason == "objection"


def test_telecom_consent_record_is_kept_until_two_years_after_last_use(
    database_url: str, clock: FixedClock
) -> None:
    from tests.conftest import make_settings

    rt = Runtime(settings=make_settings(database_url, pack="telecom"), clock=clock)
    try:
        _telecom_scenario(rt, clock)
    finally:
        rt.close()


def _telecom_scenario(rt: Runtime, clock: FixedClock) -> None:
    from tillit.consent.schemas import ConsentEventCreate

    def rec(subject: str, action: str) -> str:
        data = ConsentEventCreate(
            subject_id=subject,
            purpose="marketing",
            action=action,  # type: ignore[arg-type]
            source="app",
            actor_type="customer",
            actor_id=subject,
        )
        with rt.uow.begin() as session:
            return service.record_event(session, TELECOM, data, clock=clock).states[0].id

    used, unused = new_subject(rt), new_subject(rt)
    used_record, unused_record = rec(used, "grant"), rec(unused, "grant")
    in_force = holds(rt, "consent_record", used_record)["consent_documentation"]
    assert in_force.expires_at is None  # kept while the consent is in force

    clock.set(T0 + relativedelta(months=12))
    with rt.uow.begin() as session:
        service.mark_used(session, TELECOM, used, "marketing", "sms", clock=clock)
    clock.set(T0 + relativedelta(months=18))
    rec(used, "withdraw")
    rec(unused, "withdraw")

    assert holds(rt, "consent_record", used_record)["consent_documentation"].expires_at == T0 + relativedelta(
        years=3
    )
    assert holds(rt, "consent_record", unused_record)["consent_documentation"].expires_at == (
        T0 + relativedelta(years=2)
    )
    with rt.uow.begin() as session, pytest.raises(PurposeNotAllowedError, match="withdrawn"):
        service.mark_used(session, TELECOM, used, "marketing", "sms", clock=clock)

    clock.set(T0 + relativedelta(years=2, days=1))  # the unused consent's record has expired, not the other
    with rt.uow.begin() as session:
        expired = [
            r.record_id
            for r in retention_service.expired_records(session, clock)
            if r.record_type == "consent_record"
        ]
        assert expired == [unused_record]
        assert service.erase_records(session, expired) == {"consent_state": 1, "consent_event": 2}
    with rt.uow.read() as session:
        assert service.history(session, subject_id=unused) == []
        assert service.states(session, subject_id=unused) == []
        assert len(service.history(session, subject_id=used)) == 2
        assert retention_service.holds_for(session, "consent_record", unused_record) == []


def test_mark_used_refuses_a_consent_that_is_not_granted(runtime: Runtime, record: Record) -> None:
    alice = new_subject(runtime)
    with runtime.uow.begin() as session, pytest.raises(PurposeNotAllowedError, match="no_consent"):
        service.mark_used(session, BANK, alice, "email_sms_marketing", "sms", clock=runtime.clock)
    record(BANK, alice, "email_sms_marketing", "grant")
    with runtime.uow.begin() as session:
        marked = service.mark_used(session, BANK, alice, "email_sms_marketing", "sms", clock=runtime.clock)
    assert marked is not None and marked.last_used_at == runtime.clock.now() and marked.channel is None
    with runtime.uow.begin() as session:
        assert service.mark_used(session, BANK, alice, "simple_marketing", "sms", clock=runtime.clock) is None
