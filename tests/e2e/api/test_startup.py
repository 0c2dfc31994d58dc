"""App start-up: the chatbot is trained in the background (so the first customer does not wait for it)
unless `chatbot_warmup` is off, as the test settings have it. `/api/health` (liveness) answers 200
throughout and says how far the training is; `/api/health/ready` answers 503 until it is done.

The warming state is held, not timed: `chatbot_service.warm_up` is replaced by one that waits for the test
to release it."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tillit.chatbot import service as chatbot_service
from tillit.main import ChatbotWarmUp, create_app
from tillit.policy.schema import Policy


def test_start_up_trains_the_chatbot_in_the_background_and_serves_meanwhile(sqlite_url: str) -> None:
    app = create_app(make_settings(sqlite_url, pack="parcel", chatbot_warmup=True))
    try:
        with TestClient(app) as client:
            warm_up = app.state.chatbot_warmup
            assert warm_up.name == "chatbot-warm-up" and warm_up.daemon
            assert client.get("/api/health").json()["status"] == "ok"  # not blocked by the training
            warm_up.join(timeout=120)
            assert not warm_up.is_alive()
            assert client.get("/api/health").json()["chatbot"] == "ready"
            assert client.get("/api/health/ready").status_code == 200
            # What start-up built is out of the garbage collector's full collections (their pauses).
            assert gc.get_freeze_count() > 0
            started = time.perf_counter()
            policy = app.state.context.policy
            chatbot_service.warm_up(policy)  # already trained: returns the shared bot at once
            assert time.perf_counter() - started < 0.5
    finally:
        app.state.context.close()


def test_warm_up_can_be_switched_off(sqlite_url: str) -> None:
    app = create_app(make_settings(sqlite_url, pack="parcel"))
    try:
        with TestClient(app) as client:
            assert client.get("/api/health").status_code == 200
            assert not hasattr(app.state, "chatbot_warmup")
            assert client.get("/api/health").json()["chatbot"] == "off"
            ready = client.get("/api/health/ready")  # nothing to wait for: the first turn trains
            assert ready.status_code == 200 and ready.json()["chatbot"] == "off"
    finally:
        app.state.context.close()


@pytest.fixture
def held_warm_up(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, list[str]]]:
    """Replace the training by one that waits for `release.set()` and records the pack it was given."""
    release = threading.Event()
    trained: list[str] = []

    def warm_up(policy: Policy, **_: object) -> None:
        if not release.wait(timeout=120):
            raise RuntimeError("the test never released the warm-up")
        trained.append(policy.pack)

    monkeypatch.setattr(chatbot_service, "warm_up", warm_up)
    yield release, trained
    release.set()  # never leave the thread waiting, whatever the test did


def test_ready_is_503_while_the_chatbot_trains_and_200_once_it_has(
    sqlite_url: str, held_warm_up: tuple[threading.Event, list[str]]
) -> None:
    release, trained = held_warm_up
    app = create_app(make_settings(sqlite_url, pack="parcel", chatbot_warmup=True))
    try:
        with TestClient(app) as client:
            health = client.get("/api/health")
            assert health.status_code == 200  # liveness: the process serves while it trains
            assert health.json()["status"] == "ok" and health.json()["chatbot"] == "warming"
            ready = client.get("/api/health/ready")
            assert ready.status_code == 503
            assert ready.headers["retry-after"] == "1"
            assert ready.json() == health.json()
            assert trained == []

            release.set()
            app.state.chatbot_warmup.join(timeout=120)
            assert trained == ["parcel"]
            assert client.get("/api/health").json()["chatbot"] == "ready"
            ready = client.get("/api/health/ready")
            assert ready.status_code == 200
            policy = app.state.context.policy
            assert ready.json() == {
                "status": "ok",
                "pack": "parcel",
                "policy_version": policy.version,
                "chatbot": "ready",
            }
    finally:
        app.state.context.close()


def test_a_failed_warm_up_is_reported_and_does_not_hold_readiness(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_warm_up(policy: Policy, **_: object) -> None:
        raise ValueError("knowledge base unreadable")

    monkeypatch.setattr(chatbot_service, "warm_up", broken_warm_up)
    app = create_app(make_settings(sqlite_url, pack="parcel", chatbot_warmup=True))
    try:
        with caplog.at_level(logging.ERROR, logger="tillit"), TestClient(app) as client:
            app.state.chatbot_warmup.join(timeout=120)
            assert client.get("/api/health").json()["chatbot"] == "failed"
            ready = client.get("/api/health/ready")  # the first turn trains instead, as without warm-up
            assert ready.status_code == 200 and ready.json()["chatbot"] == "failed"
        assert any(
            record.getMessage() == "chatbot warm-up failed" and record.exc_info for record in caplog.records
        )
    finally:
        app.state.context.close()


def test_a_warm_up_not_yet_started_counts_as_warming(sqlite_url: str) -> None:
    app = create_app(make_settings(sqlite_url, pack="parcel"))
    try:
        assert ChatbotWarmUp(app.state.context).state == "warming"
    finally:
        app.state.context.close()
