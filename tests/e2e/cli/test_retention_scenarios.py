"""The documents' retention promises, end to end: data made through the services, time moved with
`tillit retention sweep --now ...` in a real process, the outcome read back from the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import text

from tests.conftest import TEST_SECRET, make_settings
from tests.integration.retention.sweep_helpers import chat, count, customer, exists
from tillit.core.clock import FixedClock
from tillit.db import migrate
from tillit.packs.demo import load_demo
from tillit.retention import service as retention_service
from tillit.runtime import Runtime

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CLOSED = T0 + timedelta(minutes=10)
DAY = timedelta(days=1)


def tillit(url: str, pack: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TILLIT_DATABASE_URL": url,
        "TILLIT_PACK": pack,
        "TILLIT_SECRET_KEY": TEST_SECRET,
        "TILLIT_DEMO_MODE": "true",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tillit.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return result


def sweep_at(url: str, pack: str, at: datetime) -> str:
    return tillit(url, pack, "retention", "sweep", "--now", at.isoformat()).stdout


def runtime_for(tmp_path: Path, pack: str) -> tuple[Runtime, str]:
    url = f"sqlite:///{tmp_path / f'{pack}.sqlite3'}"
    migrate.upgrade(url)
    return Runtime(settings=make_settings(url, pack=pack), clock=FixedClock(T0)), url


def test_bank_bot_chat_one_year_advisor_chat_five_archive_view_three(tmp_path: Path) -> None:
    rt, url = runtime_for(tmp_path, "bank")
    bot = chat(rt, T0)
    subject = customer(rt)
    advised = chat(rt, T0, subject_id=subject, advisor=True)

    sweep_at(url, "bank", CLOSED + relativedelta(years=1) - DAY)
    assert exists(rt, bot)
    out = sweep_at(url, "bank", CLOSED + relativedelta(years=1) + DAY)
    assert "1 records" in out
    assert not exists(rt, bot) and exists(rt, advised)

    three_years = CLOSED + relativedelta(years=3) + DAY
    with rt.uow.read() as session:
        reads = {
            purpose: retention_service.can_read(
                session,
                rt.policy,
                purpose,
                record_type="conversation",
                record_id=advised,
                clock=FixedClock(three_years),
            )
            for purpose in ("chat_archive", "customer_service")
        }
    assert reads == {"chat_archive": False, "customer_service": True}
    sweep_at(url, "bank", three_years)
    assert exists(rt, advised)
    sweep_at(url, "bank", CLOSED + relativedelta(years=5) + DAY)
    assert not exists(rt, advised)
    assert count(rt, "conversation_message") == 0
    rt.close()


def test_parcel_bot_month_complaint_three_and_a_half_years_advisor_chat_eighteen_months(
    tmp_path: Path,
) -> None:
    rt, url = runtime_for(tmp_path, "parcel")
    bot = chat(rt, T0)
    complaint = chat(rt, T0, advisor=True, complaint=True)
    advised = chat(rt, T0, advisor=True)

    sweep_at(url, "parcel", CLOSED + relativedelta(months=1) + DAY)
    assert (exists(rt, bot), exists(rt, complaint), exists(rt, advised)) == (False, True, True)
    sweep_at(url, "parcel", CLOSED + relativedelta(years=1, months=6) + DAY)
    assert (exists(rt, complaint), exists(rt, advised)) == (True, False)
    sweep_at(url, "parcel", CLOSED + relativedelta(years=3, months=6) - DAY)
    assert exists(rt, complaint)
    sweep_at(url, "parcel", CLOSED + relativedelta(years=3, months=6) + DAY)
    assert not exists(rt, complaint)
    rt.close()


def test_telecom_location_records_anonymised_after_one_year(tmp_path: Path) -> None:
    rt, url = runtime_for(tmp_path, "telecom")
    load_demo(rt, now=T0)
    at = T0 + timedelta(days=200)
    with rt.engine.connect() as conn:
        total = conn.execute(text("select count(*) from telecom_call_records")).scalar_one()
    out = sweep_at(url, "telecom", at)
    assert "anonymise" in out
    with rt.engine.connect() as conn:
        rows = conn.execute(text("select started_at, msisdn, cell_id from telecom_call_records")).all()
    assert len(rows) == total  # anonymised, not deleted: statistics survive
    cutoff = at - relativedelta(years=1)
    old = [r for r in rows if datetime.fromisoformat(str(r.started_at)).replace(tzinfo=UTC) <= cutoff]
    young = [r for r in rows if datetime.fromisoformat(str(r.started_at)).replace(tzinfo=UTC) > cutoff]
    assert old and young
    assert all(r.msisdn is None and r.cell_id is None for r in old)
    assert all(r.msisdn is not None for r in young)
    rt.close()


def test_saas_remember_me_session_deleted_thirty_days_after_last_use(tmp_path: Path) -> None:
    rt, url = runtime_for(tmp_path, "saas")
    load_demo(rt, now=T0)
    at = T0 + timedelta(days=10)
    with rt.engine.connect() as conn:
        before = conn.execute(text("select id, last_used_at from saas_remember_me_tokens")).all()
    sweep_at(url, "saas", at)
    with rt.engine.connect() as conn:
        after = {r.id for r in conn.execute(text("select id from saas_remember_me_tokens"))}
    stale = {r.id for r in before if _utc(r.last_used_at) + timedelta(days=30) <= at}
    fresh = {r.id for r in before if _utc(r.last_used_at) + timedelta(days=30) > at}
    assert stale and fresh
    assert after == fresh
    rt.close()


def test_legal_hold_survives_expiry_and_goes_at_first_sweep_after_release(tmp_path: Path) -> None:
    rt, url = runtime_for(tmp_path, "bank")
    held = chat(rt, T0)
    placed = tillit(
        url,
        "bank",
        "retention",
        "legal-hold",
        "place",
        "--record",
        f"conversation:{held}",
        "--reason",
        "case 12/2027",
        "--authority",
        "Oslo tingrett",
        "--by",
        "dpo-1",
    ).stdout
    hold_id = placed.split()[2]
    at = CLOSED + relativedelta(years=2)
    out = sweep_at(url, "bank", at)
    assert "kept under a legal hold" in out
    assert exists(rt, held)
    tillit(url, "bank", "retention", "legal-hold", "release", hold_id, "--reason", "closed", "--by", "dpo-1")
    sweep_at(url, "bank", at)
    assert not exists(rt, held)

    listed = [
        json.loads(line)
        for line in tillit(url, "bank", "retention", "legal-hold", "list").stdout.splitlines()
    ]
    assert listed[0]["state"].startswith("released")
    day = at.date().isoformat()
    report = tillit(url, "bank", "retention", "report", "--from", day, "--to", day, "--json").stdout
    proofs = [json.loads(line) for line in report.splitlines()]
    assert [p["records"] for p in proofs] == [1]
    assert held not in report
    rt.close()


def test_forecast_lists_weeks_per_purpose(tmp_path: Path) -> None:
    rt, url = runtime_for(tmp_path, "parcel")
    chat(rt, T0)
    out = tillit(url, "parcel", "retention", "forecast", "--days", "60", "--now", T0.isoformat(), "--json")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert sum(r["records"] for r in rows) == 1
    [row] = [r for r in rows if r["records"]]
    assert row["purpose"] == "chatbot_answers"
    rt.close()


@pytest.mark.parametrize("dry_run", [True])
def test_dry_run_through_cli_changes_nothing(tmp_path: Path, dry_run: bool) -> None:
    rt, url = runtime_for(tmp_path, "bank")
    cid = chat(rt, T0)
    out = tillit(
        url, "bank", "retention", "sweep", "--dry-run", "--now", (CLOSED + relativedelta(years=2)).isoformat()
    )
    assert "dry run" in out.stdout
    assert exists(rt, cid)
    rt.close()


def _utc(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def test_telecom_consent_record_swept_two_years_after_last_use(tmp_path: Path) -> None:
    from tillit.consent import service as consent_service
    from tillit.consent.schemas import ConsentEventCreate

    rt, url = runtime_for(tmp_path, "telecom")
    clock = FixedClock(T0)

    def record(subject: str, action: str) -> str:
        data = ConsentEventCreate(
            subject_id=subject,
            purpose="marketing",
            action=action,
            source="app",
            actor_type="customer",
            actor_id=subject,
        )
        with rt.uow.begin() as session:
            return consent_service.record_event(session, rt.policy, data, clock=clock).states[0].id

    used, unused = customer(rt), customer(rt)
    record(used, "grant")
    record(unused, "grant")
    clock.set(T0 + relativedelta(months=12))
    with rt.uow.begin() as session:
        consent_service.mark_used(session, rt.policy, used, "marketing", "sms", clock=clock)
    clock.set(T0 + relativedelta(months=18))
    record(used, "withdraw")
    record(unused, "withdraw")

    out = sweep_at(url, "telecom", T0 + relativedelta(years=2, days=1))
    assert "consent_record" in out
    with rt.uow.read() as session:
        assert consent_service.states(session, subject_id=unused) == []
        assert consent_service.states(session, subject_id=used) != []
    sweep_at(url, "telecom", T0 + relativedelta(years=3, days=1))
    with rt.uow.read() as session:
        assert consent_service.states(session, subject_id=used) == []
    rt.close()


def test_bank_marketing_send_log_entry_gone_after_five_years(tmp_path: Path) -> None:
    from tests.integration.marketing.helpers import STAFF, FakeSms, campaign, ports, record
    from tests.integration.marketing.helpers import customer as contactable
    from tillit.marketing import dispatcher
    from tillit.marketing import service as marketing_service

    rt, url = runtime_for(tmp_path, "bank")
    person = contactable(rt)
    record(rt, person, "email_sms_marketing", "grant")
    offer = campaign(rt, "email_sms_marketing", "sms")
    with rt.uow.begin() as session:
        marketing_service.send(session, rt.policy, offer.id, actor=STAFF, clock=rt.clock)
    dispatcher.dispatch(rt.uow, rt.policy, ports(sms=FakeSms()), secret=TEST_SECRET, clock=rt.clock)
    assert count(rt, "marketing_send_log") == 1

    sweep_at(url, "bank", T0 + relativedelta(years=5) - DAY)
    assert count(rt, "marketing_send_log") == 1
    out = sweep_at(url, "bank", T0 + relativedelta(years=5) + DAY)
    assert "marketing_send" in out and "skipped" not in out
    assert count(rt, "marketing_send_log") == 0
    with rt.engine.connect() as conn:
        proof = conn.execute(
            text("select action, records from retention_proof where record_type = 'marketing_send'")
        ).all()
    assert [tuple(p) for p in proof] == [("delete", 1)]
    rt.close()
