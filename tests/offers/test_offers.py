"""Offers, coupons and redemption: from a scan to revenue per touchpoint (issue 8's first done-when)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import resvg_py
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.offers.models import Coupon, Offer
from feedback.touchpoints.models import Channel
from tests.helpers import count
from tests.phone import LOYALTY, Respondent

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)  # tests answer at once: no bot flag


@pytest.fixture
def shop(client, auth, make_user, make_workspace, make_campaign, make_touchpoint, make_survey, make_code):  # noqa: ANN201
    """A flyer touchpoint (cost 500 €) with the loyalty survey and a code; its editor logged in."""
    editor = make_user(locale="de")
    workspace = make_workspace("Rösterei", members={editor: Role.EDITOR})
    campaign = make_campaign(workspace=workspace, name="Frühjahr")
    touchpoint = make_touchpoint(campaign=campaign, name="Flyer Markt", channel=Channel.FLYER, cost=Decimal("500"))
    make_survey(touchpoint, "loyalty", name="Treue")
    code = make_code(touchpoint)
    auth.login(editor)
    return workspace, campaign, touchpoint, code


def _answer(app, code, nps: str = "10") -> str:  # noqa: ANN001
    """A new visitor scans the code once and answers; the thank-you page's HTML."""
    phone = Respondent(app.test_client())
    thanks = phone.answer(f"/t/{code.code}", **{**LOYALTY, "q_nps": nps})
    return phone.open(thanks).get_data(as_text=True)


def _coupon_in(html: str) -> str:
    match = re.search(r'<p class="coupon"[^>]*>([0-9A-Z-]+)</p>', html)
    assert match, "the thank-you page shows a coupon"
    return match.group(1)


def _offer(client, workspace, campaign, **extra) -> None:  # noqa: ANN001, ANN003
    data = {
        "name": "Frühling 10 %",
        "texts-de": "10 % auf Ihren nächsten Einkauf",
        "texts-en": "10 % off",
        "touchpoint_id": "",
        "with_coupon": "y",
        "valid_days": "30",
        **extra,
    }
    reply = client.post(f"/w/{workspace.slug}/campaigns/{campaign.id}/offers", data=data)
    assert reply.status_code == 302, reply.get_data(as_text=True)[:500]


def _redeem(client, workspace, code: str, value: str):  # noqa: ANN001, ANN202
    return client.post(f"/w/{workspace.slug}/redeem", data={"code": code, "order_value": value})


def test_a_customer_goes_from_scan_to_coupon_to_redemption_and_revenue(app, client, shop) -> None:
    workspace, campaign, touchpoint, code = shop
    _offer(client, workspace, campaign)
    thanks = _answer(app, code)
    assert "10 % auf Ihren nächsten Einkauf" in thanks and "Gültig bis" in thanks
    shown = _coupon_in(thanks)
    coupon = db.session.scalar(sa.select(Coupon))
    assert shown == f"{coupon.code[:5]}-{coupon.code[5:]}" and coupon.touchpoint_id == touchpoint.id
    assert 29 <= (coupon.expires_at - coupon.issued_at).days <= 30
    svg = thanks.split('class="coupon__qr"', 1)[1].split("</svg>", 1)[0] + "</svg>"
    svg = svg[svg.index("<svg") :]
    png = bytes(resvg_py.svg_to_bytes(svg_string=svg, dpi=300))
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert decoded == [coupon.code]  # the till's scanner reads the bare code
    _answer(app, code, nps="3")  # a second respondent gets another, different coupon
    assert count(Coupon) == 2 and len(set(db.session.scalars(sa.select(Coupon.code)))) == 2

    # the cashier types it in lower case with a blank instead of the dash, the order value German style
    done = _redeem(client, workspace, shown.lower().replace("-", " "), "23,50")
    assert done.status_code == 200
    assert "Gutschein " + shown + " eingelöst" in done.get_data(as_text=True)
    db.session.commit()
    redeemed = db.session.get(Coupon, coupon.id)
    assert (redeemed.order_value, redeemed.redeemed_via) == (Decimal("23.50"), "dashboard")

    again = _redeem(client, workspace, shown, "99,00")
    assert again.status_code == 409 and "bereits am" in again.get_data(as_text=True)
    db.session.commit()
    assert db.session.get(Coupon, coupon.id).order_value == Decimal("23.50")  # nothing changed

    # ratings and the download show what the flyer brought in
    ratings = client.get(f"/w/{workspace.slug}/campaigns/{campaign.id}/ratings.csv").get_data(as_text=True)
    (row,) = list(csv.DictReader(io.StringIO(ratings.lstrip("\ufeff"))))
    assert (row["coupons_issued"], row["redemptions"], row["revenue"]) == ("2", "1", "23.5")
    assert float(row["redemption_rate"]) == pytest.approx(0.5)
    assert float(row["revenue_per_scan"]) == pytest.approx(23.5 / int(row["scans"]), abs=0.01)
    assert float(row["return_on_cost"]) == pytest.approx(23.5 / 500)
    overview = client.get(f"/w/{workspace.slug}/campaigns/{campaign.id}/ratings?tab=offers").get_data(as_text=True)
    revenue = overview.split('id="revenue"', 1)[1]
    assert "Umsatz und Leads" in overview and "23,50" in revenue and "0,05×" in revenue
    page = client.get(f"/w/{workspace.slug}/campaigns/{campaign.id}/offers").get_data(as_text=True)
    assert "Frühling 10 %" in page and "23,50" in page


@pytest.mark.parametrize(
    ("typed", "value", "status", "message"),
    [
        ("ZZZZZ-ZZZZZ", "10", 404, "Diesen Gutschein gibt es nicht."),
        ("abc", "10", 404, "Das ist kein Gutscheincode"),
        ("{coupon}", "-5", 422, "Bestellwert"),
        ("{coupon}", "2.000.000", 422, "Bestellwert"),
        ("{coupon}", "", 422, "Bestellwert"),
        ("{coupon}", "zehn", 422, ""),
    ],
)
def test_bad_redemptions_are_refused_with_the_reason_and_change_nothing(
    app, client, shop, typed: str, value: str, status: int, message: str
) -> None:
    workspace, campaign, _touchpoint, code = shop
    _offer(client, workspace, campaign)
    coupon = _coupon_in(_answer(app, code))
    reply = _redeem(client, workspace, typed.replace("{coupon}", coupon), value)
    assert reply.status_code == status and message in reply.get_data(as_text=True)
    db.session.commit()
    assert db.session.scalar(sa.select(Coupon.redeemed_at)) is None


def test_expired_and_foreign_coupons_are_refused(
    app, client, shop, make_workspace, make_campaign, make_touchpoint
) -> None:
    workspace, campaign, _touchpoint, code = shop
    _offer(client, workspace, campaign)
    coupon_text = _coupon_in(_answer(app, code))
    coupon = db.session.scalar(sa.select(Coupon))
    coupon.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    expired = _redeem(client, workspace, coupon_text, "10")
    assert expired.status_code == 410 and "war bis" in expired.get_data(as_text=True)

    other = make_workspace("Andere")
    other_tp = make_touchpoint(campaign=make_campaign(workspace=other))
    offer = Offer(workspace_id=other.id, campaign_id=other_tp.campaign_id, name="x", texts={"de": "x"})
    db.session.add(offer)
    db.session.flush()
    db.session.add(
        Coupon(
            workspace_id=other.id, offer_id=offer.id, touchpoint_id=other_tp.id, code="ANDERS2345", issued_at=utcnow()
        )
    )
    db.session.commit()
    foreign = _redeem(client, workspace, "ANDERS2345", "10")
    assert foreign.status_code == 404 and "gibt es nicht" in foreign.get_data(as_text=True)


def test_viewers_cannot_redeem_and_offers_need_text(app, client, auth, shop, make_user) -> None:
    workspace, campaign, _touchpoint, _code = shop
    bad = client.post(
        f"/w/{workspace.slug}/campaigns/{campaign.id}/offers",
        data={"name": "Leer", "touchpoint_id": "", "with_coupon": "y"},
    )
    assert bad.status_code == 422 and count(Offer) == 0
    viewer = make_user()
    from feedback.auth.models import Membership

    db.session.add(Membership(user=viewer, workspace=workspace, role=Role.VIEWER.value))
    db.session.commit()
    auth.logout()
    auth.login(viewer)
    assert client.get(f"/w/{workspace.slug}/redeem").status_code == 200
    assert _redeem(client, workspace, "ABCDE-FGHJK", "10").status_code == 403


def test_an_offer_without_coupon_shows_its_text_only(app, client, shop) -> None:
    workspace, campaign, _touchpoint, code = shop
    _offer(client, workspace, campaign, with_coupon="")
    thanks = _answer(app, code)
    assert "10 % auf Ihren nächsten Einkauf" in thanks and 'class="coupon"' not in thanks and count(Coupon) == 0


def test_shop_systems_redeem_through_the_api(app, client, shop) -> None:
    workspace, campaign, _touchpoint, code = shop
    _offer(client, workspace, campaign)
    coupon = _coupon_in(_answer(app, code))
    _token, plain = api_services.create_token(workspace.id, "Kasse", Scope.WRITE, None, utcnow())
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    looked = client.get(f"/api/v1/coupons/{coupon}", headers=headers).get_json()
    assert looked["redeemable"] is True and looked["offer"] == "Frühling 10 %"
    done = client.post(f"/api/v1/coupons/{coupon}/redeem", json={"order_value": "10.00"}, headers=headers)
    assert done.status_code == 200 and done.get_json()["order_value"] == "10.00"
    again = client.post(f"/api/v1/coupons/{coupon}/redeem", json={"order_value": "10.00"}, headers=headers)
    assert again.status_code == 409 and again.get_json()["reason"] == "already_redeemed"
    absurd = client.post(f"/api/v1/coupons/{coupon}/redeem", json={"order_value": "-1"}, headers=headers)
    assert absurd.status_code == 422
    unknown = client.post("/api/v1/coupons/ZZZZZZZZZZ/redeem", json={"order_value": "1.00"}, headers=headers)
    assert unknown.status_code == 404 and unknown.get_json()["reason"] == "unknown"
    db.session.commit()
    assert db.session.scalar(sa.select(Coupon.redeemed_via)) == "api"
