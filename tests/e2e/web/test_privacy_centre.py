"""The privacy centre and the consent API through the real app: CSRF, own data only, instant effect."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import text

from tests.conftest import TEST_SECRET, make_settings
from tillit.auth import service as auth_service
from tillit.auth.schemas import StaffCreate
from tillit.consent import service as consent_service
from tillit.core.clock import FixedClock
from tillit.main import create_app
from tillit.runtime import Runtime
from tillit.subjects import service as subjects_service
from tillit.web.deps import CUSTOMER_COOKIE, STAFF_COOKIE

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def client(sqlite_url: str, clock: FixedClock) -> Iterator[TestClient]:
    app = create_app(make_settings(sqlite_url), clock=clock)
    with TestClient(app) as test_client:
        yield test_client
    app.state.context.close()


def rt(client: TestClient) -> Runtime:
    runtime: Runtime = client.app.state.context  # type: ignore[attr-defined]
    return runtime


def _cookie(token: str) -> str:
    return URLSafeSerializer(TEST_SECRET, salt="tillit-session-cookie").dumps(token)


def new_customer(client: TestClient) -> str:
    runtime = rt(client)
    with runtime.uow.begin() as session:
        return subjects_service.create_subject(
            session, clock=runtime.clock, default_region="NO", secret=TEST_SECRET
        ).id


def log_in_customer(client: TestClient, subject_id: str) -> str:
    """Start a customer session and return its CSRF token."""
    runtime = rt(client)
    with runtime.uow.begin() as session:
        token = auth_service.start_session(
            session, kind="customer", principal_id=subject_id, clock=runtime.clock
        )
    client.cookies.set(CUSTOMER_COOKIE, _cookie(token))
    return auth_service.csrf_token(TEST_SECRET, token)


def log_in_staff(client: TestClient, username: str, *roles: str) -> str:
    runtime = rt(client)
    with runtime.uow.begin() as session:
        account = auth_service.add_staff(
            session,
            StaffCreate(
                username=username, display_name=username, password="correct horse battery", roles=list(roles)
            ),
            runtime.clock,
        )
        token = auth_service.start_session(
            session, kind="staff", principal_id=account.id, clock=runtime.clock
        )
    client.cookies.set(STAFF_COOKIE, _cookie(token))
    return auth_service.csrf_token(TEST_SECRET, token)


def choose(client: TestClient, csrf: str, purpose: str, action: str, channel: str = "", lang: str = "en"):  # type: ignore[no-untyped-def]
    return client.post(
        "/privacy-centre",
        data={"purpose": purpose, "action": action, "channel": channel, "lang": lang, "csrf_token": csrf},
        follow_redirects=False,
    )


def test_not_logged_in_goes_to_the_login(client: TestClient) -> None:
    response = client.get("/privacy-centre?lang=en", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?lang=en&next=%2Fprivacy-centre")


def test_the_page_lists_consents_and_channel_reservations_in_the_pack_languages(client: TestClient) -> None:
    alice = new_customer(client)
    log_in_customer(client, alice)
    page = client.get("/privacy-centre?lang=en")
    assert page.status_code == 200
    html = page.text
    for purpose in (
        "service_digital_behaviour",
        "personalised_marketing",
        "email_sms_marketing",
        "group_sharing",
    ):
        assert f'id="consent-{purpose}"' in html and f'id="grant-{purpose}"' in html
    for channel in ("email", "sms", "online_bank", "phone", "letter"):
        assert f'id="reservation-simple_marketing-{channel}"' in html
    assert 'id="reservation-customer_matching-all"' in html
    assert 'id="objection-chatbot_improvement"' in html
    nb = client.get("/privacy-centre?lang=nb").text
    assert "Personvernsenter" in nb or "personvernsenter" in nb.lower()
    assert "Deling av kundeopplysninger i konsernet" in nb


def test_a_change_needs_the_csrf_token_and_takes_effect_at_once(client: TestClient) -> None:
    alice = new_customer(client)
    csrf = log_in_customer(client, alice)
    assert choose(client, "forged", "personalised_marketing", "grant").status_code == 403
    with rt(client).uow.read() as session:
        assert consent_service.history(session, subject_id=alice) == []

    assert choose(client, csrf, "personalised_marketing", "grant").status_code == 303
    with rt(client).uow.read() as session:
        assert consent_service.may_use(
            session, rt(client).policy, alice, "personalised_marketing", "app"
        ).allowed
    assert 'data-state="granted"' in client.get("/privacy-centre?lang=en").text

    assert choose(client, csrf, "personalised_marketing", "withdraw").status_code == 303
    assert choose(client, csrf, "simple_marketing", "opt_out", "sms").status_code == 303
    policy = rt(client).policy
    with rt(client).uow.read() as session:
        assert (
            consent_service.may_use(session, policy, alice, "personalised_marketing", "app").reason
            == "withdrawn"
        )
        assert (
            consent_service.may_use(session, policy, alice, "simple_marketing", "sms").reason == "opted_out"
        )
        assert consent_service.may_use(session, policy, alice, "simple_marketing", "email").allowed
    html = client.get("/privacy-centre?lang=en").text
    assert re.search(r'id="reservation-simple_marketing-sms" data-state="opted_out"', html)
    assert 'id="opt_in-simple_marketing-sms"' in html
    assert html.count("data-event-id=") == 3

    bad = choose(client, csrf, "simple_marketing", "opt_out", "app")
    assert bad.status_code == 422 and "cannot be reserved against" in bad.json()["error"]["message"]


def test_a_customer_sees_only_their_own_consents_and_receipts(client: TestClient) -> None:
    alice, bob = new_customer(client), new_customer(client)
    csrf_bob = log_in_customer(client, bob)
    choose(client, csrf_bob, "group_sharing", "grant")
    with rt(client).uow.read() as session:
        bob_event = consent_service.history(session, subject_id=bob)[0].id
    receipt = client.get(f"/api/v1/consent/receipts/{bob_event}")
    assert receipt.status_code == 200

    client.cookies.clear()
    log_in_customer(client, alice)
    html = client.get("/privacy-centre?lang=en").text
    assert bob_event not in html and "data-event-id=" not in html
    assert client.get(f"/api/v1/consent/receipts/{bob_event}").status_code == 404
    assert client.get("/api/v1/consent/me").json() == {"states": [], "events": []}


def test_receipt_has_the_kantara_fields(client: TestClient) -> None:
    alice = new_customer(client)
    csrf = log_in_customer(client, alice)
    choose(client, csrf, "personalised_marketing", "grant", lang="nb")
    event_id = client.get("/api/v1/consent/me").json()["events"][0]["id"]
    response = client.get(f"/api/v1/consent/receipts/{event_id}")
    assert response.headers["content-disposition"].startswith("attachment;")
    receipt = response.json()
    for field in (
        "version",
        "jurisdiction",
        "consentTimestamp",
        "collectionMethod",
        "consentReceiptID",
        "language",
        "piiPrincipalId",
        "piiControllers",
        "policyUrl",
        "services",
        "sensitive",
        "spiCat",
    ):
        assert field in receipt, field
    assert receipt["version"] == "KI-CR-v1.1.0" and receipt["jurisdiction"] == "NO"
    assert receipt["consentReceiptID"] == event_id and receipt["language"] == "nb"
    assert receipt["consentTimestamp"] == int(rt(client).clock.now().timestamp())
    assert alice not in response.text and len(receipt["piiPrincipalId"]) == 64
    assert receipt["piiControllers"][0]["piiController"] == "Nordbank ASA"
    assert {"contact", "address", "email", "phone"} <= set(receipt["piiControllers"][0])
    assert receipt["policyUrl"].endswith("/privacy?lang=nb")
    purpose = receipt["services"][0]["purposes"][0]
    assert set(purpose) >= {
        "purpose",
        "purposeCategory",
        "consentType",
        "piiCategory",
        "primaryPurpose",
        "termination",
        "thirdPartyDisclosure",
        "thirdPartyName",
    }
    assert purpose["purpose"].startswith("Personlig tilpasset markedsføring: ")
    assert purpose["consentType"] == "EXPLICIT" and "consent" in purpose["purposeCategory"]
    assert receipt["tillit:event"]["action"] == "grant"


def test_advisors_record_phone_consents_with_csrf_and_staff_reads_are_audited(client: TestClient) -> None:
    alice = new_customer(client)
    csrf = log_in_staff(client, "anna", "advisor")
    body = {"subject_id": alice, "purpose": "simple_marketing", "action": "opt_out", "channel": "phone"}
    assert client.post("/api/v1/consent/events", json=body).status_code == 403
    created = client.post("/api/v1/consent/events", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    event = created.json()["event"]
    assert (event["source"], event["actor_type"]) == ("phone_advisor", "staff")
    with rt(client).uow.read() as session:
        assert consent_service.may_use(
            session, rt(client).policy, alice, "simple_marketing", "phone"
        ).reason == ("opted_out")

    def audit_rows(action: str) -> int:
        with rt(client).uow.read() as session:
            return int(
                session.execute(
                    text("select count(*) from audit_event where action = :a"), {"a": action}
                ).scalar_one()
            )

    assert audit_rows("consent.record") == 1
    assert client.get(f"/api/v1/consent/subjects/{alice}").status_code == 200
    assert audit_rows("consent.read") == 1
    assert client.get(f"/api/v1/consent/receipts/{event['id']}").status_code == 200
    assert audit_rows("consent.receipt.read") == 1

    unknown = client.post(
        "/api/v1/consent/events", json={**body, "purpose": "telepathy"}, headers={"X-CSRF-Token": csrf}
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_purpose"


def test_marketing_staff_may_not_record_consents(client: TestClient) -> None:
    alice = new_customer(client)
    csrf = log_in_staff(client, "mads", "marketing")
    body = {"subject_id": alice, "purpose": "group_sharing", "action": "grant"}
    assert client.post("/api/v1/consent/events", json=body, headers={"X-CSRF-Token": csrf}).status_code == 403
    assert client.get(f"/api/v1/consent/subjects/{alice}").status_code == 403
