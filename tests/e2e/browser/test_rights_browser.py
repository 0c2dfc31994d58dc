"""Issue 7's acceptance test in a real browser, against a real server process: a bank customer files an
access request in the privacy centre, a DPO executes it in the console, the customer downloads the
package and it holds their data.

The server is `uvicorn tillit.asgi:app` in a subprocess over a SQLite file loaded with
`tillit demo --no-serve`, the DPO created with `tillit staff add` (`demo_server` in conftest.py); nothing
here chats, so the server does not train the chatbot.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.browser.conftest import DemoServer, DemoSpec, serving

DPO_USER = "dpo.dagny"
DPO_PASSWORD = "correct-horse-battery-staple-77"

pytestmark = [
    pytest.mark.browser,
    serving(DemoSpec("bank", DPO_USER, "dpo", "Dagny DPO", DPO_PASSWORD, chatbot_warmup=False)),
]


def test_customer_files_access_dpo_executes_customer_downloads(
    browser: Browser, demo_server: DemoServer, artifacts: Path, tmp_path: Path
) -> None:
    customer = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    dpo = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = customer.new_page()
        page.goto(f"{demo_server.url}/privacy-centre?lang=en")
        first = page.locator("button[name=subject_id]").first
        subject_id = first.get_attribute("value")
        name = first.inner_text().split("(")[0].strip()
        first.click()
        page.wait_for_url("**/privacy-centre?lang=en")
        page.locator("#rights-link").click()
        page.wait_for_url("**/privacy-centre/rights?lang=en")
        page.select_option("#request-type", "access")
        page.locator("#file-request").click()
        expect(page.locator("#rights-filed")).to_be_visible()
        row = page.locator("#my-requests tbody tr").first
        expect(row).to_have_attribute("data-status", "received")
        request_id = (row.get_attribute("id") or "").removeprefix("request-")
        page.screenshot(path=str(artifacts / "rights-customer-filed.png"), full_page=True)

        console = dpo.new_page()
        console.goto(f"{demo_server.url}/console/rights?lang=en")
        console.fill("#username", DPO_USER)
        console.fill("#password", DPO_PASSWORD)
        console.locator("#password").press("Enter")
        console.wait_for_url("**/console/rights**")
        expect(console.locator(f"#rights-{request_id}")).to_be_visible()
        console.locator(f"#rights-{request_id} a").click()
        expect(console.locator("#preview")).to_be_visible()
        console.screenshot(path=str(artifacts / "rights-dpo-preview.png"), full_page=True)
        console.locator("#execute").click()
        expect(console.locator("#request-status")).to_have_attribute("data-status", "completed")
        expect(console.locator("#evidence")).to_be_visible()
        console.screenshot(path=str(artifacts / "rights-dpo-executed.png"), full_page=True)

        page.reload()
        link = page.locator(f"#package-{request_id}")
        expect(link).to_be_visible()
        with page.expect_download() as download_info:
            link.click()
        target = tmp_path / "package.zip"
        download_info.value.save_as(target)
        page.screenshot(path=str(artifacts / "rights-customer-download.png"), full_page=True)
    finally:
        customer.close()
        dpo.close()

    with zipfile.ZipFile(target) as archive:
        assert {"data.json", "index.html"} <= set(archive.namelist())
        document = json.loads(archive.read("data.json"))
        html = archive.read("index.html").decode("utf-8")
    assert document["subject_id"] == subject_id
    rows = [row for record in document["records"] for row in record["rows"]]
    assert rows, "the package holds no records"
    assert name in json.dumps(document, ensure_ascii=False)
    assert any(record["source"] == "dataset" and record["rows"] for record in document["records"])
    assert name in html
