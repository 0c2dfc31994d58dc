"""/console/rights: only the DPO; filters; overdue and due-soon stand out; the chart; staff intake by
letter; preview, execute and evidence; the access package's page; extension with a notice mailed over a
real local SMTP server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import T0, TEST_SECRET, make_settings
from tests.e2e.web.console_helpers import add_staff, login, runtime_of
from tillit.core.clock import FixedClock
from tillit.main import create_app
from tillit.packs.demo import load_demo
from tillit.rights import service as rights_service
from tillit.rights.schemas import RequestCreate
from tillit.subjects import service as subjects_service


@pytest.fixture
def mailed(database_url: str, smtp_server: tuple[str, int, Any]) -> Iterator[tuple[TestClient, Any]]:
    host, port, inbox = smtp_server
    app = create_app(make_settings(database_url, smtp_host=host, smtp_port=port), clock=FixedClock(T0))
    with TestClient(app) as client:
        load_demo(runtime_of(client))  # the pack's business tables: execution walks them
        add_staff(client, "dora", "dpo")
        add_staff(client, "arne", "advisor")
        add_staff(client, "sigrid", "security_officer")
        yield client, inbox
    app.state.context.close()


def _subject(client: TestClient, email: str) -> str:
    runtime = runtime_of(client)
    with runtime.uow.begin() as session:
        return subjects_service.create_subject(
            session,
            clock=runtime.clock,
            default_region="NO",
            secret=TEST_SECRET,
            identifiers={"email": email},
        ).id


def _file(client: TestClient, subject: str, type_: str, days_ago: int) -> str:
    runtime = runtime_of(client)
    with runtime.uow.begin() as session:
        return rights_service.file_request(
            session,
            runtime.policy,
            RequestCreate(type=type_, channel="letter", language="nb", subject_id=subject),
            clock=FixedClock(T0 - timedelta(days=days_ago)),
            actor="staff:test",
            secret=TEST_SECRET,
        ).id


def _rows(page: str) -> dict[str, str]:
    return dict(
        re.findall(r'<tr id="rights-([0-9a-f-]{36})" data-status="[a-z_]+" data-overdue="(\w+)"', page)
    )


def test_roles_filters_deadlines_and_the_chart(mailed: tuple[TestClient, Any]) -> None:
    client, _inbox = mailed
    subject = _subject(client, "kari@example.com")
    overdue = _file(client, subject, "erasure", days_ago=40)
    soon = _file(client, subject, "access", days_ago=27)
    fresh = _file(client, subject, "access", days_ago=1)

    for username in ("arne", "sigrid"):
        login(client, username)
        assert client.get("/console/rights").status_code == 403
    assert client.get("/console/rights", follow_redirects=False).status_code == 403
    client.cookies.clear()
    assert client.get("/console/rights", follow_redirects=False).status_code == 303

    login(client, "dora")
    page = client.get("/console/rights")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert rows == {overdue: "true", soon: "false", fresh: "false"}
    assert next(iter(rows)) == overdue  # overdue first
    assert 'class="row-overdue"' in page.text and 'class="row-due-soon"' in page.text
    assert set(_rows(client.get("/console/rights?due=overdue").text)) == {overdue}
    assert set(_rows(client.get("/console/rights?due=due_soon").text)) == {soon}
    assert set(_rows(client.get("/console/rights?type=access").text)) == {soon, fresh}
    assert set(_rows(client.get("/console/rights?status=completed").text)) == set()
    assert "No completed requests yet" in client.get("/console/rights?lang=en").text


def test_staff_intake_preview_execute_evidence_and_package(mailed: tuple[TestClient, Any]) -> None:
    client, _inbox = mailed
    subject = _subject(client, "ola@example.com")
    csrf = login(client, "dora")
    form = {
        "type": "access",
        "channel": "letter",
        "identifier_kind": "email",
        "identifier": "OLA@example.com",
    }
    assert client.post("/console/rights", data=form).status_code == 403  # no CSRF token
    unknown = client.post("/console/rights", data=form | {"identifier": "x@example.com", "csrf_token": csrf})
    assert unknown.status_code == 422
    filed = client.post("/console/rights", data=form | {"csrf_token": csrf}, follow_redirects=False)
    assert filed.status_code == 303, filed.text
    location = filed.headers["location"].split("?")[0]
    request_id = location.rsplit("/", 1)[1]
    page = client.get(location)
    assert page.status_code == 200, page.text
    assert 'id="preview"' in page.text and 'id="execute"' in page.text
    assert 'data-status="received"' in page.text

    assert client.post(location + "/execute", data={}).status_code == 403
    executed = client.post(location + "/execute", data={"csrf_token": csrf}, follow_redirects=False)
    assert executed.status_code == 303
    page = client.get(location)
    assert 'id="request-status" data-status="completed"' in page.text
    assert 'id="evidence"' in page.text and 'id="package-preview"' in page.text
    runtime = runtime_of(client)
    with runtime.uow.read() as session:
        found = rights_service.get(session, request_id, clock=runtime.clock)
    assert found.subject_id == subject and found.channel == "letter"
    package = client.get(location + "/package")
    assert package.status_code == 200 and package.headers["content-type"].startswith("text/html")
    assert "<html" in package.text.lower()
    assert "default-src 'none'" in package.headers["content-security-policy"]

    chart = client.get("/console/rights")
    assert 'id="ttc-chart"' in chart.text and "<rect" in chart.text and "cdn" not in chart.text.lower()


def test_extension_mails_the_reason_and_is_recorded(mailed: tuple[TestClient, Any]) -> None:
    client, inbox = mailed
    subject = _subject(client, "kari@example.com")
    request_id = _file(client, subject, "access", days_ago=10)
    csrf = login(client, "dora")
    assert client.post(f"/console/rights/{request_id}/extend", data={"reason": "x"}).status_code == 403
    extended = client.post(
        f"/console/rights/{request_id}/extend",
        data={"reason": "Mange forespørsler samtidig", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert extended.status_code == 303 and extended.headers["location"].endswith("notice=extended")
    (mail,) = inbox.messages
    assert mail["To"] == "kari@example.com"
    body = mail.get_body(("plain",)).get_content()
    assert "Mange forespørsler samtidig" in body
    runtime = runtime_of(client)
    with runtime.uow.read() as session:
        found = rights_service.get(session, request_id, clock=runtime.clock)
        actions = session.execute(text("select action from audit_event")).scalars().all()
    assert found.extended_until is not None and found.extension_notified_at == T0
    assert any(a.startswith("rights.") for a in actions)
    assert "Mange forespørsler samtidig" in client.get(f"/console/rights/{request_id}").text
