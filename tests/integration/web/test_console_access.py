"""The advisor console's purpose resolver and open/read rules against a real database (SQLite and
PostgreSQL): which purpose an advisor reads a conversation through, when that stops, and the SQL-filtered
lists. The HTTP side is in tests/e2e/web/test_console_authorisation.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from tests.conftest import TEST_SECRET
from tillit.auth.schemas import Principal
from tillit.conversations import service as conversations_service
from tillit.core.clock import FixedClock
from tillit.core.errors import NotFoundError
from tillit.policy.loader import load_pack
from tillit.runtime import Runtime
from tillit.web import console_access as access
from tillit.web.console_views import get_openable, open_conversation

ANNA = "00000000-0000-4000-8000-0000000000a1"
BOB = "00000000-0000-4000-8000-0000000000b2"


def _staff(staff_id: str, *roles: str) -> Principal:
    return Principal(
        kind="staff", id=staff_id, roles=list(roles), session_expires_at=datetime(2030, 1, 1, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("pack", "expected"),
    [
        ("bank", ["customer_service"]),
        ("parcel", ["advisor_chat"]),
        ("telecom", ["customer_service"]),
    ],
)
def test_the_resolver_finds_each_packs_customer_service_purpose(pack: str, expected: list[str]) -> None:
    policy = load_pack(pack).policy
    assert access.advisor_purposes(policy, ["advisor"]) == expected


def test_advisors_never_read_through_purposes_reserved_for_other_roles() -> None:
    bank = load_pack("bank").policy
    assert access.advisor_purposes(bank, ["advisor", "supervisor"], "conversation_ip") == []
    assert "chat_safety" in [p.id for p in bank.purposes_holding("conversation_ip")]
    assert access.advisor_purposes(load_pack("parcel").policy, ["advisor"], "handoff_contact") == [
        "handoff_followup"
    ]


def _conversation(runtime: Runtime) -> str:
    with runtime.uow.begin() as session:
        started = conversations_service.start(
            session, runtime.policy, language="nb", clock=runtime.clock, secret=TEST_SECRET
        )
        conversations_service.add_message(
            session,
            runtime.policy,
            started.conversation.id,
            author="customer",
            text="Hei",
            clock=runtime.clock,
        )
        conversations_service.request_handoff(
            session, runtime.policy, started.conversation.id, clock=runtime.clock
        )
    return started.conversation.id


def test_reading_follows_the_hold_from_take_to_expiry(runtime: Runtime, clock: FixedClock) -> None:
    anna, bob, supervisor = _staff(ANNA, "advisor"), _staff(BOB, "advisor"), _staff(BOB, "supervisor")
    conversation_id = _conversation(runtime)

    def purpose() -> str | None:
        with runtime.uow.read() as session:
            return access.reading_purpose(
                session,
                runtime.policy,
                roles=anna.roles,
                record_type="conversation",
                record_id=conversation_id,
                clock=clock,
            )

    assert purpose() is None, "queued, no advisor yet: the customer-service purpose does not hold it"
    with runtime.uow.begin() as session:
        view = open_conversation(session, runtime, anna, conversation_id)
        assert view.purpose is None and view.messages == [] and view.can_take
        conversations_service.take(session, runtime.policy, conversation_id, advisor_id=ANNA, clock=clock)
    assert purpose() == "customer_service"

    with runtime.uow.begin() as session:
        assert len(open_conversation(session, runtime, anna, conversation_id).messages) == 1
        with pytest.raises(NotFoundError):
            get_openable(session, bob, conversation_id)
        assert get_openable(session, supervisor, conversation_id).id == conversation_id
        listed = conversations_service.staff_conversations(
            session, runtime.policy, purposes=["customer_service"], clock=clock, advisor_id=ANNA
        )
        assert [c.id for c in listed] == [conversation_id]
        conversations_service.close(session, runtime.policy, conversation_id, clock=clock)
    closed_at = clock.now()

    clock.set(closed_at + relativedelta(years=5) - timedelta(days=1))
    assert purpose() == "customer_service"
    clock.set(closed_at + relativedelta(years=5, days=1))
    assert purpose() is None, "after the 5-year hold the advisors' purpose no longer reads it"
    with runtime.uow.begin() as session:
        assert open_conversation(session, runtime, anna, conversation_id).messages == []
        assert (
            conversations_service.staff_conversations(
                session,
                runtime.policy,
                purposes=["customer_service"],
                clock=clock,
                advisor_id=ANNA,
                statuses=("closed",),
            )
            == []
        )
