"""Customer-matching exports (bank pack, both backends): only subjects who have not opted out, hashes of
normalised contact details, stored encrypted, deleted when matched and after their TTL, every step
audited; the HTTP API for marketing staff."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta

import phonenumbers
import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select, text

from tests.conftest import TEST_SECRET
from tests.integration.marketing.test_propensity_consent import consent, demo_subject_ids
from tillit.audit import service as audit_service
from tillit.audit.schemas import Actor
from tillit.auth import service as auth_service
from tillit.auth.schemas import StaffCreate
from tillit.consent import service as consent_service
from tillit.consent.schemas import ConsentEventCreate
from tillit.core.clock import FixedClock
from tillit.core.errors import NotFoundError, ValidationFailedError
from tillit.main import create_app
from tillit.marketing import matching
from tillit.marketing.analytics_models import MatchingExport
from tillit.packs.bank import business
from tillit.retention import service as retention_service
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service
from tillit.web import deps

PURPOSE = "customer_matching"
STAFF = Actor.staff("staff-marketing-1")


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def create(rt: Runtime, ttl: timedelta = matching.DEFAULT_TTL) -> matching.ExportRead:
    with rt.uow.begin() as session:
        return matching.create_export(
            session,
            rt.policy,
            recipient="social_platforms",
            actor=STAFF,
            clock=rt.clock,
            secret=TEST_SECRET,
            ttl=ttl,
        )


def download(rt: Runtime, export_id: str) -> list[dict[str, str]]:
    with rt.uow.begin() as session:
        body = matching.download_csv(
            session, rt.policy, export_id, actor=STAFF, clock=rt.clock, secret=TEST_SECRET
        )
    return list(csv.DictReader(io.StringIO(body)))


def actions(rt: Runtime, export_id: str) -> list[str]:
    with rt.uow.read() as session:
        return [e.action for e in audit_service.tail(session, 500) if e.record_id == export_id]


@pytest.fixture
def people(runtime: Runtime) -> dict[str, list[str]]:
    """Demo customers; some opted out of customer matching (all channels, one channel), one objected,
    one is restricted. Returns their e-mails by group."""
    ids = demo_subject_ids(runtime)
    data = business.generate(runtime.clock.now())
    emails = [p.identifiers["email"] for p in data.subjects]
    phones = [p.identifiers["phone"] for p in data.subjects]
    consent(runtime, ids[0], "opt_out", purpose=PURPOSE)
    with runtime.uow.begin() as session:
        consent_service.record_event(
            session,
            runtime.policy,
            ConsentEventCreate(
                subject_id=ids[1],
                purpose=PURPOSE,
                channel="social",
                action="opt_out",
                source="phone_advisor",
                actor_type="staff",
                actor_id="advisor-1",
            ),
            clock=runtime.clock,
        )
        subjects_service.set_restricted(session, ids[3], True)
    consent(runtime, ids[2], "object", purpose=PURPOSE)
    consent(runtime, ids[4], "opt_out", purpose=PURPOSE)
    consent(runtime, ids[4], "opt_in", purpose=PURPOSE)  # changed their mind: in again
    return {
        "out_emails": emails[:4],
        "out_phones": phones[:4],
        "in_emails": emails[4:],
        "in_phones": phones[4:],
    }


def test_export_has_only_subjects_who_have_not_opted_out(
    runtime: Runtime, people: dict[str, list[str]]
) -> None:
    export = create(runtime)
    rows = download(runtime, export.id)
    assert export.row_count == len(rows) == len(people["in_emails"])
    email_hashes = {r["email_sha256"] for r in rows}
    phone_hashes = {r["phone_sha256"] for r in rows}
    assert email_hashes == {sha(e.strip().lower()) for e in people["in_emails"]}
    assert phone_hashes == {sha(p) for p in people["in_phones"]}
    assert not email_hashes & {sha(e) for e in people["out_emails"]}
    assert not phone_hashes & {sha(p) for p in people["out_phones"]}


def test_hashes_normalised_values(runtime: Runtime, people: dict[str, list[str]]) -> None:
    example = phonenumbers.example_number_for_type("NO", phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    spaced = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    with runtime.uow.begin() as session:
        subjects_service.create_subject(
            session,
            identifiers={"email": "  Kari.Nordkvinne@Example.COM ", "phone": spaced},
            clock=runtime.clock,
            default_region="NO",
            secret=TEST_SECRET,
        )
    rows = download(runtime, create(runtime).id)
    assert {"email_sha256": sha("kari.nordkvinne@example.com"), "phone_sha256": sha(e164)} in rows
    assert matching.sha256_hex("email", " A@Example.com") == sha("a@example.com")
    assert matching.sha256_hex("phone", "+47 " + e164[3:], default_region="NO") == sha(e164)
    assert matching.sha256_hex("email", "not an address") is None


def test_stored_encrypted_raw_scan_shows_no_email_or_hash(
    runtime: Runtime, people: dict[str, list[str]]
) -> None:
    export = create(runtime)
    with runtime.engine.connect() as conn:
        raw = conn.execute(text("SELECT * FROM marketing_matching_export")).all()
    dump = b"".join(
        (bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()) for row in raw for v in row
    )
    assert len(raw) == 1
    for email in people["in_emails"]:
        assert email.encode() not in dump
        assert sha(email).encode() not in dump
    assert b"example.com" not in dump and b"sha256" not in dump
    with runtime.uow.begin() as session, pytest.raises(Exception, match="cannot be decrypted"):
        matching.download_csv(
            session, runtime.policy, export.id, actor=STAFF, clock=runtime.clock, secret="x" * 40
        )


def test_marked_matched_deletes_at_once_and_every_step_is_audited(
    runtime: Runtime, people: dict[str, list[str]]
) -> None:
    export = create(runtime)
    with runtime.uow.read() as session:
        holds = retention_service.holds_for(session, "matching_export", export.id)
    assert [h.purpose for h in holds] == [PURPOSE]
    download(runtime, export.id)
    with runtime.uow.begin() as session:
        done = matching.mark_matched(session, runtime.policy, export.id, actor=STAFF, clock=runtime.clock)
    assert done.deleted and done.matched_at == runtime.clock.now()
    with runtime.uow.read() as session:
        assert session.scalar(select(func.count()).select_from(MatchingExport)) == 0
        assert retention_service.holds_for(session, "matching_export", export.id) == []
    with pytest.raises(NotFoundError):
        download(runtime, export.id)
    assert actions(runtime, export.id) == [
        "matching_export.create",
        "matching_export.download",
        "matching_export.matched",
        "matching_export.purge",
    ]


def test_deleted_after_its_ttl(runtime: Runtime, people: dict[str, list[str]]) -> None:
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    short = create(runtime, ttl=timedelta(hours=1))
    long = create(runtime, ttl=timedelta(days=3))
    with runtime.uow.begin() as session:
        assert matching.purge_expired(session, clock) == 0
    clock.advance(timedelta(hours=2))
    with pytest.raises(NotFoundError):  # past its TTL it is gone even before the purge runs
        download(runtime, short.id)
    with runtime.uow.begin() as session:
        assert matching.purge_expired(session, clock) == 1
        assert matching.purge_expired(session, clock) == 0  # idempotent
    with runtime.uow.read() as session:
        assert [e.id for e in matching.list_exports(session)] == [long.id]
    assert actions(runtime, short.id)[-1] == "matching_export.purge"
    with runtime.uow.read() as session:
        purge = [e for e in audit_service.tail(session, 50) if e.record_id == short.id][-1]
    assert purge.detail["reason"] == "ttl" and purge.actor_id == "matching-purge"


def test_bad_recipient_and_ttl_are_refused(runtime: Runtime, people: dict[str, list[str]]) -> None:
    with runtime.uow.begin() as session, pytest.raises(ValidationFailedError):
        matching.create_export(
            session,
            runtime.policy,
            recipient="language_model",
            actor=STAFF,
            clock=runtime.clock,
            secret=TEST_SECRET,
        )
    with pytest.raises(ValidationFailedError):
        create(runtime, ttl=timedelta(days=90))


def _login(client: TestClient, runtime: Runtime, username: str, roles: list[str]) -> str:
    """A staff session cookie on the client, the way the console login sets it; returns the CSRF token."""
    with runtime.uow.begin() as session:
        staff = auth_service.add_staff(
            session,
            StaffCreate(username=username, display_name=username, password="correct horse 123", roles=roles),
            runtime.clock,
        )
        token = auth_service.start_session(session, kind="staff", principal_id=staff.id, clock=runtime.clock)
    signed = URLSafeSerializer(runtime.settings.secret_key, salt="tillit-session-cookie").dumps(token)
    client.cookies.set(deps.STAFF_COOKIE, signed)
    return auth_service.csrf_token(runtime.settings.secret_key, token)


def test_http_api_for_marketing_staff(runtime: Runtime, people: dict[str, list[str]]) -> None:
    client = TestClient(create_app(runtime.settings, clock=runtime.clock))
    base = "/api/v1/marketing/matching-exports"
    assert client.get(base).status_code == 401
    _login(client, runtime, "adam", ["advisor"])
    assert client.get(base).status_code == 403
    client.cookies.clear()
    csrf = _login(client, runtime, "mia", ["marketing"])
    assert client.post(base, json={"recipient": "social_platforms"}).status_code == 403  # no CSRF header
    headers = {"X-CSRF-Token": csrf}
    assert client.post(base, json={"recipient": "nobody"}, headers=headers).status_code == 422
    created = client.post(base, json={"recipient": "news_media", "ttl_hours": 24}, headers=headers)
    assert created.status_code == 201, created.text
    export_id = created.json()["id"]
    assert [e["id"] for e in client.get(base).json()] == [export_id]
    got = client.get(f"{base}/{export_id}/download")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    lines = got.text.strip().splitlines()
    assert lines[0] == "email_sha256,phone_sha256" and len(lines) == 1 + len(people["in_emails"])
    assert client.post(f"{base}/{export_id}/matched").status_code == 403
    done = client.post(f"{base}/{export_id}/matched", headers=headers)
    assert done.status_code == 200 and done.json()["deleted"] is True
    assert client.get(f"{base}/{export_id}/download").status_code == 404
    assert client.get(base).json() == []
    assert client.post(f"{base}/purge", headers=headers).json() == {"deleted": 0}
