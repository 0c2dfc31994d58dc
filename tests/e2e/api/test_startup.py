"""App start-up: the chatbot is trained in the background (so the first customer does not wait for it)
unless `chatbot_warmup` is off, as the test settings have it."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tillit.chatbot import service as chatbot_service
from tillit.main import create_app


def test_start_up_trains_the_chatbot_in_the_background_and_serves_meanwhile(sqlite_url: str) -> None:
    app = create_app(make_settings(sqlite_url, pack="parcel", chatbot_warmup=True))
    try:
        with TestClient(app) as client:
            warm_up = app.state.chatbot_warmup
            assert warm_up.name == "chatbot-warm-up" and warm_up.daemon
            assert client.get("/api/health").json()["status"] == "ok"  # not blocked by the training
            warm_up.join(timeout=120)
            assert not warm_up.is_alive()
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
    finally:
        app.state.context.close()
