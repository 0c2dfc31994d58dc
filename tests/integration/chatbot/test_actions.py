"""Actions against the packs' demo data on both backends: parcel tracking (purpose-checked, audited read
of the shipments dataset) and the bank's balance and card block for a logged-in customer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import TEST_SECRET, make_settings
from tillit.audit import service as audit_service
from tillit.chatbot import rules, service, texts
from tillit.chatbot.schemas import BotContext, BotReply
from tillit.core.clock import FixedClock
from tillit.packs.demo import load_demo
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service

SMALL = Path(__file__).resolve().parents[2] / "fixtures" / "chatbot" / "kb_small"


@pytest.fixture
def parcel(database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    rt = Runtime(settings=make_settings(database_url, pack="parcel"), clock=clock)
    load_demo(rt)
    yield rt
    rt.close()


@pytest.fixture
def bank(database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    rt = Runtime(settings=make_settings(database_url, pack="bank"), clock=clock)
    load_demo(rt)
    yield rt
    rt.close()


def _ask(rt: Runtime, message: str, context: BotContext) -> BotReply:
    with rt.uow.begin() as session:
        return service.answer(
            rt.policy,
            rt.policy.pack,
            message,
            context,
            session=session,
            clock=rt.clock,
            secret=TEST_SECRET,
            kb_dir=SMALL / rt.policy.pack,
        )


def test_track_answers_with_the_latest_status_in_the_conversation_language(parcel: Runtime) -> None:
    with parcel.engine.connect() as conn:
        (number,) = conn.execute(
            text(
                "select tracking_number from parcel_shipments where status = 'delivered' order by id limit 1"
            )
        ).one()
        (code,) = conn.execute(
            text(
                "select status_code from parcel_tracking_events where tracking_number = :n "
                "order by occurred_at desc limit 1"
            ),
            {"n": number},
        ).one()
        before = conn.execute(text("select count(*) from audit_event")).scalar_one()
    spaced = f"{number[:2]} {number[2:5]} {number[5:8]} {number[8:11]} {number[11:]}".lower()
    reply = _ask(parcel, f"Hej! Var är mitt paket {spaced}?", BotContext(language="sv"))
    assert reply.topic == "track" and reply.language == "sv"
    assert reply.action is not None and reply.action.status == "done"
    assert reply.action.data["number"] == number and reply.action.data["event"] == code == "DELIVERED"
    assert number in reply.text and texts.status_text(code, "sv") in reply.text
    with parcel.uow.read() as session:
        events = audit_service.tail(session, 5)
    reads = [e for e in events if e.action == "dataset.read" and e.seq > before]
    assert {e.record_type for e in reads} == {"parcel_shipments", "parcel_tracking_events"}
    assert all(e.actor_type == "bot" and e.purpose == "shipment_delivery" for e in reads)


def test_track_by_sscc_finds_the_same_shipment(parcel: Runtime) -> None:
    with parcel.engine.connect() as conn:
        status, sscc = conn.execute(
            text("select status, sscc from parcel_shipments order by id limit 1")
        ).one()
    reply = _ask(parcel, f"where is {sscc}", BotContext(language="en"))
    assert reply.action is not None and reply.action.status == "done"
    assert reply.action.data["number"] == sscc and reply.action.data["status"] == status


def test_track_asks_for_the_number_and_tells_typos_from_unknown_shipments(parcel: Runtime) -> None:
    missing = _ask(parcel, "Var är mitt paket?", BotContext(language="sv"))
    assert missing.action is not None and missing.action.status == "need_input"
    assert missing.text == texts.text("track.ask_number", "sv")

    unknown_number = f"CP99999999{rules.s10_check_digit('99999999')}NO"
    unknown = _ask(parcel, f"Hvor er pakken {unknown_number}?", BotContext(language="nb"))
    assert unknown.action is not None and unknown.action.status == "not_found"
    assert unknown.text == texts.text("track.not_found", "nb", number=unknown_number)

    wrong_digit = str((int(rules.s10_check_digit("99999999")) + 1) % 10)
    typo = _ask(parcel, f"Hvor er pakken CP99999999{wrong_digit}NO?", BotContext(language="nb"))
    assert typo.action is not None and typo.action.status == "invalid"


def _bank_customer(rt: Runtime) -> tuple[str, str, str]:
    """(subject id, a card's last four digits, the last four of an open account number)."""
    with rt.engine.connect() as conn:
        number, last_four = conn.execute(
            text(
                "select c.customer_number, c.last_four from bank_cards c join bank_customers k "
                "on k.customer_number = c.customer_number where c.status = 'active' and c.closed_at is null "
                "order by c.id limit 1"
            )
        ).one()
        (account,) = conn.execute(
            text(
                "select account_number from bank_accounts where customer_number = :n and closed_at is null "
                "order by id limit 1"
            ),
            {"n": number},
        ).one()
    with rt.uow.read() as session:
        subject = subjects_service.find_by_identifier(
            session, "customer_number", number, secret=TEST_SECRET, default_region="NO"
        )
    assert subject is not None
    return subject.id, last_four, account[-4:]


def test_balance_for_a_logged_in_customer(bank: Runtime) -> None:
    subject_id, _, account_tail = _bank_customer(bank)
    reply = _ask(bank, "hva er saldoen min?", BotContext(language="nb", subject_id=subject_id))
    assert reply.topic == "balance" and reply.action is not None and reply.action.status == "done"
    assert f"****{account_tail}" in reply.text
    with bank.uow.read() as session:
        reads = [e for e in audit_service.tail(session, 5) if e.action == "dataset.read"]
    assert reads[-1].record_type == "accounts" and reads[-1].subject_id == subject_id
    assert reads[-1].actor_type == "bot" and reads[-1].purpose == "customer_relationship"


def test_card_block_is_registered_and_audited(bank: Runtime) -> None:
    subject_id, last_four, _ = _bank_customer(bank)
    reply = _ask(
        bank,
        f"sperr kortet som slutter på {last_four}, det er stjålet",
        BotContext(language="nb", subject_id=subject_id),
    )
    assert reply.topic == "card_block" and reply.action is not None
    assert reply.action.status == "done" and reply.action.data == {"card": last_four, "registered": True}
    with bank.uow.read() as session:
        event = audit_service.tail(session, 1)[-1]
    assert event.action == "chatbot.card_block_requested" and event.subject_id == subject_id
    assert event.detail == {"last_four": last_four}


def test_card_block_without_login_reads_nothing(bank: Runtime) -> None:
    with bank.engine.connect() as conn:
        before = conn.execute(text("select count(*) from audit_event")).scalar_one()
    reply = _ask(bank, "sperr kortet mitt", BotContext(language="nb"))
    assert reply.login_required and reply.action is not None and reply.action.status == "login_required"
    with bank.engine.connect() as conn:
        assert conn.execute(text("select count(*) from audit_event")).scalar_one() == before
