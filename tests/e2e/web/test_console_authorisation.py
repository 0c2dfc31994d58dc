"""Who sees what in the advisor console, and what the console's actions do to holds (bank and parcel).

Through the real app on SQLite. Audit rows are counted in `audit_event`; holds are read with
`retention.service.holds_for`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from fastapi.testclient import TestClient

from tests.conftest import TEST_SECRET
from tests.e2e.web.console_helpers import (
    add_staff,
    audit_reads,
    console_app,
    conversation_row,
    login,
    runtime_of,
    start,
    take_as,
)
from tests.fake_ids import fodselsnummer_for
from tillit.conversations import service as conversations_service
from tillit.conversations.schemas import HandoffContactCreate
from tillit.core.clock import FixedClock
from tillit.retention import service as retention_service
from tillit.subjects import service as subjects_service


@pytest.fixture
def bank(sqlite_url: str, clock: FixedClock) -> Iterator[TestClient]:
    with console_app(sqlite_url, clock, pack="bank") as client:
        yield client


@pytest.fixture
def parcel(sqlite_url: str, clock: FixedClock) -> Iterator[TestClient]:
    with console_app(sqlite_url, clock, pack="parcel") as client:
        yield client


def _alive_expiry(client: TestClient, conversation_id: str) -> dict[str, datetime | None]:
    runtime = runtime_of(client)
    with runtime.uow.read() as session:
        holds = retention_service.holds_for(session, "conversation", conversation_id)
    return {h.purpose: h.expires_at for h in holds if h.alive_at(runtime.clock.now())}


def _customer(client: TestClient, customer_number: str = "10000001") -> tuple[str, str]:
    runtime = runtime_of(client)
    national_id = fodselsnummer_for(date(1984, 5, 17))
    with runtime.uow.begin() as session:
        subject = subjects_service.create_subject(
            session,
            display_name="Kari Nordmann",
            identifiers={
                "customer_number": customer_number,
                "national_id": national_id,
                "email": "kari@example.com",
            },
            clock=runtime.clock,
            default_region="NO",
            secret=TEST_SECRET,
        )
    return subject.id, national_id


def test_an_advisor_cannot_open_a_conversation_that_is_neither_queued_nor_theirs(bank: TestClient) -> None:
    anna = add_staff(bank, "anna", "advisor")
    bob = add_staff(bank, "bob", "advisor")
    add_staff(bank, "sara", "supervisor")
    bobs = start(bank)
    take_as(bank, bobs, bob)
    bot_only = start(bank, queued=False)
    queued = start(bank)
    annas = start(bank)
    take_as(bank, annas, anna)

    login(bank, "anna")
    missing = bank.get("/console/conversations/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    for other in (bobs, bot_only):
        page = bank.get(f"/console/conversations/{other}")
        assert page.status_code == 404
        same_page = page.text.replace(other, "00000000-0000-4000-8000-000000000000")
        assert same_page == missing.text, "a hidden conversation looks exactly like a missing one"
        api = bank.get(f"/api/v1/console/conversations/{other}")
        assert api.status_code == 404
        assert bank.get(f"/api/v1/console/conversations/{other}/status").status_code == 404
        assert bank.get(f"/api/v1/console/conversations/{other}/messages").status_code == 404
    assert audit_reads(bank, bobs) == 0
    assert bank.get(f"/console/conversations/{queued}").status_code == 200
    assert bank.get(f"/console/conversations/{annas}").status_code == 200
    listed = {c["id"] for c in bank.get("/api/v1/console/queue").json()["conversations"]}
    assert listed == {annas}

    login(bank, "sara")
    assert bank.get(f"/console/conversations/{bobs}").status_code == 200
    body = bank.get(f"/api/v1/console/conversations/{bobs}").json()
    assert body["purpose"] == "customer_service"
    assert [m["text"] for m in body["messages"]] == ["Hei, jeg trenger hjelp"]
    supervisor_bot_only = bank.get(f"/api/v1/console/conversations/{bot_only}").json()
    assert supervisor_bot_only["purpose"] is None and supervisor_bot_only["messages"] == [], (
        "no advisor purpose holds a bot-only chat, so even a supervisor does not read it"
    )
    listed = {c["id"] for c in bank.get("/api/v1/console/queue").json()["conversations"]}
    assert listed == {annas, bobs}


def test_an_advisor_cannot_reply_in_someone_elses_conversation(bank: TestClient) -> None:
    add_staff(bank, "anna", "advisor")
    bob = add_staff(bank, "bob", "advisor")
    bobs = start(bank)
    take_as(bank, bobs, bob)
    csrf = login(bank, "anna")
    headers = {"X-CSRF-Token": csrf}
    assert (
        bank.post(
            f"/api/v1/console/conversations/{bobs}/messages", json={"text": "x"}, headers=headers
        ).status_code
        == 404
    )
    assert bank.post(f"/api/v1/console/conversations/{bobs}/close", headers=headers).status_code == 404
    assert conversation_row(bank, bobs)["status"] == "with_advisor"


@pytest.mark.parametrize("role", ["marketing", "dpo", "admin", "security_officer"])
def test_roles_without_console_permission_cannot_open_the_console(bank: TestClient, role: str) -> None:
    add_staff(bank, "someone", role)
    queued = start(bank)
    login(bank, "someone")
    assert bank.get("/console").status_code == 403
    assert bank.get(f"/console/conversations/{queued}").status_code == 403
    assert bank.get("/api/v1/console/queue").status_code == 403
    assert bank.get(f"/api/v1/console/conversations/{queued}").status_code == 403
    assert audit_reads(bank, queued) == 0


def test_every_staff_read_of_a_conversation_writes_an_audit_row(bank: TestClient) -> None:
    anna = add_staff(bank, "anna", "advisor")
    conversation_id = start(bank)
    login(bank, "anna")
    assert bank.get(f"/console/conversations/{conversation_id}").status_code == 200
    assert audit_reads(bank, conversation_id) == 0, "queued and not taken: nothing was read"

    take_as(bank, conversation_id, anna)
    bank.get(f"/console/conversations/{conversation_id}")
    assert audit_reads(bank, conversation_id) == 1
    bank.get(f"/api/v1/console/conversations/{conversation_id}")
    assert audit_reads(bank, conversation_id) == 2
    bank.get(f"/api/v1/console/conversations/{conversation_id}/messages?after=0")
    assert audit_reads(bank, conversation_id) == 3
    bank.get(f"/api/v1/console/conversations/{conversation_id}/status")
    bank.get("/api/v1/console/queue")
    assert audit_reads(bank, conversation_id) == 3, "status and lists carry no content and are not reads"


def test_taking_sets_had_advisor_and_the_five_year_bank_hold(bank: TestClient, clock: FixedClock) -> None:
    add_staff(bank, "anna", "advisor")
    conversation_id = start(bank)
    csrf = login(bank, "anna")
    headers = {"X-CSRF-Token": csrf}
    assert "customer_service" not in _alive_expiry(bank, conversation_id)

    taken = bank.post(f"/api/v1/console/conversations/{conversation_id}/take", headers=headers)
    assert taken.status_code == 200
    assert taken.json()["had_advisor"] is True
    assert _alive_expiry(bank, conversation_id)["customer_service"] is None, "held while open"
    assert (
        bank.post(f"/api/v1/console/conversations/{conversation_id}/take", headers=headers).status_code == 200
    )

    clock.advance(timedelta(minutes=10))
    closed = bank.post(f"/api/v1/console/conversations/{conversation_id}/close", headers=headers)
    assert closed.status_code == 200
    assert _alive_expiry(bank, conversation_id)["customer_service"] == clock.now() + relativedelta(years=5)


def test_tagging_a_complaint_in_parcel_keeps_the_advisor_chat_three_and_a_half_years(
    parcel: TestClient, clock: FixedClock
) -> None:
    anna = add_staff(parcel, "anna", "advisor")
    complaint, advice = start(parcel), start(parcel)
    for conversation_id in (complaint, advice):
        take_as(parcel, conversation_id, anna)
    csrf = login(parcel, "anna")
    form = parcel.post(
        f"/console/conversations/{complaint}/tags",
        data={"csrf_token": csrf, "complaint": "1"},
        follow_redirects=False,
    )
    assert form.status_code == 303
    for conversation_id in (complaint, advice):
        parcel.post(f"/console/conversations/{conversation_id}/close", data={"csrf_token": csrf})
    closed = clock.now()
    assert _alive_expiry(parcel, complaint)["advisor_chat"] == closed + relativedelta(years=3, months=6)
    assert _alive_expiry(parcel, advice)["advisor_chat"] == closed + relativedelta(years=1, months=6)


def test_parcel_advisor_sees_the_queue_contact_after_taking(parcel: TestClient) -> None:
    add_staff(parcel, "anna", "advisor")
    runtime = runtime_of(parcel)
    conversation_id = start(parcel)
    with runtime.uow.begin() as session:
        conversations_service.give_handoff_contact(
            session,
            runtime.policy,
            conversation_id,
            HandoffContactCreate(name="Sven Svensson", email="sven@example.com", phone="+46701234567"),
            clock=runtime.clock,
            secret=TEST_SECRET,
        )
    csrf = login(parcel, "anna")
    before = parcel.get(f"/console/conversations/{conversation_id}")
    assert "Sven Svensson" not in before.text, "queue contact is read only once the advisor joins"
    taken = parcel.post(
        f"/console/conversations/{conversation_id}/take", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert taken.status_code == 303
    page = parcel.get(f"/console/conversations/{conversation_id}")
    for value in ("Sven Svensson", "sven@example.com", "+46701234567"):
        assert value in page.text
    assert audit_reads(parcel, conversation_id, "handoff_contact.read") == 1


def test_a_logged_in_customers_context_shows_masked_identifiers_only(bank: TestClient) -> None:
    anna = add_staff(bank, "anna", "advisor")
    subject_id, national_id = _customer(bank)
    conversation_id = start(bank, subject_id=subject_id)
    take_as(bank, conversation_id, anna)
    login(bank, "anna")
    body = bank.get(f"/api/v1/console/conversations/{conversation_id}").json()
    identifiers = {i["kind"]: i["value"] for i in body["customer"]["identifiers"]}
    assert identifiers["customer_number"] == "10000001"
    assert national_id not in identifiers["national_id"] and identifiers["national_id"].endswith(
        national_id[-2:]
    )
    page = bank.get(f"/console/conversations/{conversation_id}")
    assert "10000001" in page.text and national_id not in page.text
    assert audit_reads(bank, subject_id, "subject.read") == 2


def test_logging_a_phone_call_creates_a_phone_conversation_linked_to_the_subject(
    bank: TestClient, clock: FixedClock
) -> None:
    anna = add_staff(bank, "anna", "advisor")
    subject_id, _ = _customer(bank, customer_number="20000002")
    csrf = login(bank, "anna")
    unknown = bank.post(
        "/console/log",
        data={"csrf_token": csrf, "channel": "phone", "identifier": "99999999", "summary": "Card stolen"},
    )
    assert unknown.status_code == 422

    response = bank.post(
        "/console/log",
        data={"csrf_token": csrf, "channel": "phone", "identifier": "20000002", "summary": "Card stolen"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    conversation_id = response.headers["location"].split("/")[-1].split("?")[0]
    row = conversation_row(bank, conversation_id)
    assert row["channel"] == "phone"
    assert row["subject_id"] == subject_id
    assert row["advisor_id"] == anna
    assert row["had_advisor"] is True and row["status"] == "closed" and row["messages"] == 1
    assert _alive_expiry(bank, conversation_id)["customer_service"] == clock.now() + relativedelta(years=5)

    letter = bank.post(
        "/api/v1/console/logged",
        json={"channel": "letter", "identifier": "kari@example.com", "summary": "Asked for statements"},
        headers={"X-CSRF-Token": csrf},
    )
    assert letter.status_code == 201
    assert letter.json()["channel"] == "letter" and letter.json()["linked_to_customer"] is True


def test_after_closing_the_customers_feedback_is_shown_when_given(parcel: TestClient) -> None:
    from tillit.conversations.schemas import FeedbackCreate

    anna = add_staff(parcel, "anna", "advisor")
    runtime = runtime_of(parcel)
    conversation_id = start(parcel)
    take_as(parcel, conversation_id, anna)
    csrf = login(parcel, "anna")
    parcel.post(f"/console/conversations/{conversation_id}/close", data={"csrf_token": csrf})
    assert parcel.get(f"/api/v1/console/conversations/{conversation_id}").json()["feedback"] is None
    with runtime.uow.begin() as session:
        conversations_service.give_feedback(
            session,
            runtime.policy,
            conversation_id,
            FeedbackCreate(rating=4, comment="Snabb hjälp"),
            clock=runtime.clock,
        )
    assert parcel.get(f"/api/v1/console/conversations/{conversation_id}").json()["feedback"] == {
        "rating": 4,
        "comment": "Snabb hjälp",
    }
    page = parcel.get(f"/console/conversations/{conversation_id}?lang=en")
    assert "Rating: 4 of 5" in page.text and "Snabb hjälp" in page.text


def test_the_console_speaks_the_packs_language_with_a_switcher(parcel: TestClient) -> None:
    add_staff(parcel, "anna", "advisor")
    login(parcel, "anna")
    default = parcel.get("/console")
    assert default.headers["content-language"] == "sv"
    assert "Rådgivarkonsol" in default.text and 'href="/console?lang=en"' in default.text
    danish = parcel.get("/console?lang=da")
    assert danish.headers["content-language"] == "da" and "Rådgiverkonsol" in danish.text
    assert parcel.get("/console").headers["content-language"] == "da", "the choice is remembered"
