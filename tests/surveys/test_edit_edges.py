"""Edges of editing surveys and texts: languages the workspace dropped keep their texts, keys that conditions
refer to stay, generated keys never reuse an answered one, malformed ranges get an error, not a crash."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.leads import scoring as leads
from feedback.leads.models import LeadSettings
from feedback.surveys import services
from feedback.surveys.models import Answer, Question, Response, Survey
from feedback.surveys.questions import Condition, Option, QuestionSpec, QuestionType
from feedback.texts import Texts


@pytest.fixture
def workspace(client, auth, make_user, make_workspace):  # noqa: ANN201
    """A workspace writing German, English and French, whose owner is logged in."""
    owner = make_user()
    ws = make_workspace(owner=owner)
    ws.languages = "de,en,fr"
    db.session.commit()
    auth.login(owner)
    return ws


def _stored(survey: Survey, key: str) -> Question:
    db.session.expire_all()
    return next(q for q in db.session.get(Survey, survey.id).current.questions if q.key == key)


def test_texts_in_a_dropped_language_stay_when_the_question_is_edited(client, workspace) -> None:
    survey = services.create_survey(workspace.id, "Sprachen")
    pick = QuestionSpec(
        "pick",
        QuestionType.SINGLE_CHOICE,
        True,
        Texts.of(de="Wie?", en="How?", fr="Comment ?"),
        options=(Option("a", Texts.of(de="A-de", fr="A-fr")), Option("b", Texts.of(de="B-de", fr="B-fr"))),
    )
    services.add_question(survey, pick)
    workspace.languages = "de,en"  # French dropped
    db.session.commit()
    url = f"/w/{workspace.slug}/surveys/{survey.id}/questions/pick/edit"
    form = {"type": "single_choice", "key": "pick", "required": "y", "text-de": "Wie genau?", "text-en": "How?"}
    form |= {"option-0-value": "a", "option-0-label-de": "A neu", "option-1-value": "b", "option-1-label-de": "B-de"}
    assert client.post(url, data=form).status_code == 302
    question = _stored(survey, "pick")
    assert question.text == {"de": "Wie genau?", "en": "How?", "fr": "Comment ?"}
    assert [o for o in question.options] == [
        {"value": "a", "de": "A neu", "fr": "A-fr"},
        {"value": "b", "de": "B-de", "fr": "B-fr"},
    ]


def test_the_consent_text_of_a_dropped_language_stays_when_the_scoring_is_saved(client, workspace) -> None:
    leads.save_rules(workspace.id, {}, 30, 60, Texts.of(de="Wir rufen an.", fr="Nous appelons."))
    workspace.languages = "de"
    db.session.commit()
    leads.save_rules(workspace.id, {}, 30, 60, Texts.of(de="Wir schreiben."))
    db.session.commit()
    assert db.session.get(LeadSettings, workspace.id).purpose == {"de": "Wir schreiben.", "fr": "Nous appelons."}


def test_a_key_that_a_later_condition_refers_to_cannot_be_renamed(client, workspace) -> None:
    survey = services.create_survey(workspace.id, "Bedingt")
    services.add_question(survey, QuestionSpec("nps", QuestionType.NPS, True, Texts.of(de="Empfehlen?")))
    services.add_question(
        survey, QuestionSpec("why", QuestionType.TEXT, False, Texts.of(de="Warum?"), condition=Condition("nps", 0, 6))
    )
    db.session.commit()
    url = f"/w/{workspace.slug}/surveys/{survey.id}/questions/nps/edit"
    page = client.post(url, data={"type": "nps", "key": "nps_main", "required": "y", "text-de": "Empfehlen?"})
    assert page.status_code == 422 and "Later questions refer to this key" in page.get_data(as_text=True)
    assert [q.key for q in db.session.get(Survey, survey.id).current.questions] == ["nps", "why"]
    assert client.get(f"/w/{workspace.slug}/surveys/{survey.id}").status_code == 200


def test_a_generated_key_never_reuses_one_that_older_versions_have_answers_under(
    workspace, make_campaign, make_touchpoint
) -> None:
    survey = services.create_survey(workspace.id, "Versionen")
    services.add_question(survey, QuestionSpec("was_fehlt", QuestionType.TEXT, False, Texts.of(de="Was fehlt?")))
    touchpoint = make_touchpoint(campaign=make_campaign(workspace=workspace))
    response = Response(workspace_id=workspace.id, touchpoint_id=touchpoint.id, version_id=survey.current.id,
                        token="t-old", visitor_key="v" * 32, language="de", started_at=db.func.now())  # fmt: skip
    db.session.add(response)
    db.session.flush()
    db.session.add(Answer(response_id=response.id, workspace_id=workspace.id, touchpoint_id=touchpoint.id,
                          question_key="was_fehlt", question_type="text", value_text="Milch",
                          answered_at=db.func.now()))  # fmt: skip
    db.session.commit()
    services.remove_question(survey, "was_fehlt")  # version 2 without it
    new = QuestionSpec("", QuestionType.SINGLE_CHOICE, True, Texts.of(de="Was fehlt?"),
                       options=(Option("a", Texts.of(de="A")), Option("b", Texts.of(de="B"))))  # fmt: skip
    question = services.add_question(survey, new)
    db.session.commit()
    assert question.key == "was_fehlt_2"


@pytest.mark.parametrize(("low", "high"), [("x", "5"), ("²", "5"), ("3", "zehn")])
def test_a_malformed_condition_range_is_an_error_not_a_crash(client, workspace, low: str, high: str) -> None:
    survey = services.create_survey(workspace.id, "Bereich")
    services.add_question(survey, QuestionSpec("nps", QuestionType.NPS, True, Texts.of(de="Empfehlen?")))
    db.session.commit()
    url = f"/w/{workspace.slug}/surveys/{survey.id}/questions?type=text"
    data = {"new-text-de": "Warum?", "new-condition_key": "nps", "new-condition_low": low, "new-condition_high": high}
    page = client.post(url, data=data)
    assert page.status_code in (200, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 1
    for action in ("up-²", "down-x", "remove-99"):
        assert client.post(url, data={"new-text-de": "Wie?", "option_action": action}).status_code in (200, 422)
