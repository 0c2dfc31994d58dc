"""Objection, rectification and erasure requests executed end to end, on SQLite and PostgreSQL.

- Objection to the bank's `chatbot_improvement` (legitimate interest): its holds end, new
  conversations get none, and (parcel, the pack that samples) the objector's questions are never sampled.
- Rectification: the company's dataset rows change through the audited connector, the subject's
  identifier and display name change (encrypted), and processors holding a copy are told.
- Erasure respects legal holds (`retention.legal`): a record under one is kept and reported with the
  authority and its reason; the same kind of record without one is deleted.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import TEST_SECRET, make_settings
from tillit.audit.schemas import Actor
from tillit.chatbot import service as chatbot_service
from tillit.chatbot.schemas import BotReply
from tillit.consent import service as consent_service
from tillit.conversations import service as conversations_service
from tillit.conversations import turns
from tillit.core.clock import FixedClock
from tillit.datasets import service as datasets_service
from tillit.packs.demo import load_demo
from tillit.policy.schema import Policy
from tillit.retention import legal as legal_holds
from tillit.retention import service as retention_service
from tillit.rights import service as rights_service
from tillit.rights.schemas import Evidence, RequestCreate, RequestType
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service


class RecordingNotifier:
    """Our own `ProcessorNotifier`: remembers every notification instead of calling anyone."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    def notify(self, recipient_id: str, event: str, payload: dict[str, Any]) -> None:
        self.sent.append((recipient_id, event, payload))


class _AlwaysSample(random.Random):
    def random(self) -> float:
        return 0.0


def _execute(
    rt: Runtime,
    subject_id: str,
    type_: RequestType,
    details: dict[str, Any],
    *,
    policy: Policy | None = None,
    notifier: RecordingNotifier | None = None,
) -> Evidence:
    policy = policy or rt.policy
    with rt.uow.begin() as session:
        request = rights_service.file_request(
            session,
            policy,
            RequestCreate(
                type=type_, channel="letter", language="nb", subject_id=subject_id, details=details
            ),
            clock=rt.clock,
            actor="staff:dpo",
            secret=TEST_SECRET,
        )
        return rights_service.execute(
            session,
            policy,
            request.id,
            actor="staff:dpo",
            clock=rt.clock,
            secret=TEST_SECRET,
            notifier=notifier,
        )


def _subject(rt: Runtime) -> str:
    with rt.uow.begin() as session:
        return subjects_service.create_subject(
            session, language="nb", clock=rt.clock, default_region="NO", secret=TEST_SECRET
        ).id


def _chat(rt: Runtime, subject_id: str) -> str:
    with rt.uow.begin() as session:
        cid = conversations_service.start(
            session, rt.policy, language="nb", clock=rt.clock, secret=TEST_SECRET, subject_id=subject_id
        ).conversation.id
        conversations_service.add_message(
            session, rt.policy, cid, author="customer", text="Hei", clock=rt.clock
        )
    return cid


def _holds(rt: Runtime, conversation_id: str) -> dict[str, str | None]:
    with rt.uow.read() as session:
        return {
            h.purpose: h.ended_reason
            for h in retention_service.holds_for(session, "conversation", conversation_id)
        }


def test_an_objection_request_ends_the_chatbot_improvement_holds_and_stops_new_ones(runtime: Runtime) -> None:
    subject, other = _subject(runtime), _subject(runtime)
    before, control = _chat(runtime, subject), _chat(runtime, other)
    assert _holds(runtime, before)["chatbot_improvement"] is None

    evidence = _execute(runtime, subject, "objection", {"purposes": ["chatbot_improvement"]})

    assert evidence.request.status == "completed"
    assert _holds(runtime, before)["chatbot_improvement"] == "objection"
    assert _holds(runtime, before)["chatbot"] is None, "other purposes keep holding it"
    after = _chat(runtime, subject)
    assert "chatbot_improvement" not in _holds(runtime, after)
    assert _holds(runtime, control)["chatbot_improvement"] is None, "nobody else is affected"
    with runtime.uow.read() as session:
        assert "chatbot_improvement" in consent_service.excluded_purposes(session, runtime.policy, subject)


@pytest.fixture
def parcel(database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    rt = Runtime(settings=make_settings(database_url, pack="parcel"), clock=clock)
    yield rt
    rt.close()


def test_an_objector_to_chatbot_improvement_is_never_sampled(parcel: Runtime) -> None:
    objector, other = _subject(parcel), _subject(parcel)
    _execute(parcel, objector, "objection", {"purposes": ["chatbot_improvement"]})
    port = turns.ChatbotPort(parcel)
    port._rng = _AlwaysSample()  # every turn falls inside the sample fraction: a missing sample is a decision
    reply = BotReply(topic="send_price", confidence=0.9, language="nb", text="...", answered=True)
    answer = turns.BotAnswer(text=reply.text, topic=reply.topic, confidence=0.9, language="nb", raw=reply)
    for subject_id, question in (
        (objector, "Hva koster en pakke? /objector"),
        (other, "Hva koster et brev?"),
    ):
        context = turns.TurnContext(conversation_id="c", language="nb", subject_id=subject_id, failed_turns=0)
        with parcel.uow.begin() as session:
            port.record(session, question, answer, context)
    with parcel.uow.read() as session:
        assert [s["text"] for s in chatbot_service.read_samples(session, pack="parcel")] == [
            "Hva koster et brev?"
        ]


@pytest.fixture
def bank_demo(runtime: Runtime) -> tuple[Runtime, str, str]:
    """The bank demo data, and one customer (subject id, customer number) with a row in `customers`."""
    load_demo(runtime)
    with runtime.uow.begin() as session:
        number = session.execute(
            text("SELECT customer_number FROM bank_customers ORDER BY customer_number LIMIT 1")
        ).scalar_one()
        subject = subjects_service.find_by_identifier(session, "customer_number", number, secret=TEST_SECRET)
    assert subject is not None
    return runtime, subject.id, number


def _with_callbacks(policy: Policy) -> Policy:
    """The bank policy with a callback URL on every recipient, so processors are told of changes."""
    recipients = [
        r.model_copy(update={"callback_url": f"http://127.0.0.1:9/{r.id}"}) for r in policy.recipients
    ]
    return policy.model_copy(update={"recipients": recipients})


def _customer_rows(rt: Runtime, number: str) -> list[dict[str, Any]]:
    with rt.uow.begin() as session:
        return datasets_service.select_rows(
            session,
            rt.policy.dataset("customers"),
            {"customer_number": [number]},
            actor=Actor.system("test"),
            purpose="customer_relationship",
            clock=rt.clock,
            default_region="NO",
        )


def test_rectifying_an_email_changes_the_dataset_the_identifier_and_tells_processors(
    bank_demo: tuple[Runtime, str, str],
) -> None:
    rt, subject, number = bank_demo
    notifier = RecordingNotifier()
    policy = _with_callbacks(rt.policy)

    evidence = _execute(
        rt,
        subject,
        "rectification",
        {"kind": "email", "value": " Kari.Ny@Example.com "},
        policy=policy,
        notifier=notifier,
    )

    assert [r["email"] for r in _customer_rows(rt, number)] == ["kari.ny@example.com"]
    lines = {line.record_type: line for line in evidence.lines}
    assert lines["customers"].changed == 1 and lines["subject"].changed == 1
    with rt.uow.read() as session:
        assert subjects_service.identities_of(session, subject, secret=TEST_SECRET)["email"] == [
            "kari.ny@example.com"
        ]
        updates = (
            session.execute(
                text("SELECT detail FROM audit_event WHERE action = 'dataset.update' AND subject_id = :s"),
                {"s": subject},
            )
            .scalars()
            .all()
        )
    assert updates and all("rectification" in str(d) and "kari.ny" not in str(d) for d in updates), (
        "audited, no value"
    )
    assert notifier.sent, "processors holding e-mail addresses are told"
    assert {event for _, event, _ in notifier.sent} == {"rectification"}
    assert sorted(r for r, _, _ in notifier.sent) == sorted(evidence.notified)
    for _, _, payload in notifier.sent:
        assert payload["subject_id"] == subject
        assert {
            "field": "email",
            "value": "kari.ny@example.com",
            "category": "user.contact.email",
        } in payload["changes"]


def test_rectifying_a_name_changes_the_display_name_encrypted(bank_demo: tuple[Runtime, str, str]) -> None:
    rt, subject, _ = bank_demo
    _execute(rt, subject, "rectification", {"kind": "name", "value": "Kari Nordmann-Berg"})
    with rt.uow.read() as session:
        assert (
            subjects_service.get_subject(session, subject, secret=TEST_SECRET).display_name
            == "Kari Nordmann-Berg"
        )
        stored = session.execute(
            text("SELECT display_name_enc FROM subject_subject WHERE id = :s"), {"s": subject}
        ).scalar_one()
    assert "Nordmann-Berg" not in str(stored), "encrypted at rest"


def test_erasure_keeps_a_record_under_a_legal_hold_and_says_why(bank_demo: tuple[Runtime, str, str]) -> None:
    runtime, subject, _ = bank_demo
    held, free = _chat(runtime, subject), _chat(runtime, subject)
    with runtime.uow.begin() as session:
        legal_holds.place(
            session,
            reason="Tvist om kortsvindel, sak 24-123456TVI-OTIR",
            authority="Oslo tingrett",
            placed_by="dpo",
            clock=runtime.clock,
            record_type="conversation",
            record_id=held,
        )

    evidence = _execute(runtime, subject, "erasure", {})

    line = next(line for line in evidence.lines if line.record_type == "conversation")
    assert (line.found, line.deleted, line.kept) == (2, 1, 1)
    assert "Legal hold (Oslo tingrett): Tvist om kortsvindel, sak 24-123456TVI-OTIR" in line.kept_reasons
    with runtime.uow.read() as session:
        assert conversations_service.get(session, held).id == held
        with pytest.raises(Exception, match="conversation"):
            conversations_service.get(session, free)
        subject_line = next(line for line in evidence.lines if line.record_type == "subject")
        assert subject_line.kept == 1, "the identity stays while a record of theirs is kept"
    assert _holds(runtime, held).get("chatbot") == "erasure", (
        "holds end; the sweeper deletes it once released"
    )
