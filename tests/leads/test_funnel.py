"""The lead funnel to won (issue 25, item 1): editors and sales systems move leads on, every move is recorded and
reported by webhook, the funnel page and API count it, and the ratings gain won customers and won value per cost."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from scipy import stats as sps

from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.leads import services, stages
from feedback.leads.models import ChangedBy, Contact, StageChange
from feedback.webhooks import services as webhook_services
from feedback.webhooks.models import WebhookDelivery
from tests.conftest import PASSWORD
from tests.helpers import WHEN, count, csrf_token_from


@pytest.fixture
def shop(make_user, make_workspace, make_campaign, make_touchpoint):  # noqa: ANN201
    """A workspace with an editor and a viewer, a campaign with a booth (cost 1000) and a flyer, and a CRM
    webhook listening to contact.stage_changed."""
    owner, editor, viewer = make_user(locale="en"), make_user(locale="de"), make_user(locale="en")
    workspace = make_workspace("Nordlicht", owner=owner, members={editor: Role.EDITOR, viewer: Role.VIEWER})
    campaign = make_campaign(workspace=workspace, name="Messe")
    booth = make_touchpoint(campaign=campaign, name="Booth", cost=Decimal("1000"))
    flyer = make_touchpoint(campaign=campaign, name="Flyer")
    webhook_services.create_endpoint(
        workspace.id, "https://crm.example.com/hook", ["contact.stage_changed", "lead.qualified"], "CRM", None
    )
    db.session.commit()
    return {"owner": owner, "editor": editor, "viewer": viewer, "workspace": workspace, "campaign": campaign,
            "booth": booth, "flyer": flyer}  # fmt: skip


def _contact(touchpoint, name: str = "Anna", when=WHEN, **kw) -> Contact:  # noqa: ANN001
    contact = Contact(
        workspace_id=touchpoint.workspace_id, touchpoint_id=touchpoint.id, name=name, email=f"{name.lower()}@ex.com",
        consent_text="ok", consent_language="de", consented_at=when, created_at=when, **kw,
    )  # fmt: skip
    db.session.add(contact)
    db.session.commit()
    return contact


def _move(contact: Contact, stage: str, days: float, **kw) -> Contact:  # noqa: ANN003
    moved = stages.move_stage(
        contact.workspace_id, contact.id, stages.Move(stage, **kw), stages.Mover(ChangedBy.DASHBOARD),
        WHEN + timedelta(days=days),
    )  # fmt: skip
    db.session.commit()
    return moved


def test_moves_follow_the_funnel_and_are_recorded(shop) -> None:
    contact = _contact(shop["booth"])
    with pytest.raises(stages.StageRefused) as refused:
        _move(contact, "won", 1, order_value=Decimal("10"))
    assert refused.value.status == 409 and "sales-qualified" in str(refused.value.message)
    with pytest.raises(stages.StageRefused) as scored:
        _move(contact, "marketing_qualified", 1)
    assert scored.value.field == "stage"
    with pytest.raises(stages.StageRefused) as unknown:
        _move(contact, "closed", 1)
    assert unknown.value.field == "stage"
    db.session.rollback()
    assert (db.session.get(Contact, contact.id).stage, count(StageChange)) == ("new", 0)  # nothing changed

    _move(contact, "sales_accepted", 1)
    _move(contact, "sales_accepted", 1.5)  # a retry changes nothing
    _move(contact, "sales_qualified", 2)
    with pytest.raises(stages.StageRefused) as no_value:
        _move(contact, "won", 3)
    assert (no_value.value.field, no_value.value.status) == ("order_value", 422)
    for bad in (Decimal("-1"), Decimal("1.234"), Decimal("10000000000")):
        with pytest.raises(stages.StageRefused):
            _move(contact, "won", 3, order_value=bad)
    db.session.rollback()
    won = _move(contact, "won", 3, order_value=Decimal("1234.50"))
    assert (won.stage, won.order_value) == ("won", Decimal("1234.50"))
    with pytest.raises(stages.StageRefused) as final:
        _move(won, "lost", 4, reason="price")
    assert "stays won" in str(final.value.message)
    db.session.rollback()
    history = [(c.from_stage, c.to_stage, c.changed_by) for c in stages.stage_history(won)]
    assert history == [
        ("new", "sales_accepted", "dashboard"),
        ("sales_accepted", "sales_qualified", "dashboard"),
        ("sales_qualified", "won", "dashboard"),
    ]

    other = _contact(shop["booth"], "Ben")
    with pytest.raises(stages.StageRefused) as no_reason:
        _move(other, "lost", 1)
    assert no_reason.value.field == "reason"
    with pytest.raises(stages.StageRefused):
        _move(other, "lost", 1, reason="other")  # "other" needs a note
    db.session.rollback()
    lost = _move(other, "lost", 1, reason="other", note="  moved  abroad ")
    assert (lost.lost_reason, lost.lost_note) == ("other", "moved abroad")
    reopened = _move(lost, "sales_accepted", 2)
    assert (reopened.stage, reopened.lost_reason, reopened.lost_note) == ("sales_accepted", None, "")


def test_the_score_no_longer_moves_a_lead_sales_took_on(shop) -> None:
    contact = _contact(shop["booth"])
    _move(contact, "sales_accepted", 1)
    rules = services.rules_for(contact.workspace_id)
    contact.score = 100
    services.restage(contact, rules, WHEN + timedelta(days=2))
    assert contact.stage == "sales_accepted"
    fresh = _contact(shop["booth"], "Cem")
    fresh.score = 100
    services.restage(fresh, rules, WHEN + timedelta(days=2))
    db.session.commit()
    assert [(c.to_stage, c.changed_by) for c in stages.stage_history(fresh)] == [("sales_ready", "score")]


def test_every_move_is_sent_as_contact_stage_changed_and_lead_qualified_only_for_the_score(shop) -> None:
    contact = _contact(shop["booth"])
    _move(contact, "sales_accepted", 1)
    _move(contact, "sales_qualified", 2)
    _move(contact, "won", 3, order_value=Decimal("99.90"))
    bodies = [json.loads(p) for p in db.session.scalars(
        sa.select(WebhookDelivery.payload).where(WebhookDelivery.event == "contact.stage_changed")
        .order_by(WebhookDelivery.id))]  # fmt: skip
    assert [(b["data"]["previous_stage"], b["data"]["stage"]) for b in bodies] == [
        ("new", "sales_accepted"),
        ("sales_accepted", "sales_qualified"),
        ("sales_qualified", "won"),
    ]
    assert bodies[-1]["data"]["contact"]["order_value"] == "99.90" and bodies[-1]["data"]["changed_by"] == "dashboard"
    assert count(WebhookDelivery) == 3  # no lead.qualified for what sales did
    deliveries = db.session.scalars(sa.select(WebhookDelivery.contact_id)).all()
    assert set(deliveries) == {contact.id}  # erasing the contact erases these bodies
    unconfirmed = _contact(shop["booth"], "Dora", unconfirmed=True)
    _move(unconfirmed, "sales_accepted", 1)
    assert count(WebhookDelivery) == 3  # no CRM hears of an unconfirmed address


def _login(app, user):  # noqa: ANN001,ANN202
    """A client of its own, logged in through the login form with its CSRF token."""
    client = app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
    return client


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_an_editor_moves_a_lead_in_the_dashboard_and_a_viewer_cannot(app, shop) -> None:
    contact = _contact(shop["booth"])
    ws = shop["workspace"].slug
    page_url = f"/w/{ws}/contacts/{contact.id}"
    client = _login(app, shop["viewer"])
    viewer_page = client.get(page_url).get_data(as_text=True)
    assert 'name="order_value"' not in viewer_page and "viewers see the stages" in viewer_page
    token = csrf_token_from(viewer_page)
    assert client.post(page_url + "/stage", data={"csrf_token": token, "stage": "sales_accepted"}).status_code == 403

    client = _login(app, shop["editor"])  # German
    page = client.get(page_url).get_data(as_text=True)
    token = csrf_token_from(page)
    refused = client.post(page_url + "/stage", data={"csrf_token": token, "stage": "won", "order_value": "10"})
    assert refused.status_code == 422  # not a choice from "new"
    assert client.post(page_url + "/stage", data={"stage": "sales_accepted"}).status_code == 400  # no CSRF token
    for stage in ("sales_accepted", "sales_qualified"):
        moved = client.post(page_url + "/stage", data={"csrf_token": token, "stage": stage})
        assert moved.status_code == 302
    no_value = client.post(page_url + "/stage", data={"csrf_token": token, "stage": "won", "order_value": ""})
    assert no_value.status_code == 422 and "Bestellwert" in no_value.get_data(as_text=True)
    assert db.session.get(Contact, contact.id).stage == "sales_qualified"
    won = client.post(page_url + "/stage", data={"csrf_token": token, "stage": "won", "order_value": "1.234,50"})
    assert won.status_code == 302
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).order_value == Decimal("1234.50")
    page = client.get(page_url).get_data(as_text=True)
    assert "Gewonnen" in page and "1.234,50" in page
    other = _contact(shop["flyer"], "Ben")
    lost = client.post(f"/w/{ws}/contacts/{other.id}/stage", data={"csrf_token": token, "stage": "lost"})
    assert lost.status_code == 422 and "Grund" in lost.get_data(as_text=True)
    assert client.post(f"/w/{ws}/contacts/{other.id}/stage",
                       data={"csrf_token": token, "stage": "lost", "reason": "price"}).status_code == 302  # fmt: skip
    assert db.session.get(Contact, other.id).lost_reason == "price"


def test_sales_systems_move_leads_through_the_api(client, shop, make_user, make_workspace) -> None:
    contact = _contact(shop["booth"])
    _token, secret = api_services.create_token(shop["workspace"].id, "CRM", Scope.WRITE, shop["owner"].id, utcnow())
    _read, read_secret = api_services.create_token(shop["workspace"].id, "BI", Scope.READ, shop["owner"].id, utcnow())
    stranger = make_workspace("Other", owner=make_user())
    _other, other_secret = api_services.create_token(stranger.id, "X", Scope.WRITE, stranger.owner_id
                                                     if hasattr(stranger, "owner_id") else None, utcnow())  # fmt: skip
    db.session.commit()
    url = f"/api/v1/contacts/{contact.id}/stage"

    def post(body: dict, key: str = secret, **headers: str):  # noqa: ANN202
        return client.post(url, json=body, headers={"Authorization": f"Bearer {key}", **headers})

    assert post({"stage": "sales_accepted"}, read_secret).status_code == 403
    assert post({"stage": "sales_accepted"}, other_secret).status_code == 404  # another workspace's contact
    skipped = post({"stage": "won", "order_value": "10.00"}, **{"Accept-Language": "de"})
    assert skipped.status_code == 409 and skipped.mimetype == "application/problem+json"
    assert skipped.get_json()["field"] == "stage" and "vertriebsqualifiziert" in skipped.get_json()["detail"].lower()
    assert post({"stage": "marketing_qualified"}).status_code == 422  # the score's stage: refused by the schema
    assert post({"stage": "sales_accepted"}).get_json()["stage"] == "sales_accepted"
    assert post({"stage": "sales_qualified"}).status_code == 200
    assert post({"stage": "won", "order_value": 12.5}).status_code == 422  # amounts travel as strings
    no_value = post({"stage": "won"})
    assert no_value.status_code == 422 and no_value.get_json()["field"] == "order_value"
    done = post({"stage": "won", "order_value": "12500.00"})
    assert done.status_code == 200 and done.get_json()["order_value"] == "12500.00"
    assert post({"stage": "won", "order_value": "12500.00"}).status_code == 200  # a retry
    assert [c.changed_by for c in stages.stage_history(db.session.get(Contact, contact.id))] == ["api"] * 3
    assert db.session.scalar(sa.select(StageChange.api_token_id).limit(1)) == _token.id
    document = client.get("/api/openapi.json").get_json()
    assert {"/api/v1/contacts/{contact_id}/stage", "/api/v1/campaigns/{campaign_id}/funnel"} <= set(document["paths"])


def test_the_funnel_page_and_api_count_constructed_histories(client, auth, shop) -> None:
    """Ten booth leads and two flyer leads with known paths: the page's and the API's numbers equal an
    independent count, scipy's Wilson interval and numpy's median."""
    booth, flyer = shop["booth"], shop["flyer"]
    plans = [  # (touchpoint, [(stage, day)], value/reason)
        *[(booth, [], None)] * 3,
        (booth, [("sales_accepted", 2)], None),
        (booth, [("sales_accepted", 1), ("sales_qualified", 3)], None),
        (booth, [("sales_accepted", 2), ("sales_qualified", 5), ("won", 9)], "500.00"),
        (booth, [("sales_accepted", 4), ("sales_qualified", 6), ("won", 7)], "250.25"),
        (booth, [("sales_accepted", 3), ("lost", 4)], "price"),
        (booth, [("sales_accepted", 6), ("sales_qualified", 8), ("lost", 20)], "competitor"),
        (booth, [("lost", 1)], "no_need"),
        (flyer, [("sales_accepted", 1)], None),
        (flyer, [], None),
    ]
    for i, (touchpoint, moves, extra) in enumerate(plans):
        contact = _contact(touchpoint, f"Lead{i}")
        for stage, day in moves:
            kw = {"order_value": Decimal(extra)} if stage == "won" else {"reason": extra} if stage == "lost" else {}
            _move(contact, stage, day, **kw)
    _contact(booth, "Twin", unconfirmed=True)  # not counted, as in the ratings
    _token, secret = api_services.create_token(shop["workspace"].id, "BI", Scope.READ, shop["owner"].id, utcnow())
    db.session.commit()
    cid = shop["campaign"].id
    api = client.get(f"/api/v1/campaigns/{cid}/funnel", headers={"Authorization": f"Bearer {secret}"}).get_json()
    total = api["total"]
    assert (total["leads"], total["won"], total["won_value"], total["lost"]) == (12, 2, "750.25", 3)
    assert [s["reached"] for s in total["steps"]] == [12, 7, 7, 4, 2]  # accepted from new: passed MQL
    sal = total["steps"][2]
    assert (sal["conversion"], sal["conversion_n"]) == (1.0, 7)
    sql = total["steps"][3]
    wilson = sps.binomtest(4, 7).proportion_ci(confidence_level=0.95, method="wilson")
    assert sql["conversion"] == pytest.approx(4 / 7) and sql["conversion_low"] == pytest.approx(wilson.low)
    assert sql["conversion_high"] == pytest.approx(wilson.high)
    # days as sales-accepted of the leads that left it: 3-1, 5-2, 6-4, 4-3, 8-6
    assert sal["median_days"] == pytest.approx(2.0) and sal["median_days_n"] == 5 and sal["median_days_low"] is None
    lead_days = [2, 1, 2, 4, 3, 6, 1, 1]  # booth and flyer leads that left "lead"
    assert total["steps"][0]["median_days"] == pytest.approx(float(sorted(lead_days)[3] + sorted(lead_days)[4]) / 2)
    assert total["lost_reasons"] == {"competitor": 1, "no_need": 1, "price": 1}
    per_tp = {t["touchpoint_id"]: t for t in api["touchpoints"]}
    assert per_tp[flyer.id]["leads"] == 2 and per_tp[booth.id]["won"] == 2

    auth.login(shop["owner"])
    page = client.get(f"/w/{shop['workspace'].slug}/campaigns/{cid}/funnel").get_data(as_text=True)
    assert "2 of 12 leads were won: 17%" in page and "4 of 7 leads that reached “Sales-accepted” reached" in page
    assert "Chose a competitor" in page and "Fewer than 10 leads" in page

    # the ratings: won customers and won value per cost, the same in the CSV and the API
    csv_text = client.get(f"/w/{shop['workspace'].slug}/campaigns/{cid}/ratings.csv").get_data(as_text=True)
    rows = {r["touchpoint"]: r for r in csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))}
    assert (rows["Booth"]["won_customers"], rows["Booth"]["won_value"]) == ("2", "750.25")
    assert float(rows["Booth"]["won_value_per_cost"]) == pytest.approx(750.25 / 1000)
    assert rows["Flyer"]["won_value_per_cost"] == ""  # no cost entered
    ratings = client.get(f"/api/v1/campaigns/{cid}/ratings", headers={"Authorization": f"Bearer {secret}"}).get_json()
    booth_row = next(r for r in ratings["touchpoints"] if r["touchpoint"] == "Booth")
    assert booth_row["won_customers"] == 2 and booth_row["won_value_per_cost"] == pytest.approx(0.75025)


def test_foreign_contacts_and_campaigns_are_404(client, auth, shop, make_user, make_workspace) -> None:
    contact = _contact(shop["booth"])
    outsider = make_user()
    make_workspace("Mine", owner=outsider)
    auth.login(outsider)
    ws = db.session.get(type(shop["workspace"]), shop["workspace"].id).slug
    assert client.get(f"/w/{ws}/campaigns/{shop['campaign'].id}/funnel").status_code == 404
    assert client.get(f"/w/{ws}/contacts/{contact.id}").status_code == 404
