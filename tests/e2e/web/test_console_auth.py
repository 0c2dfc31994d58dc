"""Staff identity on the web: login, logout, wrong credentials, CSRF on every POST, session expiry.

Through the real app (`create_app`) and TestClient on SQLite; staff are created with `auth.service`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.e2e.web.console_helpers import (
    CSRF_FIELD,
    PASSWORD,
    add_staff,
    console_app,
    conversation_row,
    login,
    runtime_of,
    start,
    take_as,
)
from tillit.auth.service import STAFF_SESSION_TTL
from tillit.core.clock import FixedClock
from tillit.web.deps import STAFF_COOKIE


@pytest.fixture
def client(sqlite_url: str, clock: FixedClock) -> Iterator[TestClient]:
    with console_app(sqlite_url, clock, pack="bank") as test_client:
        yield test_client


@pytest.fixture
def advisor(client: TestClient) -> str:
    return add_staff(client, "anna", "advisor")


def test_unauthenticated_page_redirects_to_login_and_json_gets_401(client: TestClient) -> None:
    page = client.get("/console", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/console/login?next=%2Fconsole"
    api = client.get("/api/v1/console/queue")
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "not_authenticated"


def test_login_then_logout_ends_the_session_on_the_server(client: TestClient, advisor: str) -> None:
    csrf = login(client, "anna")
    home = client.get("/console")
    assert home.status_code == 200
    assert "Anna" in home.text
    stolen_cookie = client.cookies.get(STAFF_COOKIE)
    assert stolen_cookie

    out = client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/console/login?reason=logged_out"
    assert client.get("/console", follow_redirects=False).status_code == 303
    # the cookie replayed after logout opens nothing: the session was revoked server-side
    client.cookies.set(STAFF_COOKIE, stolen_cookie)
    assert client.get("/api/v1/console/queue").status_code == 401


def test_wrong_password_and_unknown_user_get_the_same_clear_message(client: TestClient, advisor: str) -> None:
    bodies = []
    for username, password in (("anna", "not the right password"), ("nobody", PASSWORD)):
        form = client.get("/console/login?lang=en")
        token = CSRF_FIELD.search(form.text)
        assert token is not None
        response = client.post(
            "/console/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
        )
        assert response.status_code == 401
        assert "Wrong username or password." in response.text
        assert STAFF_COOKIE not in client.cookies
        bodies.append(response.text.replace(username, ""))
    assert "no such user" not in bodies[1].lower()
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_the_login_form_itself_is_protected_against_csrf(client: TestClient, advisor: str) -> None:
    form = client.get("/console/login")
    token = CSRF_FIELD.search(form.text)
    assert token is not None
    good = {"username": "anna", "password": PASSWORD, "csrf_token": token.group(1)}

    wrong = client.post("/console/login", data=good | {"csrf_token": "0" * 64}, follow_redirects=False)
    assert wrong.status_code == 403
    foreign = client.post(
        "/console/login", data=good, headers={"Origin": "https://evil.example.com"}, follow_redirects=False
    )
    assert foreign.status_code == 403
    client.cookies.clear()  # no pre-session cookie: a cross-site form cannot have it
    missing = client.post("/console/login", data=good, follow_redirects=False)
    assert missing.status_code == 403
    assert STAFF_COOKIE not in client.cookies


def test_login_never_redirects_off_the_console(client: TestClient, advisor: str) -> None:
    form = client.get("/console/login?next=//evil.example.com/x")
    token = CSRF_FIELD.search(form.text)
    assert token is not None
    response = client.post(
        "/console/login",
        data={
            "username": "anna",
            "password": PASSWORD,
            "csrf_token": token.group(1),
            "next": "//evil.example.com",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/console"


def test_every_post_needs_the_csrf_token_and_a_refused_post_changes_nothing(
    client: TestClient, advisor: str
) -> None:
    runtime = runtime_of(client)
    queued = start(client)
    mine = start(client)
    take_as(client, mine, advisor)
    csrf = login(client, "anna")
    before = {cid: conversation_row(client, cid) for cid in (queued, mine)}

    posts = [
        (f"/console/conversations/{queued}/take", {}),
        (f"/console/conversations/{mine}/reply", {"text": "Hello"}),
        (f"/console/conversations/{mine}/tags", {"complaint": "1"}),
        (f"/console/conversations/{mine}/close", {}),
        ("/console/log", {"channel": "phone", "identifier": "12345", "summary": "Called about a card"}),
        ("/console/logout", {}),
    ]
    for path, data in posts:
        for token in (None, "f" * 64):
            payload = data | ({"csrf_token": token} if token else {})
            response = client.post(path, data=payload, follow_redirects=False)
            assert response.status_code == 403, (path, token, response.status_code)

    api_posts = [
        (f"/api/v1/console/conversations/{queued}/take", None),
        (f"/api/v1/console/conversations/{mine}/messages", {"text": "Hello"}),
        (f"/api/v1/console/conversations/{mine}/tags", {"complaint": True}),
        (f"/api/v1/console/conversations/{mine}/close", None),
        ("/api/v1/console/logged", {"channel": "phone", "identifier": "12345", "summary": "Card"}),
    ]
    for path, body in api_posts:
        for headers in ({}, {"X-CSRF-Token": "f" * 64}):
            response = client.post(path, json=body, headers=headers)
            assert response.status_code == 403, (path, headers, response.text)
            assert response.json()["error"]["code"] == "permission_denied"

    assert {cid: conversation_row(client, cid) for cid in (queued, mine)} == before
    with runtime.uow.read() as session:
        from sqlalchemy import text

        assert session.execute(text("SELECT count(*) FROM conversation_conversation")).scalar_one() == 2
    assert client.get("/console").status_code == 200, "a refused logout leaves the session alone"

    # and with the token the same requests work (the tests above can fail)
    assert (
        client.post(
            f"/api/v1/console/conversations/{mine}/messages",
            json={"text": "Hello"},
            headers={"X-CSRF-Token": csrf},
        ).status_code
        == 201
    )
    assert conversation_row(client, mine)["messages"] == 2


def test_an_expired_session_goes_back_to_login_with_a_message(
    client: TestClient, advisor: str, clock: FixedClock
) -> None:
    login(client, "anna")
    clock.advance(STAFF_SESSION_TTL - timedelta(minutes=1))
    assert client.get("/console").status_code == 200

    clock.advance(timedelta(minutes=2))
    page = client.get("/console?lang=en", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/console/login?next=")
    assert page.headers["location"].endswith("&reason=expired")
    login_page = client.get(page.headers["location"] + "&lang=en")
    assert "Your session has ended. Please log in again." in login_page.text
    assert client.get("/api/v1/console/queue").status_code == 401

    login(client, "anna")  # a fresh login works at the new time
    assert client.get("/console").status_code == 200


def test_login_lands_on_the_page_for_the_role() -> None:
    from tillit.web.console_auth import home_for

    assert home_for(["advisor"], "/console") == "/console"
    assert home_for(["dpo"], "/console") == "/console/rights"
    assert home_for(["security_officer"], "/console") == "/console/disclosure"
    assert home_for(["marketing"], "/console") == "/console/marketing"
    assert home_for(["dpo"], "/console/retention") == "/console/retention"
