"""The repeat rules: a private tab or a cleared cookie on the same phone earns no second coupon, invite or count;
distinct phones on one network each count and get theirs; the coupon cap; one's own invite; every path and
simultaneous forms (issue: offline counts that cannot be gamed)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.analysis.queries import Scope, kept_apart
from feedback.analysis.services import campaign_ratings
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.offers import services as offers
from feedback.offers.models import Coupon
from feedback.referrals.models import Invite, InviteAcceptance
from feedback.respondent import repeats
from feedback.surveys.models import CompletionClaim, Response
from feedback.texts import Texts
from tests.helpers import count
from tests.phone import IPHONE, LOYALTY, Respondent, form_fields

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)

WIFI = "198.51.100.20"  # one trade-fair Wi-Fi (its /24)
PHONES = [
    IPHONE,
    IPHONE.replace("17_5", "16_6").replace("17.5", "16.6"),
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 "
    "Chrome/117.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
]


@pytest.fixture
def booth(make_campaign, make_touchpoint, make_survey, make_code):  # noqa: ANN201
    """A trade-fair booth with the loyalty survey, a code and a coupon offer."""
    campaign = make_campaign(name="Messe")
    touchpoint = make_touchpoint(campaign=campaign, name="Messestand")
    make_survey(touchpoint, "loyalty")
    offers.create_offer(campaign, offers.OfferData("Messe", Texts.of(de="10 % Rabatt", en="10 % off")))
    db.session.commit()
    return make_code(touchpoint)


def _phone(app, ip: str = WIFI, ua: str = IPHONE) -> Respondent:  # noqa: ANN001
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return Respondent(client, {"User-Agent": ua})


def _counted(code) -> int:  # noqa: ANN001
    db.session.expire_all()
    campaign = code.touchpoint.campaign
    return next(r for r in campaign_ratings(campaign).rows if r.touchpoint.id == code.touchpoint_id).summary.nps.n


def _reasons() -> list[str]:
    db.session.expire_all()
    return [r.flag_reason for r in db.session.scalars(sa.select(Response).order_by(Response.id))]


def test_a_private_tab_on_the_same_phone_gets_no_second_coupon(app, booth) -> None:
    first = _phone(app)
    page = first.open(first.answer(f"/t/{booth.code}")).get_data(as_text=True)
    assert 'class="coupon"' in page
    private_tab = _phone(app)  # a new cookie jar, the same network and phone
    page = private_tab.open(private_tab.answer(f"/t/{booth.code}")).get_data(as_text=True)
    assert 'class="coupon"' not in page and 'class="invite__link"' not in page
    assert _reasons() == ["", "repeat"]
    assert count(Coupon) == 1 and _counted(booth) == 1
    scope = Scope(booth.workspace_id, (booth.touchpoint_id,))
    assert kept_apart(scope).repeats == 1


def test_five_different_phones_on_one_network_each_get_a_coupon(app, booth) -> None:
    for ua in PHONES:
        phone = _phone(app, ua=ua)
        assert 'class="coupon"' in phone.open(phone.answer(f"/t/{booth.code}")).get_data(as_text=True)
    assert count(Coupon) == 5 and _counted(booth) == 5 and set(_reasons()) == {""}


def test_after_the_window_the_same_phone_counts_again(app, booth) -> None:
    _phone(app).answer(f"/t/{booth.code}")
    db.session.execute(sa.update(CompletionClaim).values(claimed_at=utcnow() - timedelta(minutes=31)))
    db.session.commit()
    _phone(app).answer(f"/t/{booth.code}")
    assert _reasons() == ["", ""] and count(Coupon) == 2


def test_the_coupon_cap_withholds_beyond_three_per_hour_and_says_so(app, auth, client, booth, make_user) -> None:
    campaign = booth.touchpoint.campaign
    campaign.repeat_window_minutes = 0  # the repeat rule off: only the cap guards the coupons
    db.session.commit()
    for _ in range(5):
        _phone(app).answer(f"/t/{booth.code}")
    assert count(Coupon) == 3 and _counted(booth) == 5
    db.session.expire_all()
    assert [r.coupon_withheld for r in db.session.scalars(sa.select(Response).order_by(Response.id))] == [
        False,
        False,
        False,
        True,
        True,
    ]
    other = _phone(app, ip="192.0.2.50")  # another network is not held back
    assert 'class="coupon"' in other.open(other.answer(f"/t/{booth.code}")).get_data(as_text=True)
    from feedback.auth.models import Membership, Role

    owner = make_user(locale="en")
    db.session.add(Membership(user_id=owner.id, workspace_id=booth.workspace_id, role=Role.OWNER.value))
    db.session.commit()
    auth.login(owner)
    page = client.get(
        f"/w/{campaign.workspace.slug}/campaigns/{campaign.id}/ratings/{booth.touchpoint_id}",
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert "2 coupons withheld as possible repeats" in page


def test_answers_saved_one_by_one_do_not_skip_the_rule(app, booth) -> None:
    _phone(app).answer(f"/t/{booth.code}")
    tab = _phone(app)
    action, fields = tab.form(f"/t/{booth.code}")
    for key, value in LOYALTY.items():  # the script saves each answer as it is given
        saved = tab.client.post(
            f"{action}/answer", data={"state": fields["state"], "key": key[2:], "value": value}, headers=tab.headers
        )
        assert saved.status_code == 200, saved.get_data(as_text=True)
    reply = tab.post(action, {**fields, **LOYALTY, "saved": "1"})
    assert reply.status_code == 303
    assert _reasons() == ["", "repeat"] and count(Coupon) == 1


def test_the_group_commit_path_keeps_the_rule(app, make_campaign, make_touchpoint, make_survey, make_code) -> None:
    """Without an offer a completion takes the group commit; the private tab is flagged all the same."""
    touchpoint = make_touchpoint(campaign=make_campaign(), name="Plakat")
    make_survey(touchpoint, "loyalty")
    code = make_code(touchpoint)
    _phone(app).answer(f"/t/{code.code}")
    _phone(app).answer(f"/t/{code.code}")
    assert _reasons() == ["", "repeat"] and _counted(code) == 1


def test_ten_simultaneous_forms_of_one_visitor_give_one_counted_completion(app, booth) -> None:
    phone = _phone(app)
    path = f"/t/{booth.code}"
    forms = []
    for _ in range(10):
        forms.append(form_fields(phone.open(path).get_data(as_text=True)))
    db.session.commit()
    start = threading.Barrier(10)
    statuses: list[int] = []

    def send(fields: dict[str, str]) -> None:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = WIFI
        client._cookies = phone.client._cookies  # noqa: SLF001 - the same visitor
        start.wait()
        statuses.append(client.post(path, data={**fields, **LOYALTY}, headers=phone.headers).status_code)

    threads = [threading.Thread(target=send, args=(f,)) for f in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    completed = list(db.session.scalars(sa.select(Response).where(Response.completed_at.is_not(None))))
    assert len([r for r in completed if not r.flagged]) == 1
    assert count(Coupon) == 1 and _counted(booth) == 1
    assert all(status in (200, 303) for status in statuses)


def test_answering_ones_own_invite_is_no_acceptance_and_earns_nothing(app, auth, client, booth, make_user) -> None:
    referrer = _phone(app)
    link = referrer.take_invite(referrer.answer(f"/t/{booth.code}"))
    private_tab = _phone(app)  # the referrer opens their own link in a private tab
    page = private_tab.open(private_tab.answer(link)).get_data(as_text=True)
    assert 'class="coupon"' not in page
    friend = _phone(app, ip="192.0.2.80", ua=PHONES[2])
    friend.answer(link)
    assert _reasons() == ["", "own_invite", ""]
    assert count(InviteAcceptance) == 1 and count(Coupon) == 2
    from feedback.auth.models import Membership, Role

    owner = make_user(locale="en")
    db.session.add(Membership(user_id=owner.id, workspace_id=booth.workspace_id, role=Role.OWNER.value))
    db.session.commit()
    auth.login(owner)
    campaign = booth.touchpoint.campaign
    overview = client.get(f"/w/{campaign.workspace.slug}/campaigns/{campaign.id}/referrals").get_data(as_text=True)
    assert "Own invite opened</dt><dd>1 " in overview


def test_device_signatures_are_forgotten_after_a_day(app, booth) -> None:
    referrer = _phone(app)
    referrer.take_invite(referrer.answer(f"/t/{booth.code}"))
    db.session.execute(sa.update(CompletionClaim).values(claimed_at=utcnow() - timedelta(days=2)))
    db.session.execute(sa.update(Invite).values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    app.extensions.pop(repeats.PURGED, None)
    _phone(app, ip="192.0.2.99").answer(f"/t/{booth.code}")  # any completion clears what is older than a day
    db.session.expire_all()
    kinds = [c.kind for c in db.session.scalars(sa.select(CompletionClaim))]
    assert "device" in kinds and len([k for k in kinds if k == "device"]) == 1  # only the new one
    assert db.session.scalar(sa.select(Invite.referrer_signature)) == ""


def test_a_deleted_response_gives_its_claims_back(app, booth) -> None:
    _phone(app).answer(f"/t/{booth.code}")
    response = db.session.scalar(sa.select(Response))
    from feedback.surveys import services

    services.delete_response(booth.workspace_id, response.id)
    db.session.commit()
    assert count(CompletionClaim) == 0
    _phone(app).answer(f"/t/{booth.code}")
    assert _reasons() == [""]


def test_campaign_settings_are_checked(client, auth, make_user, make_workspace) -> None:
    from feedback.auth.models import Role
    from tests.helpers import csrf_token_from

    editor = make_user(locale="en")
    workspace = make_workspace(members={editor: Role.EDITOR})
    auth.login(editor)
    url = f"/w/{workspace.slug}/campaigns/new"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    bad = client.post(
        url, data={"csrf_token": token, "name": "X", "repeat_window_minutes": "-5", "coupon_cap_per_hour": "1000"}
    )
    assert bad.status_code in (200, 422) and "between 0 and 1440" in bad.get_data(as_text=True)
    from feedback.touchpoints.models import Campaign

    assert db.session.scalar(sa.select(sa.func.count()).where(Campaign.name == "X")) == 0
    ok = client.post(
        url, data={"csrf_token": token, "name": "Y", "repeat_window_minutes": "10", "coupon_cap_per_hour": "0"}
    )
    assert ok.status_code == 302
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Y"))
    assert (campaign.repeat_window_minutes, campaign.coupon_cap_per_hour) == (10, 0)


def test_a_kiosk_is_one_device_for_many_people_so_neither_rule_holds_there(app, booth) -> None:
    """One tablet, one person after another: no possible repeats, no coupon cap (its coupons go to each phone)."""
    booth.touchpoint.kiosk = True
    db.session.commit()
    tablet = _phone(app)
    for _ in range(5):
        tablet.answer(f"/t/{booth.code}")
    assert set(_reasons()) == {""} and count(Coupon) == 5 and _counted(booth) == 5
