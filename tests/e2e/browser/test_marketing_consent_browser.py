"""A bank customer withdraws personalised-marketing consent and reserves against SMS in the privacy
centre; a marketing staff member's dry runs in the console then exclude them with the right reason.

Real processes: the database is loaded with `tillit demo --no-serve`, the staff member is added with
`tillit staff add`, and the server runs as `uvicorn tillit.asgi:app`, so nothing is shared with the test
but the SQLite file. Screenshots go to `test-artifacts/`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

STAFF_USER = "marketing.maria"
STAFF_PASSWORD = "correct-horse-battery-staple-42"
SECRET = "browser-test-secret-key-0123456789abcdef"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tillit(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tillit.cli", *args], env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, f"tillit {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("marketing-consent")
    env = {
        **os.environ,
        "TILLIT_DATABASE_URL": f"sqlite:///{directory / 'tillit.sqlite3'}",
        "TILLIT_DEMO_MODE": "true",
        "TILLIT_PACK": "bank",
        "TILLIT_SECRET_KEY": SECRET,
        "TILLIT_VAR_DIR": str(directory),
        "TILLIT_STAFF_PASSWORD": STAFF_PASSWORD,
    }
    env.pop("TILLIT_LLM_URL", None)
    _tillit(["demo", "--pack", "bank", "--no-serve"], env)
    _tillit(["staff", "add", STAFF_USER, "--role", "marketing", "--name", "Maria Marketing"], env)
    port = _free_port()
    log = directory / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "tillit.asgi:app", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=directory,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not start:\n{log.read_text()}")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


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
    browser: Browser, server: str, artifacts: Path
) -> None:
    customer = browser.new_context(viewport={"width": 1100, "height": 900})
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = customer.new_page()
        page.goto(f"{server}/login?lang=en&next=/privacy-centre%3Flang%3Den")
        first = page.locator('button[name="subject_id"]').first
        subject_id = first.get_attribute("value")
        assert subject_id
        first.click()
        page.goto(f"{server}/privacy-centre?lang=en")

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
        console.goto(f"{server}/console/login?lang=en")
        console.locator("#username").fill(STAFF_USER)
        console.locator("#password").fill(STAFF_PASSWORD)
        console.get_by_role("button", name="Log in").click()
        console.wait_for_url("**/console**")

        _dry_run(console, server, "Mortgage advice in the online bank", "personalised_marketing:online_bank")
        row = console.locator(f'#sample tr[data-subject-id="{subject_id}"]')
        expect(row).to_have_attribute("data-reason", "withdrawn")
        expect(row).to_contain_text("consent withdrawn")
        expect(console.locator("#reason-withdrawn")).to_have_attribute("data-count", "1")
        console.screenshot(path=str(artifacts / "marketing-dry-run-personalised.png"), full_page=True)

        _dry_run(console, server, "Savings tips by SMS", "simple_marketing:sms")
        row = console.locator(f'#sample tr[data-subject-id="{subject_id}"]')
        expect(row).to_have_attribute("data-reason", "opted_out")
        expect(row).to_contain_text("reserved against this channel")
        expect(console.locator("#reason-opted_out")).to_have_attribute("data-count", "1")
        console.screenshot(path=str(artifacts / "marketing-dry-run-sms.png"), full_page=True)

        _dry_run(console, server, "Savings tips by e-mail", "simple_marketing:email")
        expect(console.locator(f'#sample tr[data-subject-id="{subject_id}"]')).to_have_count(0)
        expect(console.locator("#reason-opted_out")).to_have_count(0)  # the SMS reservation is SMS only
    finally:
        customer.close()
        staff.close()
