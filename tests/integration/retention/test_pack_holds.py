"""The demo packs' retention promises, checked through the holds service on both backends.

Each test names the promise of the source notice it checks. The packs are read as they are; a promise
that a pack's modelling cannot express would show up here as a failing test, not as an edit to the pack.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from tillit.core.clock import FixedClock
from tillit.policy.loader import available_packs, load_pack
from tillit.policy.schema import Policy
from tillit.retention import service
from tillit.retention.schemas import EndReason, HoldRead, RecordRef
from tillit.runtime import Runtime

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CLOSED = T0 + timedelta(minutes=25)


def pack(name: str) -> Policy:
    if name not in available_packs():
        pytest.skip(f"the {name} pack has no policy.yaml yet")
    return load_pack(name).policy


def assign(
    rt: Runtime, policy: Policy, record_type: str, record_id: str, facts: dict[str, object]
) -> list[HoldRead]:
    with rt.uow.begin() as session:
        return service.assign_holds(
            session, policy, record_type=record_type, record_id=record_id, facts=facts, clock=rt.clock
        )


def expiries(holds: list[HoldRead]) -> dict[str, datetime | None]:
    return {h.purpose: h.expires_at for h in holds if h.ended_reason is None}


def record_expires(holds: list[HoldRead]) -> datetime | None:
    """When the record's last hold expires: the record's lifetime."""
    dates = [h.expires_at for h in holds if h.ended_reason is None]
    assert None not in dates
    return max(d for d in dates if d is not None)


def conversation(**extra: object) -> dict[str, object]:
    facts: dict[str, object] = {
        "created_at": T0,
        "closed_at": CLOSED,
        "channel": "chat",
        "authenticated": False,
        "had_advisor": False,
        "complaint": False,
        "advisory": False,
        "deleted_by_customer": False,
    }
    facts.update(extra)
    return facts


# --- bank (seed 000) ---------------------------------------------------------------------------------


def bank_chat(**extra: object) -> dict[str, object]:
    return conversation(channel="chat", **extra)


def can_read(rt: Runtime, policy: Policy, purpose: str, record_id: str) -> bool:
    with rt.uow.read() as session:
        return service.can_read(
            session, policy, purpose, record_type="conversation", record_id=record_id, clock=rt.clock
        )


def test_bank_bot_only_chat_is_kept_one_year(runtime: Runtime) -> None:
    """ "Vi lagrer chatloggene for analyse og forbedringsformål i 1 år." """
    bank = pack("bank")
    holds = assign(runtime, bank, "conversation", "c1", bank_chat())
    assert record_expires(holds) == CLOSED + relativedelta(years=1)


def test_bank_chat_with_an_advisor_is_kept_five_years(runtime: Runtime) -> None:
    """ "Hvis du har snakket med en kunderådgiver, lagrer vi chatloggen i 5 år." """
    bank = pack("bank")
    open_chat = bank_chat(closed_at=None)
    before = expiries(assign(runtime, bank, "conversation", "c1", open_chat))
    with runtime.uow.begin() as session:
        service.recompute_holds(
            session,
            bank,
            record_type="conversation",
            record_id="c1",
            facts={**open_chat, "had_advisor": True},
            clock=runtime.clock,
        )
    holds = assign(runtime, bank, "conversation", "c1", bank_chat(had_advisor=True))
    assert len(expiries(holds)) == len(before) + 1
    assert record_expires(holds) == CLOSED + relativedelta(years=5)


def test_bank_archive_shows_a_logged_in_chat_for_three_years(runtime: Runtime, clock: FixedClock) -> None:
    """ "Chattloggen fra innlogget samtale vil være tilgjengelig for deg i nettbanken i tre år." """
    bank = pack("bank")
    anonymous = expiries(assign(runtime, bank, "conversation", "anon", bank_chat()))
    logged_in = expiries(
        assign(runtime, bank, "conversation", "c1", bank_chat(authenticated=True, had_advisor=True))
    )
    (archive,) = set(logged_in) - set(anonymous) - {"customer_service"}
    assert logged_in[archive] == CLOSED + relativedelta(years=3)

    clock.set(CLOSED + relativedelta(years=3) - timedelta(seconds=1))
    assert can_read(runtime, bank, archive, "c1")
    assert not can_read(runtime, bank, archive, "anon")
    clock.set(CLOSED + relativedelta(years=3))
    assert not can_read(runtime, bank, archive, "c1")
    assert can_read(runtime, bank, "customer_service", "c1")  # advisors still see it for 5 years


def test_bank_erasure_keeps_what_the_money_laundering_act_keeps(runtime: Runtime) -> None:
    bank = pack("bank")
    holds = assign(runtime, bank, "transactions", "tx-1", {"created_at": T0})
    assert record_expires(holds) == T0 + relativedelta(years=5)
    with runtime.uow.begin() as session:
        result = service.end_holds(
            session, bank, record_type="transactions", record_id="tx-1", reason="erasure", clock=runtime.clock
        )
    assert result.ended == []
    assert [k.legal_basis for k in result.kept] == ["legal_obligation"]
    assert result.kept[0].legal_obligation
    assert result.record_alive


# --- parcel (seed 002) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "kept_for"),
    [
        # "Din konversation med chatboten lagras i en månad"
        (conversation(), relativedelta(months=1)),
        # "Chatt som gäller rådgivning, information eller andra tjänster lagras i 1,5 år"
        (conversation(had_advisor=True), relativedelta(years=1, months=6)),
        # "lagras i 3,5 år vid klagomål eller reklamation"
        (conversation(had_advisor=True, complaint=True), relativedelta(years=3, months=6)),
    ],
    ids=["bot-only-P1M", "advisor-P1Y6M", "complaint-P3Y6M"],
)
def test_parcel_conversation_periods(
    runtime: Runtime, clock: FixedClock, facts: dict[str, object], kept_for: relativedelta
) -> None:
    parcel = pack("parcel")
    holds = assign(runtime, parcel, "conversation", "c1", facts)
    assert record_expires(holds) == CLOSED + kept_for
    clock.set(CLOSED + kept_for - timedelta(seconds=1))
    with runtime.uow.read() as session:
        assert service.is_record_alive(session, record_type="conversation", record_id="c1", clock=clock)
        assert service.expired_records(session, clock) == []
    clock.set(CLOSED + kept_for)
    with runtime.uow.read() as session:
        assert not service.is_record_alive(session, record_type="conversation", record_id="c1", clock=clock)
        assert service.expired_records(session, clock) == [RecordRef("conversation", "c1")]


def test_parcel_bot_conversation_deleted_by_the_customer_is_gone_now(
    runtime: Runtime, clock: FixedClock
) -> None:
    """ "...om du inte väljer att radera konversationen när du är klar" """
    parcel = pack("parcel")
    assign(runtime, parcel, "conversation", "c1", conversation())
    clock.set(CLOSED + timedelta(minutes=1))
    holds = assign(runtime, parcel, "conversation", "c1", conversation(deleted_by_customer=True))
    assert all(not h.alive_at(clock.now()) for h in holds)
    with runtime.uow.read() as session:
        assert service.expired_records(session, clock) == [RecordRef("conversation", "c1")]


def test_parcel_advisor_hold_appears_when_the_advisor_joins(runtime: Runtime) -> None:
    parcel = pack("parcel")
    open_chat = conversation(closed_at=None)
    before = expiries(assign(runtime, parcel, "conversation", "c1", open_chat))
    after = expiries(assign(runtime, parcel, "conversation", "c1", {**open_chat, "had_advisor": True}))
    assert len(after) == len(before) + 1
    assert all(value is None for value in after.values())  # still open: held until it closes


def test_parcel_tracking_events_are_held_through_their_dataset(runtime: Runtime) -> None:
    parcel = pack("parcel")
    occurred = T0 - timedelta(days=3)
    holds = assign(
        runtime, parcel, "parcel_tracking_events", "ev-1", {"created_at": occurred, "occurred_at": occurred}
    )
    assert record_expires(holds) == occurred + relativedelta(years=1)


# --- saas (seed 003) ---------------------------------------------------------------------------------


def test_saas_remember_me_token_lasts_30_days_from_the_last_visit(runtime: Runtime) -> None:
    """ "Denne er permanent i 30 dager fra du var inne sist." """
    saas = pack("saas")
    last_used = T0 + timedelta(days=10)
    first = assign(runtime, saas, "saas_remember_me_tokens", "t1", {"created_at": T0, "last_used_at": T0})
    assert record_expires(first) == T0 + timedelta(days=30)
    again = assign(
        runtime, saas, "saas_remember_me_tokens", "t1", {"created_at": T0, "last_used_at": last_used}
    )
    assert record_expires(again) == last_used + timedelta(days=30)


def test_saas_erasure_of_an_invoice_keeps_the_bookkeeping_hold(runtime: Runtime) -> None:
    """ "vi ikke kan slette opplysningene hvis vi er lovpålagt å fortsette å lagre dem" (bokføringsloven)"""
    saas = pack("saas")
    facts = {
        "created_at": T0,
        "issued_at": T0,
        "fiscal_year_ends_at": datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
        "subject_kind": "customer",
    }
    holds = assign(runtime, saas, "saas_invoices", "inv-1", facts)
    assert len(expiries(holds)) >= 2  # billing (contract) and bookkeeping (legal obligation)
    with runtime.uow.begin() as session:
        result = service.end_holds(
            session,
            saas,
            record_type="saas_invoices",
            record_id="inv-1",
            reason=EndReason.ERASURE,
            clock=runtime.clock,
        )
    assert result.ended
    assert result.kept
    assert all(k.legal_basis == "legal_obligation" and k.legal_obligation for k in result.kept)
    assert result.record_alive
    assert {h.purpose for h in result.remaining} == {k.purpose for k in result.kept}


# --- telecom (seed 004) ------------------------------------------------------------------------------


def test_telecom_location_data_is_logged_one_year_and_erasure_cannot_remove_it(runtime: Runtime) -> None:
    """ "Disse oplysninger om kundernes lokation er vi ... forpligtet til at gemme i et år." """
    telecom = pack("telecom")
    started = T0 - timedelta(days=1)
    holds = assign(
        runtime, telecom, "telecom_call_records", "call-1", {"created_at": started, "started_at": started}
    )
    assert record_expires(holds) == started + relativedelta(years=1)
    with runtime.uow.begin() as session:
        result = service.end_holds(
            session,
            telecom,
            record_type="telecom_call_records",
            record_id="call-1",
            reason=EndReason.ERASURE,
            clock=runtime.clock,
        )
    (kept,) = result.kept
    assert kept.legal_basis == "legal_obligation"
    assert kept.expires_at == started + relativedelta(years=1)
    assert [h.purpose for h in result.remaining] == [kept.purpose]


def test_telecom_consent_is_documented_while_valid_and_two_years_after_last_use(runtime: Runtime) -> None:
    """ "Markedsføringssamtykker opbevares ... så længe de er gældende og indtil 2 år efter, at de sidst har
    været anvendt." """
    telecom = pack("telecom")
    last_used = T0 + timedelta(days=40)
    valid = {"created_at": T0, "state": "granted", "last_used_at": last_used}
    assert record_expires_or_none(assign(runtime, telecom, "consent_record", "k1", valid)) is None
    withdrawn = {**valid, "state": "withdrawn", "withdrawn_at": last_used + timedelta(days=5)}
    assert record_expires(
        assign(runtime, telecom, "consent_record", "k1", withdrawn)
    ) == last_used + relativedelta(years=2)


def record_expires_or_none(holds: list[HoldRead]) -> datetime | None:
    """None when some alive hold has no expiry yet (the record is kept until its anchor arrives)."""
    dates = [h.expires_at for h in holds if h.ended_reason is None]
    assert dates
    return None if None in dates else max(d for d in dates if d is not None)
