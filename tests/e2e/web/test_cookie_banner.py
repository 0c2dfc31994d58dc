"""The saas pack's cookie banner: reject all is as prominent as accept all, choices land in the ledger."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tillit.consent import service as consent_service
from tillit.core.clock import FixedClock
from tillit.main import create_app
from tillit.runtime import Runtime
from tillit.web.cookies import VISITOR_COOKIE

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def client(sqlite_url: str, clock: FixedClock) -> Iterator[TestClient]:
    app = create_app(make_settings(sqlite_url, pack="saas"), clock=clock)
    with TestClient(app) as test_client:
        yield test_client
    app.state.context.close()


def rt(client: TestClient) -> Runtime:
    runtime: Runtime = client.app.state.context  # type: ignore[attr-defined]
    return runtime


def _button(html: str, element_id: str) -> str:
    match = re.search(rf"<button[^>]*\bid=\"{element_id}\"[^>]*>", html)
    assert match is not None, element_id
    return match.group(0)


def _attrs(tag: str) -> dict[str, str]:
    return dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))


def banner(client: TestClient, lang: str = "en") -> tuple[str, str]:
    response = client.get(f"/cookies/banner?lang={lang}")
    assert response.status_code == 200
    token = CSRF.search(response.text)
    assert token is not None
    return response.text, token.group(1)


def test_reject_all_is_exactly_as_prominent_as_accept_all(client: TestClient) -> None:
    html, _ = banner(client)
    accept, reject = _attrs(_button(html, "tc-accept-all")), _attrs(_button(html, "tc-reject-all"))
    # the same element, type and class (so the same size, colour and weight), in the same container
    assert {k: v for k, v in accept.items() if k not in ("id", "value")} == {
        k: v for k, v in reject.items() if k not in ("id", "value")
    }
    actions = re.search(r'<div class="tc-actions">(.*?)</div>', html, re.S)
    assert actions is not None and "tc-accept-all" in actions.group(1) and "tc-reject-all" in actions.group(1)
    assert html.index("tc-reject-all") < html.index("tc-accept-all")  # reject is not hidden behind accept
    for category in ("necessary", "analytics", "advertising", "support_chat"):
        assert f'id="tc-cat-{category}"' in html
    assert re.search(r'id="tc-cat-necessary"[^>]*checked disabled', html)
    assert not re.search(r'id="tc-cat-analytics"[^>]*checked', html)  # nothing pre-ticked
    assert "Google Analytics" in html and "Intercom" in html
    css = client.get("/static/tillit-cookies.css").text
    assert ".tc-choice {" in css and "#tc-accept-all" not in css and "#tc-reject-all" not in css


def test_choices_are_recorded_in_the_ledger_per_category(client: TestClient) -> None:
    _, token = banner(client)
    visitor = client.cookies.get(VISITOR_COOKIE)
    assert visitor
    response = client.post(
        "/cookies/choice",
        data={"choice": "reject_all", "csrf_token": token, "lang": "en"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/cookies/banner?")
    policy = rt(client).policy
    with rt(client).uow.read() as session:
        assert consent_service.cookie_choice(session, policy, visitor) == {
            "analytics": False,
            "advertising": False,
            "support_chat": False,
        }
        events = consent_service.history(session, visitor_id=visitor)
    assert {(e.purpose, e.scope, e.action, e.source, e.channel) for e in events} == {
        ("website_cookies", c, "withdraw", "cookie_banner", "web")
        for c in ("analytics", "advertising", "support_chat")
    }

    client.post(
        "/cookies/choice",
        data={
            "choice": "save",
            "categories": ["analytics", "necessary", "bogus"],
            "csrf_token": token,
            "lang": "nb",
        },
        follow_redirects=False,
    )
    with rt(client).uow.read() as session:
        assert consent_service.cookie_choice(session, policy, visitor) == {
            "analytics": True,
            "advertising": False,
            "support_chat": False,
        }
    after, _ = banner(client)
    assert '"chosen": true' in after and re.search(r'id="tc-cat-analytics"[^>]*checked', after)

    page = client.get("/cookies?lang=en").text
    assert 'id="cookie-state-analytics" data-state="granted"' in page
    assert 'id="cookie-state-advertising" data-state="withdrawn"' in page
    assert page.count("data-event-id=") == 6
    receipt_id = re.search(r'id="receipt-([0-9a-f-]+)"', page)
    assert receipt_id is not None
    receipt = client.get(f"/api/v1/consent/receipts/{receipt_id.group(1)}")
    assert receipt.status_code == 200 and receipt.json()["collectionMethod"].startswith("Cookie banner")

    client.cookies.clear()
    assert client.get(f"/api/v1/consent/receipts/{receipt_id.group(1)}").status_code == 404


def test_a_choice_without_the_visitor_token_is_refused(client: TestClient) -> None:
    banner(client)
    response = client.post("/cookies/choice", data={"choice": "accept_all", "csrf_token": "x"})
    assert response.status_code == 403
    fresh = TestClient(client.app)
    assert fresh.post("/cookies/choice", data={"choice": "accept_all", "csrf_token": "x"}).status_code == 403


def test_the_embed_script_and_demo_page_are_served(client: TestClient) -> None:
    script = client.get("/static/tillit-cookies.js")
    assert (
        script.status_code == 200
        and "/cookies/banner" in script.text
        and "event.origin !== origin" in script.text
    )
    demo = client.get("/cookies/demo?lang=sv")
    assert demo.status_code == 200 and 'src="/static/tillit-cookies.js"' in demo.text


def test_packs_without_cookie_consent_have_no_banner(sqlite_url: str, clock: FixedClock) -> None:
    app = create_app(make_settings(sqlite_url, pack="bank"), clock=clock)
    with TestClient(app) as bank:
        assert bank.get("/cookies/banner").status_code == 404
    app.state.context.close()
