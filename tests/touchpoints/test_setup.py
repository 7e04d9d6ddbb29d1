"""One-pass setup and lists with numbers: a campaign starts with a survey, each touchpoint added gets it and a code,
the campaign page says whether it is ready to print, and the lists show numbers that agree with a recount."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback.analysis.charts import sparkline
from feedback.analysis.services import TREND_DAYS, traffic
from feedback.auth.models import Role
from feedback.extensions import db
from feedback.qr.models import Code
from feedback.surveys import services as survey_services
from feedback.surveys.models import Survey
from feedback.touchpoints.models import Campaign, Channel, Phase, Touchpoint
from tests.helpers import count

NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture
def editor_ws(client, auth, make_user, make_workspace):  # noqa: ANN201
    """A workspace whose editor is logged in (English dashboard)."""
    owner, editor = make_user(), make_user()
    workspace = make_workspace("Rösterei", owner=owner, members={editor: Role.EDITOR})
    auth.login(editor)
    return workspace


def _new_campaign(client, workspace, name: str, survey: str):  # noqa: ANN001, ANN202
    return client.post(f"/w/{workspace.slug}/campaigns/new", data={"name": name, "survey": survey})


def _new_touchpoint(client, campaign, name: str, **extra: str):  # noqa: ANN001, ANN202
    data = {"name": name, "channel": "poster", "phase": "consideration", "submit": "1", **extra}
    return client.post(f"/w/{campaign.workspace.slug}/campaigns/{campaign.id}/touchpoints/new", data=data)


def test_a_template_becomes_the_campaigns_survey_and_every_touchpoint_added_gets_it_and_a_code(
    client, editor_ws
) -> None:
    # a survey that already carries the name the template would get: the new one is numbered, the old one untouched
    taken = survey_services.create_survey(editor_ws.id, "Autumn – Trade-fair visit")
    db.session.commit()
    response = _new_campaign(client, editor_ws, "Autumn", "template:trade-fair")
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Autumn"))
    assert response.headers["Location"] == f"/w/{editor_ws.slug}/campaigns/{campaign.id}/touchpoints/new"
    survey = db.session.get(Survey, campaign.survey_id)
    assert survey.name == "Autumn – Trade-fair visit (2)" and survey.id != taken.id
    assert [q.key for q in survey.current.questions] == ["nps", "csat", "ces", "follow_up"]
    assert taken.current.questions == []

    form = client.get(f"/w/{editor_ws.slug}/campaigns/{campaign.id}/touchpoints/new").get_data(as_text=True)
    assert re.search(rf'<option selected value="{survey.id}">|<option value="{survey.id}" selected>', form)

    another = _new_touchpoint(client, campaign, "Poster station", submit="", submit_another="1")
    assert another.headers["Location"] == (
        f"/w/{editor_ws.slug}/campaigns/{campaign.id}/touchpoints/new?phase=consideration"
    )
    saved = _new_touchpoint(client, campaign, "Flyer market", survey_id=str(survey.id))
    assert saved.headers["Location"] == f"/w/{editor_ws.slug}/campaigns/{campaign.id}"
    touchpoints = db.session.scalars(sa.select(Touchpoint).where(Touchpoint.campaign_id == campaign.id)).all()
    assert [t.survey_id for t in touchpoints] == [survey.id, survey.id]
    assert sorted(db.session.scalars(sa.select(Code.touchpoint_id))) == sorted(t.id for t in touchpoints)
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "2 of 2 touchpoints have a code and a survey — print kit ready" in page


def test_a_campaign_takes_one_of_the_workspaces_surveys_or_none_and_never_a_foreign_one(
    client, editor_ws, make_workspace
) -> None:
    own = survey_services.create_survey(editor_ws.id, "Our survey", "nps-reason")
    foreign = survey_services.create_survey(make_workspace().id, "Their survey", "nps-reason")
    db.session.commit()
    surveys_before = count(Survey)

    refused = _new_campaign(client, editor_ws, "Foreign", f"survey:{foreign.id}")
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    assert "Their survey" not in refused.get_data(as_text=True)
    assert count(Campaign) == 0

    _new_campaign(client, editor_ws, "Own", f"survey:{own.id}")
    _new_campaign(client, editor_ws, "Bare", "")
    own_campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Own"))
    bare = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Bare"))
    assert (own_campaign.survey_id, bare.survey_id, count(Survey)) == (own.id, None, surveys_before)

    refused = _new_touchpoint(client, own_campaign, "Sneaky", survey_id=str(foreign.id))
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    assert (count(Touchpoint), count(Code)) == (0, 0)
    _new_touchpoint(client, bare, "Without survey")
    touchpoint = db.session.scalar(sa.select(Touchpoint))
    assert touchpoint.survey_id is None and count(Code) == 1
    page = client.get(f"/w/{editor_ws.slug}/campaigns/{bare.id}").get_data(as_text=True)
    assert "0 of 1 touchpoints have a code and a survey" in page and "print kit ready" not in page
    assert f'/touchpoints/{touchpoint.id}#survey">Without survey (survey)</a>' in page

    # changing the campaign's survey later changes what new touchpoints get, not what old ones show
    client.post(f"/w/{editor_ws.slug}/campaigns/{bare.id}/edit", data={"name": "Bare", "survey": f"survey:{own.id}"})
    db.session.refresh(bare)
    db.session.refresh(touchpoint)
    assert (bare.survey_id, touchpoint.survey_id) == (own.id, None)


def test_readiness_counts_only_codes_that_answer_and_says_what_is_missing(
    client, editor_ws, make_campaign, make_touchpoint, make_code, with_survey
) -> None:
    campaign = make_campaign(workspace=editor_ws, name="Readiness")
    ready = with_survey(make_touchpoint(campaign=campaign, name="Ready one"))
    make_code(touchpoint=ready)
    paused = with_survey(make_touchpoint(campaign=campaign, name="Paused one"))
    code = make_code(touchpoint=paused)
    code.paused_at = NOW
    db.session.commit()
    page = client.get(f"/w/{editor_ws.slug}/campaigns/{campaign.id}").get_data(as_text=True)
    assert "1 of 2 touchpoints have a code and a survey" in page
    assert f'/touchpoints/{paused.id}#codes">Paused one (code)</a>' in page
    code.paused_at = None
    db.session.commit()
    page = client.get(f"/w/{editor_ws.slug}/campaigns/{campaign.id}").get_data(as_text=True)
    assert "2 of 2 touchpoints have a code and a survey — print kit ready" in page
    assert "Download the print kit" in page  # no answers yet: the next step is to print and try a code


def test_deleting_a_survey_leaves_campaigns_that_started_with_it_without_one(client, editor_ws, make_campaign) -> None:
    campaign = make_campaign(workspace=editor_ws, name="Short-lived")
    survey = survey_services.create_survey(editor_ws.id, "Never used", "nps-reason")
    campaign.survey_id = survey.id
    db.session.commit()
    survey_services.delete_survey(survey)
    db.session.commit()
    db.session.refresh(campaign)
    assert campaign.survey_id is None and count(Survey) == 0


@pytest.fixture
def counted(editor_ws, make_campaign, make_touchpoint, with_survey, make_scans, make_response):  # noqa: ANN201
    """Two campaigns with scans and answers on known days: 'Spring' (poster and flyer) and 'Fair' (one booth)."""
    spring = make_campaign(workspace=editor_ws, name="Spring")
    fair = make_campaign(workspace=editor_ws, name="Fair")
    poster = with_survey(make_touchpoint(campaign=spring, name="Poster", channel=Channel.POSTER))
    flyer = with_survey(make_touchpoint(campaign=spring, name="Flyer", channel=Channel.FLYER, phase=Phase.DECISION))
    booth = with_survey(make_touchpoint(campaign=fair, name="Booth", channel=Channel.TRADE_FAIR))
    make_scans(poster, 5, when=NOW - timedelta(days=3))
    make_scans(poster, 3, when=NOW - timedelta(days=20))
    make_scans(poster, 4, when=NOW - timedelta(days=100))
    make_scans(flyer, 2, when=NOW - timedelta(days=40))
    make_scans(booth, 9, when=NOW - timedelta(days=1))
    for nps, days in ((10, 3), (9, 20), (3, 100), (7, 100)):
        make_response(poster, nps=nps, when=NOW - timedelta(days=days))
    make_response(flyer, nps=0, when=NOW - timedelta(days=40))
    for nps in (10, 10, 9, 2):
        make_response(booth, nps=nps, when=NOW - timedelta(days=1))
    return {"spring": spring, "fair": fair, "poster": poster, "flyer": flyer, "booth": booth}


def _row(html: str, name: str) -> list[str]:
    """The cells of the table row that starts with this name, as text."""
    row = re.search(rf">{re.escape(name)}</a>.*?</tr>", html, re.S).group(0)
    return [re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_the_numbers_of_touchpoints_and_campaigns_agree_with_a_recount(client, editor_ws, counted) -> None:
    numbers = traffic(editor_ws.id, editor_ws.timezone, [counted["poster"].id])[counted["poster"].id]
    assert (numbers.recent.scans, numbers.summary.counts.scans, numbers.summary.counts.completions) == (5, 12, 4)
    assert len(numbers.daily_scans) == TREND_DAYS and sum(numbers.daily_scans) == 8  # 5 + 3 inside 28 days
    # NPS recounted by hand: poster 2 promoters (10, 9), 1 passive (7), 1 detractor (3) of 4 -> 25
    assert numbers.summary.nps.nps == pytest.approx(25.0)

    page = client.get(f"/w/{editor_ws.slug}/campaigns/{counted['spring'].id}").get_data(as_text=True)
    poster = _row(page, "Poster")
    assert poster[1:6] == ["5", "5", "12", "12", "4"] and poster[6].startswith("25")
    flyer = _row(page, "Flyer")
    assert flyer[1:6] == ["0", "0", "2", "2", "1"] and flyer[6].startswith("-100")
    # the campaign: poster + flyer = 3 promoters, 1 passive, 2 detractors of 5 -> (2 - 2) / 5 = 0 ... recounted
    promoters, detractors, n = 2, 2, 5
    campaign_nps = round(100 * (promoters - detractors) / n)

    listing = client.get(f"/w/{editor_ws.slug}/").get_data(as_text=True)
    spring, fair = _row(listing, "Spring"), _row(listing, "Fair")
    assert spring[1:6] == ["5", "5", "14", "14", "5"] and spring[6].startswith(str(campaign_nps))
    assert spring[7] == "2"  # touchpoints
    # booth: 3 promoters, 1 detractor of 4 -> 50
    assert fair[1:6] == ["9", "9", "9", "9", "4"] and fair[6].startswith("50")
    assert '<svg class="spark"' in listing and "Scans per day over the last 28 days: 8 in all" in listing


def test_lists_sort_by_any_number_and_filter_by_name_channel_and_phase(client, editor_ws, counted) -> None:
    base = f"/w/{editor_ws.slug}"

    def order(url: str) -> list[str]:
        html = client.get(url).get_data(as_text=True)
        return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', html)

    assert order(f"{base}/?sort=scans7") == ["Fair", "Spring"]
    assert order(f"{base}/?sort=scans") == ["Spring", "Fair"]
    assert order(f"{base}/?sort=scans&dir=asc") == ["Fair", "Spring"]
    assert order(f"{base}/?sort=nps") == ["Fair", "Spring"]
    assert order(f"{base}/?sort=name") == ["Fair", "Spring"]
    assert order(f"{base}/?q=spr") == ["Spring"]
    spring = f"{base}/campaigns/{counted['spring'].id}"
    assert order(f"{spring}?sort=scans") == ["Poster", "Flyer"]
    assert order(f"{spring}?sort=completions&dir=asc") == ["Flyer", "Poster"]
    assert order(f"{spring}?channel=flyer") == ["Flyer"]
    assert order(f"{spring}?phase=decision") == ["Flyer"]
    assert order(f"{spring}?q=POST") == ["Poster"]
    # the sorted column says so to screen readers, and its link turns the order around
    html = client.get(f"{spring}?sort=scans").get_data(as_text=True)
    assert 'aria-sort="descending"' in html and "sort=scans&amp;dir=asc" in html


@pytest.mark.parametrize(
    "query",
    [
        "sort=%3Cscript%3E",
        "dir=sideways&sort=nps",
        "channel=%3Cb%3Ex%3C/b%3E",
        "phase=nope",
        "q=" + "x" * 5000,
        "endpoint=x",
        "_method=POST",
        "_scheme=x",
        "_external=1&_scheme=javascript&x=%0Aalert(1)",
    ],
)
def test_unknown_sort_and_filter_values_show_the_list_unharmed(client, editor_ws, counted, query: str) -> None:
    for url in (f"/w/{editor_ws.slug}/?{query}", f"/w/{editor_ws.slug}/campaigns/{counted['spring'].id}?{query}"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "<script>" not in html and "<b>x</b>" not in html and "javascript:" not in html


def test_a_trend_line_scales_to_its_peak_and_escapes_its_label() -> None:
    line = str(sparkline([0, 2, 4], "<b>scans</b>", width=104, height=28))
    assert "&lt;b&gt;scans&lt;/b&gt;" in line and "<b>" not in line
    points = re.search(r'<polyline points="([^"]+)"', line).group(1).split()
    assert points == ["2.0,25.0", "52.0,14.0", "102.0,3.0"]
    flat = str(sparkline([0, 0], "none"))
    assert '<polyline points="2.0,25.0 110.0,25.0"' in flat


def test_saving_a_campaign_unchanged_keeps_its_archived_survey(client, editor_ws) -> None:
    survey = survey_services.create_survey(editor_ws.id, "Old survey", "nps-reason")
    db.session.commit()
    _new_campaign(client, editor_ws, "Keeps", f"survey:{survey.id}")
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Keeps"))
    survey.archived_at = NOW
    db.session.commit()
    form = client.get(f"/w/{editor_ws.slug}/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert re.search(rf'<option selected value="survey:{survey.id}">Old survey \(archived\)', form)
    surveys_before = count(Survey)
    client.post(
        f"/w/{editor_ws.slug}/campaigns/{campaign.id}/edit",
        data={"name": "Keeps", "budget": "10", "survey": f"survey:{survey.id}"},
    )
    db.session.refresh(campaign)
    assert (campaign.survey_id, count(Survey)) == (survey.id, surveys_before)
    _new_touchpoint(client, campaign, "Still measured")
    assert db.session.scalar(sa.select(Touchpoint.survey_id).where(Touchpoint.name == "Still measured")) == survey.id
