"""Generated answers against a real local HTTP server that speaks the OpenAI chat-completions protocol
and records what it was sent: the prompt is grounded in the knowledge base and carries no personal data
from the customer's message; timeouts and errors fall back to the knowledge-base answer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.fake_ids import fodselsnummer_for
from tillit.chatbot import kb, service
from tillit.chatbot.llm import HttpLlmClient, client_from_settings
from tillit.chatbot.schemas import BotContext
from tillit.policy.loader import load_pack

SMALL = Path(__file__).resolve().parents[2] / "fixtures" / "chatbot" / "kb_small"
GENERATED = "A parcel up to 5 kg costs 99 kr. (generated)"


class FakeLlm(ThreadingHTTPServer):
    """`POST /v1/chat/completions` on 127.0.0.1 with a free port; `mode` is ok, slow or error."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.mode = "ok"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeLlm

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "body": body})
        if self.server.mode == "slow":
            time.sleep(1.5)
        if self.server.mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": GENERATED}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_llm() -> Iterator[FakeLlm]:
    server = FakeLlm()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


POLICY = load_pack("bank").policy
PARCEL = load_pack("parcel").policy


def test_the_prompt_is_grounded_in_the_kb_and_carries_no_personal_data(fake_llm: FakeLlm) -> None:
    national_id = fodselsnummer_for(date(1985, 4, 12))
    question = (
        f"Hi, I am Kari Nordmann ({national_id}), kari.nordmann@example.com, +47 912 34 567. "
        "How much does it cost to send a parcel to Sweden?"
    )
    client = HttpLlmClient(fake_llm.url, "fake-model", timeout_s=2)
    reply = service.answer(
        PARCEL, "parcel", question, BotContext(language="en"), llm=client, kb_dir=SMALL / "parcel"
    )
    assert reply.topic == "send_price"
    assert reply.generated and reply.text == GENERATED and reply.disclaimer

    assert len(fake_llm.requests) == 1
    request = fake_llm.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["body"]["model"] == "fake-model"
    prompt = json.dumps(request["body"]["messages"], ensure_ascii=False)
    for personal in ("kari.nordmann@example.com", "912 34 567", national_id, "Nordmann"):
        assert personal not in prompt
    assert "[EMAIL]" in prompt and "[PHONE]" in prompt
    kb_answer = kb.load_file(SMALL / "parcel" / "en.yaml").topic("send_price").answer  # type: ignore[union-attr]
    assert kb_answer in request["body"]["messages"][0]["content"]


def test_the_bank_disclaimer_comes_from_the_policy(fake_llm: FakeLlm) -> None:
    client = HttpLlmClient(fake_llm.url + "/v1", "fake-model", timeout_s=2)
    reply = service.answer(
        POLICY,
        "bank",
        "what are the mortgage rates",
        BotContext(language="en"),
        llm=client,
        kb_dir=SMALL / "bank",
    )
    assert reply.generated and reply.disclaimer == POLICY.purpose("chatbot").generative_ai.disclaimer["en"]  # type: ignore[union-attr]
    assert fake_llm.requests[0]["path"] == "/v1/chat/completions"


@pytest.mark.parametrize("mode", ["slow", "error"])
def test_timeouts_and_errors_fall_back_to_the_kb_answer(fake_llm: FakeLlm, mode: str) -> None:
    fake_llm.mode = mode
    client = HttpLlmClient(fake_llm.url, "fake-model", timeout_s=0.5)
    reply = service.answer(
        PARCEL,
        "parcel",
        "How much does it cost to send a parcel?",
        BotContext(language="en"),
        llm=client,
        kb_dir=SMALL / "parcel",
    )
    assert not reply.generated and reply.disclaimer is None
    assert reply.text == kb.load_file(SMALL / "parcel" / "en.yaml").topic("send_price").answer  # type: ignore[union-attr]
    assert len(fake_llm.requests) == 1


def test_actions_and_handoffs_are_never_generated(fake_llm: FakeLlm) -> None:
    client = HttpLlmClient(fake_llm.url, "fake-model", timeout_s=2)
    reply = service.answer(
        PARCEL,
        "parcel",
        "I want to talk to a person",
        BotContext(language="en"),
        llm=client,
        kb_dir=SMALL / "parcel",
    )
    assert reply.handoff and not reply.generated and fake_llm.requests == []


def test_generation_is_off_without_a_url() -> None:
    assert client_from_settings(None, None, 5.0) is None
    assert isinstance(client_from_settings("http://127.0.0.1:9", "m", 1.0), HttpLlmClient)
