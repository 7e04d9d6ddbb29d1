"""One campaign, every output: each metric of each touchpoint is the same number on the ratings page, the
touchpoint page, the PDF summary, the CSV, XLSX and JSON downloads, the API, `feedback ratings` and `feedback codes`
(STATS.md §11: one definition, shown the same everywhere)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from feedback.analysis.services import campaign_ratings
from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.leads import stages
from feedback.leads.models import ChangedBy, Contact
from feedback.offers.models import Coupon, Offer
from feedback.qr.models import LandingAction, Scan
from feedback.referrals import services as referrals
from feedback.surveys.models import Response
from feedback.touchpoints.models import Channel, Phase
from tests.helpers import WHEN

#: The metrics compared, as the downloads name them.
KEYS = (
    "rating", "nps", "nps_n", "csat", "response_rate", "scans", "unique_visitors", "k_factor", "acceptance_rate",
    "kiosk", "action_call", "action_calendar", "action_follow", "action_cta", "action_call_per_visitor",
    "action_cta_per_visitor", "won_customers", "won_value", "won_value_per_cost", "customers", "repeat_customers",
    "clv", "clv_low", "clv_high", "repeat_purchase_rate", "repeat_purchase_rate_low", "repeat_purchase_rate_high",
)  # fmt: skip
ACTIONS = ("call", "calendar", "follow", "cta")


@pytest.fixture
def campaign(make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_scans, make_response):
    """Three touchpoints: a booth with NPS, CSAT and CES answers over two days, a flyer with NPS only, a poster
    without answers; the booth's first respondent took an invite that won a friend."""
    owner = make_user(locale="en")
    workspace = make_workspace(owner=owner, name="Rösterei")
    campaign = make_campaign(workspace=workspace, name="Frühjahr")
    booth = with_survey(
        make_touchpoint(campaign, "Booth", Channel.TRADE_FAIR, Phase.AWARENESS, Decimal("900"), 2000), "trade-fair"
    )
    flyer = with_survey(make_touchpoint(campaign, "Flyer", Channel.FLYER, Phase.CONSIDERATION, Decimal("300"), 5000))
    poster = with_survey(make_touchpoint(campaign, "Poster", Channel.POSTER, Phase.AWARENESS))
    make_scans(booth, 30, visitors=20)
    make_scans(booth, 14, when=WHEN + timedelta(days=1), visitors=10)
    make_scans(flyer, 25)
    make_scans(poster, 3)
    booth_nps = [10, 10, 9, 9, 9, 8, 8, 7, 10, 6, 5, 10, 9, 9, 10, 3, 8, 10, 9, 10, 9, 7]
    first = None
    for i, value in enumerate(booth_nps):
        made = make_response(booth, when=WHEN + timedelta(hours=i), nps=value, csat=1 + value % 5, ces=1 + i % 7)
        made.kiosk = i % 3 == 0  # the booth's tablet took a third of its answers
        first = first or made
    # clicks on the booth's and the flyer's landing-page actions; a bot's and a team device's are not counted
    for touchpoint, action, n in ((booth, "call", 4), (booth, "calendar", 7), (booth, "cta", 2), (flyer, "follow", 3)):
        for i in range(n):
            db.session.add(
                LandingAction(workspace_id=workspace.id, touchpoint_id=touchpoint.id, action=action,
                              clicked_at=WHEN + timedelta(minutes=i), visitor_key=f"{i:032x}", device_class="mobile")
            )  # fmt: skip
    for extra in ({"is_bot": True}, {"team": True}):
        db.session.add(
            LandingAction(workspace_id=workspace.id, touchpoint_id=booth.id, action="call", clicked_at=WHEN,
                          visitor_key="f" * 32, device_class="mobile", **extra)
        )  # fmt: skip
    for value in [9, 6, 3, 10, 8, 2, 6, 7, 9, 5, 4, 10]:
        make_response(flyer, nps=value)
    invite = referrals.issue_invite(first, campaign, WHEN + timedelta(minutes=5))
    friend = make_response(booth, when=WHEN + timedelta(days=1), nps=10, csat=5, ces=7)
    friend.invite_id = invite.id
    assert referrals.accept(friend, WHEN + timedelta(days=1))
    # two leads at the booth, one of them won by sales with an order of 450.00 (the booth cost 900)
    for name in ("Won", "Open"):
        db.session.add(
            Contact(workspace_id=workspace.id, touchpoint_id=booth.id, name=name, email=f"{name}@ex.com",
                    consent_text="ok", consent_language="de", consented_at=WHEN, created_at=WHEN)
        )  # fmt: skip
    db.session.flush()
    won = db.session.scalar(sa.select(Contact.id).where(Contact.name == "Won"))
    for stage in ("sales_accepted", "sales_qualified", "won"):
        move = stages.Move(stage, order_value=Decimal("450.00") if stage == "won" else None)
        stages.move_stage(workspace.id, won, move, stages.Mover(ChangedBy.DASHBOARD), WHEN + timedelta(days=2))
    # customers: the won lead also redeemed the coupon of their response; the open lead redeemed two coupons
    offer = Offer(workspace_id=workspace.id, campaign_id=campaign.id, name="10 %", texts={"de": "10 %"})
    db.session.add(offer)
    db.session.flush()
    open_id = db.session.scalar(sa.select(Contact.id).where(Contact.name == "Open"))
    responses = db.session.scalars(sa.select(Response).where(Response.touchpoint_id == booth.id).limit(3)).all()
    bought = ((responses[0], won, "80.00"), (responses[1], open_id, "19.99"), (responses[2], None, "20.01"))
    for i, (response, contact_id, value) in enumerate(bought):
        response.contact_id = contact_id
        response.scan_id = None
        db.session.add(
            Coupon(workspace_id=workspace.id, offer_id=offer.id, touchpoint_id=booth.id, response_id=response.id,
                   code=f"CONSIST{i:03d}", issued_at=WHEN, redeemed_at=WHEN + timedelta(days=1),
                   order_value=Decimal(value), redeemed_via="dashboard")
        )  # fmt: skip
    # the third response came from the open lead's phone (one of the booth's scans, carrying our cookie)
    scan = db.session.scalars(sa.select(Scan).where(Scan.touchpoint_id == booth.id).limit(1)).one()
    scan.visitor_from_cookie = True
    responses[1].scan_id = scan.id
    responses[1].visitor_key = responses[2].visitor_key = scan.visitor_key
    db.session.commit()
    return {"owner": owner, "workspace": workspace, "campaign": campaign, "touchpoints": (booth, flyer, poster)}


def _expected(campaign) -> dict[str, dict[str, object]]:  # noqa: ANN001
    """The one computation every output shows, by touchpoint name."""
    rows = campaign_ratings(campaign).rows
    for row in rows:  # the k-factor's respondents are the completions the funnel counts, not another count
        assert row.referrals.completed == row.summary.counts.completions, row.touchpoint.name
    return {
        row.touchpoint.name: {
            "rating": row.rating,
            "rating_low": row.rating_ci.low if row.rating_ci else None,
            "rating_high": row.rating_ci.high if row.rating_ci else None,
            "nps": row.summary.nps.nps,
            "nps_low": row.summary.nps.ci.low if row.summary.nps.ci else None,
            "nps_high": row.summary.nps.ci.high if row.summary.nps.ci else None,
            "nps_n": row.summary.nps.n,
            "csat": row.summary.csat.share,
            "response_rate": row.summary.response_rate.share if row.summary.response_rate else None,
            "scans": row.touchpoint.counts.scans,
            "unique_visitors": row.touchpoint.counts.visitors,
            "k_factor": row.referrals.k_factor,
            "acceptance_rate": row.referrals.acceptance_rate.share if row.referrals.acceptance_rate else None,
            "kiosk": row.touchpoint.kiosk_completions,
            **{f"action_{a}": row.touchpoint.actions.of(a) for a in ACTIONS},
            "action_call_per_visitor": row.touchpoint.actions.per_visitor("call", row.touchpoint.counts.visitors),
            "action_cta_per_visitor": row.touchpoint.actions.per_visitor("cta", row.touchpoint.counts.visitors),
            "won_customers": row.touchpoint.outcomes.leads_won,
            "won_value": row.touchpoint.outcomes.won_value,
            "won_value_per_cost": row.touchpoint.won_value_per_cost,
            **_customer_values(row),
        }
        for row in rows
    }


def _customer_values(row) -> dict[str, object]:  # noqa: ANN001
    """The customers' numbers of a rating row: lifetime value and repeat purchase rate with their intervals."""
    customers = row.touchpoint.outcomes.customers
    clv, repeat = customers.clv, customers.repeat_rate
    return {
        "customers": customers.customers,
        "repeat_customers": customers.repeat,
        "clv": clv.mean,
        "clv_low": clv.ci.low if clv.ci else None,
        "clv_high": clv.ci.high if clv.ci else None,
        "repeat_purchase_rate": repeat.share if repeat else None,
        "repeat_purchase_rate_low": repeat.ci.low if repeat else None,
        "repeat_purchase_rate_high": repeat.ci.high if repeat else None,
    }


def _same(found: object, wanted: object) -> bool:
    if wanted is None or found is None:
        return found is None and wanted is None
    if isinstance(wanted, int) and not isinstance(wanted, bool):
        return float(found) == wanted  # type: ignore[arg-type]
    return float(found) == pytest.approx(float(wanted), abs=1e-6)  # type: ignore[arg-type]


def _number(text: str) -> float:
    return float(text.replace("−", "-").replace(",", ""))


TABS = ("journey", "touchpoints", "referrals")


def test_every_output_shows_the_same_numbers(client, auth, runner, campaign, tmp_path) -> None:
    """Downloads, API and command line carry the exact values; the pages and the PDF the same values rounded."""
    expected = _expected(campaign["campaign"])
    assert expected["Booth"]["k_factor"] == pytest.approx(1 / 23) and expected["Booth"]["acceptance_rate"] == 1.0
    assert expected["Booth"]["unique_visitors"] == 30 and expected["Poster"]["rating"] is None
    assert expected["Booth"]["kiosk"] == 8 and expected["Flyer"]["kiosk"] == 0
    assert [expected["Booth"][f"action_{a}"] for a in ACTIONS] == [4, 7, 0, 2] and expected["Flyer"][
        "action_follow"
    ] == 3
    assert expected["Booth"]["action_call_per_visitor"] == pytest.approx(4 / 30)
    assert (expected["Booth"]["won_customers"], expected["Booth"]["won_value"]) == (1, Decimal("450.00"))
    assert expected["Booth"]["won_value_per_cost"] == 0.5 and expected["Flyer"]["won_value_per_cost"] is None
    # the won lead: 450.00 + 80.00; the open lead: 19.99 + 20.01 (their phone's second coupon)
    assert (expected["Booth"]["customers"], expected["Booth"]["repeat_customers"]) == (2, 2)
    assert expected["Booth"]["clv"] == pytest.approx(285.0) and expected["Booth"]["clv_low"] == 0.0
    assert expected["Flyer"]["clv"] is None and expected["Flyer"]["repeat_purchase_rate"] is None
    ws, cid = campaign["workspace"].slug, campaign["campaign"].id
    auth.login(campaign["owner"])
    base = f"/w/{ws}/campaigns/{cid}/ratings"
    found: dict[str, dict[str, dict[str, object]]] = {}

    text = client.get(base + ".csv").get_data(as_text=True).lstrip("\ufeff")
    found["csv"] = {r["touchpoint"]: {k: (r[k] or None) for k in KEYS} for r in csv.DictReader(io.StringIO(text))}
    book = load_workbook(io.BytesIO(client.get(base + ".xlsx").data))
    sheet = list(book["Ratings"].iter_rows(values_only=True))
    found["xlsx"] = {r[sheet[0].index("touchpoint")]: {k: r[sheet[0].index(k)] for k in KEYS} for r in sheet[1:]}
    document = json.loads(client.get(base + ".json").get_data(as_text=True))
    found["json"] = {r["touchpoint"]: {k: r[k] for k in KEYS} for r in document["touchpoints"]}
    _token, secret = api_services.create_token(
        campaign["workspace"].id, "BI", Scope.READ, campaign["owner"].id, utcnow()
    )
    db.session.commit()
    bearer = {"Authorization": f"Bearer {secret}"}
    api = client.get(f"/api/v1/campaigns/{cid}/ratings", headers=bearer).get_json()
    found["api"] = {r["touchpoint"]: {k: r[k] for k in KEYS} for r in api["touchpoints"]}
    out = tmp_path / "ratings.json"
    assert runner.invoke(args=["ratings", "--campaign", campaign["campaign"].slug, "-o", str(out), "--format", "json"])
    cli = json.loads(out.read_text(encoding="utf-8"))
    found["cli"] = {r["touchpoint"]: {k: r[k] for k in KEYS} for r in cli["touchpoints"]}
    for output, rows in found.items():
        for name, values in expected.items():
            for key in KEYS:
                assert _same(rows[name][key], values[key]), (output, name, key, rows[name][key], values[key])

    # referral numbers per referring touchpoint (API) and the code list (command line)
    ids = {tp.name: tp.id for tp in campaign["touchpoints"]}
    per_touchpoint = client.get(f"/api/v1/campaigns/{cid}/referrals", headers=bearer).get_json()["touchpoints"]
    for name, values in expected.items():
        numbers = next(n for n in per_touchpoint if n["touchpoint_id"] == ids[name])
        assert _same(numbers["k_factor"], values["k_factor"]) and _same(
            numbers["acceptance_rate"], values["acceptance_rate"]
        )
    codes = json.loads(runner.invoke(args=["codes", "--format", "json"]).output)
    for name, values in expected.items():
        mine = [c for c in codes if c["touchpoint"] == name]
        assert (sum(c["scans"] for c in mine), sum(c["unique_visitors"] for c in mine)) == (
            values["scans"],
            values["unique_visitors"],
        )

    # the ratings page and each touchpoint page, rounded as shown
    page = client.get(base, headers={"Accept-Language": "en"}).get_data(as_text=True)
    table = page[page.index('class="table ranking"') :]
    for name, values in expected.items():
        row = table[table.index(f">{name}</a>") :].split("</tr>")[0]
        strong = [_number(x) for x in re.findall(r"<strong>([−\d,.-]+)</strong>", row)]
        if values["rating"] is None:
            assert strong == [] and "no data" in row
            continue
        assert strong == [round(values["rating"]), round(values["nps"])], (name, strong)
        assert f'<td class="num">{values["nps_n"]}</td>' in row
        detail = client.get(f"{base}/{ids[name]}", headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert (
            f"{values['scans']} <span" in detail and f"{values['unique_visitors']} visitors, counted per day" in detail
        )
        assert f"<strong>{round(values['nps'])}</strong>" in detail
        clicks = sum(values[k] for k in ("action_call", "action_calendar", "action_follow", "action_cta"))
        if clicks:
            assert f"Calls <strong>{values['action_call']}</strong>" in detail
            assert f"Main button clicks <strong>{values['action_cta']}</strong>" in detail
        else:
            assert "no clicks yet" in detail
        if values["kiosk"]:
            assert f"{values['kiosk']} of {values['nps_n']} completions were answered on a kiosk" in detail

    # the journey cards and the matrix, on their tabs of the same page
    tab = {t: client.get(f"{base}?tab={t}", headers={"Accept-Language": "en"}).get_data(as_text=True) for t in TABS}
    journey = tab["journey"][tab["journey"].index('class="journey"') :]
    matrix = tab["touchpoints"][tab["touchpoints"].index("<h2>Touchpoint matrix</h2>") :]
    for name, values in expected.items():
        card = journey[journey.index(f"<strong>{name}</strong>") :].split("</a>")[0]
        if values["rating"] is None:
            assert "no answers yet" in card and f"<title>{name}:" not in matrix
            continue
        rating, low, high = (round(values[k]) for k in ("rating", "rating_low", "rating_high"))
        nps, nps_low, nps_high = (round(values[k]) for k in ("nps", "nps_low", "nps_high"))
        assert f'Rating {rating} <span class="ci">{low} … {high}</span>' in card, card
        assert f'NPS {nps} <span class="ci">{nps_low} … {nps_high}</span>' in card, card
        visitors = values["unique_visitors"]
        assert f"<title>{name}: rating {rating} (95 % interval {low} to {high}), {visitors} visitors</title>" in matrix

    # the referral numbers of the referrals tab
    referrals = tab["referrals"][tab["referrals"].index('id="referrals"') :]
    for name, values in expected.items():
        row = referrals[referrals.index(f">{name}</a>") :].split("</tr>")[0]
        k_factor = values["k_factor"]
        assert (f"{k_factor:.2f}" if k_factor is not None else "–") in row, (name, row)
        rate = values["acceptance_rate"]
        assert (f"{100 * rate:.1f}%" if rate is not None else "–") in row, (name, row)

    # the PDF summary: rating and NPS with their intervals, rounded
    pdf = PdfReader(io.BytesIO(client.get(f"/w/{ws}/campaigns/{cid}/summary.pdf").data)).pages[0].extract_text()
    for name, values in expected.items():
        if values["rating"] is None:
            continue
        rating = f"{round(values['rating'])} ({round(values['rating_low'])}…{round(values['rating_high'])})"
        nps = f"{round(values['nps'])} ({round(values['nps_low'])}…{round(values['nps_high'])})".replace("−", "-")
        assert rating in pdf and nps in pdf, (name, rating, nps)
