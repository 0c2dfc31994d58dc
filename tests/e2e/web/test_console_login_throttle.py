"""Password guessing on the staff login, through the real app (`create_app`, TestClient): lockout after the
configured failures, 429 with Retry-After and a translated message, the right password refused during the
cooldown and accepted after it (the app's clock is moved, nothing sleeps), one client spraying usernames,
and two app instances on one database (as two server processes) sharing the count."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.e2e.web.console_helpers import PASSWORD, add_staff, console_app, post_login_form, runtime_of
from tillit.auth.errors import LoginThrottledError
from tillit.core.clock import FixedClock
from tillit.main import create_app
from tillit.web.deps import STAFF_COOKIE

WRONG = "not the right password"
LOCKED_EN = "Too many failed login attempts. Try again in 15 minutes."
LOCKED_NB = "For mange mislykkede innloggingsforsøk. Prøv igjen om 15 minutter."


@pytest.fixture
def client(sqlite_url: str, clock: FixedClock) -> Iterator[TestClient]:
    with console_app(sqlite_url, clock, pack="bank") as test_client:
        add_staff(test_client, "anna", "advisor")
        yield test_client


def _post_login(
    client: TestClient, username: str, password: str, lang: str = "en"
) -> tuple[int, str, dict[str, str]]:
    response = post_login_form(client, username, password, lang)
    return response.status_code, response.text, dict(response.headers)


def _error(page: str) -> str:
    match = re.search(r'<p class="error" role="alert">([^<]*)</p>', page)
    assert match is not None, page
    return match.group(1)


def test_lockout_refuses_the_right_password_until_the_cooldown_has_passed(
    client: TestClient, clock: FixedClock
) -> None:
    for _ in range(4):
        status, page, _headers = _post_login(client, "anna", WRONG)
        assert (status, _error(page)) == (401, "Wrong username or password.")
    status, page, headers = _post_login(client, "anna", WRONG)
    assert (status, headers["retry-after"], _error(page)) == (429, "900", LOCKED_EN)

    clock.advance(timedelta(minutes=14, seconds=30))
    status, page, headers = _post_login(client, "anna", PASSWORD)
    assert (status, headers["retry-after"]) == (429, "30")
    assert _error(page) == "Too many failed login attempts. Try again in 1 minute."
    assert STAFF_COOKIE not in client.cookies
    assert client.get("/console", follow_redirects=False).status_code == 303

    clock.advance(timedelta(seconds=30))
    status, _page, headers = _post_login(client, "anna", PASSWORD)
    assert status == 303
    assert headers["location"] == "/console"
    assert client.get("/console").status_code == 200


def test_the_refusal_is_the_same_for_an_unknown_username_and_translated(client: TestClient) -> None:
    pages = {}
    for username in ("anna", "nobody"):
        for _ in range(5):
            _post_login(client, username, WRONG, lang="nb")
        status, page, headers = _post_login(client, username, PASSWORD, lang="nb")
        assert (status, headers["retry-after"], headers["content-language"]) == (429, "900", "nb")
        pages[username] = _error(page)
    assert pages == {"anna": LOCKED_NB, "nobody": LOCKED_NB}


def test_one_client_spraying_usernames_is_locked_out_but_others_are_not(
    sqlite_url: str, clock: FixedClock
) -> None:
    app = create_app(make_settings(sqlite_url, login_max_failures_per_client=8), clock=clock)
    with TestClient(app, client=("203.0.113.66", 40000)) as sprayer, TestClient(app) as colleague:
        add_staff(sprayer, "anna", "advisor")
        # two tries each at four usernames: no username reaches five, the client reaches eight
        statuses = [_post_login(sprayer, f"user{n // 2}", WRONG)[0] for n in range(8)]
        assert statuses == [401] * 7 + [429]
        status, page, _headers = _post_login(sprayer, "anna", PASSWORD)
        assert (status, _error(page)) == (429, LOCKED_EN)
        assert _post_login(colleague, "anna", PASSWORD)[0] == 303
    app.state.context.close()


@pytest.fixture
def two_processes(database_url: str, clock: FixedClock) -> Iterator[tuple[TestClient, TestClient]]:
    """Two app instances on one database, each with its own engine and sessions, as two server processes
    would have (SQLite and PostgreSQL)."""
    with console_app(database_url, clock) as first, console_app(database_url, clock) as second:
        yield first, second


def test_two_processes_share_the_count(
    two_processes: tuple[TestClient, TestClient], clock: FixedClock
) -> None:
    first, second = two_processes
    assert runtime_of(first) is not runtime_of(second)
    add_staff(first, "anna", "advisor")
    for client in (first, second, first, second):
        assert _post_login(client, "anna", WRONG)[0] == 401
    status, _page, headers = _post_login(second, "anna", WRONG)
    assert (status, headers["retry-after"]) == (429, "900")
    assert _post_login(first, "anna", PASSWORD)[0] == 429  # locked on the other one too
    clock.advance(timedelta(minutes=15))
    assert _post_login(first, "anna", PASSWORD)[0] == 303
    # the success on one clears the count on both: four failures through the other do not lock
    for _ in range(4):
        assert _post_login(second, "anna", WRONG)[0] == 401
    assert _post_login(second, "anna", PASSWORD)[0] == 303


def test_a_throttled_api_call_gets_429_with_retry_after_in_the_error_envelope(
    sqlite_url: str, clock: FixedClock
) -> None:
    """No JSON login exists today; whatever raises the throttle's error through the API gets this."""
    app = create_app(make_settings(sqlite_url), clock=clock)

    def throttled() -> None:
        raise LoginThrottledError("too many failed logins; try again later", retry_after_s=120)

    app.add_api_route("/api/v1/test-throttled", throttled, methods=["POST"])
    with TestClient(app) as client:
        response = client.post("/api/v1/test-throttled")
    app.state.context.close()
    assert (response.status_code, response.headers["retry-after"]) == (429, "120")
    assert response.json() == {
        "error": {
            "code": "login_throttled",
            "message": "too many failed logins; try again later",
            "details": {"retry_after_s": 120},
        }
    }
