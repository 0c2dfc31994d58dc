"""/console/disclosure on the telecom pack: only the security officer, only with a court order, only the
subject's communications with location in the period, every access audited, apart from rights requests."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.e2e.web.console_helpers import add_staff, console_app, login, runtime_of
from tillit.core.clock import FixedClock
from tillit.packs.demo import load_demo

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    with console_app(sqlite_url, FixedClock(T0), pack="telecom") as test_client:
        load_demo(runtime_of(test_client))
        add_staff(test_client, "sigrid", "security_officer")
        add_staff(test_client, "dora", "dpo")
        add_staff(test_client, "arne", "advisor")
        yield test_client


def _busy_number(client: TestClient) -> tuple[str, datetime, datetime]:
    """A subscriber's number with communications, and a window around some of them."""
    with runtime_of(client).engine.connect() as conn:
        msisdn, first, last = conn.execute(
            text(
                "select r.msisdn, min(r.started_at), max(r.started_at) from telecom_call_records r "
                "join telecom_subscriptions s on s.msisdn = r.msisdn where r.kind != 'data' "
                "group by r.msisdn order by count(*) desc limit 1"
            )
        ).one()
    start = datetime.fromisoformat(str(first)).replace(tzinfo=UTC)
    end = datetime.fromisoformat(str(last)).replace(tzinfo=UTC)
    return str(msisdn), start, start + (end - start) / 2


def _expected(client: TestClient, msisdn: str, start: datetime, end: datetime) -> int:
    with runtime_of(client).engine.connect() as conn:
        rows = conn.execute(
            text("select started_at, kind, cell_id from telecom_call_records where msisdn = :m"),
            {"m": msisdn},
        ).all()
    return sum(
        1
        for at, kind, cell in rows
        if kind in ("voice", "sms", "mms")
        and cell
        and start <= datetime.fromisoformat(str(at)).replace(tzinfo=UTC) < end
    )


def _form(csrf: str, msisdn: str, start: datetime, end: datetime, **extra: str) -> dict[str, str]:
    return {
        "authority": "Københavns Politi",
        "court_order_reference": "SS 1-2345/2026",
        "identifier_kind": "phone",
        "identifier": msisdn,
        "period_start": start.strftime("%Y-%m-%dT%H:%M"),
        "period_end": end.strftime("%Y-%m-%dT%H:%M"),
        "csrf_token": csrf,
    } | extra


def _actions(client: TestClient) -> list[str]:
    with runtime_of(client).engine.connect() as conn:
        return [r[0] for r in conn.execute(text("select action from audit_event order by seq"))]


def test_security_officer_registers_sees_only_the_scope_and_discloses(client: TestClient) -> None:
    msisdn, start, end = _busy_number(client)
    start = start.replace(second=0, microsecond=0)
    end = end.replace(second=0, microsecond=0)
    expected = _expected(client, msisdn, start, end)
    assert expected > 0

    csrf = login(client, "sigrid")
    assert client.get("/console/disclosure").status_code == 200
    refused = client.post(
        "/console/disclosure", data=_form(csrf, msisdn, start, end, court_order_reference=" ")
    )
    assert refused.status_code == 422
    assert 'id="disclosure-error"' in refused.text
    with runtime_of(client).engine.connect() as conn:
        assert conn.execute(text("select count(*) from disclosure_request")).scalar_one() == 0

    assert client.post("/console/disclosure", data=_form("", msisdn, start, end)).status_code == 403
    created = client.post("/console/disclosure", data=_form(csrf, msisdn, start, end), follow_redirects=False)
    assert created.status_code == 303, created.text
    page = client.get(created.headers["location"])
    assert page.status_code == 200
    count = re.search(r'id="records" data-count="(\d+)"', page.text)
    assert count is not None and int(count.group(1)) == expected
    assert "SS 1-2345/2026" in page.text
    actions = _actions(client)
    assert {"disclosure.registered", "disclosure.read", "disclosure.records_read", "dataset.read"} <= set(
        actions
    )
    with runtime_of(client).engine.connect() as conn:
        purposes = (
            conn.execute(text("select distinct purpose from audit_event where action = 'dataset.read'"))
            .scalars()
            .all()
        )
    assert purposes == ["statutory_logging"]

    disclosed = client.post(created.headers["location"] + "/disclose", data={"csrf_token": csrf})
    assert disclosed.status_code == 200
    assert disclosed.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(disclosed.text)))
    assert len(rows) == expected
    assert {r["msisdn"] for r in rows} == {msisdn}
    assert all(r["cell_id"] and r["kind"] in ("voice", "sms", "mms") for r in rows)
    assert "other_party_hash" not in rows[0]
    for r in rows:
        assert start <= datetime.fromisoformat(r["started_at"]) < end
    assert "disclosure.disclosed" in _actions(client)
    assert 'data-state="disclosed"' in client.get(created.headers["location"]).text


def test_other_roles_are_refused_and_the_api_needs_csrf(client: TestClient) -> None:
    msisdn, start, end = _busy_number(client)
    for username in ("dora", "arne"):
        csrf = login(client, username)
        assert client.get("/console/disclosure").status_code == 403
        assert client.post("/console/disclosure", data=_form(csrf, msisdn, start, end)).status_code == 403
        assert client.get("/api/v1/disclosure").status_code == 403
    with runtime_of(client).engine.connect() as conn:
        assert conn.execute(text("select count(*) from disclosure_request")).scalar_one() == 0

    csrf = login(client, "sigrid")
    body = {
        "authority": "Københavns Politi",
        "court_order_reference": "SS 9/2026",
        "identifier_kind": "phone",
        "identifier": msisdn,
        "period_start": start.isoformat(),
        "period_end": (start + timedelta(days=30)).isoformat(),
    }
    assert client.post("/api/v1/disclosure", json=body).status_code == 403
    missing = client.post(
        "/api/v1/disclosure", json=body | {"court_order_reference": ""}, headers={"X-CSRF-Token": csrf}
    )
    assert missing.status_code == 422
    created = client.post("/api/v1/disclosure", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    found = client.get(f"/api/v1/disclosure/{created.json()['id']}/records").json()
    assert found["request"]["court_order_reference"] == "SS 9/2026"
    assert all(
        set(r)
        == {
            "started_at",
            "msisdn",
            "kind",
            "direction",
            "duration_seconds",
            "cell_id",
            "cell_latitude",
            "cell_longitude",
        }
        for r in found["records"]
    )
    unknown = client.post(
        "/api/v1/disclosure", json=body | {"identifier": "+4520000000"}, headers={"X-CSRF-Token": csrf}
    )
    assert unknown.status_code == 422
