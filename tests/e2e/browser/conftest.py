"""Browser tests: Debian's Chromium driven by the Python `playwright` package, against a real server.

Reuse from any browser test:
- `browser`: a session-wide Chromium (`executable_path=shutil.which("chromium")`, never `playwright
  install`, which downloads and fails offline). Missing Chromium skips locally and fails under `CI=true`.
- `live_server`: tillit served by uvicorn in a thread on a free port, over a freshly migrated SQLite file,
  with the bank pack (or the minimal test policy until the bank pack exists); yields the base URL.
- `serve(settings)`: the same as a context manager, for a test that needs other settings.
- `artifacts`: `test-artifacts/` at the repository root (gitignored), for screenshots.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import make_settings
from tillit.config import Settings
from tillit.db import migrate
from tillit.policy.loader import available_packs

if TYPE_CHECKING:
    from playwright.sync_api import Browser

REPO = Path(__file__).resolve().parents[3]
MINIMAL = REPO / "tests" / "fixtures" / "policies" / "minimal.yaml"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    """Debian's Chromium, or skip (locally) / fail (under CI) with what to install."""
    path = shutil.which("chromium")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium)"
        if IN_CI:
            pytest.fail(f"{message}; under CI the browser tests must run", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """Run tillit with `settings` in a uvicorn thread; yield its base URL; stop it afterwards."""
    import uvicorn

    from tillit.main import create_app

    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the test server on port {port} did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        app.state.context.close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'tillit.sqlite3'}"
    migrate.upgrade(url)
    has_bank = "bank" in available_packs()
    settings = make_settings(url) if has_bank else make_settings(url, policy_path=MINIMAL)
    with serve(settings) as base_url:
        yield base_url


@pytest.fixture
def artifacts() -> Path:
    directory = REPO / "test-artifacts"
    directory.mkdir(exist_ok=True)
    return directory
