"""A scale asked the other way round is turned before pooling; only ratings marked as loyalty count as loyalty
(STATS.md §1)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from feedback.analysis.services import campaign_ratings
from feedback.auth.models import Role
from feedback.extensions import db
from feedback.surveys import services
from feedback.surveys.models import Question, Survey
from feedback.surveys.questions import QuestionSpec, QuestionType
from feedback.texts import Texts
from feedback.touchpoints.models import Channel, Phase


def _scale(key: str, type_: QuestionType, **kw: object) -> QuestionSpec:
    return QuestionSpec(key=key, type=type_, required=False, text=Texts.of(en=key), **kw)


def _survey_with(workspace_id: int, name: str, *specs: QuestionSpec) -> Survey:
    survey = services.create_survey(workspace_id, name, None)
    for spec in specs:
        services.add_question(survey, spec)
    db.session.commit()
    return survey


@pytest.fixture
def two_touchpoints(make_campaign, make_touchpoint):  # noqa: ANN201
    campaign = make_campaign()
    first = make_touchpoint(campaign, "Flyer", Channel.FLYER, Phase.AWARENESS)
    second = make_touchpoint(campaign, "Poster", Channel.POSTER, Phase.AWARENESS)
    return campaign, first, second


def _row(campaign, touchpoint):  # noqa: ANN001, ANN202
    return next(r for r in campaign_ratings(campaign).rows if r.touchpoint.id == touchpoint.id)


def test_a_reversed_effort_scale_is_turned_before_it_is_pooled(two_touchpoints, make_response) -> None:
    """CES 1.0 style (1 = little effort) at one touchpoint, CES 2.0 (7 = easiest) at the other: the same experience
    gives the same number, and the campaign pools them as one scale."""
    campaign, first, second = two_touchpoints
    old = _survey_with(campaign.workspace_id, "Old CES", _scale("effort", QuestionType.CES, higher_is_better=False))
    new = _survey_with(campaign.workspace_id, "New CES", _scale("ease", QuestionType.CES))
    services.attach(first, old)
    services.attach(second, new)
    db.session.commit()
    for _ in range(10):
        make_response(first, effort=1)  # very little effort: the best answer
        make_response(second, ease=7)  # very easy: the best answer
    make_response(first, effort=7)  # a lot of effort: the worst
    make_response(second, ease=1)
    a, b = _row(campaign, first), _row(campaign, second)
    assert a.summary.ces.n == b.summary.ces.n == 11
    assert a.summary.ces.mean == pytest.approx(b.summary.ces.mean) == pytest.approx((10 * 7 + 1) / 11)
    # raw answers stay as given
    assert services_raw(first) == {1: 10, 7: 1}


def services_raw(touchpoint) -> dict[int, int]:  # noqa: ANN001
    from feedback.surveys.models import Answer

    rows = db.session.execute(
        sa.select(Answer.value_number, sa.func.count()).where(Answer.touchpoint_id == touchpoint.id).group_by(
            Answer.value_number
        )
    )
    return {value: n for value, n in rows}


def test_only_ratings_marked_as_loyalty_count_as_loyalty(two_touchpoints, make_response) -> None:
    """A rating of the coffee's taste is not loyalty; the repurchase intent is. Both are shown one by one."""
    campaign, first, _ = two_touchpoints
    survey = _survey_with(
        campaign.workspace_id,
        "Taste",
        _scale("taste", QuestionType.RATING),
        _scale("again", QuestionType.RATING, loyalty=True),
        _scale("queue", QuestionType.RATING, higher_is_better=False),  # 1 = short queue
    )
    services.attach(first, survey)
    db.session.commit()
    for taste, again, queue in ((1, 5, 1), (2, 4, 1), (1, 5, 2)):
        make_response(first, taste=taste, again=again, queue=queue)
    row = _row(campaign, first)
    assert row.summary.loyalty.n == 3
    assert row.summary.loyalty.mean == pytest.approx(14 / 3)
    assert row.summary.loyalty_top2.k == 3
    assert set(row.rating_items) == {"taste", "again", "queue"}
    assert row.rating_items["taste"].mean == pytest.approx(4 / 3)
    assert row.rating_items["queue"].mean == pytest.approx((5 + 5 + 4) / 3)  # turned: 1 → 5, 2 → 4


def test_the_loyalty_template_marks_its_repurchase_question() -> None:
    from feedback.surveys.catalog import template

    loyalty = template("loyalty")
    assert loyalty is not None
    assert [q.key for q in loyalty.questions if q.loyalty] == ["repurchase"]
    assert all(q.higher_is_better for t in ("nps-reason", "trade-fair", "loyalty") for q in template(t).questions)


@pytest.fixture
def editor_workspace(client, auth, make_user, make_workspace):  # noqa: ANN201
    editor = make_user()
    ws = make_workspace(members={editor: Role.EDITOR})
    auth.login(editor)
    return ws


def test_the_builder_sets_direction_and_loyalty_and_refuses_them_where_they_mean_nothing(
    client, editor_workspace
) -> None:
    survey = _survey_with(editor_workspace.id, "Kunden")
    url = f"/w/{editor_workspace.slug}/surveys/{survey.id}/questions"
    refused = [
        ({"new-key": "nps", "new-type": "nps", "new-text-en": "?", "new-reversed_scale": "y"}, "Only satisfaction"),
        ({"new-key": "sat", "new-type": "csat", "new-text-en": "?", "new-loyalty": "y"}, "Only a rating question"),
        ({"new-key": "why", "new-type": "text", "new-text-en": "?", "new-reversed_scale": "y"}, "Only satisfaction"),
    ]
    for data, message in refused:
        response = client.post(url, data=data)
        assert response.status_code == 422 and message in response.get_data(as_text=True), data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0
    ok = {"new-key": "effort", "new-type": "ces", "new-text-en": "Effort?", "new-reversed_scale": "y"}
    assert client.post(url, data=ok).status_code == 302
    ok = {"new-key": "again", "new-type": "rating", "new-text-en": "Again?", "new-loyalty": "y"}
    assert client.post(url, data=ok).status_code == 302
    db.session.expire_all()
    specs = {q.key: q.spec() for q in db.session.get(Survey, survey.id).current.questions}
    assert not specs["effort"].higher_is_better and not specs["effort"].loyalty
    assert specs["again"].loyalty and specs["again"].higher_is_better
    page = client.get(f"/w/{editor_workspace.slug}/surveys/{survey.id}").get_data(as_text=True)
    assert "low end is the good one" in page and "counts as loyalty" in page
    edit = client.get(f"{url}/effort/edit").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*name="reversed_scale"[^>]*>', edit)
    assert checkbox and "checked" in checkbox.group(0)


def test_the_service_refuses_a_reversed_nps_and_loyalty_on_other_types(make_workspace) -> None:
    survey = _survey_with(make_workspace().id, "S")
    with pytest.raises(services.InvalidQuestion):
        services.add_question(survey, _scale("nps", QuestionType.NPS, higher_is_better=False))
    with pytest.raises(services.InvalidQuestion):
        services.add_question(survey, _scale("ces", QuestionType.CES, loyalty=True))
    db.session.rollback()
