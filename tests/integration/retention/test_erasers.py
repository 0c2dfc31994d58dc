"""The sweeper's erasers for tillit's own kinds beyond conversations and consent: the marketing send log,
customer-matching exports, rights requests and subjects (both backends). Each expired record is deleted
with its holds and a proof row; a subject waits while another record of theirs is stored; an anonymise
rule on a conversation deletes it and its proof says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import text

from tests.conftest import TEST_SECRET
from tests.integration.marketing.helpers import STAFF, FakeSms, campaign, ports, record
from tests.integration.marketing.helpers import customer as contactable
from tests.integration.retention.sweep_helpers import chat, count, customer, exists, sweep
from tillit.core.clock import FixedClock
from tillit.core.ids import new_id
from tillit.marketing import dispatcher, matching
from tillit.marketing import service as marketing_service
from tillit.retention import service as retention_service
from tillit.rights import service as rights_service
from tillit.rights.schemas import RequestCreate
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def hold(
    rt: Runtime, kind: str, record_id: str, purpose: str, expires_at: datetime, subject_id: str | None = None
) -> None:
    """A hold written directly: no pack's purpose holds subjects or rights requests in the bank pack, and
    the erasers must work for any policy that does."""
    with rt.engine.begin() as conn:
        conn.execute(
            text(
                "insert into retention_hold (id, record_type, record_id, subject_id, purpose, rule_index,"
                " action, expires_at, created_at, updated_at, ended_reason) values (:id, :kind, :rid, :sid,"
                " :purpose, 0, 'delete', :exp, :now, :now, null)"
            ),
            {
                "id": new_id(),
                "kind": kind,
                "rid": record_id,
                "sid": subject_id,
                "purpose": purpose,
                "exp": expires_at,
                "now": T0,
            },
        )


def proofs(rt: Runtime, kind: str) -> list[tuple[str, int, str]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(
            text("select action, records, purpose from retention_proof where record_type = :k"),
            {"k": kind},
        ).all()
    return [(r[0], int(r[1]), r[2]) for r in rows]


def holds(rt: Runtime, kind: str, record_id: str) -> int:
    with rt.engine.connect() as conn:
        return int(
            conn.execute(
                text("select count(*) from retention_hold where record_type = :k and record_id = :r"),
                {"k": kind, "r": record_id},
            ).scalar_one()
        )


def test_send_log_entry_goes_after_five_years_with_a_proof(runtime: Runtime) -> None:
    person = contactable(runtime)
    record(runtime, person, "email_sms_marketing", "grant")
    offer = campaign(runtime, "email_sms_marketing", "sms")
    with runtime.uow.begin() as session:
        marketing_service.send(session, runtime.policy, offer.id, actor=STAFF, clock=runtime.clock)
    dispatcher.dispatch(
        runtime.uow, runtime.policy, ports(sms=FakeSms()), secret=TEST_SECRET, clock=runtime.clock
    )
    with runtime.uow.read() as session:
        (entry,) = marketing_service.send_log(session, campaign_id=offer.id)
    five_years = entry.sent_at + relativedelta(years=5)

    assert sweep(runtime, five_years - timedelta(seconds=1)).records == 0
    assert count(runtime, "marketing_send_log") == 1
    result = sweep(runtime, five_years + timedelta(seconds=1))
    assert "marketing_send" not in result.skipped
    assert count(runtime, "marketing_send_log") == 0
    assert holds(runtime, "marketing_send", entry.id) == 0
    assert proofs(runtime, "marketing_send") == [("delete", 1, "email_sms_marketing")]


def test_matched_export_left_behind_is_swept_with_a_proof(runtime: Runtime) -> None:
    contactable(runtime)
    with runtime.uow.begin() as session:
        export = matching.create_export(
            session,
            runtime.policy,
            recipient="social_platforms",
            actor=STAFF,
            clock=runtime.clock,
            secret=TEST_SECRET,
        )
        # The matching finished but the list was not deleted at once (a crash between the two): the
        # customer-matching purpose's P0D-from-matched_at hold has ended.
        retention_service.assign_holds(
            session,
            runtime.policy,
            record_type="matching_export",
            record_id=export.id,
            facts={"recipient": export.recipient, "matched_at": T0, "created_at": T0},
            clock=runtime.clock,
        )
    result = sweep(runtime, T0 + timedelta(minutes=1))
    assert result.records == 1 and not result.skipped
    assert count(runtime, "marketing_matching_export") == 0
    assert holds(runtime, "matching_export", export.id) == 0
    assert proofs(runtime, "matching_export") == [("delete", 1, "customer_matching")]


def test_rights_request_goes_with_its_evidence_and_encrypted_fields(runtime: Runtime) -> None:
    subject = customer(runtime)
    with runtime.uow.begin() as session:
        request = rights_service.file_request(
            session,
            runtime.policy,
            RequestCreate(
                type="access",
                channel="privacy_centre",
                language="nb",
                subject_id=subject,
                requester_email="kari@example.com",
            ),
            clock=runtime.clock,
            actor=f"customer:{subject}",
            secret=TEST_SECRET,
        )
    with runtime.engine.begin() as conn:  # executing needs the pack's business tables: evidence by hand
        conn.execute(
            text(
                "insert into rights_evidence (id, request_id, seq, step, record_type, counts, reasons,"
                " created_at) values (:id, :req, 1, 'collected', 'conversation', '{}', '[]', :at)"
            ),
            {"id": new_id(), "req": request.id, "at": T0},
        )
    with runtime.engine.connect() as conn:
        stored = conn.execute(text("select requester_email_enc from rights_request")).scalar_one()
    assert stored is not None and b"kari@example.com" not in bytes(stored)
    hold(runtime, "rights_request", request.id, "customer_service", T0 + relativedelta(years=3), subject)

    result = sweep(runtime, T0 + relativedelta(years=3, days=1))
    assert not result.skipped
    assert count(runtime, "rights_request") == 0 and count(runtime, "rights_evidence") == 0
    assert holds(runtime, "rights_request", request.id) == 0
    assert proofs(runtime, "rights_request") == [("delete", 1, "customer_service")]


def test_subject_goes_when_no_record_of_theirs_is_left_and_waits_otherwise(runtime: Runtime) -> None:
    alone, with_chat = contactable(runtime), customer(runtime)
    advised = chat(runtime, T0, subject_id=with_chat, advisor=True)  # held 5 years by customer service
    for subject in (alone, with_chat):
        hold(runtime, "subject", subject, "customer_service", T0 + timedelta(days=30), subject)
    identifiers = count(runtime, "subject_identifier")

    first = sweep(runtime, T0 + timedelta(days=31))
    assert first.waiting == {"subject": 1} and not first.skipped
    assert proofs(runtime, "subject") == [("delete", 1, "customer_service")]
    with runtime.uow.read() as session:
        assert subjects_service.kind_of(session, alone) is None
        assert subjects_service.kind_of(session, with_chat) == "customer"
    assert holds(runtime, "subject", with_chat) == 1
    assert count(runtime, "subject_identifier") < identifiers  # the identifiers went with the subject

    # Once the conversation's own hold ends, the conversation goes first and its subject in the same sweep.
    later = sweep(runtime, T0 + relativedelta(years=5, days=1))
    assert not exists(runtime, advised)
    assert later.waiting == {}
    with runtime.uow.read() as session:
        assert subjects_service.kind_of(session, with_chat) is None
    assert holds(runtime, "subject", with_chat) == 0


def test_anonymise_rule_on_a_conversation_deletes_and_the_proof_says_delete(runtime: Runtime) -> None:
    bot = chat(runtime, T0)
    with runtime.engine.begin() as conn:
        conn.execute(text("update retention_hold set action = 'anonymise' where record_id = :r"), {"r": bot})
    sweep(runtime, T0 + relativedelta(years=2))
    assert not exists(runtime, bot)
    assert {a for a, _, _ in proofs(runtime, "conversation")} == {"delete"}


def test_job_purges_export_past_its_ttl(runtime: Runtime) -> None:
    from tillit import jobs

    contactable(runtime)
    long_ago = FixedClock(datetime(2020, 1, 1, tzinfo=UTC))
    with runtime.uow.begin() as session:
        export = matching.create_export(
            session,
            runtime.policy,
            recipient="social_platforms",
            actor=STAFF,
            clock=long_ago,
            secret=TEST_SECRET,
        )
    assert jobs.purge_matching(runtime) == 1
    with runtime.uow.read() as session:
        assert export.id not in {e.id for e in matching.list_exports(session)}
    assert holds(runtime, "matching_export", export.id) == 0
