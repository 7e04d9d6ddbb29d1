"""The respondent flow on /t/<code>: validation, idempotency, versions, repeat answers, bots."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.surveys import services
from feedback.surveys.models import Answer, Response
from feedback.surveys.questions import Option, QuestionSpec, QuestionType
from feedback.texts import Texts
from tests.helpers import count
from tests.phone import PHONE, Respondent, answer_all, form_fields, open_form

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)  # tests answer at once: no bot flag


@pytest.fixture
def code(app, make_touchpoint, make_survey, make_code):  # noqa: ANN201
    """A code of a touchpoint showing the trade-fair template."""
    touchpoint = make_touchpoint(name="Messe")
    make_survey(touchpoint, "trade-fair", name="Messebesuch")
    return make_code(touchpoint)


def test_the_landing_page_shows_the_survey_in_the_visitors_language(client, code) -> None:
    html = client.get(f"/t/{code.code}", headers={**PHONE, "Accept-Language": "de-DE"}).get_data(as_text=True)
    assert "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?" in html
    assert html.count('name="q_nps"') == 11 and 'name="q_follow_up"' in html
    english = client.get(f"/t/{code.code}?lang=en", headers=PHONE).get_data(as_text=True)
    assert "How likely are you to recommend us to a friend or colleague?" in english


def test_a_complete_submission_stores_one_response_with_typed_answers(client, code) -> None:
    fields = open_form(client, code)
    time.sleep(0)  # the fill time is checked against the form's signed time stamp, not slept on
    response = answer_all(client, code, fields)
    assert response.status_code == 303 and "/thanks?r=" in response.headers["Location"]
    assert "Vielen Dank" in client.get(response.headers["Location"], headers={"Accept-Language": "de"}).get_data(
        as_text=True
    )
    stored = db.session.scalar(sa.select(Response))
    assert stored.completed_at is not None and stored.language == "de" and stored.scan_id is not None
    values = {a.question_key: (a.value_number, a.value_text) for a in stored.answers}
    assert values == {"nps": (9, None), "csat": (4, None), "ces": (6, None), "follow_up": (None, "offer")}


def test_a_double_submit_makes_one_response(client, code) -> None:
    fields = open_form(client, code)
    first, second = answer_all(client, code, fields), answer_all(client, code, fields)
    assert first.status_code == second.status_code == 303
    assert count(Response) == 1 and count(Answer) == 4


def test_errors_come_back_next_to_the_question_with_answers_kept(client, code) -> None:
    fields = open_form(client, code)
    response = answer_all(client, code, fields, q_nps="11", q_ces="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte wählen Sie einen Wert von 0 bis 10." in html and "Bitte beantworten Sie diese Frage." in html
    assert 'id="err-nps"' in html and 'aria-describedby="err-ces"' in html
    assert re.search(r'value="4"\s+checked', html), "the CSAT answer is kept"
    assert count(Response) == 0


def test_unknown_question_keys_and_tampered_state_change_nothing(client, code) -> None:
    fields = open_form(client, code)
    answer_all(client, code, fields, q_unknown="x")
    assert {a.question_key for a in db.session.scalars(sa.select(Answer))} == {"nps", "csat", "ces", "follow_up"}
    forged = {**fields, "state": fields["state"][:-4] + "AAAA"}
    assert answer_all(client, code, forged).status_code == 303  # back to the fresh form, nothing stored
    assert count(Response) == 1


def test_an_oversized_body_is_refused_with_413(client, code) -> None:
    fields = open_form(client, code)
    response = answer_all(client, code, fields, q_reason="x" * (10 * 1024 * 1024))
    assert response.status_code == 413 and count(Response) == 0


def test_a_form_of_an_older_version_is_refused_politely(app, client, code) -> None:
    fields = open_form(client, code)
    survey = db.session.get(services.Survey, code.touchpoint.survey_id)
    someone = app.test_client()
    answer_all(someone, code, open_form(someone, code))  # someone else answers version 1 …
    services.add_question(survey, QuestionSpec("extra", QuestionType.TEXT, False, text=Texts.of(en="More?")))  # … so v2
    db.session.commit()
    response = answer_all(client, code, fields)
    assert (
        response.status_code == 409
        and "updated" in response.get_data(as_text=True)
        or "aktualisiert" in (response.get_data(as_text=True))
    )
    assert count(Response) == 1


def test_a_visitor_who_answered_sees_already_answered(client, code) -> None:
    answer_all(client, code, open_form(client, code))
    html = client.get(f"/t/{code.code}", headers={**PHONE, "Accept-Language": "en"}).get_data(as_text=True)
    assert "You have already answered" in html
    assert count(Response) == 1


@pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=30)
def test_honeypot_and_instant_answers_are_kept_but_flagged(client, code) -> None:
    answer_all(client, code, open_form(client, code), leave_empty="http://spam.example")
    stored = db.session.scalar(sa.select(Response))
    assert stored.flagged and "honeypot" in stored.flag_reason and "too_fast" in stored.flag_reason


def test_hostile_free_text_is_stored_as_typed_and_escaped_when_shown(app, client, make_touchpoint) -> None:
    touchpoint = make_touchpoint()
    survey = services.create_survey(touchpoint.workspace_id, "Text", None)
    services.add_question(survey, QuestionSpec("why", QuestionType.TEXT, True, text=Texts.of(en="Why?")))
    services.attach(touchpoint, survey)
    code = qr_services.create_code(touchpoint)
    db.session.commit()
    hostile = "<script>alert(1)</script> {{ 7*7 }} 👍🏽 שלום"
    response = Respondent(client).submit(f"/t/{code.code}", q_why=hostile, q_nope="1")
    assert response.status_code == 303
    assert db.session.scalar(sa.select(Answer.value_text)) == hostile
    another = Respondent(app.test_client(), {"Accept-Language": "en"})
    page = another.submit(f"/t/{code.code}", q_why="x" * 2001).get_data(as_text=True)
    assert "Please keep it under 2000 characters." in page


def test_conditional_reason_appears_on_a_second_page_with_the_right_wording(client, make_touchpoint) -> None:
    touchpoint = make_touchpoint()
    services.attach(touchpoint, services.create_survey(touchpoint.workspace_id, "NPS", "nps-reason"))
    code = qr_services.create_code(touchpoint)
    db.session.commit()
    phone = Respondent(client, {"Accept-Language": "en"})
    action, fields = phone.form(f"/t/{code.code}")
    second = phone.post(action, {**fields, "q_nps": "3"})
    html = second.get_data(as_text=True)
    assert second.status_code == 200 and "What should we improve?" in html and 'name="page" value="1"' in html
    partial = db.session.scalar(sa.select(Response))
    assert partial.completed_at is None and [a.value_number for a in partial.answers] == [3]
    done = phone.post(action, {**fields, "page": "1", "q_reason": "Zu teuer"})
    assert done.status_code == 303
    db.session.refresh(partial)
    assert partial.completed_at is not None and {a.question_key for a in partial.answers} == {"nps", "reason"}


def test_javascript_saves_each_answer_as_it_is_given(client, code) -> None:
    fields = open_form(client, code)
    url = f"/t/{code.code}/answer"
    saved = client.post(url, data={"state": fields["state"], "key": "nps", "value": "10"}, headers=PHONE)
    assert saved.status_code == 200 and saved.json == {"saved": "nps"}
    assert client.post(url, data={"state": fields["state"], "key": "nps", "value": "12"}).status_code == 422
    assert client.post(url, data={"state": "forged", "key": "nps", "value": "1"}).status_code == 400
    partial = db.session.scalar(sa.select(Response))
    assert partial.completed_at is None and [a.value_number for a in partial.answers] == [10]
    answer_all(client, code, fields, q_nps="8")
    db.session.refresh(partial)
    assert count(Response) == 1 and partial.completed_at is not None
    assert {a.question_key: a.value_number for a in partial.answers}["nps"] == 8


def test_multiple_choice_is_stored_one_row_per_option(client, make_touchpoint) -> None:
    touchpoint = make_touchpoint()
    survey = services.create_survey(touchpoint.workspace_id, "Multi", None)
    services.add_question(
        survey,
        QuestionSpec(
            "topics",
            QuestionType.MULTI_CHOICE,
            True,
            text=Texts.of(de="Themen"),
            options=(Option("a", Texts.of(de="A")), Option("b", Texts.of(de="B")), Option("c", Texts.of(de="C"))),
        ),
    )
    services.attach(touchpoint, survey)
    code = qr_services.create_code(touchpoint)
    db.session.commit()
    assert Respondent(client).submit(f"/t/{code.code}", q_topics=["c", "a"]).status_code == 303
    assert sorted(db.session.scalars(sa.select(Answer.value_text))) == ["a", "c"]


def test_the_survey_page_is_light_and_self_contained(client, code) -> None:
    html = client.get(f"/t/{code.code}", headers=PHONE).get_data(as_text=True)
    assert len(html.encode()) < 30_000
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert '<script src="/static/respond.js"' in html and "@import" not in html and "font-face" not in html


def test_overlapping_first_saves_of_one_form_set_the_same_visitor_cookie(app, code) -> None:
    visitor = app.test_client()
    fields = open_form(visitor, code)
    cookies = []
    for key, value in (("nps", "9"), ("csat", "4")):
        fresh = app.test_client()  # as if both requests left before the first cookie arrived
        reply = fresh.post(f"/t/{code.code}/answer", data={"state": fields["state"], "key": key, "value": value})
        cookies.append(reply.headers["Set-Cookie"].split(";")[0])
    assert cookies[0] == cookies[1]
    stored = db.session.scalar(sa.select(Response))
    visitor.set_cookie("fb_vid", cookies[0].split("=", 1)[1])
    answer_all(visitor, code, fields)
    again = Respondent(visitor).open(f"/t/{code.code}").get_data(as_text=True)
    assert form_fields(again) == {}, "the same visitor now sees 'already answered'"
    assert count(Response) == 1 and stored.completed_at is not None


def test_calls_to_action_wait_for_the_thank_you_page(client, code) -> None:
    touchpoint = code.touchpoint
    touchpoint.cta_url, touchpoint.cta_label = "https://shop.example.com/", {"de": "Zum Shop"}
    db.session.commit()
    survey_page = client.get(f"/t/{code.code}", headers=PHONE).get_data(as_text=True)
    assert "Zum Shop" not in survey_page, "no way out of the survey before it is answered"
    thanks = answer_all(client, code, form_fields(survey_page))
    html = client.get(thanks.headers["Location"], headers=PHONE).get_data(as_text=True)
    assert f'href="/t/{code.code}/go/cta"' in html and "Zum Shop" in html


def test_saves_of_one_response_lock_it_on_postgresql(client, code) -> None:
    """A page submit and the script's answer saves of one response run one after the other, never interleaved.

    SQLite serialises every write transaction already (BEGIN IMMEDIATE); PostgreSQL needs the row lock, without
    which a submit deleted answers a concurrent save had just replaced (seen as a flaky browser test).
    """
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs write transactions one at a time")
    fields = open_form(client, code)
    statements: list[str] = []

    def remember(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        client.post(f"/t/{code.code}/answer", data={"state": fields["state"], "key": "nps", "value": "10"})
        answer_all(client, code, fields)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    locks = [s for s in statements if s.startswith("SELECT") and "FROM response" in s and s.endswith("FOR UPDATE")]
    assert len(locks) >= 2
    assert count(Response) == 1 and count(Answer) == 4
