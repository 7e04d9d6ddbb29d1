"""An editor builds a four-question survey with a condition with the mouse, clicks through the phone preview, and
customers answer it on their phones: the conditional question only follows a low NPS."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.surveys import services
from feedback.surveys.models import Response, Survey
from tests.browser.conftest import FRIEND_PHONE, PHONE, log_in

pytestmark = pytest.mark.browser

WIDE = {"viewport": {"width": 1440, "height": 900}, "user_agent": PHONE["user_agent"].replace("Mobile ", "")}


@pytest.fixture
def live_config() -> dict[str, object]:
    """The phones answer within a second: no "please take a moment" step."""
    return {"SURVEY_MIN_FILL_SECONDS": 0}


@pytest.fixture
def shop(make_user, make_workspace, make_campaign, make_touchpoint):  # noqa: ANN201
    """An editor, an empty survey on a touchpoint, and the touchpoint's printed code."""
    editor = make_user(email="baukasten@example.com", locale="de")
    workspace = make_workspace(members={editor: Role.EDITOR})
    touchpoint = make_touchpoint(campaign=make_campaign(workspace=workspace), name="Theke")
    survey = services.create_survey(workspace.id, "Baukasten")
    services.attach(touchpoint, survey)
    code = qr_services.create_code(touchpoint)
    db.session.commit()
    return editor, workspace, survey, code.code


def _save(page) -> None:  # noqa: ANN001
    page.locator("#new-submit").click()
    page.wait_for_url("**/surveys/*#questions")


def _build(page, base: str, workspace, survey, screenshot) -> None:  # noqa: ANN001
    """Add NPS, a single choice with three options, a text question for detractors and a satisfaction question."""
    page.goto(f"{base}/w/{workspace.slug}/surveys/{survey.id}")
    page.locator("a[href$='type=nps']").click()
    assert page.locator("[name^=new-option]").count() == 0, "a scale has no options"
    page.locator("#new-text").fill("Wie wahrscheinlich empfehlen Sie uns weiter?")
    page.locator("#new-text-en").fill("How likely are you to recommend us?")
    _save(page)

    page.locator("a[href$='type=single_choice']").click()
    assert page.locator("[name=new-low_label-de]").count() == 0, "a choice has no scale ends"
    page.locator("#new-text").fill("Wie haben Sie von uns erfahren?")
    page.locator("[name=new-option-0-label-de]").fill("Plakat")
    page.locator("[name=new-option-1-label-de]").fill("Freunde")
    page.locator("button[name=option_action][value=add]").click()
    page.locator("[name=new-option-2-label-de]").fill("Zeitung")
    page.locator("button[name=option_action][value=up-2]").click()  # Zeitung before Freunde
    assert page.locator("[name=new-option-1-label-de]").input_value() == "Zeitung"
    screenshot(page, "builder-choice-editor")
    _save(page)

    page.locator("a[href$='type=text']").click()
    page.locator("#new-text").fill("Was können wir besser machen?")
    page.locator("#new-condition_key").select_option(label="Wie wahrscheinlich empfehlen Sie uns weiter?")
    page.locator("[data-range='0-6']").click()
    assert page.locator("#new-condition_low").input_value() == "0"
    assert page.locator("#new-condition_high").input_value() == "6"
    page.locator("details.advanced summary").click()
    assert page.locator("#new-key").is_visible()
    screenshot(page, "builder-condition-editor")
    _save(page)

    page.locator("a[href$='type=csat']").click()
    page.locator("#new-text").fill("Wie zufrieden sind Sie insgesamt?")
    _save(page)
    assert page.locator(".qcard").count() == 4


def _click_through_preview(page, keys: list[str]) -> None:  # noqa: ANN001
    """The phone preview beside the questions goes page by page to its end."""
    frame = page.frame_locator(".builder__preview iframe")
    frame.locator(f"label[for=q_{keys[0]}_3]").click()
    frame.get_by_text("Zeitung", exact=True).click()
    frame.locator("button[type=submit]").click()
    frame.locator("legend").filter(has_text="Was können wir besser machen?").wait_for()
    frame.locator("textarea").fill("Mehr Parkplätze")
    frame.locator(f"label[for=q_{keys[3]}_4]").click()
    frame.locator("button[type=submit]").click()
    frame.locator("h1").filter(has_text="Vorschau").wait_for()


def _answer_on_a_phone(browser, base: str, code: str, device: dict, keys: list[str], nps: int, shot=None) -> list[str]:  # noqa: ANN001
    """Answer the survey on a phone; the texts of the second page's questions."""
    context = browser.new_context(**device, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    page = context.new_page()
    page.goto(f"{base}/t/{code}")
    page.locator(f"label[for=q_{keys[0]}_{nps}]").click()
    page.get_by_text("Freunde", exact=True).click()
    page.locator("form.survey button[type=submit]").click()
    page.locator(f"label[for=q_{keys[3]}_5]").wait_for()
    second = page.locator("form.survey legend").all_inner_texts()
    if shot:
        shot(page, f"builder-answered-on-a-phone-nps{nps}")
    if page.locator("textarea").count():
        page.locator("textarea").fill("Schnellere Kasse")
    page.locator(f"label[for=q_{keys[3]}_5]").click()
    page.locator("form.survey button[type=submit]").click()
    page.wait_for_url("**/thanks?r=*")
    context.close()
    return second


def test_a_survey_is_built_with_the_mouse_previewed_and_answered_on_phones(
    browser, live_server, shop, screenshot
) -> None:
    editor, workspace, survey, code = shop
    context = browser.new_context(**WIDE, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    page = context.new_page()
    log_in(page, live_server, editor.email)
    _build(page, live_server, workspace, survey, screenshot)
    screenshot(page, "builder-survey-desktop")
    db.session.rollback()
    questions = db.session.get(Survey, survey.id).current.specs()
    keys = [q.key for q in questions]
    assert keys == [  # made from the texts: ASCII, at most 40 characters, whole words
        "wie_wahrscheinlich_empfehlen_sie_uns",
        "wie_haben_sie_von_uns_erfahren",
        "was_konnen_wir_besser_machen",
        "wie_zufrieden_sind_sie_insgesamt",
    ]
    _click_through_preview(page, keys)
    screenshot(page, "builder-preview-end-desktop")
    context.close()

    assert [o.value for o in questions[1].options] == ["plakat", "zeitung", "freunde"]
    condition = questions[2].condition
    assert (condition.key, condition.low, condition.high) == (questions[0].key, 0, 6)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0, "the preview saves nothing"

    low = _answer_on_a_phone(browser, live_server, code, PHONE, keys, nps=3, shot=screenshot)
    high = _answer_on_a_phone(browser, live_server, code, FRIEND_PHONE, keys, nps=10)
    assert any("besser machen" in text for text in low)
    assert not any("besser machen" in text for text in high)
    db.session.rollback()
    responses = list(db.session.scalars(sa.select(Response).order_by(Response.id)))
    answers = [services.answers_by_key(r) for r in responses]
    assert [r.completed_at is not None for r in responses] == [True, True]
    assert answers[0] == dict(zip(keys, [3, "freunde", "Schnellere Kasse", 5], strict=True))
    assert answers[1] == {keys[0]: 10, keys[1]: "freunde", keys[3]: 5}


def test_the_builder_fits_a_phone(browser, live_server, shop, screenshot) -> None:
    editor, workspace, survey, _code = shop
    context = browser.new_context(**PHONE, locale="de-DE", extra_http_headers={"Accept-Language": "de-DE"})
    page = context.new_page()
    log_in(page, live_server, editor.email)
    page.goto(f"{live_server}/w/{workspace.slug}/surveys/{survey.id}/questions?type=single_choice")
    page.locator("#new-text").fill("Wie haben Sie von uns erfahren?")
    page.locator("[name=new-option-0-label-de]").fill("Plakat")
    screenshot(page, "builder-choice-editor-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
    context.close()


def test_options_are_added_and_moved_without_javascript(browser, live_server, shop, screenshot) -> None:
    editor, workspace, survey, _code = shop
    context = browser.new_context(
        **WIDE, locale="de-DE", java_script_enabled=False, extra_http_headers={"Accept-Language": "de-DE"}
    )
    page = context.new_page()
    log_in(page, live_server, editor.email)
    page.goto(f"{live_server}/w/{workspace.slug}/surveys/{survey.id}")
    page.locator("a[href$='type=multi_choice']").click()
    page.locator("#new-text").fill("Was interessiert Sie?")
    page.locator("[name=new-option-0-label-de]").fill("Bohnen")
    page.locator("[name=new-option-1-label-de]").fill("Kurse")
    page.locator("button[name=option_action][value=add]").click()  # the server shows the form again
    assert page.locator("[name^=new-option-][name$=-label-de]").count() == 4  # two typed, two empty
    page.locator("[name=new-option-2-label-de]").fill("Maschinen")
    page.locator("button[name=option_action][value=up-2]").click()
    assert page.locator("[name=new-option-1-label-de]").input_value() == "Maschinen"
    page.locator("button[name=option_action][value=remove-0]").click()
    screenshot(page, "builder-options-nojs")
    _save(page)
    context.close()
    db.session.rollback()
    question = db.session.get(Survey, survey.id).current.specs()[0]
    assert [o.value for o in question.options] == ["maschinen", "kurse"]
