"""A Polish phone gets the survey in Polish, switches to Turkish in the language menu and answers in Turkish."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def live_config() -> dict[str, object]:
    """The test answers at once: no minimum time."""
    return {"SURVEY_MIN_FILL_SECONDS": 0}


def _fits_the_screen(page) -> bool:  # noqa: ANN001 - a Playwright Page
    """Nothing sticks out sideways (a 390 px phone scrolls only downwards)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_polish_phone_switches_to_turkish_and_answers(browser, live_server, make_code, screenshot) -> None:
    code = make_code()
    context = browser.new_context(**PHONE, locale="pl-PL")
    page = context.new_page()
    page.goto(f"{live_server}/t/{code.code}")
    assert page.get_attribute("html", "lang") == "pl"
    assert page.get_by_role("button", name="Wyślij").is_visible() and _fits_the_screen(page)
    screenshot(page, "languages-survey-pl")

    menu = page.get_by_role("navigation", name="Język / Language")
    menu.locator("summary").click()
    turkish = menu.get_by_role("link", name="Türkçe")
    box = turkish.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 44
    assert menu.get_by_role("link", name="Polski").get_attribute("aria-current") == "true"
    assert _fits_the_screen(page)
    screenshot(page, "languages-switcher-pl")  # the menu open

    turkish.click()
    page.wait_for_url("**lang=tr")
    assert page.get_attribute("html", "lang") == "tr" and _fits_the_screen(page)
    screenshot(page, "languages-survey-tr")
    for key, value in (("nps", "9"), ("csat", "4"), ("repurchase", "5")):
        page.locator(f"label[for=q_{key}_{value}]").click()
    page.get_by_role("button", name="Gönder").click()
    page.wait_for_url("**/thanks?r=*")
    assert page.get_by_role("heading", name="Teşekkürler!").is_visible() and _fits_the_screen(page)
    screenshot(page, "languages-thanks-tr")
    assert "r=" in (page.locator("nav.langs a[hreflang=pl]").get_attribute("href") or "")  # the switch keeps it
    context.close()
