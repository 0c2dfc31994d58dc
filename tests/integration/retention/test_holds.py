"""Holds in the database (SQLite and PostgreSQL): assign, recompute, read checks, ending, expiry.

Conversations arrive in a later issue, so records here are ids with facts dicts, as the conversations
service will pass them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import Column, MetaData, String, Table, select

from tests.retention_policies import policy_with, purpose_yaml
from tillit.core.clock import FixedClock
from tillit.core.errors import PurposeNotAllowedError, UnknownPurposeError
from tillit.policy.schema import Policy
from tillit.retention import repository, service
from tillit.retention.schemas import EndReason, HoldRead, RecordRef
from tillit.runtime import Runtime

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CONV = "conversation"

BANK = policy_with(
    purpose_yaml(
        "chatbot",
        "- keep: P1Y\n  from: closed_at",
        legal_basis="legitimate_interests",
        more="legitimate_interest: {nb: Forbedre chatboten., en: Improve the chatbot.}\nobjection: true",
    ),
    purpose_yaml(
        "customer_service",
        "- keep: P5Y\n  from: closed_at",
        applies_if="{had_advisor: true}",
    ),
    purpose_yaml(
        "chat_archive",
        "- keep: P3Y\n  from: closed_at",
        applies_if="{authenticated: true}",
    ),
    purpose_yaml(
        "aml_records",
        "- keep: P5Y\n  from: closed_at",
        applies_if="{advisory: true}",
        legal_basis="legal_obligation",
        more="legal_obligation: {nb: Hvitvaskingsloven § 30, en: Anti-Money Laundering Act s. 30}",
    ),
)

PARCEL = policy_with(
    purpose_yaml(
        "customer_service",
        """
- when: {deleted_by_customer: true}
  keep: P0D
  from: created_at
- when: {complaint: true}
  keep: P3Y6M
  from: closed_at
- when: {had_advisor: true}
  keep: P1Y6M
  from: closed_at
- keep: P1M
  from: closed_at
""",
    )
)


def chat(**extra: object) -> dict[str, object]:
    """Facts of a conversation created at T0, still open, bot only, anonymous."""
    facts: dict[str, object] = {
        "created_at": T0,
        "closed_at": None,
        "channel": "chat",
        "had_advisor": False,
        "authenticated": False,
        "advisory": False,
        "complaint": False,
        "deleted_by_customer": False,
    }
    facts.update(extra)
    return facts


def assign(
    rt: Runtime, policy: Policy, record_id: str, facts: dict[str, object], **kw: object
) -> list[HoldRead]:
    with rt.uow.begin() as session:
        return service.assign_holds(
            session, policy, record_type=CONV, record_id=record_id, facts=facts, clock=rt.clock, **kw
        )  # type: ignore[arg-type]


def by_purpose(holds: list[HoldRead]) -> dict[str, HoldRead]:
    return {h.purpose: h for h in holds}


def can_read(rt: Runtime, policy: Policy, purpose: str, record_id: str) -> bool:
    with rt.uow.read() as session:
        return service.can_read(
            session, policy, purpose, record_type=CONV, record_id=record_id, clock=rt.clock
        )


def move(clock: FixedClock, to: datetime) -> None:
    clock.set(to)


# --- assign and recompute ----------------------------------------------------------------------------


def test_open_bot_only_chat_is_held_by_the_chatbot_until_it_closes(runtime: Runtime) -> None:
    holds = assign(runtime, BANK, "c1", chat())
    assert [h.purpose for h in holds] == ["chatbot"]
    (hold,) = holds
    assert hold.expires_at is None  # closed_at not known yet: held until it is
    assert (hold.rule_index, hold.action, hold.ended_reason) == (0, "delete", None)
    assert hold.created_at == hold.updated_at == T0

    closed = T0 + timedelta(minutes=20)
    holds = assign(runtime, BANK, "c1", chat(closed_at=closed))
    assert [(h.purpose, h.expires_at) for h in holds] == [("chatbot", closed + relativedelta(years=1))]


def test_assigning_the_same_facts_again_changes_nothing(runtime: Runtime, clock: FixedClock) -> None:
    first = assign(runtime, BANK, "c1", chat(closed_at=T0, authenticated=True))
    clock.advance(timedelta(hours=1))
    second = assign(runtime, BANK, "c1", chat(closed_at=T0, authenticated=True))
    assert second == first  # same ids, same expiries, updated_at untouched


def test_advisor_joining_adds_the_five_year_hold_in_the_callers_transaction(runtime: Runtime) -> None:
    closed = T0 + timedelta(hours=1)
    with runtime.uow.begin() as session:
        service.assign_holds(
            session, BANK, record_type=CONV, record_id="c1", facts=chat(), clock=runtime.clock
        )
        service.recompute_holds(
            session, BANK, record_type=CONV, record_id="c1", facts=chat(had_advisor=True), clock=runtime.clock
        )
        inside = by_purpose(service.holds_for(session, CONV, "c1"))
        assert set(inside) == {"chatbot", "customer_service"}
        assert inside["customer_service"].expires_at is None  # still open

    holds = assign(runtime, BANK, "c1", chat(had_advisor=True, closed_at=closed))
    expiries = {h.purpose: h.expires_at for h in holds}
    assert expiries == {
        "chatbot": closed + relativedelta(years=1),
        "customer_service": closed + relativedelta(years=5),
    }


def test_holds_are_not_committed_when_the_callers_transaction_fails(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError), runtime.uow.begin() as session:
        service.assign_holds(
            session, BANK, record_type=CONV, record_id="c1", facts=chat(), clock=runtime.clock
        )
        raise RuntimeError("storing the message failed")
    with runtime.uow.read() as session:
        assert service.holds_for(session, CONV, "c1") == []


def test_subject_is_recorded_once_known(runtime: Runtime) -> None:
    assert assign(runtime, BANK, "c1", chat())[0].subject_id is None
    holds = assign(runtime, BANK, "c1", chat(authenticated=True), subject_id="s-1")
    assert {h.subject_id for h in holds} == {"s-1"}


def test_unknown_record_type_is_refused(runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="conversaton"), runtime.uow.begin() as session:
        service.assign_holds(
            session, BANK, record_type="conversaton", record_id="c1", facts=chat(), clock=runtime.clock
        )


# --- reading -----------------------------------------------------------------------------------------


def test_archive_purpose_reads_for_three_years_while_customer_service_keeps_reading(
    runtime: Runtime, clock: FixedClock
) -> None:
    assign(runtime, BANK, "c1", chat(authenticated=True, had_advisor=True, closed_at=T0))
    three_years = T0 + relativedelta(years=3)

    move(clock, three_years - timedelta(seconds=1))
    assert can_read(runtime, BANK, "chat_archive", "c1")
    assert can_read(runtime, BANK, "customer_service", "c1")

    move(clock, three_years)
    assert not can_read(runtime, BANK, "chat_archive", "c1")
    assert can_read(runtime, BANK, "customer_service", "c1")
    assert not can_read(runtime, BANK, "chatbot", "c1")  # one year is long gone
    with runtime.uow.read() as session:
        with pytest.raises(PurposeNotAllowedError) as raised:
            service.require_read(session, BANK, "chat_archive", record_type=CONV, record_id="c1", clock=clock)
        assert raised.value.details["purpose"] == "chat_archive"
        service.require_read(session, BANK, "customer_service", record_type=CONV, record_id="c1", clock=clock)
        assert service.is_record_alive(session, record_type=CONV, record_id="c1", clock=clock)

    move(clock, T0 + relativedelta(years=5))
    assert not can_read(runtime, BANK, "customer_service", "c1")
    with runtime.uow.read() as session:
        assert not service.is_record_alive(session, record_type=CONV, record_id="c1", clock=clock)


def test_a_purpose_without_a_hold_cannot_read(runtime: Runtime) -> None:
    assign(runtime, BANK, "c1", chat(closed_at=T0))
    assert can_read(runtime, BANK, "chatbot", "c1")
    assert not can_read(runtime, BANK, "chat_archive", "c1")  # not logged in: the archive never held it
    assert not can_read(runtime, BANK, "chatbot", "other")


def test_unknown_purpose_is_an_error_not_a_no(runtime: Runtime) -> None:
    with runtime.uow.read() as session, pytest.raises(UnknownPurposeError):
        service.can_read(session, BANK, "marketing", record_type=CONV, record_id="c1", clock=runtime.clock)
    with pytest.raises(UnknownPurposeError):
        service.readable_record_ids(BANK, "marketing", record_type=CONV, clock=runtime.clock)


def test_readable_record_ids_filters_a_list_in_sql(runtime: Runtime, clock: FixedClock) -> None:
    assign(runtime, BANK, "old", chat(authenticated=True, closed_at=T0))
    assign(runtime, BANK, "new", chat(authenticated=True, closed_at=T0 + relativedelta(years=2)))
    assign(runtime, BANK, "anon", chat(closed_at=T0 + relativedelta(years=2)))
    assign(runtime, BANK, "open", chat(authenticated=True))
    # a stand-in for the conversations table a list page queries (dropped by the fixture afterwards)
    items = Table("retention_test_item", MetaData(), Column("id", String(36), primary_key=True))
    items.create(runtime.engine)
    with runtime.uow.begin() as session:
        session.execute(items.insert(), [{"id": i} for i in ("old", "new", "anon", "open", "no_holds")])

    move(clock, T0 + relativedelta(years=3, days=1))
    readable = service.readable_record_ids(BANK, "chat_archive", record_type=CONV, clock=clock)
    with runtime.uow.read() as session:
        page = session.scalars(select(items.c.id).where(items.c.id.in_(readable)).order_by(items.c.id)).all()
    assert page == ["new", "open"]


# --- ending holds ------------------------------------------------------------------------------------


def test_erasure_keeps_legal_obligation_holds_and_says_why(runtime: Runtime, clock: FixedClock) -> None:
    assign(runtime, BANK, "c1", chat(authenticated=True, had_advisor=True, advisory=True, closed_at=T0))
    clock.advance(timedelta(days=10))
    with runtime.uow.begin() as session:
        result = service.end_holds(
            session, BANK, record_type=CONV, record_id="c1", reason=EndReason.ERASURE, clock=clock
        )
    assert sorted(h.purpose for h in result.ended) == ["chat_archive", "chatbot", "customer_service"]
    assert all(h.ended_reason == "erasure" and h.expires_at == clock.now() for h in result.ended)
    (kept,) = result.kept
    assert (kept.purpose, kept.legal_basis) == ("aml_records", "legal_obligation")
    assert kept.legal_obligation == {"nb": "Hvitvaskingsloven § 30", "en": "Anti-Money Laundering Act s. 30"}
    assert kept.expires_at == T0 + relativedelta(years=5)
    assert [h.purpose for h in result.remaining] == ["aml_records"]
    assert result.record_alive

    assert not can_read(runtime, BANK, "chat_archive", "c1")
    assert not can_read(runtime, BANK, "customer_service", "c1")
    assert can_read(runtime, BANK, "aml_records", "c1")


def test_ending_without_keeping_legal_obligations_ends_everything(runtime: Runtime) -> None:
    assign(runtime, BANK, "c1", chat(advisory=True, closed_at=T0))
    with runtime.uow.begin() as session:
        result = service.end_holds(
            session,
            BANK,
            record_type=CONV,
            record_id="c1",
            reason="authority_order_expired",
            clock=runtime.clock,
            keep_legal_obligations=False,
        )
        assert sorted(h.purpose for h in result.ended) == ["aml_records", "chatbot"]
        assert result.kept == [] and result.remaining == [] and not result.record_alive
        assert not service.is_record_alive(session, record_type=CONV, record_id="c1", clock=runtime.clock)


def test_end_holds_of_named_purposes_leaves_the_others(runtime: Runtime) -> None:
    assign(runtime, BANK, "c1", chat(had_advisor=True, closed_at=T0))
    with runtime.uow.begin() as session:
        result = service.end_holds(
            session,
            BANK,
            record_type=CONV,
            record_id="c1",
            purposes=["chatbot"],
            reason=EndReason.OBJECTION,
            clock=runtime.clock,
        )
    assert [h.purpose for h in result.ended] == ["chatbot"]
    assert result.kept == []
    assert [h.purpose for h in result.remaining] == ["customer_service"]


def test_end_holds_refuses_unknown_purposes_and_missing_reasons(runtime: Runtime) -> None:
    assign(runtime, BANK, "c1", chat(closed_at=T0))
    with runtime.uow.begin() as session:
        with pytest.raises(UnknownPurposeError):
            service.end_holds(
                session,
                BANK,
                record_type=CONV,
                record_id="c1",
                purposes=["chatbot", "telemarketing"],
                reason="objection",
                clock=runtime.clock,
            )
        with pytest.raises(ValueError):
            service.end_holds(session, BANK, record_type=CONV, record_id="c1", reason="", clock=runtime.clock)
    assert can_read(runtime, BANK, "chatbot", "c1")  # nothing was ended


def test_a_hold_ended_by_objection_is_never_revived(runtime: Runtime, clock: FixedClock) -> None:
    assign(runtime, BANK, "c1", chat())
    clock.advance(timedelta(minutes=5))
    with runtime.uow.begin() as session:
        service.end_holds(
            session,
            BANK,
            record_type=CONV,
            record_id="c1",
            purposes=["chatbot"],
            reason=EndReason.OBJECTION,
            clock=clock,
        )
    objected_at = clock.now()
    clock.advance(timedelta(minutes=5))

    holds = by_purpose(assign(runtime, BANK, "c1", chat(had_advisor=True, closed_at=clock.now())))
    assert holds["chatbot"].ended_reason == "objection"
    assert holds["chatbot"].expires_at == objected_at
    assert holds["chatbot"].updated_at == objected_at
    assert holds["customer_service"].alive_at(clock.now())
    assert not can_read(runtime, BANK, "chatbot", "c1")


def test_excluded_purposes_get_no_new_holds(runtime: Runtime) -> None:
    holds = assign(runtime, BANK, "c2", chat(had_advisor=True), excluded_purposes=["chatbot", "gone_purpose"])
    assert [h.purpose for h in holds] == ["customer_service"]
    assert not can_read(runtime, BANK, "chatbot", "c2")


def test_a_purpose_that_no_longer_applies_is_ended_and_comes_back_if_it_applies_again(
    runtime: Runtime, clock: FixedClock
) -> None:
    without_archive = policy_with(
        purpose_yaml("chatbot", "- keep: P1Y\n  from: closed_at", legal_basis="legitimate_interests"),
        purpose_yaml("chat_archive", "- keep: P3Y\n  from: closed_at", applies_if="{authenticated: true}"),
    )
    assign(runtime, without_archive, "c1", chat(authenticated=True, closed_at=T0))
    clock.advance(timedelta(days=1))
    holds = by_purpose(assign(runtime, without_archive, "c1", chat(authenticated=False, closed_at=T0)))
    assert holds["chat_archive"].ended_reason == "no_longer_applies"
    assert holds["chat_archive"].expires_at == clock.now()
    assert not can_read(runtime, without_archive, "chat_archive", "c1")

    clock.advance(timedelta(days=1))
    holds = by_purpose(assign(runtime, without_archive, "c1", chat(authenticated=True, closed_at=T0)))
    assert holds["chat_archive"].ended_reason is None
    assert holds["chat_archive"].expires_at == T0 + relativedelta(years=3)
    assert can_read(runtime, without_archive, "chat_archive", "c1")


def test_a_purpose_removed_from_the_policy_stops_holding(runtime: Runtime) -> None:
    assign(runtime, BANK, "c1", chat(authenticated=True, closed_at=T0))
    smaller = policy_with(purpose_yaml("chatbot", "- keep: P1Y\n  from: closed_at"))
    holds = by_purpose(assign(runtime, smaller, "c1", chat(authenticated=True, closed_at=T0)))
    assert holds["chat_archive"].ended_reason == "no_longer_applies"
    assert holds["chatbot"].ended_reason is None
    with runtime.uow.begin() as session:  # ending holds of a purpose the policy forgot still works
        service.end_holds(
            session, smaller, record_type=CONV, record_id="c1", reason="erasure", clock=runtime.clock
        )


# --- expiry ------------------------------------------------------------------------------------------


def expired(rt: Runtime, limit: int = 100) -> list[RecordRef]:
    with rt.uow.read() as session:
        return service.expired_records(session, rt.clock, limit)


def test_expired_records_lists_a_record_only_when_all_its_holds_expired(
    runtime: Runtime, clock: FixedClock
) -> None:
    assign(runtime, BANK, "bot", chat(closed_at=T0))  # 1 year
    assign(runtime, BANK, "advisor", chat(had_advisor=True, closed_at=T0))  # 1 and 5 years
    assign(runtime, BANK, "archived", chat(authenticated=True, closed_at=T0))  # 1 and 3 years
    assign(runtime, BANK, "open", chat(had_advisor=True))  # no expiry yet

    assert expired(runtime) == []
    move(clock, T0 + relativedelta(years=1))
    assert expired(runtime) == [RecordRef(CONV, "bot")]
    move(clock, T0 + relativedelta(years=3, days=1))
    assert expired(runtime) == [RecordRef(CONV, "bot"), RecordRef(CONV, "archived")]
    move(clock, T0 + relativedelta(years=50))
    assert {r.record_id for r in expired(runtime)} == {"bot", "archived", "advisor"}
    assert len(expired(runtime, limit=2)) == 2


def test_expired_records_come_oldest_first(runtime: Runtime, clock: FixedClock) -> None:
    assign(runtime, BANK, "later", chat(closed_at=T0 + timedelta(days=2)))
    assign(runtime, BANK, "earlier", chat(closed_at=T0))
    assign(runtime, BANK, "middle", chat(closed_at=T0 + timedelta(days=1)))
    move(clock, T0 + relativedelta(years=2))
    assert [r.record_id for r in expired(runtime)] == ["earlier", "middle", "later"]
    assert [r.record_id for r in expired(runtime, limit=1)] == ["earlier"]


def test_ended_holds_make_a_record_expired_at_once(runtime: Runtime) -> None:
    assign(runtime, BANK, "c1", chat(authenticated=True))
    with runtime.uow.begin() as session:
        service.end_holds(
            session, BANK, record_type=CONV, record_id="c1", reason="erasure", clock=runtime.clock
        )
    assert expired(runtime) == [RecordRef(CONV, "c1")]


def test_expired_records_query_uses_the_expires_at_index(runtime: Runtime) -> None:
    """The sweeper's query must find candidates through the expires_at index, not by scanning holds."""
    assign(runtime, BANK, "c1", chat(closed_at=T0))
    with runtime.uow.read() as session:
        connection = session.connection()
        compiled = repository.expired_records_statement(runtime.clock.now(), 10).compile(
            dialect=connection.dialect
        )
        sql = str(compiled)
        if compiled.positiontup:  # SQLite: qmark parameters
            params: Any = tuple(compiled.params[name] for name in compiled.positiontup)
        else:
            params = compiled.params
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # tiny tables would be scanned
            plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql, params))
        else:
            plan = "\n".join(
                str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)
            )
    assert "ix_retention_hold_expires_at" in plan, plan


# --- a parcel-like policy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "keep"),
    [
        (chat(had_advisor=True, complaint=True), relativedelta(years=3, months=6)),
        (chat(had_advisor=True), relativedelta(years=1, months=6)),
        (chat(), relativedelta(months=1)),
    ],
    ids=["complaint", "advisor", "bot-only"],
)
def test_parcel_periods(
    runtime: Runtime, clock: FixedClock, facts: dict[str, object], keep: relativedelta
) -> None:
    closed = T0 + timedelta(minutes=30)
    (hold,) = assign(runtime, PARCEL, "c1", {**facts, "closed_at": closed})
    assert hold.expires_at == closed + keep
    move(clock, closed + keep - timedelta(seconds=1))
    assert can_read(runtime, PARCEL, "customer_service", "c1")
    assert expired(runtime) == []
    move(clock, closed + keep)
    assert not can_read(runtime, PARCEL, "customer_service", "c1")
    assert expired(runtime) == [RecordRef(CONV, "c1")]


def test_parcel_conversation_deleted_by_the_customer_is_gone_now(runtime: Runtime, clock: FixedClock) -> None:
    assign(runtime, PARCEL, "c1", chat(had_advisor=True, complaint=True))
    assert can_read(runtime, PARCEL, "customer_service", "c1")
    clock.advance(timedelta(minutes=3))
    (hold,) = assign(runtime, PARCEL, "c1", chat(had_advisor=True, complaint=True, deleted_by_customer=True))
    assert hold.rule_index == 0
    assert not hold.alive_at(clock.now())
    assert not can_read(runtime, PARCEL, "customer_service", "c1")
    assert expired(runtime) == [RecordRef(CONV, "c1")]
