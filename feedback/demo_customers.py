"""The demo's lifecycle story: spring respondents whose phones keep the first-party cookie, some of whom redeem
their coupon, join the loyalty programme with their details and come back in the following months to buy again;
others lapse. It fills the customers' lifetime values and the cohort page (part of feedback/demo.py)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from feedback.auth.models import Workspace
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr.models import Scan
from feedback.surveys.models import Answer, Response, SurveyVersion
from feedback.touchpoints.models import Campaign, Touchpoint

#: Share of the campaign's visitors whose phone kept the first-party cookie.
COOKIE_SHARE = 0.6
#: Of the cookie respondents who redeemed their coupon: who leaves their details (and so becomes a customer) ...
JOIN_SHARE = 0.7
#: ... and how likely such a customer comes back to buy again in each later month (the rest lapse).
MONTHLY_RETURN = {"loyal": 0.55, "occasional": 0.25, "lapsed": 0.0}
PEOPLE = ["Clara Fischer", "Jan Bauer", "Mia Lange", "Noah Krause", "Ida Vogel", "Erik Berger", "Lina Roth"]


def _cookie_visitors(campaign: Campaign, rng: random.Random) -> None:
    """Mark COOKIE_SHARE of the campaign's visitor keys as first-party cookie keys (their returns become visible)."""
    touchpoint_ids = sa.select(Touchpoint.id).where(Touchpoint.campaign_id == campaign.id)
    keys = sorted(
        db.session.scalars(sa.select(Scan.visitor_key).where(Scan.touchpoint_id.in_(touchpoint_ids)).distinct())
    )
    chosen = [k for k in keys if rng.random() < COOKIE_SHARE]
    for start in range(0, len(chosen), 500):
        db.session.execute(
            sa.update(Scan).where(Scan.visitor_key.in_(chosen[start : start + 500])).values(visitor_from_cookie=True)
        )


def _visit(response: Response, at: datetime, rng: random.Random) -> Response:
    """The same phone scans the same code again and answers the NPS question (a completed response)."""
    scan = Scan(
        workspace_id=response.workspace_id, touchpoint_id=response.touchpoint_id, code_id=response.code_id,
        scanned_at=at, visitor_key=response.visitor_key, visitor_from_cookie=True, device_class="mobile",
        os="iOS", browser="Safari", language=response.language, arrival="symbol",
    )  # fmt: skip
    db.session.add(scan)
    db.session.flush()
    again = Response(
        workspace_id=response.workspace_id, touchpoint_id=response.touchpoint_id, code_id=response.code_id,
        scan_id=scan.id, version_id=response.version_id, token=f"demo-again-{scan.id}-{rng.getrandbits(48):012x}",
        visitor_key=response.visitor_key, language=response.language, started_at=at,
        completed_at=at + timedelta(seconds=rng.randint(20, 60)),
    )  # fmt: skip
    version = db.session.get(SurveyVersion, response.version_id)
    nps = next((q for q in version.questions if q.key == "nps"), None)
    if nps is not None:
        again.answers.append(
            Answer(workspace_id=response.workspace_id, touchpoint_id=response.touchpoint_id, question_key="nps",
                   question_type=nps.type, value_number=rng.choice([8, 9, 9, 10, 10]), answered_at=at)
        )  # fmt: skip
    db.session.add(again)
    db.session.flush()
    return again


def demo_lifecycle(workspace: Workspace, campaign: Campaign, rng: random.Random) -> None:
    """Cookie visitors, customers who joined with their details, their repeat purchases in later months."""
    from feedback.leads import services as leads
    from feedback.offers.models import Coupon
    from feedback.offers.services import issue_coupon

    _cookie_visitors(campaign, rng)
    now = utcnow()
    redeemed = db.session.execute(
        sa.select(Response, Coupon)
        .join(Coupon, Coupon.response_id == Response.id)
        .join(Scan, Scan.id == Response.scan_id)
        .join(Touchpoint, Touchpoint.id == Response.touchpoint_id)
        .where(Touchpoint.campaign_id == campaign.id, Coupon.redeemed_at.is_not(None), Scan.visitor_from_cookie)
        .order_by(Response.id)
    ).all()
    for response, coupon in redeemed:
        if response.contact_id is not None or rng.random() > JOIN_SHARE:
            continue
        name = rng.choice(PEOPLE)
        email = f"{name.split()[0].lower()}.{response.id}@example.com"
        leads.capture(response, name, email, "", True, "de", workspace.name, coupon.redeemed_at)
        kind = rng.choices(list(MONTHLY_RETURN), weights=[3, 4, 3])[0]
        at = coupon.redeemed_at
        while True:
            at += timedelta(days=rng.uniform(24, 40))
            if at > now or rng.random() >= MONTHLY_RETURN[kind]:
                break
            again = _visit(response, at, rng)
            later = issue_coupon(again, again.completed_at)
            if later is not None:
                later.redeemed_at = again.completed_at + timedelta(days=rng.uniform(0.5, 6))
                later.order_value = coupon.order_value + rng.choice([-3, 0, 2, 5, 9])
                later.order_value = max(later.order_value, 4)
                later.redeemed_via = "dashboard"
                if later.redeemed_at > now:
                    later.redeemed_at, later.order_value, later.redeemed_via = None, None, ""
