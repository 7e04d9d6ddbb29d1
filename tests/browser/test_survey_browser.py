"""A customer answers every question type on a phone, with and without JavaScript, in German and English."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.surveys import services
from feedback.surveys.models import Response
from feedback.surveys.questions import Option, QuestionSpec, QuestionType
from feedback.texts import Texts
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def live_config() -> dict[str, object]:
    """The browser answers within a second: no "please take a moment" step (tests/surveys/test_take_a_moment.py)."""
    return {"SURVEY_MIN_FILL_SECONDS": 0}

ALL_TYPES = [
    QuestionSpec(
        "nps",
        QuestionType.NPS,
        True,
        Texts.of(de="Würden Sie uns empfehlen?", en="Would you recommend us?"),
        Texts.of(de="Unwahrscheinlich", en="Unlikely"),
        Texts.of(de="Sehr wahrscheinlich", en="Very likely"),
    ),
    QuestionSpec("csat", QuestionType.CSAT, True, Texts.of(de="Wie zufrieden sind Sie?", en="How satisfied are you?")),
    QuestionSpec("ces", QuestionType.CES, True, Texts.of(de="Es war einfach.", en="It was easy.")),
    QuestionSpec("repurchase", QuestionType.RATING, True, Texts.of(de="Wieder kaufen?", en="Buy again?")),
    QuestionSpec(
        "channel",
        QuestionType.SINGLE_CHOICE,
        True,
        Texts.of(de="Wie haben Sie uns gefunden?", en="How did you find us?"),
        options=(
            Option("poster", Texts.of(de="Plakat", en="Poster")),
            Option("friend", Texts.of(de="Freunde", en="Friends")),
        ),
    ),
    QuestionSpec(
        "topics",
        QuestionType.MULTI_CHOICE,
        False,
        Texts.of(de="Was interessiert Sie?", en="What interests you?"),
        options=(
            Option("beans", Texts.of(de="Bohnen", en="Beans")),
            Option("machines", Texts.of(de="Maschinen", en="Machines")),
            Option("courses", Texts.of(de="Kurse", en="Courses")),
        ),
    ),
    QuestionSpec("comment", QuestionType.TEXT, False, Texts.of(de="Noch etwas?", en="Anything else?")),
]


@pytest.fixture
def code(app, make_touchpoint):  # noqa: ANN201
    """A code whose touchpoint asks every question type on one page."""
    touchpoint = make_touchpoint(name="Plakat")
    touchpoint.headline_texts = {"de": "Ihre Meinung zählt", "en": "Your opinion counts"}
    survey = services.create_survey(touchpoint.workspace_id, "Alle Typen", None)
    for spec in ALL_TYPES:
        services.add_question(survey, spec)
    services.attach(touchpoint, survey)
    created = qr_services.create_code(touchpoint)
    db.session.commit()
    return created.code


def _saves_the_comment(response) -> bool:  # noqa: ANN001 - a Playwright Response
    """The per-answer save of the comment question (respond.js posts key=comment)."""
    body = response.request.post_data or ""
    return response.request.method == "POST" and 'name="key"\r\n\r\ncomment\r\n' in body


@pytest.mark.parametrize(
    ("javascript", "language", "labels"),
    [
        (
            True,
            "de-DE",
            {"poster": "Plakat", "beans": "Bohnen", "courses": "Kurse", "send": "Senden", "thanks": "Vielen Dank!"},
        ),
        (
            False,
            "de-DE",
            {"poster": "Plakat", "beans": "Bohnen", "courses": "Kurse", "send": "Senden", "thanks": "Vielen Dank!"},
        ),
        (
            True,
            "en-GB",
            {"poster": "Poster", "beans": "Beans", "courses": "Courses", "send": "Send", "thanks": "Thank you!"},
        ),
        (
            False,
            "en-GB",
            {"poster": "Poster", "beans": "Beans", "courses": "Courses", "send": "Send", "thanks": "Thank you!"},
        ),
    ],
)
def test_a_phone_answers_every_question_type(
    browser, live_server, code, screenshot, javascript, language, labels
) -> None:
    context = browser.new_context(
        **PHONE, locale=language, java_script_enabled=javascript, extra_http_headers={"Accept-Language": language}
    )
    page = context.new_page()
    page.goto(f"{live_server}/t/{code}")
    name = f"survey-{'js' if javascript else 'nojs'}-{language[:2]}"
    screenshot(page, name)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page must not scroll sideways on a phone"
    page.locator("label[for=q_nps_9]").click()
    page.locator("label[for=q_csat_4]").click()
    page.locator("label[for=q_ces_6]").click()
    page.locator("label[for=q_repurchase_5]").click()
    page.get_by_text(labels["poster"], exact=True).click()
    page.get_by_text(labels["beans"], exact=True).click()
    page.get_by_text(labels["courses"], exact=True).click()
    comment = "Guter Kaffee 👍 – שלום"
    if not javascript:
        page.locator("#q_comment").fill(comment)
    else:  # the comment is saved once typing pauses: wait for that answer to come back
        with page.expect_response(_saves_the_comment):
            page.locator("#q_comment").fill(comment)
        db.session.rollback()
        partial = db.session.scalar(sa.select(Response))
        assert partial is not None and partial.completed_at is None, "answers are saved as they are given"
    page.get_by_role("button", name=labels["send"]).click()
    page.wait_for_url("**/thanks?r=*")
    assert page.get_by_role("heading", name=labels["thanks"]).is_visible()
    screenshot(page, f"{name}-thanks")
    page.go_back()  # and send the same form once more
    if page.get_by_role("button", name=labels["send"]).count():
        page.get_by_role("button", name=labels["send"]).click()
    context.close()

    db.session.rollback()
    responses = list(db.session.scalars(sa.select(Response)))
    assert len(responses) == 1 and responses[0].completed_at is not None, [
        (r.token[:6], r.completed_at, r.language, [(a.question_key, a.value_number, a.value_text) for a in r.answers])
        for r in responses
    ]
    answers = {}
    for answer in responses[0].answers:
        value = answer.value_number if answer.value_number is not None else answer.value_text
        answers.setdefault(answer.question_key, []).append(value)
    assert answers == {
        "nps": [9],
        "csat": [4],
        "ces": [6],
        "repurchase": [5],
        "channel": ["poster"],
        "topics": sorted(["beans", "courses"]) if False else answers["topics"],
        "comment": ["Guter Kaffee 👍 – שלום"],
    }
    assert sorted(answers["topics"]) == ["beans", "courses"]
    assert responses[0].language == language[:2]


def test_nps_buttons_wrap_cleanly_at_320_pixels(browser, live_server, code, screenshot) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{live_server}/t/{code}")
    tops = page.eval_on_selector_all(
        "label[for^=q_nps_]", "els => els.map(e => Math.round(e.getBoundingClientRect().top))"
    )
    widths = page.eval_on_selector_all("label[for^=q_nps_]", "els => els.map(e => e.getBoundingClientRect().width)")
    assert len(set(tops)) == 2 and tops.count(tops[0]) == 6, tops  # 0–5 on the first row, 6–10 on the second
    assert min(widths) >= 44, "tap targets of at least 44 px"
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, "survey-320")
    context.close()
