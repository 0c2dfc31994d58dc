"""Holds follow a conversation's facts (bank and parcel promises), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import text

from tests.conftest import TEST_SECRET, make_settings
from tests.retention_policies import policy_with, purpose_yaml
from tillit.conversations import service
from tillit.conversations.schemas import HandoffContactCreate
from tillit.core.clock import FixedClock
from tillit.core.errors import ConflictError, NotFoundError, PayloadTooLargeError
from tillit.retention import service as retention_service
from tillit.runtime import Runtime


@pytest.fixture
def parcel(database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    rt = Runtime(settings=make_settings(database_url, pack="parcel"), clock=clock)
    yield rt
    rt.close()


def _expiry(
    rt: Runtime, conversation_id: str, record_type: str = "conversation"
) -> dict[str, datetime | None]:
    with rt.uow.read() as session:
        holds = retention_service.holds_for(session, record_type, conversation_id)
    return {h.purpose: h.expires_at for h in holds if h.alive_at(rt.clock.now())}


def _start(rt: Runtime, **kwargs: object) -> str:
    with rt.uow.begin() as session:
        started = service.start(
            session,
            rt.policy,
            language=rt.policy.organisation.default_language,
            clock=rt.clock,
            secret=TEST_SECRET,
            **kwargs,  # type: ignore[arg-type]
        )
        service.add_message(
            session, rt.policy, started.conversation.id, author="customer", text="Hei", clock=rt.clock
        )
    return started.conversation.id


def test_bank_bot_only_chat_is_kept_one_year_after_closing(runtime: Runtime, clock: FixedClock) -> None:
    conversation_id = _start(runtime, ip_address="192.0.2.10")
    open_holds = _expiry(runtime, conversation_id)
    assert set(open_holds) == {"chatbot", "chatbot_improvement"}
    assert all(expiry is None for expiry in open_holds.values()), "open conversations are held until closed"
    assert set(_expiry(runtime, conversation_id, "conversation_ip")) == {"chat_safety"}

    clock.advance(timedelta(minutes=5))
    with runtime.uow.begin() as session:
        service.close(session, runtime.policy, conversation_id, clock=clock)
    closed = clock.now()
    holds = _expiry(runtime, conversation_id)
    assert holds == {"chatbot_improvement": closed + relativedelta(years=1)}
    assert _expiry(runtime, conversation_id, "conversation_ip") == {
        "chat_safety": closed + relativedelta(years=1)
    }


def test_bank_advisor_joining_keeps_the_chat_five_years(runtime: Runtime, clock: FixedClock) -> None:
    conversation_id = _start(runtime, subject_id="00000000-0000-4000-8000-000000000001")
    with runtime.uow.begin() as session:
        service.request_handoff(session, runtime.policy, conversation_id, clock=clock)
        service.take(session, runtime.policy, conversation_id, advisor_id="advisor-1", clock=clock)
        service.close(session, runtime.policy, conversation_id, clock=clock)
    closed = clock.now()
    holds = _expiry(runtime, conversation_id)
    assert holds["customer_service"] == closed + relativedelta(years=5)
    assert holds["chat_archive"] == closed + relativedelta(years=3)
    assert holds["chatbot_improvement"] == closed + relativedelta(years=1)

    clock.set(closed + relativedelta(years=3, days=1))
    with runtime.uow.read() as session:
        assert not retention_service.can_read(
            session,
            runtime.policy,
            "chat_archive",
            record_type="conversation",
            record_id=conversation_id,
            clock=clock,
        )
        assert retention_service.can_read(
            session,
            runtime.policy,
            "customer_service",
            record_type="conversation",
            record_id=conversation_id,
            clock=clock,
        )


def test_parcel_retention_by_facts(parcel: Runtime, clock: FixedClock) -> None:
    bot_only = _start(parcel)
    complaint = _start(parcel)
    advice = _start(parcel)
    with parcel.uow.begin() as session:
        for conversation_id in (complaint, advice):
            service.request_handoff(session, parcel.policy, conversation_id, clock=clock)
            service.take(session, parcel.policy, conversation_id, advisor_id="advisor-1", clock=clock)
        service.set_tags(session, parcel.policy, complaint, complaint=True, clock=clock)
        for conversation_id in (bot_only, complaint, advice):
            service.close(session, parcel.policy, conversation_id, clock=clock)
    closed = clock.now()
    assert max(_expiry(parcel, bot_only).values()) == closed + relativedelta(months=1)  # type: ignore[type-var]
    assert _expiry(parcel, complaint)["advisor_chat"] == closed + relativedelta(years=3, months=6)
    assert _expiry(parcel, advice)["advisor_chat"] == closed + relativedelta(years=1, months=6)


def test_parcel_customer_deletion_removes_the_conversation_now(parcel: Runtime, clock: FixedClock) -> None:
    conversation_id = _start(parcel)
    with parcel.uow.begin() as session:
        service.request_handoff(session, parcel.policy, conversation_id, clock=clock)
        service.give_handoff_contact(
            session,
            parcel.policy,
            conversation_id,
            HandoffContactCreate(name="Kari Nordmann", email="kari@example.com", phone="+46 70 123 45 67"),
            clock=clock,
            secret=TEST_SECRET,
        )
        result = service.delete_by_customer(session, parcel.policy, conversation_id, clock=clock)
    assert not result.kept
    with parcel.engine.connect() as conn:
        for table in ("conversation_conversation", "conversation_message", "conversation_handoff_contact"):
            count = conn.execute(text(f"select count(*) from {table}")).scalar_one()
            assert count == 0, table
        assert conn.execute(text("select count(*) from retention_hold")).scalar_one() == 0


def test_handoff_contact_is_encrypted(parcel: Runtime, clock: FixedClock) -> None:
    conversation_id = _start(parcel)
    with parcel.uow.begin() as session:
        service.request_handoff(session, parcel.policy, conversation_id, clock=clock)
        service.give_handoff_contact(
            session,
            parcel.policy,
            conversation_id,
            HandoffContactCreate(name="Kari Nordmann", email="kari@example.com", phone="+46701234567"),
            clock=clock,
            secret=TEST_SECRET,
        )
    with parcel.engine.connect() as conn:
        raw = str(conn.execute(text("select * from conversation_handoff_contact")).all())
    assert "kari" not in raw.lower() and "701234567" not in raw
    with parcel.uow.read() as session:
        contact = service.handoff_contact(session, conversation_id, secret=TEST_SECRET)
    assert contact is not None and contact.email == "kari@example.com"


def test_anonymous_conversation_needs_its_token(runtime: Runtime) -> None:
    with runtime.uow.begin() as session:
        started = service.start(
            session, runtime.policy, language="nb", clock=runtime.clock, secret=TEST_SECRET
        )
    conversation_id = started.conversation.id
    with runtime.uow.read() as session:
        assert (
            service.get_for_customer(session, conversation_id, access_token=started.access_token).id
            == conversation_id
        )
        with pytest.raises(NotFoundError):
            service.get_for_customer(session, conversation_id, access_token="guess")
        with pytest.raises(NotFoundError):
            service.get_for_customer(session, conversation_id, subject_id="someone-else")


def test_bad_messages_change_nothing(runtime: Runtime) -> None:
    conversation_id = _start(runtime)
    with runtime.uow.begin() as session, pytest.raises(PayloadTooLargeError):
        service.add_message(
            session, runtime.policy, conversation_id, author="customer", text="x" * 4001, clock=runtime.clock
        )
    with runtime.uow.begin() as session:
        service.close(session, runtime.policy, conversation_id, clock=runtime.clock)
    with runtime.uow.begin() as session, pytest.raises(ConflictError):
        service.add_message(
            session, runtime.policy, conversation_id, author="customer", text="hallo", clock=runtime.clock
        )
    with runtime.uow.read() as session:
        assert [m.text for m in service.messages(session, conversation_id)] == ["Hei"]


def test_queue_positions(runtime: Runtime, clock: FixedClock) -> None:
    ids = []
    for _ in range(3):
        conversation_id = _start(runtime)
        with runtime.uow.begin() as session:
            service.request_handoff(session, runtime.policy, conversation_id, clock=clock)
        ids.append(conversation_id)
        clock.advance(timedelta(seconds=10))
    with runtime.uow.read() as session:
        queue = service.queue(session, advisors_online=2)
        assert [e.conversation_id for e in queue] == ids
        assert [e.position for e in queue] == [1, 2, 3]
        assert service.queue_entry(session, ids[2], advisors_online=2).expected_wait == timedelta(minutes=8)


def test_a_message_moves_holds_only_when_a_rule_counts_from_the_last_message(
    runtime: Runtime, clock: FixedClock
) -> None:
    """A message changes one fact, `last_message_at`. Under a rule that counts from it the hold moves
    with every message; under rules that do not (every shipped pack), the holds stay as they were."""
    follows = policy_with(purpose_yaml("support", "- keep: P1M\n  from: last_message_at"))
    fixed = policy_with(purpose_yaml("support", "- keep: P1M\n  from: created_at"))
    expiries: dict[str, list[datetime | None]] = {}
    for name, policy in (("follows", follows), ("fixed", fixed)):
        with runtime.uow.begin() as session:
            started = service.start(
                session, policy, language="nb", clock=clock, secret=TEST_SECRET, subject_id=None
            )
        conversation_id = started.conversation.id
        expiries[name] = [_expiry(runtime, conversation_id)["support"]]
        for _ in range(2):
            clock.advance(timedelta(days=3))
            with runtime.uow.begin() as session:
                service.add_message(
                    session, policy, conversation_id, author="customer", text="Hei", clock=clock
                )
            expiries[name].append(_expiry(runtime, conversation_id)["support"])
    first, second, third = expiries["follows"]
    assert first is not None and second == first + timedelta(days=3) and third == first + timedelta(days=6)
    assert len(set(expiries["fixed"])) == 1
