"""The parcel pack's chat in a real browser, against a real server process (the acceptance test of issue 3).

A customer asks in Swedish where a demo shipment is and gets its status, asks for a person and leaves name,
e-mail and phone; an advisor in a second browser context logs in to the console, takes the conversation
and replies; the customer sees the reply, downloads the transcript and deletes the conversation, which is
then gone from the SQLite file. A second test checks /chat on a 390x844 phone screen, keyboard only.

The server is `uvicorn tillit.asgi:app` in a subprocess over a SQLite file loaded with
`tillit demo --no-serve`, so nothing is shared with the test process but the database (`demo_server` in
conftest.py, which yields once the chatbot is trained, so the first turn does not wait for its training).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser.conftest import DemoServer, DemoSpec, serving
from tillit.chatbot.texts import status_text

STAFF_USER = "advisor.anna"
STAFF_PASSWORD = "correct-horse-battery-staple-42"

pytestmark = [
    pytest.mark.browser,
    serving(DemoSpec("parcel", STAFF_USER, "advisor", "Anna Advisor", STAFF_PASSWORD)),
]


def _query(database: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as conn:
        return conn.execute(sql, params).fetchall()


def _send(page: Page, text: str) -> None:
    box = page.get_by_label("Ditt meddelande")
    box.fill(text)
    box.press("Enter")


def test_parcel_customer_tracks_hands_off_gets_a_reply_downloads_and_deletes(
    browser: Browser, demo_server: DemoServer, artifacts: Path
) -> None:
    (number,), *_ = _query(
        demo_server.database,
        "select tracking_number from parcel_shipments "
        "where tracking_number is not null and status = 'delivered' order by id limit 1",
    )
    (latest,), *_ = _query(
        demo_server.database,
        "select status_code from parcel_tracking_events where tracking_number = ? "
        "order by occurred_at desc limit 1",
        number,
    )
    expected_status = status_text(str(latest), "sv")  # the newest scan is what the bot reports

    customer = browser.new_context(viewport={"width": 1100, "height": 900}, locale="sv-SE")
    advisor = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = customer.new_page()
        page.goto(f"{demo_server.url}/chat?lang=sv")
        expect(page.locator("h1")).to_contain_text("Chatta med")
        expect(page.get_by_role("link", name="integritetspolicy")).to_have_attribute(
            "href", "/privacy?lang=sv"
        )
        log = page.locator("#chat-log")

        # 1. Where is my parcel? (in Swedish, with a real tracking number from the demo shipments)
        _send(page, f"Hej! Var är mitt paket {number}?")
        bot_reply = log.locator(".msg-bot").nth(1)
        expect(bot_reply).to_contain_text(str(number), timeout=60_000)
        expect(bot_reply).to_contain_text(expected_status)
        page.screenshot(path=str(artifacts / "parcel-chat-1-tracking.png"), full_page=True)

        # 2. A person, please: the conversation queues and the contact form appears.
        _send(page, "Kan jag få prata med en människa?")
        expect(page.locator("#queue-panel")).to_be_visible(timeout=30_000)
        expect(page.locator("#queue-text")).to_contain_text("nummer 1 i kön")
        page.get_by_label("Namn").fill("Astrid Berg")
        page.get_by_label("E-post").fill("astrid.berg@example.com")
        page.get_by_label("Telefon").fill("+46 70 123 45 67")
        page.get_by_role("button", name="Spara kontaktuppgifter").click()
        expect(page.locator("#chat-status")).to_contain_text("Tack.")
        page.screenshot(path=str(artifacts / "parcel-chat-2-queued.png"), full_page=True)
        (conversation_id,) = _query(demo_server.database, "select id from conversation_conversation")[0]
        assert _query(
            demo_server.database,
            "select count(*) from conversation_handoff_contact where conversation_id = ?",
            conversation_id,
        ) == [(1,)]

        # 3. The advisor, in a second browser context, logs in, takes the conversation and replies.
        console = advisor.new_page()
        console.goto(f"{demo_server.url}/console/login")
        console.locator("#username").fill(STAFF_USER)
        console.locator("#password").fill(STAFF_PASSWORD)
        console.locator("form[action='/console/login'] button[type=submit]").click()
        console.wait_for_url(f"{demo_server.url}/console**")
        take = console.locator(f"form[action='/console/conversations/{conversation_id}/take'] button")
        expect(take).to_be_visible()
        console.screenshot(path=str(artifacts / "parcel-chat-3-console-queue.png"), full_page=True)
        take.click()
        if "/console/conversations/" not in console.url:
            console.goto(f"{demo_server.url}/console/conversations/{conversation_id}")
        expect(console.locator("body")).to_contain_text("Astrid Berg")
        console.locator("#reply").fill("Hej Astrid! Jag tittar på din försändelse nu.")
        console.locator(f"form[action='/console/conversations/{conversation_id}/reply'] button").click()
        console.screenshot(path=str(artifacts / "parcel-chat-4-console-reply.png"), full_page=True)

        # 4. The customer sees the advisor join and reply, without reloading (long polling).
        expect(log.locator(".msg-advisor")).to_contain_text("Jag tittar på din försändelse", timeout=30_000)
        page.screenshot(path=str(artifacts / "parcel-chat-5-advisor-reply.png"), full_page=True)

        # 5. Download the transcript.
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Ladda ner samtalet (text)").click()
        download = download_info.value
        saved = artifacts / "parcel-chat-transcript.txt"
        download.save_as(saved)
        transcript = saved.read_text(encoding="utf-8")
        assert str(number) in transcript
        assert "Jag tittar på din försändelse nu." in transcript
        assert "Chattlogg" in transcript

        # 6. Delete the conversation: it is gone from the database, contact details and holds included.
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Radera samtalet").click()
        expect(page.locator("#chat-status")).to_contain_text("Samtalet har raderats.")
        expect(log.locator(".msg-advisor")).to_have_count(0)
        page.screenshot(path=str(artifacts / "parcel-chat-6-deleted.png"), full_page=True)
        for table, column in (
            ("conversation_conversation", "id"),
            ("conversation_message", "conversation_id"),
            ("conversation_handoff_contact", "conversation_id"),
            ("retention_hold", "record_id"),
        ):
            rows = _query(
                demo_server.database, f"select count(*) from {table} where {column} = ?", conversation_id
            )
            assert rows == [(0,)], table
    finally:
        customer.close()
        advisor.close()


def test_chat_fits_a_phone_and_works_with_the_keyboard_alone(
    browser: Browser, demo_server: DemoServer, artifacts: Path
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    try:
        page = context.new_page()
        page.goto(f"{demo_server.url}/chat?lang=sv")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"horizontal scroll of {overflow}px at 390px"

        # Tab from the top of the page to the message box, type, send with Enter.
        for _ in range(25):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.id") == "chat-input":
                break
        else:
            pytest.fail("the message box cannot be reached with Tab")
        page.keyboard.type("Vilka öppettider har ni?")
        page.keyboard.press("Enter")
        expect(page.locator("#chat-log .msg-you")).to_have_count(1)
        expect(page.locator("#chat-log .msg-bot")).to_have_count(2, timeout=60_000)
        expect(page.locator("#chat-input")).to_be_focused()  # given back once the reply is shown

        # The actions are buttons reachable with Tab; "Talk to a person" works with Enter.
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.id") == "chat-handoff":
                break
        else:
            pytest.fail("'Talk to a person' cannot be reached with Tab")
        page.keyboard.press("Enter")
        expect(page.locator("#queue-panel")).to_be_visible()
        expect(page.locator("#contact-name")).to_be_focused()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"horizontal scroll of {overflow}px with the queue panel open"
        page.screenshot(path=str(artifacts / "parcel-chat-phone-390.png"), full_page=True)
    finally:
        context.close()


def test_the_embed_script_opens_the_chat_in_an_iframe(
    browser: Browser, demo_server: DemoServer, artifacts: Path
) -> None:
    """A company page (another origin: here a `data:`-less blank page) includes the script and gets a
    button that opens /chat?embed=1 from tillit's own origin; Escape closes it again."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    try:
        page = context.new_page()
        page.set_content(
            "<!doctype html><html lang='da'><head><title>Nordpost</title></head><body><h1>Nordpost</h1>"
            f"<script src='{demo_server.url}/static/tillit-chat-embed.js' data-label='Chat med os'></script>"
            "</body></html>"
        )
        button = page.get_by_role("button", name="Chat med os")
        expect(button).to_have_attribute("aria-expanded", "false")
        button.focus()
        page.keyboard.press("Enter")
        expect(button).to_have_attribute("aria-expanded", "true")
        frame = page.frame_locator("#tillit-chat-frame")
        expect(frame.locator("h1")).to_contain_text("Chat med Nordpost")
        expect(frame.locator("#chat-input")).to_be_visible()
        src = page.get_attribute("#tillit-chat-frame", "src") or ""
        assert src.startswith(demo_server.url) and "embed=1" in src and "lang=da" in src
        page.screenshot(path=str(artifacts / "parcel-chat-embedded.png"))
        # Escape from where a customer types: inside the chat's own document (the widget asks the page to
        # close it). Focusing explicitly keeps the test independent of when the iframe finished loading.
        frame.locator("#chat-input").focus()
        page.keyboard.press("Escape")
        expect(page.locator("#tillit-chat-frame")).to_be_hidden()
    finally:
        context.close()
