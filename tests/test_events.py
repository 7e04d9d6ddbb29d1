"""Domain events: published by the services that cause them, heard by the subscribers create_app registers, in the
publisher's transaction."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from decimal import Decimal

import pytest
import sqlalchemy as sa

from feedback import events
from feedback.db_types import utcnow
from feedback.events import ContactLeft, CouponRedeemed, InviteAccepted, LeadStageChanged, ResponseCompleted
from feedback.extensions import db
from feedback.offers import services as offers
from feedback.referrals.models import Invite
from feedback.surveys.models import Response
from feedback.texts import Texts
from tests.helpers import count
from tests.phone import LOYALTY, Respondent, form_fields

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)  # tests answer at once: no bot flag


@pytest.fixture
def code(make_code):  # noqa: ANN001,ANN201
    return make_code()


@pytest.fixture
def heard(app):  # noqa: ANN201
    """Every event the app's bus hands out, in order (a subscriber added at the end, as alerts will be; it does not
    say what it wants, so completions take the full path that publishes)."""
    seen: list[object] = []
    bus = app.extensions[events.EXTENSION]
    for kind in (ResponseCompleted, InviteAccepted, CouponRedeemed, LeadStageChanged):
        bus.subscribe(kind, seen.append)
    yield seen
    for kind in (ResponseCompleted, InviteAccepted, CouponRedeemed, LeadStageChanged):
        bus.subscriptions[kind] = [s for s in bus.subscriptions[kind] if s.handler != seen.append]


def test_create_app_registers_coupons_lead_scoring_webhooks_and_alerts_in_that_order(app) -> None:
    bus = app.extensions[events.EXTENSION]
    modules = {kind: [s.handler.__module__ for s in subs] for kind, subs in bus.subscriptions.items()}
    assert modules[ResponseCompleted] == [
        "feedback.offers.services",
        "feedback.webhooks.subscribers",
        "feedback.notifications.subscribers",
    ]
    assert modules[InviteAccepted] == ["feedback.leads.services", "feedback.webhooks.subscribers"]
    assert modules[CouponRedeemed] == ["feedback.leads.services"]
    assert modules[LeadStageChanged] == [
        "feedback.webhooks.subscribers",
        "feedback.notifications.subscribers",
        "feedback.nurture.services",  # a stage change stops the contact's nurture mails
    ]
    assert modules[ContactLeft] == ["feedback.notifications.subscribers"]


def test_events_are_immutable() -> None:
    event = ResponseCompleted(1, 2, 3, 4, utcnow())
    with pytest.raises(FrozenInstanceError):
        event.response_id = 5  # type: ignore[misc]


def test_a_completed_response_and_an_accepted_invite_are_published_once(client, app, code, heard) -> None:
    referrer = Respondent(client)
    link = referrer.take_invite(referrer.answer(f"/t/{code.code}"))
    first = db.session.scalar(sa.select(Response))
    assert [type(e) for e in heard] == [ResponseCompleted]
    assert heard[0].response_id == first.id and heard[0].touchpoint_id == code.touchpoint_id

    friend = Respondent(app.test_client())
    friend.answer(link.replace("https://fb.example", ""))
    second = db.session.scalar(sa.select(Response).where(Response.id != first.id))
    invite = db.session.scalar(sa.select(Invite))
    assert [type(e) for e in heard] == [ResponseCompleted, ResponseCompleted, InviteAccepted]
    accepted = heard[2]
    assert (accepted.invite_id, accepted.referrer_response_id, accepted.response_id) == (invite.id, first.id, second.id)


def test_a_likely_bot_sets_off_nothing(client, app, code, heard) -> None:
    app.config["SURVEY_MIN_FILL_SECONDS"] = 30  # answered at once: too fast
    phone = Respondent(client)
    moment = phone.submit(f"/t/{code.code}", **LOYALTY)  # asked once to take a moment, nothing stored …
    assert moment.status_code == 200 and db.session.scalar(sa.select(Response.flagged)) is None
    again = phone.post(f"/t/{code.code}", {**form_fields(moment.get_data(as_text=True)), **LOYALTY})
    assert again.status_code == 303  # … and sent at once again: stored, flagged as too fast
    assert db.session.scalar(sa.select(Response.flagged)) is True
    assert heard == []


def test_a_subscriber_that_fails_fails_the_write(client, app, code) -> None:
    def broken(_event: ResponseCompleted) -> None:
        raise RuntimeError("subscriber down")

    bus = app.extensions[events.EXTENSION]
    bus.subscribe(ResponseCompleted, broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        reply = Respondent(client).submit(f"/t/{code.code}", q_nps="9", q_csat="4", q_repurchase="4")
    finally:
        bus.subscriptions[ResponseCompleted].pop()
    assert reply.status_code == 500
    db.session.rollback()
    assert db.session.scalar(sa.select(Response).where(Response.completed_at.is_not(None))) is None


def test_a_subscriber_that_does_not_say_what_it_wants_keeps_completions_off_the_fast_path(client, app, code) -> None:
    """The group-commit path publishes nothing, so a subscriber without `wants` makes every completion go the full
    path, where it is heard."""
    seen: list[ResponseCompleted] = []
    bus = app.extensions[events.EXTENSION]
    assert not bus.wanted(ResponseCompleted, code.workspace_id, 0, code.touchpoint_id)
    bus.subscribe(ResponseCompleted, seen.append)
    try:
        assert bus.wanted(ResponseCompleted, code.workspace_id, 0, code.touchpoint_id)
        Respondent(client).answer(f"/t/{code.code}")
    finally:
        bus.subscriptions[ResponseCompleted].pop()
    assert [e.response_id for e in seen] == [db.session.scalar(sa.select(Response.id))]


def test_a_redeemed_coupon_is_published(client, app, code, heard, make_user) -> None:
    campaign = code.touchpoint.campaign
    offer = offers.create_offer(campaign, offers.OfferData(name="Kaffee", text=Texts.of(de="10 %", en="10 %")))
    db.session.commit()
    Respondent(client).answer(f"/t/{code.code}")
    coupon = offers.coupon_of(db.session.scalar(sa.select(Response)))
    assert coupon is not None and coupon.offer_id == offer.id
    offers.redeem(code.workspace_id, coupon.code, Decimal("12.50"), utcnow(), "till", make_user().id)
    db.session.commit()
    assert [type(e) for e in heard] == [ResponseCompleted, CouponRedeemed]
    assert heard[1].coupon_id == coupon.id and heard[1].response_id == coupon.response_id
    assert count(Response) == 1
