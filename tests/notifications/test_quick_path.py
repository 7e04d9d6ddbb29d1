"""A survey asking NPS and a comment on one page: a detractor's comment leaves the group commit (to be alerted), every
other completion stays on it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback.extensions import db
from feedback.notifications.models import Alert
from feedback.surveys import services as survey_services
from feedback.surveys.models import Response, Survey
from feedback.surveys.questions import QuestionSpec, QuestionType
from feedback.texts import Texts
from tests.phone import TRADE_FAIR, Respondent


@pytest.fixture
def code(app, make_user, make_workspace, make_campaign, make_touchpoint, make_survey, make_code):  # noqa: ANN001, ANN201
    owner = make_user(email="owner@example.com")
    campaign = make_campaign(workspace=make_workspace("Messe GmbH", owner=owner))
    touchpoint = make_touchpoint(campaign=campaign, name="Messe")
    survey = make_survey(touchpoint, "trade-fair", name="Messebesuch")
    survey_services.add_question(
        db.session.get(Survey, survey.id),
        QuestionSpec(
            key="comment", type=QuestionType.TEXT, required=False, text=Texts.of(de="Kommentar?", en="Comment?")
        ),
    )
    db.session.commit()
    return make_code(touchpoint)


def _alerts() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Alert)) or 0


def test_only_a_detractors_comment_leaves_the_group_commit(app, client, code, writes) -> None:  # noqa: ANN001
    for nps, comment in (("10", "Toll"), ("3", ""), ("9", "")):
        reply = Respondent(app.test_client()).submit(
            f"/t/{code.code}", **TRADE_FAIR | {"q_nps": nps, "q_comment": comment}
        )
        assert reply.status_code == 303
    assert writes == [1, 1, 1] and _alerts() == 0  # stayed on the fast path: nothing to alert
    phone = Respondent(app.test_client())
    reply = phone.submit(f"/t/{code.code}", **TRADE_FAIR | {"q_nps": "2", "q_comment": "Zu voll"})
    assert reply.status_code == 303 and "/thanks" in reply.headers["Location"]
    assert writes == [1, 1, 1]  # the full path took it
    assert _alerts() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 4
    assert phone.open(reply.headers["Location"]).status_code == 200
