"""Respondents' rights in the dashboard: see, delete and export raw responses."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.surveys import services
from feedback.surveys.models import Answer, Response
from feedback.texts import Texts
from tests.helpers import count
from tests.phone import PHONE, answer_all, open_form

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)  # tests answer at once: no bot flag


@pytest.fixture
def answered(app, client, auth, make_user, make_workspace, make_campaign, make_touchpoint):  # noqa: ANN201
    """A trade-fair survey with two responses (one with hostile text), and its editor logged in."""
    editor = make_user()
    workspace = make_workspace(members={editor: Role.EDITOR})
    touchpoint = make_touchpoint(campaign=make_campaign(workspace=workspace), name="Messe")
    survey = services.create_survey(workspace.id, "Messe", "trade-fair")
    services.attach(touchpoint, survey)
    code = qr_services.create_code(touchpoint)
    db.session.commit()
    for follow_up in ("offer", "no"):
        visitor = app.test_client()
        answer_all(visitor, code, open_form(visitor, code), q_follow_up=follow_up)
    auth.login(editor)
    return workspace, survey, code


def test_responses_are_listed_with_their_answers(client, answered) -> None:
    workspace, survey, _code = answered
    html = client.get(f"/w/{workspace.slug}/surveys/{survey.id}/responses").get_data(as_text=True)
    assert "offer" in html and "complete" in html and "<code>follow_up</code>" in html


def test_a_response_can_be_deleted_with_all_its_answers(client, answered) -> None:
    workspace, survey, _code = answered
    target = db.session.scalar(sa.select(Response.id).order_by(Response.id))
    client.post(f"/w/{workspace.slug}/responses/{target}/delete", data={"survey_id": survey.id, "confirm": "1"})
    assert count(Response) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(Answer.response_id == target)) == 0


def test_raw_export_has_one_row_per_response_and_a_column_per_key(client, answered) -> None:
    workspace, survey, code = answered
    response = client.get(f"/w/{workspace.slug}/surveys/{survey.id}/responses.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2
    assert list(rows[0])[:8] == [
        "response_id",
        "touchpoint",
        "code",
        "language",
        "started_at",
        "completed_at",
        "completed",
        "flags",
    ]
    assert {r["follow_up"] for r in rows} == {"offer", "no"}
    assert rows[0]["nps"] == "9" and rows[0]["code"] == code.code and rows[0]["completed"] == "yes"


def test_formula_like_answers_are_neutralised_in_the_export(app, client, make_touchpoint, answered) -> None:
    workspace, survey, code = answered
    from feedback.surveys.questions import QuestionSpec, QuestionType

    services.add_question(survey, QuestionSpec("comment", QuestionType.TEXT, False, text=Texts.of(en="Comment?")))
    db.session.commit()
    visitor = app.test_client()
    fields = open_form(visitor, code)
    answer_all(visitor, code, fields, q_comment='=HYPERLINK("http://evil.example","click")')
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/w/{workspace.slug}/surveys/{survey.id}/responses.csv")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )
    comment = next(r["comment"] for r in rows if r["comment"])
    assert comment.startswith("'=HYPERLINK")


def test_viewers_cannot_delete_responses(client, auth, make_user, answered) -> None:
    workspace, survey, _code = answered
    viewer = make_user()
    from feedback.auth.models import Membership

    db.session.add(Membership(user=viewer, workspace_id=workspace.id, role="viewer"))
    db.session.commit()
    auth.logout()
    auth.login(viewer)
    target = db.session.scalar(sa.select(Response.id))
    assert client.post(f"/w/{workspace.slug}/responses/{target}/delete").status_code == 403
    assert count(Response) == 2
    assert client.get(f"/w/{workspace.slug}/surveys/{survey.id}/responses.csv").status_code == 200
    assert PHONE


def test_hostile_answers_are_escaped_on_the_responses_page(app, client, answered) -> None:
    workspace, survey, code = answered
    from feedback.surveys.questions import QuestionSpec, QuestionType

    services.add_question(survey, QuestionSpec("comment", QuestionType.TEXT, False, text=Texts.of(en="Comment?")))
    db.session.commit()
    visitor = app.test_client()
    answer_all(visitor, code, open_form(visitor, code), q_comment="<img src=x onerror=alert(1)>{{ 7*7 }}")
    html = client.get(f"/w/{workspace.slug}/surveys/{survey.id}/responses").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;{{ 7*7 }}" in html


def test_survey_submits_need_their_signed_state_not_a_session(make_app, make_touchpoint) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        touchpoint = make_touchpoint()
        services.attach(touchpoint, services.create_survey(touchpoint.workspace_id, "NPS", "nps-reason"))
        code = qr_services.create_code(touchpoint).code
        db.session.commit()
        visitor = app.test_client(use_cookies=False)
        html = visitor.get(f"/t/{code}", headers=PHONE).get_data(as_text=True)
        fields = dict(re.findall(r'name="(state|page)" value="([^"]*)"', html))
        assert "csrf_token" not in html  # no session-bound token: in-app browsers without cookies can answer
        # a changed or missing state starts the survey again (a redirect to the code) and stores nothing
        tampered = {**fields, "state": fields["state"][:-2] + "xx"}
        without = {k: v for k, v in fields.items() if k != "state"}
        for data in (tampered, without):
            answer = visitor.post(f"/t/{code}", data={**data, "q_nps": "9"}, headers=PHONE)
            assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/t/{code}")
        forged = {"state": "forged", "key": "nps", "value": "9"}
        assert visitor.post(f"/t/{code}/answer", data=forged, headers=PHONE).status_code in (303, 400)
        assert count(Response) == 0
        assert visitor.post(f"/t/{code}", data={**fields, "q_nps": "9"}, headers=PHONE).status_code == 200
        assert count(Response) == 1
