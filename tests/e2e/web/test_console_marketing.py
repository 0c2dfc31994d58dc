"""/console/marketing and /api/v1/marketing: a marketing staff member creates a campaign, dry-runs it
(counts and reasons), sends it; other roles and requests without CSRF are refused."""

from __future__ import annotations

import re

from tests.e2e.web.console_helpers import add_staff, console_app, login, runtime_of
from tests.integration.marketing.helpers import customer, record
from tillit.core.clock import FixedClock


def test_marketing_staff_create_dry_run_and_send_in_the_console(database_url: str, clock: FixedClock) -> None:
    with console_app(database_url, clock) as client:
        runtime = runtime_of(client)
        granted, reserved = customer(runtime), customer(runtime)
        record(runtime, granted, "simple_marketing", "opt_in", "sms")
        record(runtime, reserved, "simple_marketing", "opt_out", "sms")
        add_staff(client, "maria", "marketing")
        add_staff(client, "arne", "advisor")

        login(client, "arne")
        assert client.get("/console/marketing").status_code == 403
        assert client.get("/api/v1/marketing/campaigns").status_code == 403

        csrf = login(client, "maria")
        page = client.get("/console/marketing?lang=en")
        assert page.status_code == 200 and 'id="new-campaign"' in page.text
        created = client.post(
            "/console/marketing/campaigns",
            data={
                "name": "Spring tips",
                "purpose_channel": "simple_marketing:sms",
                "body": "Tips om sparing",
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
        assert created.status_code == 303, created.text
        campaign_id = created.headers["location"].split("/")[-1].split("?")[0]

        result = client.post(f"/console/marketing/{campaign_id}/dry-run", data={"csrf_token": csrf})
        assert result.status_code == 200
        assert re.search(r'id="reason-opted_out" data-count="1"', result.text)
        assert re.search(r'id="reason-legitimate_interest" data-count="1"', result.text)
        assert f'data-subject-id="{reserved}" data-reason="opted_out"' in result.text
        assert "reserved against this channel" in result.text

        assert client.post(f"/console/marketing/{campaign_id}/send", data={}).status_code == 403  # no CSRF
        sent = client.post(
            f"/console/marketing/{campaign_id}/send", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert sent.status_code == 303
        detail = client.get(f"/api/v1/marketing/campaigns/{campaign_id}")
        assert detail.json()["status"] == "sent" and detail.json()["outbox"] == {"pending": 1}


def test_the_json_api_creates_and_dry_runs_with_the_csrf_header(database_url: str, clock: FixedClock) -> None:
    with console_app(database_url, clock) as client:
        runtime = runtime_of(client)
        withdrawn = customer(runtime)
        record(runtime, withdrawn, "personalised_marketing", "grant")
        record(runtime, withdrawn, "personalised_marketing", "withdraw")
        add_staff(client, "maria", "marketing")
        csrf = login(client, "maria")
        body = {
            "name": "Mortgage advice",
            "purpose": "personalised_marketing",
            "channel": "online_bank",
            "content": {"nb": {"subject": "Boliglån", "body": "Hei"}},
        }
        assert client.post("/api/v1/marketing/campaigns", json=body).status_code == 403
        created = client.post("/api/v1/marketing/campaigns", json=body, headers={"X-CSRF-Token": csrf})
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]
        bad = client.post(
            "/api/v1/marketing/campaigns", json={**body, "channel": "email"}, headers={"X-CSRF-Token": csrf}
        )
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_failed"
        dry = client.post(
            f"/api/v1/marketing/campaigns/{campaign_id}/dry-run", headers={"X-CSRF-Token": csrf}
        )
        assert dry.status_code == 200
        assert dry.json()["excluded"] == {"withdrawn": 1} and dry.json()["included"] == 0
        listed = client.get("/api/v1/marketing/campaigns").json()
        assert [c["id"] for c in listed] == [campaign_id]
