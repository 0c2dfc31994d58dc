"""The chat API end to end: TestClient over `create_app` with a demo pack loaded into a SQLite file.

Most tests talk to a stand-in bot of our own (`EchoBot`, through the `Bot` port that `customer_turn`
takes), so they check the conversation rules without a trained model; one test runs the real chatbot on
the parcel pack (a Swedish question about a real demo shipment).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import make_settings
from tillit.config import Settings
from tillit.conversations import service
from tillit.conversations.turns import BotAnswer, TurnContext
from tillit.core.clock import SystemClock
from tillit.main import create_app
from tillit.packs.demo import load_demo
from tillit.runtime import Runtime

API = "/api/v1/chat"
TOKEN = "X-Conversation-Token"


class EchoBot:
    """A trivial bot behind the conversations' own port: echoes, and hands off when asked for a human."""

    def __init__(self) -> None:
        self.recorded: list[str] = []
        self.understood: list[object | None] = []

    def understand(self, session: Session, text: str, context: TurnContext) -> object | None:
        return ("understood", text)

    def answer(
        self, session: Session, text: str, context: TurnContext, understood: object | None = None
    ) -> BotAnswer:
        self.understood.append(understood)
        wants_human = "human" in text.lower()
        return BotAnswer(
            text=f"echo: {text}",
            topic="human" if wants_human else "echo",
            confidence=0.99,
            language=context.language,
            handoff=wants_human,
        )

    def record(self, session: Session, text: str, answer: BotAnswer, context: TurnContext) -> None:
        self.recorded.append(answer.topic or "")


class Chat:
    """A loaded pack, its app and a runtime for looking at the database behind the API's back."""

    def __init__(self, settings: Settings, bot: Any) -> None:
        self.settings = settings
        self.runtime = Runtime(settings=settings, clock=SystemClock())
        load_demo(self.runtime)
        self.app = create_app(settings)
        if bot is not None:
            self.app.state.chat_bot = bot
        self.client = TestClient(self.app)

    def start(self, client: TestClient | None = None, **body: Any) -> tuple[str, dict[str, str]]:
        response = (client or self.client).post(API, json=body or {})
        assert response.status_code == 201, response.text
        data = response.json()
        return data["id"], {TOKEN: data["access_token"]}

    def count(self, table: str, conversation_id: str) -> int:
        column = "id" if table == "conversation_conversation" else "conversation_id"
        with self.runtime.engine.connect() as conn:
            return int(
                conn.execute(
                    text(f"select count(*) from {table} where {column} = :id"),
                    {"id": conversation_id},
                ).scalar_one()
            )

    def log_in(self, client: TestClient, index: int = 0) -> str:
        """Log `client` in as a demo customer through /login; returns the subject id."""
        page = client.get("/login")
        assert page.status_code == 200
        ids = re.findall(r'name="subject_id" value="([^"]+)"', page.text)
        nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
        assert ids and nonce
        response = client.post(
            "/login", data={"subject_id": ids[index], "nonce": nonce.group(1)}, follow_redirects=False
        )
        assert response.status_code == 303
        return ids[index]

    def close(self) -> None:
        self.client.close()
        self.app.state.context.close()
        self.runtime.close()


@pytest.fixture
def parcel(sqlite_url: str) -> Iterator[Chat]:
    chat = Chat(make_settings(sqlite_url, pack="parcel"), EchoBot())
    yield chat
    chat.close()


@pytest.fixture
def bank(sqlite_url: str) -> Iterator[Chat]:
    chat = Chat(make_settings(sqlite_url, pack="bank"), EchoBot())
    yield chat
    chat.close()


def test_a_full_turn_stores_the_question_and_the_reply(parcel: Chat) -> None:
    conversation_id, token = parcel.start(language="sv")
    response = parcel.client.post(f"{API}/{conversation_id}/messages", json={"text": "Hej!"}, headers=token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(m["seq"], m["author"], m["text"]) for m in body["messages"]] == [
        (1, "customer", "Hej!"),
        (2, "bot", "echo: Hej!"),
    ]
    assert body["status"] == "bot"
    assert parcel.app.state.chat_bot.recorded == ["echo"]
    # The text-only work was done before the write transaction and handed to the answer.
    assert parcel.app.state.chat_bot.understood == [("understood", "Hej!")]
    assert parcel.count("conversation_message", conversation_id) == 2
    listed = parcel.client.get(f"{API}/{conversation_id}/messages?after=1", headers=token).json()
    assert [m["seq"] for m in listed["messages"]] == [2]


def test_asking_for_a_human_queues_with_position_and_wait(parcel: Chat) -> None:
    first, first_token = parcel.start()
    second, second_token = parcel.start()
    parcel.client.post(f"{API}/{first}/messages", json={"text": "a human please"}, headers=first_token)
    body = parcel.client.post(
        f"{API}/{second}/messages", json={"text": "human!"}, headers=second_token
    ).json()
    assert body["status"] == "queued"
    assert body["queue"]["position"] == 2
    assert body["queue"]["expected_wait_minutes"] >= 1
    # Once queued the bot is silent: the message waits for the advisor.
    quiet = parcel.client.post(
        f"{API}/{second}/messages", json={"text": "hello?"}, headers=second_token
    ).json()
    assert [m["author"] for m in quiet["messages"]] == ["customer"]


def test_long_polling_sees_a_message_written_by_another_server_process(parcel: Chat) -> None:
    """The poll runs in one app, the advisor's reply is written through another runtime on the same
    database: only the database connects them, as with two server processes."""
    conversation_id, token = parcel.start()
    other = Runtime(settings=parcel.settings, clock=SystemClock())
    with other.uow.begin() as session:
        service.request_handoff(session, other.policy, conversation_id, clock=other.clock)
        service.take(session, other.policy, conversation_id, advisor_id="advisor-1", clock=other.clock)

    def reply_later() -> None:
        time.sleep(0.8)
        with other.uow.begin() as session:
            service.add_message(
                session,
                other.policy,
                conversation_id,
                author="advisor",
                text="Hei, jeg ser på saken.",
                clock=other.clock,
                author_id="advisor-1",
            )

    writer = threading.Thread(target=reply_later)
    started = time.monotonic()
    writer.start()
    response = parcel.client.get(
        f"{API}/{conversation_id}/messages?after=0&wait=10&status=with_advisor", headers=token
    )
    elapsed = time.monotonic() - started
    writer.join()
    other.close()
    assert response.status_code == 200
    body = response.json()
    assert [(m["author"], m["text"]) for m in body["messages"]] == [("advisor", "Hei, jeg ser på saken.")]
    assert body["status"] == "with_advisor"
    assert 0.7 < elapsed < 5


def test_long_polling_returns_empty_when_the_wait_ends(parcel: Chat) -> None:
    conversation_id, token = parcel.start()
    started = time.monotonic()
    response = parcel.client.get(
        f"{API}/{conversation_id}/messages?after=0&wait=0.6&status=bot", headers=token
    )
    assert response.status_code == 200
    assert response.json()["messages"] == []
    assert time.monotonic() - started >= 0.5
    assert parcel.client.get(f"{API}/{conversation_id}/messages?wait=99", headers=token).status_code == 422


def test_wrong_token_or_another_customers_conversation_is_404(parcel: Chat) -> None:
    conversation_id, token = parcel.start()
    paths = [
        ("get", f"{API}/{conversation_id}"),
        ("get", f"{API}/{conversation_id}/messages"),
        ("post", f"{API}/{conversation_id}/messages"),
        ("get", f"{API}/{conversation_id}/transcript"),
        ("post", f"{API}/{conversation_id}/handoff"),
        ("post", f"{API}/{conversation_id}/close"),
        ("delete", f"{API}/{conversation_id}"),
    ]
    for method, path in paths:
        for headers in ({}, {TOKEN: "not-the-token"}):
            kwargs: dict[str, Any] = {"headers": headers}
            if method == "post" and path.endswith("/messages"):
                kwargs["json"] = {"text": "hi"}
            response = getattr(parcel.client, method)(path, **kwargs)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] == "not_found"
    assert parcel.client.get(f"{API}/no-such-id", headers=token).status_code == 404

    # Two logged-in customers: each reaches their own conversation by cookie, never the other's.
    alice, bob = TestClient(parcel.app), TestClient(parcel.app)
    parcel.log_in(alice, 0)
    parcel.log_in(bob, 1)
    alices, _ = parcel.start(alice)
    assert alice.get(f"{API}/{alices}").json()["authenticated"] is True
    assert bob.get(f"{API}/{alices}").status_code == 404
    assert bob.get(f"{API}/{alices}/transcript").status_code == 404
    assert parcel.count("conversation_message", conversation_id) == 0


def test_oversized_and_malformed_payloads_are_refused_and_change_nothing(parcel: Chat) -> None:
    conversation_id, token = parcel.start()
    url = f"{API}/{conversation_id}/messages"
    too_long = parcel.client.post(url, json={"text": "x" * 4001}, headers=token)
    assert too_long.status_code == 413
    assert too_long.json()["error"]["code"] == "payload_too_large"
    huge = parcel.client.post(
        url,
        content=b'{"text": "' + b"y" * 100_000 + b'"}',
        headers={**token, "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    for payload, field in (
        ({}, "text"),
        ({"text": "   "}, "text"),
        ({"text": 42}, "text"),
        ({"txt": "hi"}, "text"),
    ):
        response = parcel.client.post(url, json=payload, headers=token)
        assert response.status_code == 422, payload
        assert response.json()["error"]["fields"][0]["field"] == field
    bad_language = parcel.client.post(API, json={"language": "xx"})
    assert bad_language.status_code == 422
    assert bad_language.json()["error"]["details"]["field"] == "language"
    assert (
        parcel.client.get(f"{API}/{conversation_id}/transcript?format=pdf", headers=token).status_code == 422
    )
    assert parcel.count("conversation_message", conversation_id) == 0
    with parcel.runtime.engine.connect() as conn:
        assert conn.execute(text("select count(*) from conversation_conversation")).scalar_one() == 1


def test_contact_details_in_the_queue_are_validated_and_stored_encrypted(parcel: Chat) -> None:
    conversation_id, token = parcel.start(language="sv")
    assert parcel.client.post(f"{API}/{conversation_id}/handoff", headers=token).json()["position"] == 1
    url = f"{API}/{conversation_id}/contact"
    good = {"name": "Astrid Berg", "email": "astrid.berg@example.com", "phone": "+46 70 123 45 67"}
    for field, value in (("email", "not-an-address"), ("phone", "12345"), ("name", "")):
        response = parcel.client.post(url, json={**good, field: value}, headers=token)
        assert response.status_code == 422, (field, response.text)
        error = response.json()["error"]
        named = error.get("details", {}).get("field") or error["fields"][0]["field"]
        assert named == field
        assert parcel.count("conversation_handoff_contact", conversation_id) == 0
    assert parcel.client.post(url, json=good, headers=token).status_code == 204
    with parcel.runtime.engine.connect() as conn:
        stored = conn.execute(text("select name_enc from conversation_handoff_contact")).scalar_one()
    assert b"Astrid" not in stored
    with parcel.runtime.uow.read() as session:
        contact = service.handoff_contact(session, conversation_id, secret=parcel.settings.secret_key)
    assert contact is not None and contact.email == "astrid.berg@example.com"


def test_close_then_feedback_and_transcripts(parcel: Chat) -> None:
    conversation_id, token = parcel.start(language="sv")
    parcel.client.post(f"{API}/{conversation_id}/messages", json={"text": "Var är paketet?"}, headers=token)
    early = parcel.client.post(f"{API}/{conversation_id}/feedback", json={"rating": 5}, headers=token)
    assert early.status_code == 409
    assert parcel.client.post(f"{API}/{conversation_id}/close", headers=token).json()["status"] == "closed"
    assert (
        parcel.client.post(f"{API}/{conversation_id}/feedback", json={"rating": 9}, headers=token).status_code
        == 422
    )
    assert (
        parcel.client.post(f"{API}/{conversation_id}/feedback", json={"rating": 4}, headers=token).status_code
        == 204
    )

    txt = parcel.client.get(f"{API}/{conversation_id}/transcript?format=txt", headers=token)
    assert txt.status_code == 200
    assert txt.headers["content-type"].startswith("text/plain")
    assert "attachment" in txt.headers["content-disposition"]
    assert "Chattlogg" in txt.text  # Swedish, from the catalogue
    assert "Du: Var är paketet?" in txt.text
    assert "Chattbot: echo: Var är paketet?" in txt.text

    data = parcel.client.get(f"{API}/{conversation_id}/transcript?format=json", headers=token).json()
    assert data["conversation"]["id"] == conversation_id
    assert data["conversation"]["status"] == "closed"
    assert [m["author"] for m in data["messages"]] == ["customer", "bot"]


def test_the_customers_deletion_removes_the_rows(parcel: Chat) -> None:
    conversation_id, token = parcel.start()
    parcel.client.post(f"{API}/{conversation_id}/messages", json={"text": "human please"}, headers=token)
    contact = {"name": "Ola Nordmann", "email": "ola@example.com", "phone": "+47 912 34 567"}
    assert (
        parcel.client.post(f"{API}/{conversation_id}/contact", json=contact, headers=token).status_code == 204
    )
    response = parcel.client.delete(f"{API}/{conversation_id}", headers=token)
    assert response.status_code == 200, response.text
    assert response.json()["deleted"] is True
    assert response.json()["kept"] == []
    for table in ("conversation_conversation", "conversation_message", "conversation_handoff_contact"):
        assert parcel.count(table, conversation_id) == 0, table
    with parcel.runtime.engine.connect() as conn:
        holds = conn.execute(
            text("select count(*) from retention_hold where record_id = :id"), {"id": conversation_id}
        ).scalar_one()
    assert holds == 0
    assert parcel.client.get(f"{API}/{conversation_id}", headers=token).status_code == 404


def test_bank_advisor_chat_only_when_logged_in(bank: Chat) -> None:
    conversation_id, token = bank.start(language="en")
    refused = bank.client.post(f"{API}/{conversation_id}/handoff", headers=token)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "not_authenticated"
    # The bot's own handoff is refused the same way and the conversation stays with the bot.
    body = bank.client.post(
        f"{API}/{conversation_id}/messages", json={"text": "a human"}, headers=token
    ).json()
    assert body["status"] == "bot" and body["login_required"] is True
    # The bank does not offer deleting a chat in its notice: refused, nothing deleted.
    assert bank.client.delete(f"{API}/{conversation_id}", headers=token).status_code == 403
    assert bank.count("conversation_conversation", conversation_id) == 1

    customer = TestClient(bank.app)
    subject_id = bank.log_in(customer)
    mine, _ = bank.start(customer, language="nb")
    queued = customer.post(f"{API}/{mine}/handoff")
    assert queued.status_code == 200, queued.text
    assert queued.json()["position"] == 1
    with bank.runtime.uow.read() as session:
        assert service.get(session, mine).subject_id == subject_id


def test_the_ip_address_is_kept_only_where_a_purpose_holds_it(bank: Chat, tmp_path: Any) -> None:
    conversation_id, _ = bank.start()
    assert bank.count("conversation_ip", conversation_id) == 1  # the bank's chat_safety purpose
    parcel = Chat(make_settings(f"sqlite:///{tmp_path / 'parcel.sqlite3'}", pack="parcel"), EchoBot())
    try:
        other, _ = parcel.start()
        assert parcel.count("conversation_ip", other) == 0  # no purpose of the parcel policy holds it
    finally:
        parcel.close()


def test_the_real_chatbot_tracks_a_parcel_in_swedish(sqlite_url: str) -> None:
    chat = Chat(make_settings(sqlite_url, pack="parcel"), None)
    try:
        with chat.runtime.engine.connect() as conn:
            number = conn.execute(
                text(
                    "select tracking_number, status from parcel_shipments where tracking_number is not null "
                    "and status = 'delivered' order by id limit 1"
                )
            ).scalar_one()
        conversation_id, token = chat.start(language="sv")
        response = chat.client.post(
            f"{API}/{conversation_id}/messages",
            json={"text": f"Hej! Var är mitt paket {number}?"},
            headers=token,
        )
        assert response.status_code == 200, response.text
        reply = response.json()["messages"][1]
        assert reply["author"] == "bot"
        assert number in reply["text"] and "utlämnad" in reply["text"], reply["text"]
    finally:
        chat.close()


def test_demo_login_is_404_outside_demo_mode(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, pack="parcel")
    settings.demo_mode = False
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/login").status_code == 404
        assert client.post("/login", data={"subject_id": "x", "nonce": "y"}).status_code == 404
    app.state.context.close()


def test_chat_page_renders_in_each_language(parcel: Chat) -> None:
    for lang, heading in (("sv", "Chatta med"), ("nb", "Chat med"), ("da", "Chat med"), ("en", "Chat with")):
        page = parcel.client.get(f"/chat?lang={lang}")
        assert page.status_code == 200
        assert heading in page.text
        assert f'href="/privacy?lang={lang}"' in page.text
        assert 'aria-live="polite"' in page.text
    assert 'id="contact-form"' in parcel.client.get("/chat?lang=sv").text
    landing = parcel.client.get("/?lang=sv").text
    assert 'href="/chat?lang=sv"' in landing and 'href="/login?lang=sv"' in landing
    assert parcel.client.get("/static/tillit-chat-embed.js").status_code == 200


class ScriptedBot(EchoBot):
    """Fails on "??", answers with a generated text (and the bank's disclaimer) on "ai"."""

    def __init__(self) -> None:
        super().__init__()
        self.contexts: list[TurnContext] = []

    def answer(
        self, session: Session, text: str, context: TurnContext, understood: object | None = None
    ) -> BotAnswer:
        self.contexts.append(context)
        if text == "??":
            return BotAnswer(text="Say again?", topic=None, confidence=0.1, language="en", failed=True)
        if text == "ai":
            return BotAnswer(
                text="Generated.",
                topic="fees",
                confidence=0.9,
                language="en",
                generated=True,
                disclaimer="AI!",
            )
        return super().answer(session, text, context)


def test_failed_turns_are_counted_in_a_row_and_generated_answers_are_marked(bank: Chat) -> None:
    bot = ScriptedBot()
    bank.app.state.chat_bot = bot
    conversation_id, token = bank.start(language="en")
    url = f"{API}/{conversation_id}/messages"
    for message in ("??", "??", "hello", "??"):
        assert bank.client.post(url, json={"text": message}, headers=token).status_code == 200
    assert [c.failed_turns for c in bot.contexts] == [0, 1, 2, 0]
    generated = bank.client.post(url, json={"text": "ai"}, headers=token).json()
    assert generated["disclaimer"] == "AI!"
    assert generated["messages"][1]["generated"] is True
    page = bank.client.get("/chat?lang=en").text
    assert "This answer was generated by AI and may contain errors." in page  # the bank policy's own text


def test_demo_login_shows_masked_identities_and_logout_ends_the_session(bank: Chat) -> None:
    from tillit.packs.demo import business_module

    first = business_module("bank").generate(datetime.now(UTC)).subjects[0]
    client = TestClient(bank.app)
    page = client.get("/login?lang=en")
    assert first.name in page.text
    assert first.identifiers["customer_number"] not in page.text
    assert first.identifiers["email"] not in page.text
    forged = client.post("/login", data={"subject_id": "x", "nonce": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    bank.log_in(client)
    conversation_id, _ = bank.start(client)
    chat_page = client.get("/chat?lang=en").text
    assert "Logged in as" in chat_page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', chat_page)
    assert csrf is not None
    assert client.post("/logout", follow_redirects=False).status_code == 403
    out = client.post("/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get(f"{API}/{conversation_id}").status_code == 404  # no longer the owner's session
