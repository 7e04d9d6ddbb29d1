"""Referral invites: issuing, /i links, acceptance, self-referral, chains, revocation and the numbers."""

from __future__ import annotations

import io
import re

import pytest
import resvg_py
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.qr.models import Scan
from feedback.referrals import services
from feedback.referrals.models import Invite, InviteAcceptance
from feedback.surveys import services as survey_services
from feedback.surveys.models import Response
from tests.helpers import count
from tests.phone import PHONE, answer, form_fields, take_invite


@pytest.fixture
def code(app, make_touchpoint):  # noqa: ANN201
    """A touchpoint with the loyalty survey (one page: nps, csat, repurchase)."""
    touchpoint = make_touchpoint(name="Flyer")
    touchpoint.campaign.incentive_text = "10 % für dich und deine Freundin"
    survey_services.attach(touchpoint, survey_services.create_survey(touchpoint.workspace_id, "Treue", "loyalty"))
    created = qr_services.create_code(touchpoint)
    db.session.commit()
    return created


def test_a_respondent_takes_a_personal_invite_with_link_code_qr_and_share_links(client, code) -> None:
    thanks = answer(client, f"/t/{code.code}")
    page = client.get(thanks, headers=PHONE).get_data(as_text=True)
    assert "Meinen Einladungslink holen" in page and "10 % für dich und deine Freundin" in page
    link = take_invite(client, thanks)
    invite = db.session.scalar(sa.select(Invite))
    assert link == f"https://fb.example/i/{invite.code}" and len(invite.code) == 12
    html = client.get(thanks, headers=PHONE).get_data(as_text=True)
    assert f"{invite.code[:4]}-{invite.code[4:8]}-{invite.code[8:]}" in html
    assert "https://wa.me/?text=" in html and "mailto:?subject=" in html and "sms:?&amp;body=" in html
    svg = re.search(r"(<svg.*?</svg>)", html, re.S).group(1)
    raster = Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=svg, dpi=300))))
    assert [r.text for r in zxingcpp.read_barcodes(raster)] == [f"HTTPS://FB.EXAMPLE/I/{invite.code}"]
    again = client.post(f"/t/{code.code}/invite", data={"r": thanks.split("r=")[1]}, headers=PHONE)
    assert again.status_code == 303 and count(Invite) == 1  # asking again gives the same invite


def test_promoters_only_policy_offers_invites_to_nps_9_and_10(app, code) -> None:
    code.touchpoint.campaign.invite_policy = "promoters"
    db.session.commit()
    critic, fan = app.test_client(), app.test_client()
    assert "Einladungslink" not in critic.get(answer(critic, f"/t/{code.code}", nps="5"), headers=PHONE).get_data(
        as_text=True
    )
    assert "Einladungslink" in fan.get(answer(fan, f"/t/{code.code}", nps="9"), headers=PHONE).get_data(as_text=True)


def test_an_invited_friend_who_answers_counts_as_an_acceptance(app, code) -> None:
    referrer, friend = app.test_client(), app.test_client()
    link = take_invite(referrer, answer(referrer, f"/t/{code.code}"))
    invite_path = link.replace("https://fb.example", "")
    page = friend.get(invite_path.lower(), headers=PHONE).get_data(as_text=True)
    assert "Sie wurden von einem Freund eingeladen" in page
    answer(friend, invite_path)
    acceptance = db.session.scalar(sa.select(InviteAcceptance))
    assert acceptance is not None
    assert db.session.scalar(sa.select(Scan.invite_id).where(Scan.invite_id.is_not(None))) == acceptance.invite_id
    per_touchpoint, total = services.referral_numbers(code.touchpoint.campaign)
    numbers = per_touchpoint[code.touchpoint_id]
    m = numbers.metrics
    assert (m.invites, m.unique_opens, m.friends, m.completed) == (1, 1, 1, 2)
    assert numbers.metrics.k_factor == pytest.approx(1 / 2) and numbers.metrics.acceptance_rate.share == 1.0
    assert total.metrics.friends == 1 and total.median_hours_to_accept is not None


def test_opening_your_own_invite_adds_no_acceptance(app, code) -> None:
    survey = db.session.get(survey_services.Survey, code.touchpoint.survey_id)
    survey.repeat_days = 0  # even when answering again is allowed
    db.session.commit()
    referrer = app.test_client()
    link = take_invite(referrer, answer(referrer, f"/t/{code.code}"))
    answer(referrer, link.replace("https://fb.example", ""))
    assert count(Response) == 2 and count(InviteAcceptance) == 0


def test_a_friend_counts_once_per_invite(app, code) -> None:
    survey = db.session.get(survey_services.Survey, code.touchpoint.survey_id)
    survey.repeat_days = 0
    db.session.commit()
    referrer, friend = app.test_client(), app.test_client()
    path = take_invite(referrer, answer(referrer, f"/t/{code.code}")).replace("https://fb.example", "")
    answer(friend, path)
    answer(friend, path)
    assert count(InviteAcceptance) == 1


def test_invited_friends_can_invite_others_and_the_chain_keeps_its_generation(app, code) -> None:
    first, second, third = app.test_client(), app.test_client(), app.test_client()
    path = take_invite(first, answer(first, f"/t/{code.code}")).replace("https://fb.example", "")
    path2 = take_invite(second, answer(second, path)).replace("https://fb.example", "")
    answer(third, path2)
    generations = services.generations(code.touchpoint.campaign)
    assert generations == [(1, 1, 1), (2, 1, 1)]


@pytest.mark.parametrize("raw", ["ZZZZ-ZZZZ-ZZZZ", "abc", "x" * 500, "%3Cscript%3E", "7K3Q-X9PM"])
def test_unknown_and_malformed_invites_get_a_friendly_page(client, code, raw: str) -> None:
    response = client.get(f"/i/{raw}", headers=PHONE)
    assert response.status_code == 404
    assert "Dieser Einladungslink funktioniert nicht" in response.get_data(as_text=True)
    assert count(Scan) == 0


def test_a_revoked_invite_still_shows_the_survey_but_attributes_nothing(app, code) -> None:
    referrer, friend = app.test_client(), app.test_client()
    path = take_invite(referrer, answer(referrer, f"/t/{code.code}")).replace("https://fb.example", "")
    invite = db.session.scalar(sa.select(Invite))
    services.revoke(invite.workspace_id, invite.id, invite.created_at)
    db.session.commit()
    page = friend.get(path, headers=PHONE).get_data(as_text=True)
    assert "eingeladen" not in page and 'name="state"' in page
    answer(friend, path)
    assert count(InviteAcceptance) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(Scan.invite_id.is_not(None))) == 0


def test_invite_links_are_rate_limited_per_visitor(client, code) -> None:
    statuses = [client.get(f"/i/ZZZZZZZZ{n:04d}", headers=PHONE).status_code for n in range(32)]
    assert statuses[:30] == [404] * 30 and statuses[30:] == [429, 429]


def test_dashboard_shows_referral_numbers_and_revokes(app, client, auth, code) -> None:
    referrer, friend = app.test_client(), app.test_client()
    path = take_invite(referrer, answer(referrer, f"/t/{code.code}")).replace("https://fb.example", "")
    answer(friend, path)
    from feedback.auth.models import Membership

    owner_id = db.session.scalar(sa.select(Membership.user_id).where(Membership.workspace_id == code.workspace_id))
    from feedback.auth.models import User

    user = db.session.get(User, owner_id)
    auth.login(user)
    slug = code.touchpoint.campaign.workspace.slug
    html = client.get(f"/w/{slug}/campaigns/{code.touchpoint.campaign_id}/referrals").get_data(as_text=True)
    invite = db.session.scalar(sa.select(Invite))
    assert f"{invite.code[:4]}-{invite.code[4:8]}" in html and "0.50" in html and "100.0%" in html
    assert "no interval" in html  # k on 2 respondents: a bootstrap needs at least 10
    client.post(f"/w/{slug}/invites/{invite.id}/revoke")
    db.session.refresh(invite)
    assert invite.revoked_at is not None


def test_opening_your_own_link_is_not_counted_as_an_open(app, code) -> None:
    referrer = app.test_client()
    path = take_invite(referrer, answer(referrer, f"/t/{code.code}")).replace("https://fb.example", "")
    before = count(Scan)
    referrer.get(path, headers=PHONE)
    _per_touchpoint, total = services.referral_numbers(code.touchpoint.campaign)
    assert (total.opens, total.metrics.unique_opens) == (0, 0)
    assert count(Scan) == before + 1  # the visit itself is still recorded


def test_invited_friends_land_on_the_campaigns_referral_touchpoint(app, client, auth, code, make_touchpoint) -> None:
    campaign = code.touchpoint.campaign
    friends_page = make_touchpoint(campaign=campaign, name="Empfehlungsseite")
    survey_services.attach(friends_page, survey_services.create_survey(campaign.workspace_id, "Freunde", "nps-reason"))
    qr_services.create_code(friends_page)
    without_code = make_touchpoint(campaign=campaign, name="Ohne Code")
    db.session.commit()
    from feedback.auth.models import Membership, User

    owner = db.session.get(
        User, db.session.scalar(sa.select(Membership.user_id).where(Membership.workspace_id == campaign.workspace_id))
    )
    auth.login(owner)
    url = f"/w/{campaign.workspace.slug}/campaigns/{campaign.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert (
        "Empfehlungsseite" in form
        and "Ohne Code" not in form.split('id="referral_touchpoint_id"')[1].split("</select>")[0]
    )
    refused = client.post(
        url, data={"name": campaign.name, "invite_policy": "everyone", "referral_touchpoint_id": str(without_code.id)}
    )
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    saved = client.post(
        url, data={"name": campaign.name, "invite_policy": "everyone", "referral_touchpoint_id": str(friends_page.id)}
    )
    assert saved.status_code == 302
    referrer, friend = app.test_client(), app.test_client()
    path = take_invite(referrer, answer(referrer, f"/t/{code.code}")).replace("https://fb.example", "")
    page = friend.get(path, headers=PHONE).get_data(as_text=True)
    assert "Wie wahrscheinlich ist es" in page and 'name="q_nps"' in page
    opened = db.session.scalar(sa.select(Scan).where(Scan.invite_id.is_not(None)))
    assert opened.touchpoint_id == friends_page.id
    fields = form_fields(page)
    done = friend.post(
        re.search(r'action="(/t/[A-Z0-9]+)"', page).group(1), data={**fields, "q_nps": "9"}, headers=PHONE
    )
    assert done.status_code == 200  # page 2: the reason
    assert count(InviteAcceptance) == 0  # accepted only once the survey is complete
