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
from tests.phone import LOYALTY, Respondent, path_of


@pytest.fixture
def code(app, make_code):  # noqa: ANN201
    """A code of a touchpoint with the loyalty survey (one page: nps, csat, repurchase) and an incentive for friends."""
    return make_code(incentive="10 % für dich und deine Freundin")


def test_a_respondent_takes_a_personal_invite_with_link_code_qr_and_share_links(client, code) -> None:
    phone = Respondent(client)
    thanks = phone.answer(f"/t/{code.code}")
    page = phone.open(thanks).get_data(as_text=True)
    assert "Meinen Einladungslink holen" in page and "10 % für dich und deine Freundin" in page
    link = phone.take_invite(thanks)
    invite = db.session.scalar(sa.select(Invite))
    assert link == f"https://fb.example/i/{invite.code}" and len(invite.code) == 12
    html = phone.open(thanks).get_data(as_text=True)
    assert f"{invite.code[:4]}-{invite.code[4:8]}-{invite.code[8:]}" in html
    assert "https://wa.me/?text=" in html and "mailto:?subject=" in html and "sms:?&amp;body=" in html
    svg = re.search(r"(<svg.*?</svg>)", html, re.S).group(1)
    raster = Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=svg, dpi=300))))
    assert [r.text for r in zxingcpp.read_barcodes(raster)] == [f"HTTPS://FB.EXAMPLE/I/{invite.code}"]
    again = phone.post(f"/t/{code.code}/invite", {"r": thanks.split("r=")[1]})
    assert again.status_code == 303 and count(Invite) == 1  # asking again gives the same invite


def test_promoters_only_policy_offers_invites_to_nps_9_and_10(app, code) -> None:
    code.touchpoint.campaign.invite_policy = "promoters"
    db.session.commit()
    critic, fan = Respondent(app.test_client()), Respondent(app.test_client())
    critics_thanks = critic.open(critic.answer(f"/t/{code.code}", **{**LOYALTY, "q_nps": "5"}))
    fans_thanks = fan.open(fan.answer(f"/t/{code.code}", **{**LOYALTY, "q_nps": "9"}))
    assert "Einladungslink" not in critics_thanks.get_data(as_text=True)
    assert "Einladungslink" in fans_thanks.get_data(as_text=True)


def test_an_invited_friend_who_answers_counts_as_an_acceptance(app, code) -> None:
    referrer, friend = Respondent(app.test_client()), Respondent(app.test_client())
    invite_path = path_of(referrer.take_invite(referrer.answer(f"/t/{code.code}")))
    page = friend.open(invite_path.lower()).get_data(as_text=True)
    assert "Sie wurden von einem Freund eingeladen" in page
    friend.answer(invite_path)
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
    referrer = Respondent(app.test_client())
    link = referrer.take_invite(referrer.answer(f"/t/{code.code}"))
    referrer.answer(path_of(link))
    assert count(Response) == 2 and count(InviteAcceptance) == 0


def test_a_friend_counts_once_per_invite(app, code, make_invite) -> None:
    survey = db.session.get(survey_services.Survey, code.touchpoint.survey_id)
    survey.repeat_days = 0
    db.session.commit()
    invite = make_invite(code.touchpoint)
    friend = Respondent(app.test_client())
    friend.answer(f"/i/{invite.code}")
    friend.answer(f"/i/{invite.code}")
    assert count(InviteAcceptance) == 1


def test_invited_friends_can_invite_others_and_the_chain_keeps_its_generation(app, code) -> None:
    first, second, third = (Respondent(app.test_client()) for _ in range(3))
    path = path_of(first.take_invite(first.answer(f"/t/{code.code}")))
    path2 = path_of(second.take_invite(second.answer(path)))
    third.answer(path2)
    generations = services.generations(code.touchpoint.campaign)
    assert generations == [(1, 1, 1), (2, 1, 1)]


@pytest.mark.parametrize("raw", ["ZZZZ-ZZZZ-ZZZZ", "abc", "x" * 500, "%3Cscript%3E", "7K3Q-X9PM"])
def test_unknown_and_malformed_invites_get_a_friendly_page(client, code, raw: str) -> None:
    response = Respondent(client).open(f"/i/{raw}")
    assert response.status_code == 404
    assert "Dieser Einladungslink funktioniert nicht" in response.get_data(as_text=True)
    assert count(Scan) == 0


def test_a_revoked_invite_still_shows_the_survey_but_attributes_nothing(app, code, make_invite) -> None:
    invite = make_invite(code.touchpoint)
    services.revoke(invite.workspace_id, invite.id, invite.created_at)
    db.session.commit()
    friend = Respondent(app.test_client())
    page = friend.open(f"/i/{invite.code}").get_data(as_text=True)
    assert "eingeladen" not in page and 'name="state"' in page
    friend.answer(f"/i/{invite.code}")
    assert count(InviteAcceptance) == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(Scan.invite_id.is_not(None))) == 0


def test_invite_links_are_rate_limited_per_network_and_device(client, code) -> None:
    phone = Respondent(client)
    statuses = [phone.open(f"/i/ZZZZZZZZ{n:04d}").status_code for n in range(32)]
    assert statuses[:30] == [404] * 30 and statuses[30:] == [429, 429]


def test_dashboard_shows_referral_numbers_and_revokes(app, client, auth, code) -> None:
    referrer, friend = Respondent(app.test_client()), Respondent(app.test_client())
    friend.answer(path_of(referrer.take_invite(referrer.answer(f"/t/{code.code}"))))
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
    client.post(f"/w/{slug}/invites/{invite.id}/revoke", data={"confirm": "1"})
    db.session.refresh(invite)
    assert invite.revoked_at is not None


def test_opening_your_own_link_is_not_counted_as_an_open(app, code) -> None:
    referrer = Respondent(app.test_client())
    path = path_of(referrer.take_invite(referrer.answer(f"/t/{code.code}")))
    before = count(Scan)
    referrer.open(path)
    _per_touchpoint, total = services.referral_numbers(code.touchpoint.campaign)
    assert (total.opens, total.metrics.unique_opens) == (0, 0)
    assert count(Scan) == before + 1  # the visit itself is still recorded


def test_invited_friends_land_on_the_campaigns_referral_touchpoint(
    app, client, auth, code, make_touchpoint, make_invite
) -> None:
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
    invite = make_invite(code.touchpoint)
    friend = Respondent(app.test_client())
    page = friend.open(f"/i/{invite.code}").get_data(as_text=True)
    assert "Wie wahrscheinlich ist es" in page and 'name="q_nps"' in page
    opened = db.session.scalar(sa.select(Scan).where(Scan.invite_id.is_not(None)))
    assert opened.touchpoint_id == friends_page.id
    done = friend.submit(f"/i/{invite.code}", q_nps="9")
    assert done.status_code == 200  # page 2: the reason
    assert count(InviteAcceptance) == 0  # accepted only once the survey is complete
