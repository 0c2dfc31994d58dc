"""Restriction (Art. 18) through a rights request: every purpose except storage refuses the subject (the
chatbot, marketing, the advisor console) until a restriction request with `lift` is executed. On SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import TEST_SECRET
from tests.e2e.web.console_helpers import add_staff, console_app, login, runtime_of, start
from tillit.chatbot import service as chatbot_service
from tillit.chatbot import texts as chatbot_texts
from tillit.consent import service as consent_service
from tillit.consent.schemas import ConsentEventCreate
from tillit.conversations import service as conversations_service
from tillit.conversations import turns
from tillit.core.clock import FixedClock
from tillit.rights import service as rights_service
from tillit.rights.schemas import RequestCreate
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service


class _ClassifiedError(Exception):
    """Raised by a stand-in for the chatbot's models: reaching them means the text was classified."""


@pytest.fixture
def no_models(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise _ClassifiedError

    monkeypatch.setattr(chatbot_service, "get_bot", refuse)


def _customer(rt: Runtime, email: str = "kari.nordmann@example.com") -> str:
    with rt.uow.begin() as session:
        return subjects_service.create_subject(
            session,
            language="nb",
            identifiers={"email": email},
            clock=rt.clock,
            default_region="NO",
            secret=TEST_SECRET,
        ).id


def restrict(rt: Runtime, subject_id: str, *, lift: bool = False) -> None:
    """File and execute a restriction request (or its lifting), as the DPO console does."""
    with rt.uow.begin() as session:
        request = rights_service.file_request(
            session,
            rt.policy,
            RequestCreate(
                type="restriction",
                channel="privacy_centre",
                language="nb",
                subject_id=subject_id,
                details={"lift": True} if lift else {},
            ),
            clock=rt.clock,
            actor=f"customer:{subject_id}",
            secret=TEST_SECRET,
        )
        rights_service.execute(
            session, rt.policy, request.id, actor="staff:dpo", clock=rt.clock, secret=TEST_SECRET
        )


def _chat(rt: Runtime, subject_id: str) -> str:
    with rt.uow.begin() as session:
        return conversations_service.start(
            session, rt.policy, language="nb", clock=rt.clock, secret=TEST_SECRET, subject_id=subject_id
        ).conversation.id


def _turn(rt: Runtime, conversation_id: str, text: str) -> turns.TurnResult:
    with rt.uow.begin() as session:
        return turns.customer_turn(session, rt.policy, conversation_id, text, turns.ChatbotPort(rt), rt.clock)


def test_the_chatbot_answers_a_restricted_customer_only_that_processing_is_restricted(
    runtime: Runtime, no_models: None
) -> None:
    subject = _customer(runtime)
    restrict(runtime, subject)
    conversation_id = _chat(runtime, subject)

    result = _turn(runtime, conversation_id, "Jeg har mistet kortet mitt, kari.nordmann@example.com")

    assert result.bot is not None
    assert result.bot.text == chatbot_texts.text("restricted", "nb")
    assert result.bot.topic is None and result.queue is None and not result.offer_human
    with runtime.uow.read() as session:
        stored = conversations_service.messages(session, conversation_id)
        assert [m.author for m in stored] == ["customer", "bot"], "storage goes on"
        assert chatbot_service.read_stats(session, pack="bank") == [], "not counted"
        assert chatbot_service.read_samples(session, pack="bank") == [], "not sampled"

    restrict(runtime, subject, lift=True)
    with pytest.raises(_ClassifiedError):  # lifted: the text reaches the models again
        _turn(runtime, conversation_id, "Jeg har mistet kortet mitt")


def test_an_anonymous_chat_is_not_refused(runtime: Runtime, no_models: None) -> None:
    with runtime.uow.begin() as session:
        conversation_id = conversations_service.start(
            session, runtime.policy, language="nb", clock=runtime.clock, secret=TEST_SECRET
        ).conversation.id
    with pytest.raises(_ClassifiedError):
        _turn(runtime, conversation_id, "Hva koster et kort?")


def test_marketing_refuses_a_restricted_subject_even_with_consent(runtime: Runtime) -> None:
    policy = runtime.policy
    subject, other = _customer(runtime), _customer(runtime, "ola@example.com")
    with runtime.uow.begin() as session:
        for who in (subject, other):
            consent_service.record_event(
                session,
                policy,
                ConsentEventCreate(
                    subject_id=who,
                    purpose="email_sms_marketing",
                    channel="email",
                    action="grant",
                    source="privacy_centre",
                    actor_type="customer",
                    actor_id=who,
                ),
                clock=runtime.clock,
            )
    restrict(runtime, subject)

    def decisions() -> dict[str, dict[str, tuple[bool, str]]]:
        found: dict[str, dict[str, tuple[bool, str]]] = {}
        candidates = subjects_service.subject_ids_where()
        with runtime.uow.read() as session:
            for purpose in ("email_sms_marketing", "simple_marketing"):
                audience = dict(
                    session.execute(
                        consent_service.audience_select(policy, purpose, "email", candidates)
                    ).all()
                )
                for who in (subject, other):
                    decision = consent_service.may_use(session, policy, who, purpose, "email")
                    found.setdefault(who, {})[purpose] = (decision.allowed, decision.reason)
                    assert (audience[who] == decision.reason) or decision.allowed
        return found

    restricted = decisions()
    assert restricted[subject] == {
        "email_sms_marketing": (False, "restricted"),
        "simple_marketing": (False, "restricted"),
    }
    assert restricted[other]["email_sms_marketing"][0] and restricted[other]["simple_marketing"][0]
    restrict(runtime, subject, lift=True)
    lifted = decisions()
    assert lifted[subject]["email_sms_marketing"][0] and lifted[subject]["simple_marketing"][0]


@pytest.fixture
def bank_console(database_url: str, clock: FixedClock) -> Iterator[TestClient]:
    with console_app(database_url, clock) as client:
        yield client


def test_the_advisor_console_says_only_that_a_restricted_customers_conversation_is_restricted(
    bank_console: TestClient,
) -> None:
    rt = runtime_of(bank_console)
    subject = _customer(rt)
    conversation_id = start(bank_console, subject_id=subject)
    restrict(rt, subject)
    add_staff(bank_console, "siri", "supervisor")
    csrf = login(bank_console, "siri")

    page = bank_console.get(f"/console/conversations/{conversation_id}")
    assert page.status_code == 403
    assert "restricted (GDPR Art. 18)" in page.text and "Hei, jeg trenger hjelp" not in page.text
    taken = bank_console.post(
        f"/console/conversations/{conversation_id}/take", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert taken.status_code == 403 and "restricted (GDPR Art. 18)" in taken.text
    with rt.uow.read() as session:
        assert conversations_service.get(session, conversation_id).status == "queued", "nothing changed"

    restrict(rt, subject, lift=True)
    page = bank_console.get(f"/console/conversations/{conversation_id}")
    assert page.status_code == 200 and "restricted (GDPR Art. 18)" not in page.text
