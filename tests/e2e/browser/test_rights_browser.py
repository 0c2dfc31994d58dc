"""Issue 7's acceptance test in a real browser, against a real server process: a bank customer files an
access request in the privacy centre, a DPO executes it in the console, the customer downloads the
package and it holds their data.

The server is `uvicorn tillit.asgi:app` in a subprocess over a SQLite file loaded with
`tillit demo --no-serve`, the DPO created with `tillit staff add`, as in the parcel chat test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.browser.conftest import REPO, _free_port

pytestmark = pytest.mark.browser

DPO_USER = "dpo.dagny"
DPO_PASSWORD = "correct-horse-battery-staple-77"
SECRET = "browser-test-secret-key-rights-0123456789"


def _tillit(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tillit.cli", *args], env=env, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, f"tillit {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("rights-browser")
    env = {
        **os.environ,
        "TILLIT_DATABASE_URL": f"sqlite:///{directory / 'tillit.sqlite3'}",
        "TILLIT_DEMO_MODE": "true",
        "TILLIT_PACK": "bank",
        "TILLIT_SECRET_KEY": SECRET,
        "TILLIT_VAR_DIR": str(directory),
        "TILLIT_STAFF_PASSWORD": DPO_PASSWORD,
        "TILLIT_CHATBOT_WARMUP": "false",
    }
    env.pop("TILLIT_LLM_URL", None)
    _tillit(["demo", "--pack", "bank", "--no-serve"], env)
    _tillit(["staff", "add", DPO_USER, "--role", "dpo", "--name", "Dagny DPO"], env)
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


@pytest.fixture
def artifacts() -> Path:
    directory = REPO / "test-artifacts"
    directory.mkdir(exist_ok=True)
    return directory


def test_customer_files_access_dpo_executes_customer_downloads(
    browser: Browser, server: str, artifacts: Path, tmp_path: Path
) -> None:
    customer = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    dpo = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = customer.new_page()
        page.goto(f"{server}/privacy-centre?lang=en")
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
        console.goto(f"{server}/console/rights?lang=en")
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
