"""The privacy notice in a real browser: headings, keyboard language switch, phone layout, screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser


def headings(page: Page, level: str) -> list[str]:
    return [text.strip() for text in page.locator(level).all_inner_texts()]


def test_notice_switches_language_with_the_keyboard(
    browser: Browser, live_server: str, artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        response = page.goto(f"{live_server}/privacy?lang=nb")
        assert response is not None and response.status == 200
        assert response.headers["content-language"] == "nb"
        assert page.get_attribute("html", "lang") == "nb"
        assert headings(page, "h1") == ["Personvernerklæring"]
        assert {"Hvem er ansvarlig", "Kort oppsummert", "Dine rettigheter"} <= set(headings(page, "h2"))
        assert page.locator("main").count() == 1
        assert page.locator('nav[aria-label="Språk"]').count() == 1
        page.screenshot(path=str(artifacts / "privacy-nb.png"), full_page=True)

        # Tab through the page from the top until the English link has focus, then follow it with Enter.
        for _ in range(30):
            page.keyboard.press("Tab")
            if (
                page.evaluate("document.activeElement && document.activeElement.getAttribute('hreflang')")
                == "en"
            ):
                break
        else:
            pytest.fail("the English language link cannot be reached with Tab")
        with page.expect_navigation() as navigation:
            page.keyboard.press("Enter")
        english = navigation.value
        assert english is not None and english.status == 200
        assert english.headers["content-language"] == "en"
        assert page.url.endswith("/privacy?lang=en")
        assert page.get_attribute("html", "lang") == "en"
        assert headings(page, "h1") == ["Privacy notice"]
        h2 = headings(page, "h2")
        for expected in ("Who is responsible", "Summary", "How we use your personal data", "Your rights"):
            assert expected in h2
        assert "Changes to this notice" in h2
        assert page.locator('a[hreflang="en"][aria-current="page"]').count() == 1
        page.screenshot(path=str(artifacts / "privacy-en.png"), full_page=True)
    finally:
        context.close()


def test_notice_fits_a_phone_without_horizontal_scrolling(
    browser: Browser, live_server: str, artifacts: Path
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server}/privacy?lang=nb")
        sizes = page.evaluate(
            "({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,"
            " body: document.body.scrollWidth})"
        )
        assert sizes["client"] == 390
        assert sizes["scroll"] <= sizes["client"], sizes
        assert sizes["body"] <= sizes["client"], sizes
        widest = page.evaluate(
            "Math.max(...[...document.querySelectorAll('main *')].map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= 390.5, f"an element reaches {widest}px on a 390px screen"
        page.screenshot(path=str(artifacts / "privacy-phone-nb.png"), full_page=True)
        page.goto(f"{live_server}/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(artifacts / "landing-phone.png"), full_page=False)
    finally:
        context.close()
