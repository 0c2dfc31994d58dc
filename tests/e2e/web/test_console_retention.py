"""/console/retention: the DPO sees proofs, legal holds and the forecast chart, and places and releases
legal holds through forms with CSRF; other roles are refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import text

from tests.e2e.web.console_helpers import add_staff, console_app, login, runtime_of
from tests.integration.retention.sweep_helpers import chat, sweep
from tillit.core.clock import FixedClock

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_dpo_sees_forecast_proofs_and_manages_legal_holds(database_url: str) -> None:
    clock = FixedClock(T0)
    with console_app(database_url, clock) as client:
        runtime = runtime_of(client)
        chat(runtime, T0 - relativedelta(years=2))
        sweep(runtime, T0)
        chat(runtime, T0 - relativedelta(months=11))  # goes in about a month: in the forecast
        add_staff(client, "dora", "dpo")
        add_staff(client, "arne", "advisor")

        login(client, "arne")
        assert client.get("/console/retention").status_code == 403

        csrf = login(client, "dora")
        page = client.get("/console/retention")
        assert page.status_code == 200
        assert "<svg" in page.text and "<rect" in page.text
        assert "chatbot_improvement" in page.text  # the proof and the forecast name the purpose
        assert "cdn" not in page.text.lower()

        refused = client.post(
            "/console/retention/legal-holds",
            data={"subject_id": "s-1", "reason": "case", "authority": "court"},
            follow_redirects=False,
        )
        assert refused.status_code == 403
        placed = client.post(
            "/console/retention/legal-holds",
            data={
                "subject_id": "s-1",
                "reason": "case 7/2026",
                "authority": "Oslo tingrett",
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
        assert placed.status_code == 303
        page = client.get("/console/retention")
        assert "Oslo tingrett" in page.text
        match = re.search(r"/console/retention/legal-holds/([0-9a-f-]{36})/release", page.text)
        assert match is not None
        released = client.post(
            match.group(0), data={"reason": "case closed", "csrf_token": csrf}, follow_redirects=False
        )
        assert released.status_code == 303
        invalid = client.post(
            "/console/retention/legal-holds",
            data={"reason": "no target", "authority": "court", "csrf_token": csrf},
        )
        assert invalid.status_code == 422
        with runtime.engine.connect() as conn:
            actions = [r[0] for r in conn.execute(text("select action from audit_event"))]
        assert "retention.legal_hold_placed" in actions and "retention.legal_hold_released" in actions
