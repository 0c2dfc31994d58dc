"""The ledger and its projection on both backends: append-only, one-query decisions, audiences in SQL."""

from __future__ import annotations

import inspect
from datetime import timedelta

import pytest
from sqlalchemy import column, select, table, text
from sqlalchemy.exc import DBAPIError

from tests.integration.consent.conftest import Record, new_subject
from tillit.consent import repository, service
from tillit.core.clock import FixedClock
from tillit.core.errors import UnknownPurposeError, ValidationFailedError
from tillit.policy.loader import load_pack
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service

BANK = load_pack("bank").policy


def test_events_are_appended_and_the_projection_answers_at_once(
    runtime: Runtime, record: Record, clock: FixedClock
) -> None:
    alice = new_subject(runtime)
    first = record(BANK, alice, "email_sms_marketing", "grant", None, language="en")
    clock.advance(timedelta(minutes=1))
    record(BANK, alice, "email_sms_marketing", "withdraw", "sms")
    with runtime.uow.read() as session:
        assert service.may_use(session, BANK, alice, "email_sms_marketing", "email").allowed
        sms = service.may_use(session, BANK, alice, "email_sms_marketing", "sms")
        assert (sms.allowed, sms.reason) == (False, "withdrawn")
        events = service.history(session, subject_id=alice)
        assert [e.action for e in events] == ["withdraw", "grant"]
        assert first.event.policy_version == BANK.version
        stored = service.notice_text(session, first.event.notice_text_sha256)
        assert stored is not None and stored.startswith(
            "Advice and offers about other products by e-mail and SMS\n\n"
        )
        count = session.execute(text("select count(*) from consent_event")).scalar_one()
        assert count == 2

    clock.advance(timedelta(minutes=1))
    record(BANK, alice, "email_sms_marketing", "withdraw")  # all channels: rewrites every row
    with runtime.uow.read() as session:
        assert not service.may_use(session, BANK, alice, "email_sms_marketing", "email").allowed
        states = {(s.channel, s.state) for s in service.states(session, subject_id=alice)}
        assert states == {(None, "withdrawn"), ("sms", "withdrawn")}


def test_the_same_notice_text_is_stored_once(runtime: Runtime, record: Record) -> None:
    alice, bob = new_subject(runtime), new_subject(runtime)
    record(BANK, alice, "group_sharing", "grant", notice_text="Share with the group?")
    record(BANK, bob, "group_sharing", "grant", notice_text="Share with the group?")
    with runtime.uow.read() as session:
        assert session.execute(text("select count(*) from consent_notice_text")).scalar_one() == 1


def test_the_ledger_has_no_update_path_and_the_database_refuses_one(runtime: Runtime, record: Record) -> None:
    for module in (service, repository):
        source = inspect.getsource(module)
        assert "update(ConsentEvent" not in source and "update(ConsentNoticeText" not in source
        own = [
            n for n, f in inspect.getmembers(module, inspect.isfunction) if f.__module__ == module.__name__
        ]
        assert own and not [n for n in own if "update" in n or "edit" in n or "amend" in n]
    alice = new_subject(runtime)
    record(BANK, alice, "group_sharing", "grant")
    with pytest.raises(DBAPIError, match="append-only"), runtime.uow.begin() as session:
        session.execute(text("update consent_event set action = 'withdraw'"))
    with pytest.raises(DBAPIError, match="append-only"), runtime.uow.begin() as session:
        session.execute(text("update consent_notice_text set text = 'edited'"))


def test_unknown_purposes_and_senseless_actions_change_nothing(runtime: Runtime, record: Record) -> None:
    alice = new_subject(runtime)
    with pytest.raises(UnknownPurposeError):
        record(BANK, alice, "telepathy", "grant")
    with pytest.raises(ValidationFailedError, match="legitimate interests"):
        record(BANK, alice, "simple_marketing", "grant")
    with pytest.raises(ValidationFailedError, match="cannot be reserved against"):
        record(BANK, alice, "simple_marketing", "opt_out", "app")
    with pytest.raises(ValidationFailedError, match="not available in 'sv'"):
        record(BANK, alice, "group_sharing", "grant", language="sv")
    with runtime.uow.read() as session:
        assert service.history(session, subject_id=alice) == []
        assert session.execute(text("select count(*) from consent_state")).scalar_one() == 0


def test_legitimate_interest_opt_out_per_channel_and_objection(runtime: Runtime, record: Record) -> None:
    alice = new_subject(runtime)
    with runtime.uow.read() as session:
        assert (
            service.may_use(session, BANK, alice, "simple_marketing", "sms").reason == "legitimate_interest"
        )
    record(BANK, alice, "simple_marketing", "opt_out", "sms")
    with runtime.uow.read() as session:
        assert service.may_use(session, BANK, alice, "simple_marketing", "sms").reason == "opted_out"
        assert service.may_use(session, BANK, alice, "simple_marketing", "email").allowed
    record(BANK, alice, "simple_marketing", "object")
    with runtime.uow.read() as session:
        assert service.may_use(session, BANK, alice, "simple_marketing", "email").reason == "objected"
        assert service.excluded_purposes(session, BANK, alice) == {"simple_marketing"}


def test_restricted_subjects_are_refused_everything(runtime: Runtime, record: Record) -> None:
    alice = new_subject(runtime)
    record(BANK, alice, "personalised_marketing", "grant")
    with runtime.uow.begin() as session:
        subjects_service.set_restricted(session, alice, True)
    with runtime.uow.read() as session:
        for purpose, channel in [("personalised_marketing", "app"), ("simple_marketing", "sms")]:
            decision = service.may_use(session, BANK, alice, purpose, channel)
            assert (decision.allowed, decision.reason) == (False, "restricted")
    record(BANK, alice, "personalised_marketing", "withdraw")  # storing a choice still works


def test_sql_audience_agrees_with_may_use_on_every_state(runtime: Runtime, record: Record) -> None:
    subjects = [new_subject(runtime) for _ in range(7)]
    _plain, granted, withdrawn, sms_only, opted_out, objected, restricted = subjects
    record(BANK, granted, "email_sms_marketing", "grant")
    record(BANK, withdrawn, "email_sms_marketing", "grant")
    record(BANK, withdrawn, "email_sms_marketing", "withdraw")
    record(BANK, sms_only, "email_sms_marketing", "grant", "sms")
    record(BANK, opted_out, "simple_marketing", "opt_out", "sms")
    record(BANK, objected, "simple_marketing", "object")
    record(BANK, restricted, "email_sms_marketing", "grant")
    with runtime.uow.begin() as session:
        subjects_service.set_restricted(session, restricted, True)

    candidates = select(table("subject_subject", column("id")).c.id)
    with runtime.uow.read() as session:
        for purpose, channel in [
            ("email_sms_marketing", "sms"),
            ("email_sms_marketing", "email"),
            ("simple_marketing", "sms"),
            ("simple_marketing", "letter"),
            ("simple_marketing", "chat"),
            ("customer_service", None),
        ]:
            rows = dict(session.execute(service.audience_select(BANK, purpose, channel, candidates)).all())
            allowed = set(session.scalars(service.allowed_subject_ids(BANK, purpose, channel, candidates)))
            for subject in subjects:
                decision = service.may_use(session, BANK, subject, purpose, channel)
                assert rows[subject] == decision.reason, (purpose, channel, subject)
                assert (subject in allowed) == decision.allowed
        consent_only = set(session.scalars(service.allowed_subject_ids(BANK, "email_sms_marketing", "sms")))
        assert consent_only == {granted, sms_only}
