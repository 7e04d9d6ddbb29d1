"""The first hour: an empty workspace shows the way to a rated touchpoint, and demo data is one click away."""

from __future__ import annotations

import re

import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.qr.models import Scan
from feedback.surveys import services as survey_services
from feedback.surveys.models import Response
from feedback.touchpoints.models import Campaign
from tests.helpers import count


def _checklist(html: str) -> tuple[str, list[str]]:
    """The progress line and the linked (next) step of the getting-started list."""
    section = html.split('class="card firststeps"', 1)[1].split("</section>", 1)[0]
    progress = re.search(r'<span class="muted">([^<]+)</span></h2>', section).group(1)
    return progress, re.findall(r'<a href="([^"]+)"><strong>([^<]+)</strong></a>', section)


def test_an_empty_workspace_leads_step_by_step_to_a_rated_touchpoint(
    client, auth, make_user, make_workspace, make_campaign, make_touchpoint
) -> None:
    owner = make_user(locale="de")
    workspace = make_workspace("Rösterei", owner=owner)
    auth.login(owner)
    page = f"/w/{workspace.slug}/"
    html = client.get(page, follow_redirects=True).get_data(as_text=True)
    assert _checklist(html) == ("0 von 5 erledigt", [(f"/w/{workspace.slug}/campaigns/new", "Kampagne anlegen")])
    assert "Erst mit Demodaten umsehen" in html and "Umfragevorlage wählen" in html and "Codes drucken" in html

    campaign = make_campaign(workspace=workspace, name="Frühjahr")
    progress, links = _checklist(client.get(page, follow_redirects=True).get_data(as_text=True))
    assert progress == "1 von 5 erledigt"
    assert links == [(f"/w/{workspace.slug}/campaigns/{campaign.id}/touchpoints/new", "Touchpoints hinzufügen")]

    touchpoint = make_touchpoint(campaign=campaign, name="Plakat")
    _, links = _checklist(client.get(page, follow_redirects=True).get_data(as_text=True))
    assert links == [(f"/w/{workspace.slug}/touchpoints/{touchpoint.id}#survey", "Umfragevorlage wählen")]

    survey_services.attach(touchpoint, survey_services.create_survey(workspace.id, "NPS", "nps-reason"))
    db.session.commit()
    _, links = _checklist(client.get(page, follow_redirects=True).get_data(as_text=True))
    assert links == [(f"/w/{workspace.slug}/touchpoints/{touchpoint.id}#codes", "Codes drucken")]

    qr_services.create_code(touchpoint)
    db.session.commit()
    progress, links = _checklist(client.get(page, follow_redirects=True).get_data(as_text=True))
    assert progress == "4 von 5 erledigt"
    assert links == [(f"/w/{workspace.slug}/campaigns/{campaign.id}/ratings", "Erste Antworten sammeln")]

    version = db.session.get(survey_services.Survey, touchpoint.survey_id).current
    db.session.add(
        Response(
            workspace_id=workspace.id, touchpoint_id=touchpoint.id, version_id=version.id, token="t1",
            visitor_key="v" * 32, language="de", started_at=utcnow(), completed_at=utcnow(),
        )
    )  # fmt: skip
    db.session.commit()
    assert "firststeps" not in client.get(page, follow_redirects=True).get_data(as_text=True)  # done: it goes away


def test_demo_data_fills_an_empty_workspace_once_and_only_for_editors(client, auth, make_user, make_workspace) -> None:
    owner, viewer = make_user(locale="de"), make_user()
    workspace = make_workspace("Leer GmbH", owner=owner, members={viewer: Role.VIEWER})
    auth.login(viewer)
    assert "Erst mit Demodaten" not in client.get(f"/w/{workspace.slug}/").get_data(as_text=True)
    assert client.post(f"/w/{workspace.slug}/demo").status_code == 403
    assert count(Campaign) == 0
    auth.logout()
    auth.login(owner)
    loaded = client.post(f"/w/{workspace.slug}/demo", follow_redirects=True)
    assert loaded.status_code == 200 and "Demo-Kampagnen geladen" in loaded.get_data(as_text=True)
    campaigns = db.session.scalars(sa.select(Campaign).where(Campaign.workspace_id == workspace.id)).all()
    assert len(campaigns) == 2
    scans = db.session.scalar(sa.select(sa.func.count()).where(Scan.workspace_id == workspace.id))
    answers = db.session.scalar(sa.select(sa.func.count()).where(Response.workspace_id == workspace.id))
    assert scans > 1000 and answers > 100
    again = client.post(f"/w/{workspace.slug}/demo", follow_redirects=True)
    assert "nur in einen leeren Arbeitsbereich" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(Scan.workspace_id == workspace.id)) == scans
