"""Win-back mailings from a constructed history: who is lapsed (the N-day boundary, detractors, no e-mail), the
batch with one code per lapsed customer, its response and redemption rates against SciPy's Wilson interval, the
reasons and themes of its answers, and the page's access rules."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from scipy import stats as sps

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.qr.models import Code
from feedback.surveys.models import Answer, Response, Survey
from feedback.winback import services
from feedback.winback.models import WinbackBatch, WinbackRecipient
from tests.customers.histories import History, key
from tests.helpers import WHEN, csrf_token_from

DAY = timedelta(days=1)
NOW = WHEN + 400 * DAY
_serial = itertools.count(1)


def nps(response: Response, value: int, at=None) -> None:  # noqa: ANN001
    """The response's NPS answer."""
    db.session.add(
        Answer(response_id=response.id, workspace_id=response.workspace_id, touchpoint_id=response.touchpoint_id,
               question_key="nps", question_type="nps", value_number=value, answered_at=at or response.completed_at)
    )  # fmt: skip
    db.session.flush()


@pytest.fixture
def shop(make_user, make_workspace, make_campaign, make_touchpoint, with_survey):
    """A workspace whose shop touchpoint acquired customers; a win-back touchpoint with the win-back template."""
    owner, viewer = make_user(locale="en"), make_user(locale="en")
    workspace = make_workspace(owner=owner, members={viewer: Role.VIEWER})
    campaign = make_campaign(workspace=workspace, name="Shop")
    counter = with_survey(make_touchpoint(campaign, "Counter"))
    letter = with_survey(make_touchpoint(campaign, "Win-back letter"), "win-back")
    h = History()
    people = {}

    def customer(name: str, last_purchase_days_ago: float, email: bool = True, nps_answers=()):  # noqa: ANN001,ANN202
        response = h.respond(counter, NOW - 600 * DAY, key(name))
        contact = h.contact(response, f"{name}@example.com")
        for days_ago, value in zip((550, 500), nps_answers, strict=False):
            nps(h.respond(counter, NOW - days_ago * DAY, key(name)), value)  # from the same phone, no details
        h.coupon(response, NOW - last_purchase_days_ago * DAY, "20.00")
        if not email:
            contact.email, contact.phone = "", "+49 151 000000"
        people[name] = contact
        return contact

    customer("anna", 181)  # lapsed
    customer("bert", 180)  # exactly N days: not "more than"
    customer("carl", 10)
    customer("dora", 300, nps_answers=[9, 3])  # latest answer a detractor's
    customer("emil", 300, nps_answers=[2, 9])  # was a detractor, latest answer a promoter's
    customer("fritz", 300, email=False)
    for i in range(10):
        customer(f"lapsed{i}", 200 + i)
    db.session.commit()
    return workspace, owner, viewer, letter, people, h


def test_lapsed_customers_are_those_without_a_purchase_for_more_than_n_days(shop) -> None:
    workspace, _owner, _viewer, _letter, people, _h = shop
    lapsed = services.lapsed_customers(workspace.id, 180, False, NOW)
    chosen = set(lapsed.contact_ids)
    assert people["anna"].id in chosen and people["emil"].id in chosen
    assert people["bert"].id not in chosen and people["carl"].id not in chosen
    assert people["dora"].id not in chosen and people["fritz"].id not in chosen
    assert len(chosen) == 12
    assert (lapsed.suppressed_detractors, lapsed.without_email) == (1, 1)
    assert people["bert"].id in services.lapsed_customers(workspace.id, 179, False, NOW).contact_ids


def test_detractors_are_written_to_only_when_included(shop) -> None:
    workspace, _owner, _viewer, _letter, people, _h = shop
    lapsed = services.lapsed_customers(workspace.id, 180, True, NOW)
    assert people["dora"].id in lapsed.contact_ids
    assert lapsed.suppressed_detractors == 0 and len(lapsed.contact_ids) == 13


def shop_counter(contact):  # noqa: ANN001,ANN201
    """The touchpoint that acquired the contact."""
    from feedback.touchpoints.models import Touchpoint

    return db.session.get(Touchpoint, contact.touchpoint_id)


def respond_through(code: Code, at, flagged: bool = False, answers=()) -> Response:  # noqa: ANN001
    """A completed response through a personal code, with (key, type, value) answers."""
    version = db.session.get(Survey, code.touchpoint.survey_id).current
    response = Response(
        workspace_id=code.workspace_id, touchpoint_id=code.touchpoint_id, code_id=code.id, version_id=version.id,
        token=f"wb-{next(_serial)}", visitor_key=key(f"wb{code.id}"), language="de", started_at=at,
        completed_at=at + timedelta(seconds=50), flagged=flagged,
    )  # fmt: skip
    db.session.add(response)
    db.session.flush()
    for question_key, kind, value in answers:
        db.session.add(
            Answer(response_id=response.id, workspace_id=code.workspace_id, touchpoint_id=code.touchpoint_id,
                   question_key=question_key, question_type=kind, value_text=value, answered_at=at)
        )  # fmt: skip
    db.session.flush()
    return response


@pytest.fixture
def mailed(shop):  # noqa: ANN001,ANN201
    """A win-back batch of the shop's 12 lapsed customers: three codes responded (one twice, one only flagged), two
    recipients redeemed after the mailing (one through her win-back answer), one only before it."""
    workspace, _owner, _viewer, letter, people, h = shop
    winback = services.create_winback(letter, "", 180, False, NOW)
    db.session.commit()
    rows = db.session.scalars(sa.select(WinbackRecipient))
    recipients = {r.contact_id: db.session.get(Code, r.code_id) for r in rows}

    codes = [recipients[people[n].id] for n in ("anna", "emil", "lapsed0", "lapsed1")]
    pricey = [("left_reason", "multi_choice", "price"), ("come_back_comment", "text", "Die Preise sind zu teuer")]
    anna = respond_through(codes[0], NOW + DAY, answers=[*pricey, ("come_back", "multi_choice", "discount")])
    respond_through(codes[0], NOW + 2 * DAY, answers=pricey)  # the same code twice: one code responded
    respond_through(codes[1], NOW + DAY, answers=[*pricey, ("left_reason", "multi_choice", "forgot")])
    respond_through(codes[2], NOW + DAY, answers=[("left_reason", "multi_choice", "forgot")])
    respond_through(codes[3], NOW + DAY, flagged=True, answers=pricey)  # flagged: not counted
    h.coupon(anna, NOW + 3 * DAY, "30.00")  # redeemed through her win-back answer
    for name, redeemed in (("lapsed5", NOW + 5 * DAY), ("lapsed6", NOW - DAY)):
        # a coupon of an answer they left their details with: after the mailing a reactivation, before it none
        earlier = h.respond(shop_counter(people[name]), NOW - 30 * DAY, key(name))
        earlier.contact_id = people[name].id
        h.coupon(earlier, redeemed, "15.00")
    db.session.commit()
    return winback, recipients


def test_a_batch_has_one_code_per_lapsed_customer_and_its_rates_carry_wilson_intervals(shop, mailed) -> None:
    _workspace, _owner, _viewer, _letter, people, _h = shop
    winback, recipients = mailed
    assert len(recipients) == winback.batch.size == 12
    assert people["dora"].id not in recipients and winback.suppressed_detractors == 1
    assert all(code.batch_id == winback.batch_id for code in recipients.values())

    result = services.reactivation(winback)
    assert result.sent == 12
    for proportion, k in ((result.responded, 3), (result.redeemed, 2)):
        expected = sps.binomtest(k, 12).proportion_ci(method="wilson")
        assert (proportion.k, proportion.n) == (k, 12)
        assert proportion.ci.low == pytest.approx(expected.low) and proportion.ci.high == pytest.approx(expected.high)
    answered, chosen = result.reasons["left_reason"]
    assert answered == 4 and chosen == {"price": 3, "forgot": 2}  # per response: anna answered twice
    assert result.reasons["come_back"] == (1, {"discount": 1})
    assert result.comments == 3
    assert any("teuer" in theme.label.lower() for theme in result.themes)


def test_nobody_lapsed_creates_nothing(shop) -> None:
    workspace, _owner, _viewer, letter, _people, _h = shop
    with pytest.raises(services.NobodyLapsed):
        services.create_winback(letter, "", 3000, False, NOW)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WinbackBatch)) == 0


def test_editors_create_batches_viewers_only_see_them(shop, client, auth, monkeypatch) -> None:
    workspace, owner, viewer, letter, _people, _h = shop
    monkeypatch.setattr("feedback.winback.views.utcnow", lambda: NOW)
    url = f"/w/{workspace.slug}/touchpoints/{letter.id}/win-back"
    auth.login(viewer)
    page = client.get(url + "?days=180")
    assert page.status_code == 200 and "Create win-back batch" not in page.text and 'id="no-survey"' not in page.text
    assert "Left out as detractors (latest NPS answer 0–6): 1" in page.text
    assert client.post(url, data={"days": "180", "csrf_token": csrf_token_from(page.text)}).status_code == 403
    auth.logout()
    auth.login(owner)
    assert url in client.get(f"/w/{workspace.slug}/touchpoints/{letter.id}").text
    page = client.get(url)
    assert re.search(r'name="days"[^>]*value="180"', page.text)  # the default stands in the field
    created = client.post(url, data={"days": "180", "csrf_token": csrf_token_from(page.text)})
    assert created.status_code == 302
    assert db.session.scalar(sa.select(WinbackBatch.batch_id)) is not None
    listed = client.get(url).text
    assert "winback-batches" in listed and "12/12" not in listed
    again = client.post(url, data={"days": "180", "csrf_token": csrf_token_from(listed)})
    assert again.status_code == 302  # a second mailing to the same people gets codes of its own
    assert [w.batch.size for w in services.winbacks_of(letter)] == [12, 12]


def test_foreign_touchpoints_are_not_found(shop, client, auth, make_user, make_workspace) -> None:
    workspace, _owner, _viewer, letter, _people, _h = shop
    stranger = make_user(locale="en")
    own = make_workspace(owner=stranger)
    auth.login(stranger)
    assert client.get(f"/w/{workspace.slug}/touchpoints/{letter.id}/win-back").status_code == 404
    page = client.get(f"/w/{own.slug}/touchpoints/{letter.id}/win-back")
    assert page.status_code == 404


def test_the_form_refuses_days_out_of_range_and_can_include_detractors(shop, client, auth, monkeypatch) -> None:
    workspace, owner, _viewer, letter, _people, _h = shop
    monkeypatch.setattr("feedback.winback.views.utcnow", lambda: NOW)
    url = f"/w/{workspace.slug}/touchpoints/{letter.id}/win-back"
    auth.login(owner)
    token = csrf_token_from(client.get(url).text)
    assert client.post(url, data={"days": "0", "csrf_token": token}).status_code == 422
    assert client.post(url, data={"days": "1" + "0" * 30, "csrf_token": token}).status_code == 422
    assert services.winbacks_of(letter) == []
    included = client.post(url, data={"days": "180", "include_detractors": "y", "csrf_token": token})
    assert included.status_code == 302
    (winback,) = services.winbacks_of(letter)
    assert winback.include_detractors and winback.batch.size == 13 and winback.suppressed_detractors == 0
    mailmerge = client.get(f"/w/{workspace.slug}/batches/{winback.batch_id}/mailmerge.csv").text
    assert mailmerge.count("winback-1-contact-") == 13 and "@example.com" not in mailmerge


def test_the_api_reads_each_batch_s_reactivation_as_the_page_shows_it(shop, mailed, client) -> None:
    from feedback.api import services as api_services
    from feedback.api.models import Scope
    from feedback.db_types import utcnow

    workspace, owner, _viewer, letter, _people, _h = shop
    winback, _recipients = mailed
    _t, token = api_services.create_token(workspace.id, "BI", Scope.READ, owner.id, utcnow())
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.get(f"/api/v1/touchpoints/{letter.id}/win-backs", headers=headers)
    assert answer.status_code == 200, answer.text
    (item,) = answer.json["items"]
    expected = services.reactivation(winback)
    assert (item["id"], item["batch_id"], item["sent"], item["lapsed_days"]) == (winback.id, winback.batch_id, 12, 180)
    assert (item["suppressed_detractors"], item["without_email"]) == (1, 1)
    for name, proportion in (("response_rate", expected.responded), ("redemption_rate", expected.redeemed)):
        assert item[name] == pytest.approx(proportion.share)
        assert (item[f"{name}_low"], item[f"{name}_high"]) == pytest.approx((proportion.ci.low, proportion.ci.high))
    assert (item["responded"], item["redeemed"], item["comments"]) == (3, 2, 3)
    reasons = {r["question"]: r for r in item["reasons"]}
    assert reasons["left_reason"]["answered"] == 4
    assert {o["value"]: o["count"] for o in reasons["left_reason"]["options"]} == {"price": 3, "forgot": 2}
    price = next(o for o in reasons["left_reason"]["options"] if o["value"] == "price")
    assert set(price["labels"]) == {"de", "en"} and price["labels"]["de"] != "price"
    assert any("teuer" in theme["label"].lower() for theme in item["themes"])
    assert "@example.com" not in answer.text  # addresses only in the editors' download
    other = client.get(f"/api/v1/touchpoints/{letter.id + 1000}/win-backs", headers=headers)
    assert other.status_code == 404


def test_editors_download_the_recipients_with_their_addresses_viewers_do_not(
    shop, mailed, client, auth, make_user, make_workspace
) -> None:
    workspace, owner, viewer, letter, people, _h = shop
    winback, recipients = mailed
    people["anna"].name = "=HYPERLINK(\"http://evil.example\")"
    db.session.delete(people["emil"])  # erased: the code stays, the address goes
    db.session.commit()
    url = f"/w/{workspace.slug}/touchpoints/{letter.id}/win-back/{winback.id}/recipients.csv"
    auth.login(viewer)
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login(owner)
    page = client.get(f"/w/{workspace.slug}/touchpoints/{letter.id}/win-back")
    assert url in page.text
    download = client.get(url)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "recipients.csv" in download.headers["Content-Disposition"]
    lines = download.text.lstrip("\ufeff").splitlines()
    assert lines[0] == ",".join(services.RECIPIENT_COLUMNS)
    assert len(lines) == 1 + 12
    by_code = {line.split(",")[1]: line for line in lines[1:]}
    assert "anna@example.com" in by_code[recipients[people["anna"].id].code]
    assert "'=HYPERLINK" in by_code[recipients[people["anna"].id].code]  # a formula is neutralised
    emil = recipients[people["emil"].id].code
    assert by_code[emil].endswith(",,,") and "emil" not in by_code[emil]
    assert client.get(url.replace(f"/touchpoints/{letter.id}/", f"/touchpoints/{letter.id + 1000}/")).status_code == 404
    stranger = make_user(locale="en")
    own = make_workspace(owner=stranger)
    auth.logout()
    auth.login(stranger)
    assert client.get(url.replace(f"/w/{workspace.slug}/", f"/w/{own.slug}/")).status_code == 404
