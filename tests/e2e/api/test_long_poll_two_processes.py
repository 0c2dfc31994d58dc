"""Long polling works across server processes: two real `tillit serve` processes on one PostgreSQL
database; the customer waits on one, the advisor replies through the other, and the waiting request
returns with the reply. Nothing is shared between the processes but the database, which is the point:
receiving re-reads the database instead of relying on in-process notifications.

Needs PostgreSQL (skipped locally when unreachable, a failure under CI).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET, create_pg_database, drop_pg_database, make_settings, require_postgres
from tillit.auth import service as auth_service
from tillit.auth.schemas import StaffCreate
from tillit.core.clock import SystemClock
from tillit.db import migrate
from tillit.runtime import Runtime

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery staple"
TOKEN = "X-Conversation-Token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    """One `tillit serve` process (one uvicorn worker) on a free port; returns it and its base URL."""
    port = _free_port()
    env = dict(os.environ)
    env.update(
        TILLIT_DATABASE_URL=database_url,
        TILLIT_PACK="parcel",
        TILLIT_DEMO_MODE="true",
        TILLIT_SECRET_KEY=TEST_SECRET,
        TILLIT_CHATBOT_WARMUP="false",
        TILLIT_LOG_LEVEL="WARNING",
    )
    tillit = Path(sys.executable).with_name("tillit")
    command = [str(tillit), "serve", "--host", "127.0.0.1", "--port", str(port), "--sweep-every", "0"]
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"tillit serve exited with {process.returncode}"
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise AssertionError("tillit serve did not answer within 60 s")


@pytest.fixture
def two_servers() -> Iterator[tuple[str, str, str]]:
    """(database URL, base URL of process A, base URL of process B), on a database of this test's own."""
    require_postgres()
    url = create_pg_database("tillit_longpoll")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        migrate.upgrade(url)
        first, base_a = _serve(url)
        processes.append(first)
        second, base_b = _serve(url)
        processes.append(second)
        yield url, base_a, base_b
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        drop_pg_database(url)


def _add_advisor(database_url: str) -> None:
    runtime = Runtime(settings=make_settings(database_url, pack="parcel"), clock=SystemClock())
    try:
        with runtime.uow.begin() as session:
            auth_service.add_staff(
                session,
                StaffCreate(username="anna", display_name="Anna", password=PASSWORD, roles=["advisor"]),
                runtime.clock,
            )
    finally:
        runtime.close()


def _advisor_session(base: str) -> tuple[httpx.Client, str]:
    """Log in through the console's form on `base`; the client carries the session, plus its CSRF token."""
    client = httpx.Client(base_url=base, timeout=30)
    form = client.get("/console/login")
    field = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
    assert field is not None
    response = client.post(
        "/console/login", data={"username": "anna", "password": PASSWORD, "csrf_token": field.group(1)}
    )
    assert response.status_code in (200, 303), response.text
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/console").text)
    assert meta is not None
    return client, meta.group(1)


def test_a_long_poll_on_one_process_receives_a_reply_posted_through_the_other(
    two_servers: tuple[str, str, str],
) -> None:
    database_url, base_a, base_b = two_servers
    _add_advisor(database_url)
    customer = httpx.Client(base_url=base_a, timeout=60)
    started = customer.post("/api/v1/chat", json={"language": "sv"})
    assert started.status_code == 201, started.text
    conversation_id, token = started.json()["id"], started.json()["access_token"]
    headers = {TOKEN: token}
    assert customer.post(f"/api/v1/chat/{conversation_id}/handoff", headers=headers).status_code == 200

    advisor, csrf = _advisor_session(base_b)
    taken = advisor.post(
        f"/api/v1/console/conversations/{conversation_id}/take", headers={"X-CSRF-Token": csrf}
    )
    assert taken.status_code == 200, taken.text
    state = customer.get(f"/api/v1/chat/{conversation_id}", headers=headers).json()
    assert state["status"] == "with_advisor"

    def wait_on_a() -> tuple[float, httpx.Response]:
        began = time.monotonic()
        response = customer.get(
            f"/api/v1/chat/{conversation_id}/messages",
            params={"after": state["last_seq"], "wait": 20, "status": "with_advisor"},
            headers=headers,
        )
        return time.monotonic() - began, response

    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(wait_on_a)
        time.sleep(1.5)
        assert not waiting.done(), "the poll must wait while there is nothing new"
        replied = advisor.post(
            f"/api/v1/console/conversations/{conversation_id}/messages",
            json={"text": "Hej! Jag heter Anna och hjälper dig gärna."},
            headers={"X-CSRF-Token": csrf},
        )
        assert replied.status_code == 201, replied.text
        waited, response = waiting.result(timeout=30)

    assert response.status_code == 200, response.text
    messages = response.json()["messages"]
    assert [(m["author"], m["text"]) for m in messages] == [
        ("advisor", "Hej! Jag heter Anna och hjälper dig gärna.")
    ]
    assert 1.5 <= waited < 10, f"returned after {waited:.2f} s: on the reply, not at the deadline"
    customer.close()
    advisor.close()
