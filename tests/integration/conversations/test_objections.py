"""A customer's objections and withdrawals reach their conversations, on SQLite and PostgreSQL.

The bank's `chatbot_improvement` is a legitimate interest the customer may object to: an objector's
new conversations get no hold for it, whatever their facts become, and the parcel pack's improvement
sample (the purpose with a `sample_rate`) never takes an objector's question.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.conftest import TEST_SECRET, make_settings
from tillit.chatbot import service as chatbot_service
from tillit.chatbot.schemas import BotReply
from tillit.consent import service as consent_service
from tillit.consent.schemas import ConsentEventCreate
from tillit.conversations import service, turns
from tillit.core.clock import FixedClock
from tillit.retention import service as retention_service
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service


class _AlwaysSample(random.Random):
    """A random source that always falls inside the sample fraction, so a missing sample is a decision."""

    def random(self) -> float:
        return 0.0


@pytest.fixture
def parcel(database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    rt = Runtime(settings=make_settings(database_url, pack="parcel"), clock=clock)
    yield rt
    rt.close()


def _subject(rt: Runtime) -> str:
    with rt.uow.begin() as session:
        return subjects_service.create_subject(
            session, clock=rt.clock, default_region="NO", secret=TEST_SECRET
        ).id


def _object(rt: Runtime, subject_id: str, purpose: str) -> None:
    event = ConsentEventCreate(
        subject_id=subject_id,
        purpose=purpose,
        action="object",
        channel=None,
        source="privacy_centre",
        actor_type="customer",
        actor_id=subject_id,
    )
    with rt.uow.begin() as session:
        consent_service.record_event(session, rt.policy, event, clock=rt.clock)


def _start(rt: Runtime, subject_id: str) -> str:
    with rt.uow.begin() as session:
        started = service.start(
            session,
            rt.policy,
            language=rt.policy.organisation.default_language,
            clock=rt.clock,
            secret=TEST_SECRET,
            subject_id=subject_id,
        )
        service.add_message(
            session, rt.policy, started.conversation.id, author="customer", text="Hei", clock=rt.clock
        )
    return started.conversation.id


def _purposes(rt: Runtime, conversation_id: str) -> dict[str, str | None]:
    """Every hold of the conversation: purpose -> ended reason (None while alive)."""
    with rt.uow.read() as session:
        holds = retention_service.holds_for(session, "conversation", conversation_id)
    return {h.purpose: h.ended_reason for h in holds}


def test_an_objector_to_chatbot_improvement_gets_no_hold_for_it_as_facts_change(
    runtime: Runtime, clock: FixedClock
) -> None:
    objector, other = _subject(runtime), _subject(runtime)
    _object(runtime, objector, "chatbot_improvement")

    objected = _start(runtime, objector)
    control = _start(runtime, other)
    assert "chatbot_improvement" not in _purposes(runtime, objected)
    assert _purposes(runtime, control)["chatbot_improvement"] is None
    assert _purposes(runtime, objected)["chatbot"] is None, "the other purposes still hold it"

    # An advisor joins, the chat closes: every recompute still leaves the objected purpose out.
    clock.advance(timedelta(minutes=3))
    with runtime.uow.begin() as session:
        for conversation_id in (objected, control):
            service.request_handoff(session, runtime.policy, conversation_id, clock=clock)
            service.take(session, runtime.policy, conversation_id, advisor_id="advisor-1", clock=clock)
            service.add_message(
                session, runtime.policy, conversation_id, author="advisor", text="Hei!", clock=clock
            )
            service.close(session, runtime.policy, conversation_id, clock=clock)
    after = _purposes(runtime, objected)
    assert "chatbot_improvement" not in after
    assert after["customer_service"] is None and after["chat_archive"] is None
    assert _purposes(runtime, control)["chatbot_improvement"] is None


def test_an_objection_during_a_conversation_ends_the_hold_and_new_messages_do_not_revive_it(
    runtime: Runtime, clock: FixedClock
) -> None:
    subject = _subject(runtime)
    conversation_id = _start(runtime, subject)
    assert _purposes(runtime, conversation_id)["chatbot_improvement"] is None

    _object(runtime, subject, "chatbot_improvement")
    with runtime.uow.begin() as session:
        service.add_message(
            session, runtime.policy, conversation_id, author="customer", text="Og en ting til", clock=clock
        )
    assert _purposes(runtime, conversation_id)["chatbot_improvement"] == "objection"


def test_an_objector_is_never_sampled_for_chatbot_improvement(parcel: Runtime) -> None:
    objector, other = _subject(parcel), _subject(parcel)
    _object(parcel, objector, "chatbot_improvement")
    port = turns.ChatbotPort(parcel)
    port._rng = _AlwaysSample()  # every turn falls inside the policy's sample fraction
    reply = BotReply(topic="send_price", confidence=0.9, language="sv", text="...", answered=True)
    answer = turns.BotAnswer(text=reply.text, topic=reply.topic, confidence=0.9, language="sv", raw=reply)

    for subject_id, question in (
        (objector, "Vad kostar ett paket? /objector"),
        (other, "Vad kostar ett brev?"),
    ):
        context = turns.TurnContext(conversation_id="c", language="sv", subject_id=subject_id, failed_turns=0)
        with parcel.uow.begin() as session:
            port.record(session, question, answer, context)

    with parcel.uow.read() as session:
        samples = [s["text"] for s in chatbot_service.read_samples(session, pack="parcel")]
    assert samples == ["Vad kostar ett brev?"]
