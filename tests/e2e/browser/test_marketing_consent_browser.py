"""A bank customer withdraws personalised-marketing consent and reserves against SMS in the privacy
centre; a marketing staff member's dry runs in the console then exclude them with the right reason.

Real processes: the database is loaded with `tillit demo --no-serve`, the staff member is added with
`tillit staff add`, and the server runs as `uvicorn tillit.asgi:app`, so nothing is shared with the test
but the SQLite file (`demo_server` in conftest.py). Screenshots go to `test-artifacts/`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.conftest import DemoServer, DemoSpec, serving

STAFF_USER = "marketing.maria"
STAFF_PASSWORD = "correct-horse-battery-staple-42"

pytestmark = [
    pytest.mark.browser,
    serving(DemoSpec("bank", STAFF_USER, "marketing", "Maria Marketing", STAFF_PASSWORD)),
]


def _dry_run(page: Page, base: str, name: str, purpose_channel: str) -> None:
    """Create a campaign in the console and run its dry run; the page then shows the result."""
    page.goto(f"{base}/console/marketing?lang=en")
    form = page.locator("#new-campaign")
    form.locator('input[name="name"]').fill(name)
    form.locator('select[name="purpose_channel"]').select_option(purpose_channel)
    form.locator('textarea[name="body"]').fill("Hei! Et tilbud til deg.")
    form.get_by_role("button", name="Create campaign").click()
    expect(page.locator("#campaign-h")).to_have_text(name)
    page.locator("#dry-run").click()
    expect(page.locator("#dry-run-result")).to_be_visible()


def test_withdrawal_and_sms_reservation_exclude_the_customer_from_dry_runs(
    browser: Browser, demo_server: DemoServer, artifacts: Path
) -> None:
    customer = browser.new_context(viewport={"width": 1100, "height": 900})
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = customer.new_page()
        page.goto(f"{demo_server.url}/login?lang=en&next=/privacy-centre%3Flang%3Den")
        first = page.locator('button[name="subject_id"]').first
        subject_id = first.get_attribute("value")
        assert subject_id
        first.click()
        page.goto(f"{demo_server.url}/privacy-centre?lang=en")

        consent = page.locator("#consent-personalised_marketing")
        page.locator("#grant-personalised_marketing").click()
        expect(page.locator("#saved")).to_be_visible()
        expect(consent).to_have_attribute("data-state", "granted")
        page.locator("#withdraw-personalised_marketing").click()
        expect(page.locator("#consent-personalised_marketing")).to_have_attribute("data-state", "withdrawn")
        page.locator("#opt_out-simple_marketing-sms").click()
        expect(page.locator("#reservation-simple_marketing-sms")).to_have_attribute("data-state", "opted_out")
        page.screenshot(path=str(artifacts / "marketing-privacy-centre.png"), full_page=True)

        console = staff.new_page()
        console.goto(f"{demo_server.url}/console/login?lang=en")
        console.locator("#username").fill(STAFF_USER)
        console.locator("#password").fill(STAFF_PASSWORD)
        console.get_by_role("button", name="Log in").click()
        console.wait_for_url("**/console**")

        _dry_run(
            console,
            demo_server.url,
            "Mortgage advice in the online bank",
            "personalised_marketing:online_bank",
        )
        row = console.locator(f'#sample tr[data-subject-id="{subject_id}"]')
        expect(row).to_have_attribute("data-reason", "withdrawn")
        expect(row).to_contain_text("consent withdrawn")
        expect(console.locator("#reason-withdrawn")).to_have_attribute("data-count", "1")
        console.screenshot(path=str(artifacts / "marketing-dry-run-personalised.png"), full_page=True)

        _dry_run(console, demo_server.url, "Savings tips by SMS", "simple_marketing:sms")
        row = console.locator(f'#sample tr[data-subject-id="{subject_id}"]')
        expect(row).to_have_attribute("data-reason", "opted_out")
        expect(row).to_contain_text("reserved against this channel")
        expect(console.locator("#reason-opted_out")).to_have_attribute("data-count", "1")
        console.screenshot(path=str(artifacts / "marketing-dry-run-sms.png"), full_page=True)

        _dry_run(console, demo_server.url, "Savings tips by e-mail", "simple_marketing:email")
        expect(console.locator(f'#sample tr[data-subject-id="{subject_id}"]')).to_have_count(0)
        expect(console.locator("#reason-opted_out")).to_have_count(0)  # the SMS reservation is SMS only
    finally:
        customer.close()
        staff.close()
