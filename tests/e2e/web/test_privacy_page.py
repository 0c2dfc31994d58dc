"""The landing page, the privacy notice page and the policy API, through the real app (TestClient)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tillit.main import create_app
from tillit.policy.loader import available_packs, load_file, load_pack
from tillit.policy.schema import Policy

MINIMAL = Path(__file__).resolve().parents[2] / "fixtures" / "policies" / "minimal.yaml"
HAS_BANK = "bank" in available_packs()


@pytest.fixture
def policy() -> Policy:
    return load_pack("bank").policy if HAS_BANK else load_file(MINIMAL).policy


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    """The app over the bank pack (or the minimal policy until the bank pack exists)."""
    settings = make_settings(sqlite_url) if HAS_BANK else make_settings(sqlite_url, policy_path=MINIMAL)
    app = create_app(settings)
    with TestClient(app) as test_client:
        yield test_client
    app.state.context.close()


def test_landing_page_says_what_to_open(client: TestClient, policy: Policy) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    default = policy.organisation.default_language
    assert response.headers["content-language"] == default
    html = response.text
    assert f'<html lang="{default}">' in html
    assert policy.organisation.name in html
    for lang in policy.languages:
        assert f'href="/privacy?lang={lang}"' in html
    assert 'href="/docs"' in html
    assert 'href="/api/v1/policy"' in html
    assert client.get("/?lang=en").headers["content-language"] == "en"


@pytest.mark.parametrize(
    ("lang", "title", "rights", "article"),
    [
        ("nb", "Personvernerklæring", "Dine rettigheter", "GDPR art. 6 nr. 1 bokstav b"),
        ("en", "Privacy notice", "Your rights", "Article 6(1)(b) GDPR"),
    ],
)
def test_privacy_page_serves_the_notice_in_the_language_asked_for(
    client: TestClient, policy: Policy, lang: str, title: str, rights: str, article: str
) -> None:
    response = client.get("/privacy", params={"lang": lang})
    assert response.status_code == 200
    assert response.headers["content-language"] == lang
    html = response.text
    assert f'<html lang="{lang}">' in html
    assert f'<h1 id="notice-title">{title}</h1>' in html
    assert f"<h2>{rights}</h2>" in html
    assert article in html
    for purpose in policy.purposes:
        assert purpose.name[lang] in html
    # The language switcher: every language, named in itself, the current one marked.
    assert html.count('aria-current="page"') == 1
    assert f'href="/privacy?lang={lang}" hreflang="{lang}" lang="{lang}" aria-current="page"' in html
    for other in policy.languages:
        assert f'href="/privacy?lang={other}"' in html
    assert '<link rel="stylesheet" href="/privacy/notice.css">' in html


def test_privacy_page_defaults_to_the_policy_language(client: TestClient, policy: Policy) -> None:
    response = client.get("/privacy")
    default = policy.organisation.default_language
    assert response.status_code == 200
    assert response.headers["content-language"] == default
    assert f'<html lang="{default}">' in response.text


def test_bank_notice_keeps_its_promises_on_the_page(client: TestClient) -> None:
    if not HAS_BANK:
        pytest.skip("the bank pack is not present yet")
    html = client.get("/privacy", params={"lang": "nb"}).text
    assert "1 år etter at samtalen ble avsluttet" in html
    assert "5 år etter at samtalen ble avsluttet" in html
    assert "Datatilsynet" in html


@pytest.mark.parametrize("lang", ["xx", "fi", "<script>alert(1)</script>"])
def test_an_unknown_language_gets_a_friendly_page_with_the_choices(
    client: TestClient, policy: Policy, lang: str
) -> None:
    response = client.get("/privacy", params={"lang": lang})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == policy.organisation.default_language
    html = response.text
    assert "<script>alert(1)</script>" not in html
    for code in policy.languages:
        assert f'href="/privacy?lang={code}"' in html
    assert client.get("/", params={"lang": lang}).status_code == 422


def test_policy_api_returns_the_policy_as_json(client: TestClient, policy: Policy) -> None:
    response = client.get("/api/v1/policy")
    assert response.status_code == 200
    body = response.json()
    assert body["pack"] == policy.pack
    assert body["version"] == policy.version
    assert [p["id"] for p in body["purposes"]] == [p.id for p in policy.purposes]
    assert "from" in body["purposes"][0]["retention"][0] or not policy.purposes[0].retention
    assert response.headers["etag"].strip('"')


@pytest.mark.parametrize(("fmt", "media_type"), [("md", "text/markdown"), ("html", "text/html")])
def test_notice_api_in_both_formats(client: TestClient, fmt: str, media_type: str) -> None:
    response = client.get("/api/v1/policy/notice", params={"lang": "en", "format": fmt})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["content-language"] == "en"
    assert "Your rights" in response.text
    if fmt == "md":
        assert response.text.startswith("# Privacy notice: ")
    else:
        assert response.text.startswith("<!doctype html>")


def test_notice_api_rejects_an_unknown_language_or_format_with_json(client: TestClient) -> None:
    response = client.get("/api/v1/policy/notice", params={"lang": "xx"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"
    assert "xx" in response.json()["error"]["message"]
    response = client.get("/api/v1/policy/notice", params={"format": "pdf"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "format"


def test_api_docs_and_static_files_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/privacy", "/api/v1/policy", "/api/v1/policy/notice"} <= set(paths)
    for url in ("/static/site.css", "/privacy/notice.css"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/css")
    assert client.get("/static/nope.css").status_code == 404
