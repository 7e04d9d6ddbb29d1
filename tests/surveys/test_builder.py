"""The survey builder: templates, questions, versions, attaching, archiving; viewers only look."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.surveys import services
from feedback.surveys.models import Question, Response, Survey, SurveyVersion
from tests.helpers import count


@pytest.fixture
def workspace(client, auth, make_user, make_workspace):  # noqa: ANN201
    """A workspace whose editor is logged in."""
    editor = make_user()
    ws = make_workspace(members={editor: Role.EDITOR})
    auth.login(editor)
    return ws


def _survey(workspace, template: str | None = "nps-reason", name: str = "Kundenumfrage") -> Survey:  # noqa: ANN001
    survey = services.create_survey(workspace.id, name, template)
    db.session.commit()
    return survey


def _answer(survey: Survey, touchpoint) -> None:  # noqa: ANN001
    """Store a response on the survey's current version."""
    db.session.add(
        Response(
            workspace_id=survey.workspace_id,
            touchpoint_id=touchpoint.id,
            version_id=survey.current.id,
            token=f"t{count(Response)}",
            visitor_key="v" * 32,
            language="de",
            started_at=db.func.now(),
        )
    )
    db.session.commit()


def test_editor_creates_a_survey_from_a_template(client, workspace) -> None:
    response = client.post(f"/w/{workspace.slug}/surveys/", data={"name": "Messe", "template": "trade-fair"})
    assert response.status_code == 302
    survey = db.session.scalar(sa.select(Survey))
    assert [q.key for q in survey.current.questions] == ["nps", "csat", "ces", "follow_up"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "How likely are you to recommend us to a friend or colleague?" in page


def test_duplicate_survey_names_and_unknown_templates_are_refused(client, workspace) -> None:
    _survey(workspace, name="Messe")
    assert "already exists" in client.post(
        f"/w/{workspace.slug}/surveys/", data={"name": "messe", "template": ""}
    ).get_data(as_text=True)
    assert "Not a valid choice" in client.post(
        f"/w/{workspace.slug}/surveys/", data={"name": "X", "template": "evil"}
    ).get_data(as_text=True)
    assert count(Survey) == 1


def test_adding_questions_checks_keys_options_and_conditions(client, workspace) -> None:
    survey = _survey(workspace)
    url = f"/w/{workspace.slug}/surveys/{survey.id}/questions"
    bad = [
        ({"new-key": "Bad Key", "new-type": "text", "new-text-en": "?"}, "lower-case"),
        ({"new-key": "nps", "new-type": "text", "new-text-en": "?"}, "already uses this key"),
        ({"new-key": "x", "new-type": "text"}, "at least one language"),
        ({"new-key": "pick", "new-type": "single_choice", "new-text-en": "?"}, "at least two options"),
        ({"new-key": "x", "new-type": "rocket", "new-text-en": "?"}, "Not a valid choice"),
    ]
    for data, message in bad:
        response = client.post(url, data=data)
        assert response.status_code == 422 and message in response.get_data(as_text=True), data
    assert (
        client.post(url, data={"new-key": "extra", "new-type": "csat", "new-text-de": "Zufrieden?"}).status_code == 302
    )
    db.session.expire_all()
    assert [q.key for q in db.session.get(Survey, survey.id).current.questions] == ["nps", "reason", "extra"]


def test_editing_an_unanswered_survey_changes_it_in_place(client, workspace) -> None:
    survey = _survey(workspace)
    data = {"key": "nps", "type": "nps", "required": "y", "text-de": "Empfehlen?", "text-en": "Recommend?"}
    assert client.post(f"/w/{workspace.slug}/surveys/{survey.id}/questions/nps/edit", data=data).status_code == 302
    assert count(SurveyVersion) == 1
    assert db.session.scalar(sa.select(Question.text).where(Question.key == "nps"))["de"] == "Empfehlen?"


def test_editing_an_answered_survey_publishes_a_new_version(client, workspace, make_campaign, make_touchpoint) -> None:
    survey = _survey(workspace)
    touchpoint = make_touchpoint(campaign=make_campaign(workspace=workspace))
    _answer(survey, touchpoint)
    data = {"key": "nps", "type": "nps", "required": "y", "text-de": "Neu?"}
    page = client.post(f"/w/{workspace.slug}/surveys/{survey.id}/questions/nps/edit", data=data, follow_redirects=True)
    assert "published version 2" in page.get_data(as_text=True)
    versions = list(db.session.scalars(sa.select(SurveyVersion).order_by(SurveyVersion.number)))
    assert [v.number for v in versions] == [1, 2]
    old, new = ({q.key: q.text.get("de") for q in v.questions} for v in versions)
    assert old["nps"].startswith("Wie wahrscheinlich") and new["nps"] == "Neu?" and set(old) == set(new)
    assert db.session.scalar(sa.select(Response.version_id)) == versions[0].id


def test_moving_and_removing_questions_keeps_conditions_valid(client, workspace) -> None:
    survey = _survey(workspace)
    base = f"/w/{workspace.slug}/surveys/{survey.id}/questions"
    page = client.post(f"{base}/reason/up", follow_redirects=True).get_data(as_text=True)
    assert "must stay after the question" in page
    page = client.post(f"{base}/nps/remove", data={"confirm": "1"}, follow_redirects=True).get_data(as_text=True)
    assert "Another question depends on this one" in page
    client.post(f"{base}/reason/remove", data={"confirm": "1"})
    db.session.expire_all()
    assert [q.key for q in db.session.get(Survey, survey.id).current.questions] == ["nps"]


def test_attaching_a_survey_to_a_touchpoint(client, workspace, make_campaign, make_touchpoint, make_workspace) -> None:
    survey = _survey(workspace)
    touchpoint = make_touchpoint(campaign=make_campaign(workspace=workspace))
    url = f"/w/{workspace.slug}/touchpoints/{touchpoint.id}/survey"
    assert client.post(url, data={"survey_id": str(survey.id)}).status_code == 302
    db.session.refresh(touchpoint)
    assert touchpoint.survey_id == survey.id
    foreign = services.create_survey(make_workspace().id, "Fremd", None)
    db.session.commit()
    assert client.post(url, data={"survey_id": str(foreign.id)}).status_code == 404
    client.post(url, data={"survey_id": ""})
    db.session.refresh(touchpoint)
    assert touchpoint.survey_id is None


def test_a_survey_in_use_cannot_be_deleted_only_archived(client, workspace, make_campaign, make_touchpoint) -> None:
    survey = _survey(workspace)
    touchpoint = make_touchpoint(campaign=make_campaign(workspace=workspace))
    services.attach(touchpoint, survey)
    db.session.commit()
    page = client.post(f"/w/{workspace.slug}/surveys/{survey.id}/delete", data={"confirm": "1"}, follow_redirects=True)
    assert "Archive it instead" in page.get_data(as_text=True) and count(Survey) == 1
    client.post(f"/w/{workspace.slug}/surveys/{survey.id}/archive")
    db.session.refresh(survey)
    assert survey.is_archived
    unused = _survey(workspace, name="Unbenutzt")
    client.post(f"/w/{workspace.slug}/surveys/{unused.id}/delete", data={"confirm": "1"})
    assert count(Survey) == 1


def test_preview_shows_the_respondent_page_and_saves_nothing(client, workspace) -> None:
    survey = _survey(workspace, "loyalty")
    frame = client.get(f"/w/{workspace.slug}/surveys/{survey.id}/preview/frame?lang=en")
    assert frame.status_code == 200 and "How likely are you to buy from us again?" in frame.get_data(as_text=True)
    # its form can only come back to the preview itself
    assert f"form-action http://localhost/w/{workspace.slug}/surveys/{survey.id}/preview/frame;" in frame.headers[
        "Content-Security-Policy"
    ]
    assert count(Response) == 0


def test_viewers_cannot_change_surveys(client, auth, make_user, make_workspace) -> None:
    viewer = make_user()
    ws = make_workspace(members={viewer: Role.VIEWER})
    survey = _survey(ws)
    auth.login(viewer)
    assert client.get(f"/w/{ws.slug}/surveys/{survey.id}").status_code == 200
    for path, data in [
        (f"/w/{ws.slug}/surveys/", {"name": "X", "template": ""}),
        (f"/w/{ws.slug}/surveys/{survey.id}/questions", {"new-key": "x", "new-type": "text", "new-text-en": "x"}),
        (f"/w/{ws.slug}/surveys/{survey.id}/questions/nps/remove", {}),
        (f"/w/{ws.slug}/surveys/{survey.id}/archive", {}),
    ]:
        assert client.post(path, data=data).status_code == 403, path
    assert count(Survey) == 1 and count(Question) == 2


def test_the_settings_choose_the_surveys_default_language(client, workspace) -> None:
    survey = _survey(workspace)
    page = client.get(f"/w/{workspace.slug}/surveys/{survey.id}").get_data(as_text=True)
    assert 'name="settings-language"' in page  # the settings show the default language
    client.post(
        f"/w/{workspace.slug}/surveys/{survey.id}",
        data={"settings-name": survey.name, "settings-repeat_days": "30", "settings-language": "en"},
    )
    db.session.refresh(survey)
    assert survey.language == "en"
