"""Browser tests: Debian's Chromium driven by the Python `playwright` package, against a real server.

Reuse from any browser test:
- `browser`: a session-wide Chromium (`executable_path=shutil.which("chromium")`, never `playwright
  install`, which downloads and fails offline). Missing Chromium skips locally and fails under `CI=true`.
- `live_server`: tillit served by uvicorn in a thread on a free port, over a freshly migrated SQLite file,
  with the bank pack (or the minimal test policy until the bank pack exists); yields the base URL.
- `serve(settings)`: the same as a context manager, for a test that needs other settings.
- `demo_server`: a real server process (`uvicorn tillit.asgi:app`) over a SQLite file loaded with
  `tillit demo --no-serve` and one staff member added with `tillit staff add`, so nothing is shared with
  the test but the database; module-scoped. A module chooses pack and staff member with
  `pytestmark = [..., serving(DemoSpec(...))]` and gets a `DemoServer` (url, database, log). It yields
  only once `/api/health/ready` answers 200, i.e. the chatbot's start-up training is done, so that a
  test's first chat turn never waits for it (under `pytest -n 2` on a loaded machine it takes long).
- `artifacts`: `test-artifacts/` at the repository root (gitignored), for screenshots.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
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
DEMO_SECRET = "browser-test-secret-key-0123456789abcdef"
READY_DEADLINE_S = 120.0
"""How long `demo_server` waits for the server to answer and its chatbot to be trained."""
CLI_TIMEOUT_S = 240
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


@dataclass(frozen=True)
class DemoSpec:
    """What `demo_server` serves: a demo pack and the one staff member the test logs in as."""

    pack: str
    staff_user: str
    staff_role: str
    staff_name: str
    staff_password: str
    chatbot_warmup: bool = True
    """Off for a module that never chats: the server does not train (and `chatbot` is then `off`)."""

    @property
    def id(self) -> str:
        return f"{self.pack}-{self.staff_role}"


@dataclass(frozen=True)
class DemoServer:
    url: str
    database: Path
    log: Path


def serving(spec: DemoSpec) -> pytest.MarkDecorator:
    """The mark that gives a module (or a test) `demo_server` for `spec`."""
    return pytest.mark.parametrize("demo_server", [spec], indirect=True, ids=[spec.id])


def run_tillit(args: list[str], env: dict[str, str]) -> None:
    """`tillit <args>` in a subprocess; fails the test with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "tillit.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )
    assert result.returncode == 0, f"tillit {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def demo_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoServer]:
    spec = getattr(request, "param", None)
    if not isinstance(spec, DemoSpec):
        pytest.fail(
            "demo_server needs a DemoSpec: mark the module with serving(DemoSpec(...))", pytrace=False
        )
    directory = tmp_path_factory.mktemp(f"demo-{spec.id}")
    database = directory / "tillit.sqlite3"
    env = {
        **os.environ,
        "TILLIT_DATABASE_URL": f"sqlite:///{database}",
        "TILLIT_DEMO_MODE": "true",
        "TILLIT_PACK": spec.pack,
        "TILLIT_SECRET_KEY": DEMO_SECRET,
        "TILLIT_VAR_DIR": str(directory),
        "TILLIT_STAFF_PASSWORD": spec.staff_password,
        "TILLIT_CHATBOT_WARMUP": "true" if spec.chatbot_warmup else "false",
    }
    env.pop("TILLIT_LLM_URL", None)
    run_tillit(["demo", "--pack", spec.pack, "--no-serve"], env)
    run_tillit(["staff", "add", spec.staff_user, "--role", spec.staff_role, "--name", spec.staff_name], env)
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
            _wait_until_ready(process, url, log, spec)
            yield DemoServer(url=url, database=database, log=log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log: Path, spec: DemoSpec) -> None:
    """Poll `/api/health/ready` until it answers 200 for `spec`'s pack and chatbot; fail with the server's
    output if the process exits first or the deadline passes. Between polls it waits for the process to
    exit, so a crash is reported at once."""
    expected = "ready" if spec.chatbot_warmup else "off"
    deadline = time.monotonic() + READY_DEADLINE_S
    last = "no answer yet"
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/health/ready", timeout=5) as response:
                body = json.load(response)
            if body.get("pack") != spec.pack or body.get("chatbot") != expected:
                pytest.fail(
                    f"the {spec.id} server is ready but not as expected (pack {spec.pack!r}, "
                    f"chatbot {expected!r}): {body}{_tail(log)}",
                    pytrace=False,
                )
            return
        except urllib.error.HTTPError as exc:  # 503 while the chatbot trains
            with exc:
                last = f"HTTP {exc.code} {exc.read().decode(errors='replace')}"
        except OSError as exc:  # not listening yet
            last = f"{type(exc).__name__}: {exc}"
        if process.poll() is not None:
            pytest.fail(
                f"the {spec.id} server exited with {process.returncode} before it was ready "
                f"(last answer: {last}){_tail(log)}",
                pytrace=False,
            )
        if time.monotonic() > deadline:
            pytest.fail(
                f"the {spec.id} server was not ready (live, chatbot trained) within {READY_DEADLINE_S:.0f} s "
                f"(last answer: {last}){_tail(log)}",
                pytrace=False,
            )
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.2)


def _tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(errors="replace").splitlines() if log.exists() else []
    return f"\n--- last {min(lines, len(text))} lines of {log} (server stdout and stderr) ---\n" + "\n".join(
        text[-lines:]
    )


@pytest.fixture
def artifacts() -> Path:
    directory = REPO / "test-artifacts"
    directory.mkdir(exist_ok=True)
    return directory
