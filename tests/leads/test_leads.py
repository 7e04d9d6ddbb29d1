"""Consented contacts and lead scoring: from a survey to a sales-ready lead (issue 8's second done-when)."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from feedback.auth.models import Membership, Role
from feedback.extensions import db
from feedback.leads import scoring, services
from feedback.leads.models import Contact, ScoreEvent
from feedback.offers.models import Coupon
from feedback.surveys.models import Response
from feedback.texts import Texts
from feedback.touchpoints.models import Channel
from feedback.webhooks import services as webhook_services
from feedback.webhooks.models import WebhookDelivery
from tests.helpers import count
from tests.phone import Respondent

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)  # tests answer at once: no bot flag


@pytest.fixture
def fair(client, auth, make_user, make_workspace, make_campaign, make_touchpoint, make_survey, make_code):  # noqa: ANN201
    """A trade-fair booth asking for contact details after the survey; the owner is logged in."""
    owner = make_user(locale="de")
    workspace = make_workspace("Nordlicht Kaffee", owner=owner)
    campaign = make_campaign(workspace=workspace, name="Messe 2026", ask_contact=True)
    booth = make_touchpoint(campaign=campaign, name="Messestand", channel=Channel.TRADE_FAIR, cost=Decimal("14000"))
    make_survey(booth, "trade-fair", name="Messebesuch")
    code = make_code(booth)
    webhook_services.create_endpoint(workspace.id, "https://crm.example.com/leads", ["lead.qualified"], "CRM", None)
    db.session.commit()
    auth.login(owner)
    return workspace, campaign, booth, code


def _survey(phone: Respondent, code, nps: str = "10", follow_up: str = "offer") -> str:  # noqa: ANN001
    """Scan the code and answer the trade-fair survey; the thank-you page's URL."""
    return phone.answer(f"/t/{code.code}", q_nps=nps, q_csat="5", q_ces="6", q_follow_up=follow_up)


def test_a_respondent_becomes_a_sales_ready_lead_with_consent_on_record(app, client, fair) -> None:
    workspace, campaign, booth, code = fair
    visitor = Respondent(app.test_client())
    thanks_url = _survey(visitor, code)
    thanks = visitor.open(thanks_url).get_data(as_text=True)
    assert "Dürfen wir Sie kontaktieren?" in thanks
    assert (
        '<input type="checkbox" name="consent" value="yes"' in thanks
        and "checked" not in thanks.split('name="consent"')[1][:60]
    )
    assert "Nordlicht Kaffee mich zu meinem Feedback" in thanks  # the consent wording names the brand

    without = visitor.leave_contact(thanks_url, name="Anna Berg", email="anna@example.com", phone="")
    assert without.status_code == 422 and "Bitte setzen Sie den Haken" in without.get_data(as_text=True)
    assert 'value="anna@example.com"' in without.get_data(as_text=True)  # what they typed is kept
    not_an_address = visitor.leave_contact(thanks_url, name="Anna", email="anna(at)example", consent="yes")
    assert not_an_address.status_code == 422 and "Das ist keine E-Mail-Adresse" in not_an_address.get_data(as_text=True)
    nothing = visitor.leave_contact(thanks_url, name="Anna", consent="yes")
    assert nothing.status_code == 422 and "E-Mail-Adresse oder eine Telefonnummer" in nothing.get_data(as_text=True)
    assert count(Contact) == 0 and count(ScoreEvent) == 0  # nothing stored without consent and a way to reach her

    done = visitor.leave_contact(
        thanks_url, name="Anna Berg", email=" Anna@Example.com ", phone="+49 40 123456", consent="yes"
    )
    assert done.status_code == 303
    db.session.commit()
    contact = db.session.scalar(sa.select(Contact))
    assert (contact.name, contact.email, contact.phone) == ("Anna Berg", "anna@example.com", "+49 40 123456")
    assert contact.consent_language == "de" and contact.consent_text.startswith(
        "Ich bin einverstanden, dass Nordlicht Kaffee"
    )
    # scan 1 + completed 5 + promoter 10 + asked for an offer 20 = 36 ≥ 35: sales-ready at once
    assert (contact.score, contact.stage) == (36, "sales_ready")
    assert sorted(e.activity for e in services.history(contact)) == ["completed", "follow_up", "promoter", "scan"]
    assert db.session.scalar(sa.select(Response.contact_id)) == contact.id
    event = json.loads(
        db.session.scalar(sa.select(WebhookDelivery.payload).where(WebhookDelivery.event == "lead.qualified"))
    )
    assert event["data"]["contact"]["email"] == "anna@example.com" and event["data"]["previous_stage"] == "new"
    assert "wir haben Ihre Angaben" in visitor.open(done.headers["Location"]).get_data(as_text=True)

    # the sales team sees her, with the touchpoint she came from, and can export her for the CRM
    listed = client.get(f"/w/{workspace.slug}/leads/?stage=sales_ready").get_data(as_text=True)
    assert "Anna Berg" in listed and "Messestand" in listed
    exported = client.get(f"/w/{workspace.slug}/leads.csv?stage=sales_ready").get_data(as_text=True)
    (row,) = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert (row["email"], row["stage"], row["score"], row["touchpoint"]) == (
        "anna@example.com",
        "sales_ready",
        "36",
        "Messestand",
    )
    assert row["consent_text"] == contact.consent_text and row["consent_language"] == "de"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", row["consented_at"])
    german = client.get(f"/w/{workspace.slug}/leads.csv?stage=sales_ready&dialect=excel-de").get_data(as_text=True)
    (for_excel,) = list(csv.DictReader(io.StringIO(german.lstrip("\ufeff")), delimiter=";"))
    assert for_excel["email"] == "anna@example.com" and for_excel["score"] == "36"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d", for_excel["consented_at"])
    ratings = client.get(f"/w/{workspace.slug}/campaigns/{campaign.id}/ratings.csv").get_data(as_text=True)
    (rating,) = list(csv.DictReader(io.StringIO(ratings.lstrip("\ufeff"))))
    assert (rating["leads"], rating["leads_qualified"], rating["leads_sales_ready"]) == ("1", "1", "1")


def test_contacts_can_be_exported_and_erased_without_a_trace(app, client, fair) -> None:
    workspace, _campaign, _booth, code = fair
    visitor = Respondent(app.test_client())
    thanks_url = _survey(visitor, code)
    visitor.leave_contact(thanks_url, name="Ben", email="ben@example.com", consent="yes")
    db.session.commit()
    contact = db.session.scalar(sa.select(Contact))
    export = client.get(f"/w/{workspace.slug}/contacts/{contact.id}/export.json").get_json()
    assert export["contact"]["email"] == "ben@example.com" and export["responses"][0]["answers"]["follow_up"] == "offer"
    assert {e["activity"] for e in export["score_history"]} == {"scan", "completed", "promoter", "follow_up"}
    assert count(WebhookDelivery) == 1
    erased = client.post(f"/w/{workspace.slug}/contacts/{contact.id}/erase", data={"confirm": "1"})
    assert erased.status_code == 302
    db.session.commit()
    assert count(Contact) == 0 and count(ScoreEvent) == 0
    (lead,) = db.session.scalars(sa.select(WebhookDelivery))  # kept in the log, without her, and never sent
    assert lead.status == "cancelled" and "ben@example.com" not in lead.payload
    assert db.session.scalar(sa.select(Response.contact_id)) is None and count(Response) == 1  # answers stay anonymous
    assert client.get(f"/w/{workspace.slug}/contacts/{contact.id}").status_code == 404


def test_scores_add_up_across_touchpoints_friends_and_coupons(
    app, client, fair, make_touchpoint, make_survey, make_code
) -> None:
    workspace, campaign, _booth, code = fair
    scoring.save_rules(workspace.id, {"scan": 0, "completed": 5, "promoter": 0, "follow_up": 0, "invite_accepted": 10,
                                       "coupon_redeemed": 25, }, 12, 40, Texts())  # fmt: skip
    db.session.commit()
    visitor = Respondent(app.test_client())
    thanks_url = _survey(visitor, code, nps="8", follow_up="no")
    visitor.leave_contact(thanks_url, email="cara@example.com", consent="yes")
    db.session.commit()
    contact = db.session.scalar(sa.select(Contact))
    assert (contact.score, contact.stage) == (5, "new")

    # her address entered again at another touchpoint is a contact of its own: nobody confirmed it is her
    tasting = make_touchpoint(campaign=campaign, name="Verkostung", channel=Channel.EVENT)
    make_survey(tasting, "trade-fair", name="Verkostung")
    other = make_code(tasting)
    again = Respondent(app.test_client())
    thanks_url = _survey(again, other, nps="8", follow_up="no")
    again.leave_contact(thanks_url, email="CARA@example.com", name="Cara", consent="yes")
    db.session.commit()
    db.session.refresh(contact)
    assert count(Contact) == 2 and (contact.score, contact.stage, contact.name) == (5, "new", "")
    second = db.session.scalar(sa.select(Contact).where(Contact.id != contact.id))
    assert (second.same_address_as, second.score, second.name) == (contact.id, 5, "Cara")

    # a coupon of her response redeemed at the till: +25 → 30, marketing-qualified, one webhook
    response = db.session.scalar(sa.select(Response).where(Response.contact_id == contact.id).order_by(Response.id))
    from feedback.offers import services as offers
    from feedback.offers.models import Offer

    offer = Offer(workspace_id=workspace.id, campaign_id=campaign.id, name="x", texts={"de": "x"}, with_coupon=True)
    db.session.add(offer)
    db.session.flush()
    coupon = offers.issue_coupon(response, response.completed_at)
    db.session.commit()
    client.post(f"/w/{workspace.slug}/redeem", data={"code": coupon.code, "order_value": "12,00"})
    db.session.commit()
    db.session.refresh(contact)
    assert (contact.score, contact.stage) == (30, "marketing_qualified")
    assert db.session.scalar(sa.select(Coupon.redeemed_at)) is not None
    qualified = db.session.scalars(
        sa.select(WebhookDelivery.payload).where(WebhookDelivery.event == "lead.qualified")
    ).all()
    assert [json.loads(p)["data"]["contact"]["stage"] for p in qualified] == ["marketing_qualified"]


def test_scoring_is_for_editors_the_consent_text_for_owners_and_both_must_make_sense(
    app, client, auth, fair, make_user
) -> None:
    workspace, _campaign, _booth, _code = fair
    base = f"/w/{workspace.slug}/leads/settings"
    form = {"scan": "1", "completed": "5", "promoter": "10", "follow_up": "20", "invite_accepted": "10",
            "coupon_redeemed": "25", "nurture_reaction": "5", "mql_at": "50", "sales_ready_at": "40"}  # fmt: skip
    bad = client.post(base, data=form)
    assert bad.status_code == 422 and "muss über der" in bad.get_data(as_text=True)
    assert services.rules_for(workspace.id).mql_at == 15  # unchanged defaults
    assert client.post(base, data={**form, "mql_at": "20", "sales_ready_at": "60"}).status_code == 302
    assert client.post(f"{base}/consent", data={"purpose-de": "Wir melden uns."}).status_code == 302
    rules = services.rules_for(workspace.id)
    assert (rules.mql_at, rules.sales_ready_at, rules.purpose("de", "x")) == (20, 60, "Wir melden uns.")
    editor = make_user()
    db.session.add(Membership(user=editor, workspace=workspace, role=Role.EDITOR.value))
    db.session.commit()
    auth.logout()
    auth.login(editor)
    assert client.post(base, data={**form, "mql_at": "25", "sales_ready_at": "60"}).status_code == 302
    assert client.post(f"{base}/consent", data={"purpose-de": "Anders."}).status_code == 403
    assert services.rules_for(workspace.id).purpose("de", "x") == "Wir melden uns."


def test_the_api_lists_exports_and_erases_contacts(app, client, fair) -> None:
    from feedback.api import services as api_services
    from feedback.api.models import Scope
    from feedback.db_types import utcnow

    workspace, _campaign, _booth, code = fair
    visitor = Respondent(app.test_client())
    thanks_url = _survey(visitor, code)
    visitor.leave_contact(thanks_url, email="dora@example.com", consent="yes")
    _token, plain = api_services.create_token(workspace.id, "CRM", Scope.WRITE, None, utcnow())
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    items = client.get("/api/v1/contacts?stage=sales_ready", headers=headers).get_json()["items"]
    assert [(c["email"], c["stage"]) for c in items] == [("dora@example.com", "sales_ready")]
    exported = client.get(f"/api/v1/contacts/{items[0]['id']}/export", headers=headers).get_json()
    assert exported["contact"]["consent_text"] and exported["responses"]
    assert client.delete(f"/api/v1/contacts/{items[0]['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/contacts", headers=headers).get_json()["items"] == []


def test_campaigns_that_do_not_ask_show_no_contact_step_and_refuse_posts(app, fair) -> None:
    _workspace, campaign, _booth, code = fair
    campaign.ask_contact = False
    db.session.commit()
    visitor = Respondent(app.test_client())
    thanks_url = _survey(visitor, code)
    thanks = visitor.open(thanks_url).get_data(as_text=True)
    assert "Dürfen wir Sie kontaktieren?" not in thanks
    token = re.search(r"r=([A-Za-z0-9_-]+)", thanks_url).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', thanks)
    data = {"r": token, "email": "x@example.com", "consent": "yes", **({"csrf_token": csrf.group(1)} if csrf else {})}
    visitor.post(f"/t/{code.code}/contact", data)
    assert count(Contact) == 0


def test_a_survey_can_neither_overwrite_a_contact_nor_multiply_them(app, client, fair) -> None:
    workspace, campaign, _booth, code = fair
    anna = Respondent(app.test_client())
    anna_thanks = _survey(anna, code)
    anna.leave_contact(anna_thanks, name="Anna Berg", email="anna@example.com", phone="+49 40 123456", consent="yes")
    db.session.commit()
    first = db.session.scalar(sa.select(Contact))
    before = (first.name, first.email, first.phone, first.consent_text, first.consented_at, first.score, first.stage)
    before_history = [(e.activity, e.source) for e in services.history(first)]

    # someone else types Anna's address with their own name and phone
    mallory = Respondent(app.test_client())
    mallory_thanks = _survey(mallory, code, nps="3", follow_up="no")
    page = mallory.open(mallory_thanks).get_data(as_text=True)
    token = re.search(r'name="r" value="([^"]+)"', page).group(1)
    action = re.search(r'action="(/t/[A-Z0-9]+/contact)"', page).group(1)
    left = mallory.post(action, {"r": token, "name": "Mallory", "email": "ANNA@example.com", "phone": "+49 30 999999",
                                 "consent": "yes"})  # fmt: skip
    assert left.status_code == 303
    db.session.commit()
    db.session.refresh(first)
    assert (first.name, first.email, first.phone, first.consent_text, first.consented_at, first.score, first.stage) == (
        before
    )
    assert [(e.activity, e.source) for e in services.history(first)] == before_history
    apart = db.session.scalar(sa.select(Contact).where(Contact.id != first.id))
    assert (apart.name, apart.email, apart.same_address_as) == ("Mallory", "anna@example.com", first.id)

    # one response leaves one contact: more addresses through the same response token store nothing
    for n in range(3):
        again = mallory.post(action, {"r": token, "name": f"Bot {n}", "email": f"bot{n}@example.com", "consent": "yes"})
        assert again.status_code == 303
    db.session.commit()
    assert count(Contact) == 2
    assert db.session.scalar(sa.select(ScoreEvent.id).where(ScoreEvent.contact_id == apart.id).limit(1)) is not None

    # the marketer sees which contact is unconfirmed, on the list, the contact's page, the CSV and the API
    listed = client.get(f"/w/{workspace.slug}/leads/").get_data(as_text=True)
    assert f"Unbestätigt: dieselbe Adresse wie Kontakt {first.id}" in listed
    page = client.get(f"/w/{workspace.slug}/contacts/{apart.id}").get_data(as_text=True)
    assert f"Kontakt {first.id} schon hat" in page and f'href="/w/{workspace.slug}/contacts/{first.id}"' in page
    rows = list(csv.DictReader(io.StringIO(client.get(f"/w/{workspace.slug}/leads.csv").get_data(as_text=True)[1:])))
    assert sorted((r["same_address_as"], r["unconfirmed"]) for r in rows) == [("", ""), (str(first.id), "yes")]
    holder = client.get(f"/w/{workspace.slug}/contacts/{first.id}").get_data(as_text=True)
    assert "Später noch einmal eingegeben, unbestätigt:" in holder and f"/contacts/{apart.id}" in holder
    # the touchpoint brought one address, not two
    ratings = client.get(f"/w/{workspace.slug}/campaigns/{campaign.id}/ratings.csv").get_data(as_text=True)
    (rating,) = list(csv.DictReader(io.StringIO(ratings.lstrip("\ufeff"))))
    assert rating["leads"] == "1"


def test_two_requests_leaving_details_for_one_response_store_one_contact(app, fair) -> None:
    _workspace, _campaign, _booth, code = fair
    visitor = Respondent(app.test_client())
    visitor.leave_contact(_survey(visitor, code), email="dora@example.com", consent="yes")
    db.session.commit()
    response = db.session.scalar(sa.select(Response))
    stale = Response(**{c.key: getattr(response, c.key) for c in Response.__table__.columns})
    stale.contact_id = None  # what the second request read before the first one committed (kept out of the session)
    with pytest.raises(services.DetailsAlreadyLeft):
        services.capture(stale, "", "eve@example.com", "", True, "de", "x", stale.completed_at)
    db.session.rollback()
    assert count(Contact) == 1 and db.session.scalar(sa.select(Contact.email)) == "dora@example.com"


def test_an_unconfirmed_contact_is_never_sent_to_the_crm_and_stays_unconfirmed(app, client, fair) -> None:
    workspace, _campaign, _booth, code = fair
    anna = Respondent(app.test_client())
    anna.leave_contact(_survey(anna, code), name="Anna", email="anna@example.com", consent="yes")
    db.session.commit()
    sent = count(WebhookDelivery)  # Anna's lead.qualified
    copycat = Respondent(app.test_client())
    copycat.leave_contact(_survey(copycat, code), name="Copycat", email="anna@example.com", consent="yes")
    db.session.commit()
    copy = db.session.scalar(sa.select(Contact).where(Contact.name == "Copycat"))
    assert (copy.stage, copy.unconfirmed) == ("sales_ready", True)  # 36 points: sales-ready, but unconfirmed
    assert count(WebhookDelivery) == sent  # no lead.qualified with Anna's address and someone else's name

    first = db.session.scalar(sa.select(Contact).where(Contact.name == "Anna"))
    client.post(f"/w/{workspace.slug}/contacts/{first.id}/erase", data={"confirm": "1"})
    db.session.commit()
    db.session.refresh(copy)
    assert (copy.unconfirmed, copy.same_address_as) == (True, None)  # erasing Anna confirms nobody
    page = client.get(f"/w/{workspace.slug}/contacts/{copy.id}").get_data(as_text=True)
    assert "inzwischen gelöscht" in page
