"""Kiosk mode: a shared screen (trade-fair tablet, point of sale) where one person answers after another."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import resvg_py
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from feedback.analysis.services import campaign_ratings
from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.leads.models import Contact
from feedback.offers.models import Coupon, Offer
from feedback.qr.models import Scan
from feedback.qr.visitors import VISITOR_COOKIE
from feedback.referrals.models import Invite
from feedback.surveys.models import Response
from feedback.touchpoints.models import Channel, Touchpoint
from tests.helpers import count
from tests.phone import LOYALTY, PHONE, Respondent, form_fields

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)  # tests answer at once: no bot flag


@pytest.fixture
def kiosk(make_touchpoint, make_survey, make_code):  # noqa: ANN001, ANN201
    """A trade-fair tablet: a kiosk touchpoint with the loyalty survey (answering again is blocked for 30 days
    elsewhere) and its code."""
    touchpoint = make_touchpoint(name="Messe-Tablet", channel=Channel.TRADE_FAIR, kiosk=True)
    survey = make_survey(touchpoint, "loyalty")
    assert survey.repeat_days == 30
    return make_code(touchpoint)


def _offer(touchpoint: Touchpoint) -> Offer:
    offer = Offer(
        workspace_id=touchpoint.workspace_id,
        campaign_id=touchpoint.campaign_id,
        name="Messe",
        texts={"de": "Ein Kaffee aufs Haus", "en": "A coffee on us"},
        with_coupon=True,
    )
    db.session.add(offer)
    db.session.commit()
    return offer


def _next_person(thanks_html: str) -> str:
    """Where the kiosk's thank-you page sends the screen for the next person (its refresh and its button agree)."""
    refresh = re.search(r'<meta http-equiv="refresh" content="(\d+);url=([^"]+)">', thanks_html)
    button = re.search(r'<a class="button" href="([^"]+)">Nächste Person</a>', thanks_html)
    assert refresh and button, thanks_html[:800]
    assert refresh.group(2) == button.group(1) and 5 <= int(refresh.group(1)) <= 60
    return button.group(1).replace("&amp;", "&")


def test_several_people_in_a_row_on_one_kiosk_each_complete_and_are_all_counted(client, kiosk) -> None:
    tablet = Respondent(client)  # one browser, one cookie jar, for everybody
    client.set_cookie(VISITOR_COOKIE, "ab" * 16)  # a cookie left from earlier use names nobody on a kiosk
    path = f"/t/{kiosk.code}"
    for nps in ("10", "7", "3", "9"):
        thanks = tablet.answer(path, **{**LOYALTY, "q_nps": nps})
        page = tablet.open(thanks).get_data(as_text=True)
        assert "Vielen Dank!" in page and "Einladungslink" not in page
        path = _next_person(page)
        assert path == f"/t/{kiosk.code}?via=kiosk"
    responses = list(db.session.scalars(sa.select(Response).order_by(Response.id)))
    assert [r.completed_at is not None and r.kiosk and not r.flagged for r in responses] == [True] * 4
    assert len({r.visitor_key for r in responses}) == 4, "each person is a visitor of their own"
    assert client.get_cookie(VISITOR_COOKIE).value == "ab" * 16, "no visitor cookie is set on a kiosk"
    row = campaign_ratings(kiosk.touchpoint.campaign).rows[0]
    assert row.summary.counts.completions == 4 and row.summary.nps.n == 4 and row.touchpoint.kiosk_completions == 4
    # the resets are scans of their own kind: not counted as typed addresses against the print's scan share
    arrivals = list(db.session.scalars(sa.select(Scan.arrival).order_by(Scan.id)))
    assert arrivals == ["typed_url", "kiosk", "kiosk", "kiosk"]
    assert tablet.open(path).status_code == 200 and form_fields(tablet.open(path).get_data(as_text=True))


def test_answers_saved_one_by_one_on_a_kiosk_are_kiosk_answers_without_a_cookie(client, kiosk) -> None:
    tablet = Respondent(client)
    action, fields = tablet.form(f"/t/{kiosk.code}")
    saved = tablet.post(f"{action}/answer", {"state": fields["state"], "key": "nps", "value": "8"})
    assert saved.status_code == 200 and saved.get_json() == {"saved": "nps"}
    assert VISITOR_COOKIE not in saved.headers.get("Set-Cookie", "")
    done = tablet.post(action, {**fields, **LOYALTY, "saved": "1"})
    assert done.status_code == 303 and VISITOR_COOKIE not in done.headers.get("Set-Cookie", "")
    stored = db.session.scalar(sa.select(Response))
    assert stored.kiosk and stored.completed_at is not None and count(Response) == 1


def test_a_touchpoint_that_is_no_kiosk_still_says_already_answered(client, make_code) -> None:
    code = make_code()  # a flyer with the loyalty survey: 30 days before answering again
    phone = Respondent(client)
    thanks = phone.answer(f"/t/{code.code}")
    page = phone.open(thanks).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and "Nächste Person" not in page
    again = phone.open(f"/t/{code.code}?via=kiosk").get_data(as_text=True)
    assert "Sie haben bereits geantwortet" in again and form_fields(again) == {}
    assert db.session.scalar(sa.select(Response.kiosk)) is False
    # "via=kiosk" on a touchpoint that is no kiosk is an ordinary typed address
    assert list(db.session.scalars(sa.select(Scan.arrival).order_by(Scan.id))) == ["typed_url", "typed_url"]


def test_the_coupon_is_a_qr_code_of_a_page_that_shows_it_on_ones_own_phone(app, client, kiosk) -> None:
    _offer(kiosk.touchpoint)
    tablet = Respondent(client)
    thanks = tablet.answer(f"/t/{kiosk.code}")
    page = tablet.open(thanks).get_data(as_text=True)
    coupon = db.session.scalar(sa.select(Coupon))
    assert coupon is not None and "Ein Kaffee aufs Haus" in page
    assert coupon.code[:5] not in page, "the kiosk never shows the code itself: the next person would see it"
    assert int(re.search(r'content="(\d+);url=', page).group(1)) >= 30, "time to take out a phone"
    svg = page.split('class="coupon__qr"', 1)[1].split("</svg>", 1)[0] + "</svg>"
    raster = Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=svg[svg.index("<svg") :], dpi=300))))
    decoded = [r.text for r in zxingcpp.read_barcodes(raster)]
    assert len(decoded) == 1 and decoded[0].startswith(f"https://fb.example/t/{kiosk.code}/coupon?r=")
    parts = urlsplit(decoded[0])
    own_phone = Respondent(app.test_client())
    shown = own_phone.open(f"{parts.path}?{parts.query}")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and f"{coupon.code[:5]}-{coupon.code[5:]}" in html and "Ihr Gutschein" in html
    assert 'http-equiv="refresh"' not in html
    # someone going back in the kiosk's history later finds no coupon any more
    response = db.session.scalar(sa.select(Response))
    response.completed_at = utcnow() - timedelta(minutes=3)
    db.session.commit()
    later = tablet.open(thanks).get_data(as_text=True)
    assert 'class="coupon__qr"' not in later and "Ein Kaffee aufs Haus" not in later


def test_a_kiosk_with_coupons_off_issues_none_and_shows_none(client, kiosk) -> None:
    kiosk.touchpoint.kiosk_coupon = "off"
    db.session.commit()
    _offer(kiosk.touchpoint)
    tablet = Respondent(client)
    thanks = tablet.answer(f"/t/{kiosk.code}")
    page = tablet.open(thanks).get_data(as_text=True)
    assert count(Coupon) == 0 and 'class="coupon__qr"' not in page and "Ein Kaffee" not in page
    assert tablet.open(thanks.replace("/thanks", "/coupon")).status_code == 404


def test_a_coupon_page_without_a_coupon_is_a_404_in_the_visitors_language(client, kiosk) -> None:
    thanks = Respondent(client).answer(f"/t/{kiosk.code}")
    missing = client.get(thanks.replace("/thanks", "/coupon"), headers=PHONE)
    assert missing.status_code == 404 and "nicht gefunden" in missing.get_data(as_text=True).lower()
    forged = client.get(f"/t/{kiosk.code}/coupon?r=nothing", headers=PHONE)
    assert forged.status_code == 404 and "Traceback" not in forged.get_data(as_text=True)


def test_a_kiosk_offers_no_invite_and_no_contact_step_and_refuses_both(client, kiosk) -> None:
    campaign = kiosk.touchpoint.campaign
    campaign.ask_contact, campaign.invite_policy = True, "everyone"
    db.session.commit()
    tablet = Respondent(client)
    thanks = tablet.answer(f"/t/{kiosk.code}")
    page = tablet.open(thanks).get_data(as_text=True)
    assert "invite" not in page and 'name="email"' not in page
    token = thanks.split("r=")[1]
    assert tablet.post(f"/t/{kiosk.code}/invite", {"r": token}).status_code == 303
    contact = {"r": token, "email": "a@example.com", "consent": "yes", "name": "A"}
    assert tablet.post(f"/t/{kiosk.code}/contact", contact).status_code == 303
    assert count(Invite) == 0 and count(Contact) == 0


def test_kiosk_mode_is_set_in_the_touchpoint_form(
    client, auth, make_user, make_workspace, make_campaign, make_touchpoint
) -> None:
    editor = make_user(locale="de")
    workspace = make_workspace(members={editor: Role.EDITOR})
    touchpoint = make_touchpoint(make_campaign(workspace=workspace), "Kasse")
    auth.login(editor)
    url = f"/w/{workspace.slug}/touchpoints/{touchpoint.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert "Kiosk" in form and 'name="kiosk_coupon"' in form
    data = {"name": "Kasse", "channel": "store", "phase": "decision", "kiosk": "y", "kiosk_coupon": "off"}
    assert client.post(url, data=data).status_code == 302
    db.session.refresh(touchpoint)
    assert touchpoint.kiosk and touchpoint.kiosk_coupon == "off"
    page = client.get(f"/w/{workspace.slug}/touchpoints/{touchpoint.id}").get_data(as_text=True)
    assert "ohne Gutscheine" in page
    refused = client.post(url, data={**data, "kiosk_coupon": "sometimes"})
    assert refused.status_code == 200 and "Keine gültige Auswahl" in refused.get_data(as_text=True)
    db.session.refresh(touchpoint)
    assert touchpoint.kiosk_coupon == "off"


def test_kiosk_mode_through_the_api(client, make_user, make_workspace, make_campaign, make_touchpoint) -> None:
    owner = make_user()
    workspace = make_workspace(owner=owner)
    touchpoint = make_touchpoint(make_campaign(workspace=workspace), "Tablet")
    _token, secret = api_services.create_token(workspace.id, "CRM", Scope.WRITE, owner.id, utcnow())
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/touchpoints/{touchpoint.id}"
    assert client.get(url, headers=headers).get_json()["kiosk"] is False
    changed = client.patch(url, json={"kiosk": True, "kiosk_coupon": "off"}, headers=headers)
    assert changed.status_code == 200 and (changed.get_json()["kiosk"], changed.get_json()["kiosk_coupon"]) == (
        True,
        "off",
    )
    for bad in ({"kiosk_coupon": "sometimes"}, {"kiosk": None}, {"kiosk": "yes please"}):
        assert client.patch(url, json=bad, headers=headers).status_code == 422, bad
    shown = client.get(url, headers=headers).get_json()
    assert (shown["kiosk"], shown["kiosk_coupon"]) == (True, "off")


def test_exports_mark_kiosk_answers(client, auth, make_user, make_workspace, make_campaign, make_touchpoint,
                                    make_survey, make_code) -> None:  # fmt: skip
    owner = make_user(locale="en")
    workspace = make_workspace(owner=owner)
    campaign = make_campaign(workspace=workspace)
    tablet_tp = make_touchpoint(campaign, "Tablet", kiosk=True)
    flyer_tp = make_touchpoint(campaign, "Flyer")
    make_survey(tablet_tp, "loyalty")
    make_survey(flyer_tp, "loyalty")
    tablet, flyer = make_code(tablet_tp), make_code(flyer_tp)
    screen = Respondent(client)
    screen.answer(f"/t/{tablet.code}")
    screen.answer(f"/t/{tablet.code}?via=kiosk")
    screen.answer(f"/t/{flyer.code}")
    auth.login(owner)
    base = f"/w/{workspace.slug}/campaigns/{campaign.id}"
    text = client.get(f"{base}/responses.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted((r["touchpoint"], r["kiosk"]) for r in rows) == [
        ("Flyer", "no"),
        ("Tablet", "yes"),
        ("Tablet", "yes"),
    ]
    document = json.loads(client.get(f"{base}/responses.json").get_data(as_text=True))
    items = document if isinstance(document, list) else document["responses"]
    assert sorted((r["touchpoint"], r["kiosk"]) for r in items) == [
        ("Flyer", False),
        ("Tablet", True),
        ("Tablet", True),
    ]
    ratings = client.get(f"{base}/ratings.csv").get_data(as_text=True).lstrip("\ufeff")
    assert {r["touchpoint"]: r["kiosk"] for r in csv.DictReader(io.StringIO(ratings))} == {"Tablet": "2", "Flyer": "0"}
    page = client.get(f"{base}/ratings/{tablet_tp.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Kiosk" in page and "2 of 2 completions were answered on a kiosk" in page
    plain = client.get(f"{base}/ratings/{flyer_tp.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "answered on a kiosk" not in plain
