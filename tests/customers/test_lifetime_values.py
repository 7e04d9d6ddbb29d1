"""Customers, their lifetime values and the repeat purchase rate per acquiring touchpoint, from constructed
histories, checked against a computation in plain Python and SciPy (docs/STATISTICS.md §6)."""

from __future__ import annotations

import statistics
from datetime import timedelta
from decimal import Decimal

import pytest
from scipy import stats as sps

from feedback.analysis.catalogue import BY_KEY
from feedback.analysis.services import DateRange, campaign_ratings
from feedback.extensions import db
from tests.customers.histories import History, key
from tests.helpers import WHEN

DAY = timedelta(days=1)

#: Each acquired customer's purchases as the history below makes them (order values), by touchpoint.
EXPECTED = {
    "Booth": {
        "anna": ["40.00", "60.00"],  # her coupon, and a later visit's coupon from the same cookie
        "ben": ["25.50", "500.00"],  # his coupon, then won by sales
        "carl": ["30.00"],
        "dora": ["120.00"],  # won, no coupon
        "emil": ["10.00", "70.00"],  # came back through another campaign's touchpoint and redeemed there
    },
    "Flyer": {
        "fritz": ["20.00", "50.00"],  # the shared cookie's anonymous coupon belongs to the first contact
        "gerda": ["5.00"],
        "hans": ["15.00"],
    },
}


@pytest.fixture
def history(make_user, make_workspace, make_campaign, make_touchpoint, with_survey):
    """Two touchpoints of a campaign and one of another campaign, with the people of EXPECTED and the ones who
    are not customers (an unredeemed coupon, an unconfirmed contact, a daily visitor's anonymous coupon)."""
    owner = make_user(locale="en")
    workspace = make_workspace(owner=owner)
    campaign = make_campaign(workspace=workspace, name="Spring")
    booth = with_survey(make_touchpoint(campaign, "Booth"))
    flyer = with_survey(make_touchpoint(campaign, "Flyer"))
    other = with_survey(make_touchpoint(make_campaign(workspace=workspace, name="Autumn"), "Autumn poster"))
    h = History()
    anna = h.respond(booth, WHEN, key("anna"))
    h.contact(anna, "anna@example.com")
    h.coupon(anna, WHEN + DAY, "40.00")
    h.coupon(h.respond(booth, WHEN + 20 * DAY, key("anna")), WHEN + 21 * DAY, "60.00")
    ben = h.respond(booth, WHEN + DAY, key("ben"))
    h.win(h.contact(ben, "ben@example.com"), WHEN + 9 * DAY, "500.00")
    h.coupon(ben, WHEN + 2 * DAY, "25.50")
    carl = h.respond(booth, WHEN, key("carl"), cookie=False)
    h.contact(carl, "carl@example.com")
    h.coupon(carl, WHEN + DAY, "30.00")
    # the same address again from another phone: unconfirmed, so neither a lead nor a customer here
    twin = h.respond(booth, WHEN + DAY, key("carl-twin"))
    h.contact(twin, "carl@example.com", unconfirmed=True)
    h.coupon(twin, WHEN + 2 * DAY, "99.00")
    dora = h.respond(booth, WHEN, key("dora"))
    h.win(h.contact(dora, "dora@example.com"), WHEN + 5 * DAY, "120.00")
    emil = h.respond(booth, WHEN, key("emil"))
    h.contact(emil, "emil@example.com")
    h.coupon(emil, WHEN + DAY, "10.00")
    h.coupon(h.respond(other, WHEN + 40 * DAY, key("emil")), WHEN + 41 * DAY, "70.00")
    unredeemed = h.respond(booth, WHEN, key("ida"))
    h.contact(unredeemed, "ida@example.com")
    h.coupon(unredeemed)
    fritz = h.respond(flyer, WHEN, key("shared"))
    h.contact(fritz, "fritz@example.com")
    h.coupon(fritz, WHEN + DAY, "20.00")
    gerda = h.respond(flyer, WHEN + DAY, key("shared"))
    h.contact(gerda, "gerda@example.com")
    h.coupon(gerda, WHEN + 2 * DAY, "5.00")
    h.coupon(h.respond(flyer, WHEN + 3 * DAY, key("shared")), WHEN + 4 * DAY, "50.00")
    hans = h.respond(flyer, WHEN, key("hans"))
    h.contact(hans, "hans@example.com")
    h.coupon(hans, WHEN + DAY, "15.00")
    # an anonymous daily visitor's coupon: nobody's purchase
    h.coupon(h.respond(flyer, WHEN, key("daily"), cookie=False), WHEN + DAY, "80.00")
    db.session.commit()
    return {"owner": owner, "workspace": workspace, "campaign": campaign}




def _expected(customers: dict[str, list[str]]) -> dict[str, object]:
    totals = [float(sum(Decimal(v) for v in purchases)) for purchases in customers.values()]
    n = len(totals)
    mean = statistics.fmean(totals)
    low, high = sps.t.interval(0.95, df=n - 1, loc=mean, scale=sps.sem(totals))
    repeat = sum(len(purchases) >= 2 for purchases in customers.values())
    ci = sps.binomtest(repeat, n).proportion_ci(confidence_level=0.95, method="wilson")
    return {"n": n, "clv": mean, "clv_ci": (max(0.0, low), high), "repeat": repeat, "repeat_ci": (ci.low, ci.high)}


def test_lifetime_values_and_repeat_purchases_match_an_independent_computation(history) -> None:
    rows = {row.touchpoint.name: row for row in campaign_ratings(history["campaign"]).rows}
    for name, customers in EXPECTED.items():
        wanted = _expected(customers)
        found = rows[name].touchpoint.outcomes.customers
        assert found.customers == wanted["n"], name
        assert found.value == sum(Decimal(v) for purchases in customers.values() for v in purchases), name
        clv = BY_KEY["clv"].of(rows[name])
        assert clv.n == wanted["n"] and clv.value == pytest.approx(wanted["clv"])
        assert (clv.ci.low, clv.ci.high) == pytest.approx(wanted["clv_ci"]), name
        repeat = BY_KEY["repeat_purchase_rate"].of(rows[name])
        assert repeat.n == wanted["n"] and repeat.value == pytest.approx(wanted["repeat"] / wanted["n"])
        assert (repeat.ci.low, repeat.ci.high) == pytest.approx(wanted["repeat_ci"]), name
        assert BY_KEY["customers"].of(rows[name]).value == wanted["n"]


def test_the_period_chooses_customers_by_when_they_were_acquired_and_counts_all_their_purchases(history) -> None:
    """Acquired within the period, bought whenever: Anna's later coupon still counts in a period of one day."""
    first_day = DateRange(WHEN.date(), WHEN.date())
    rows = {row.touchpoint.name: row for row in campaign_ratings(history["campaign"], first_day).rows}
    booth = rows["Booth"].touchpoint.outcomes.customers
    # anna, carl, dora and emil left their details on the first day (ben a day later); anna's 60.00 came 3 weeks on
    assert (booth.customers, booth.repeat, booth.value) == (4, 2, Decimal("330.00"))


def test_a_touchpoint_without_customers_has_no_value_and_no_interval(history) -> None:
    rows = campaign_ratings(history["campaign"]).rows
    autumn = [r for r in rows if r.touchpoint.name == "Autumn poster"]
    assert autumn == []  # another campaign's touchpoint is not a row of this one
    for row in rows:
        if not row.touchpoint.outcomes.customers.customers:
            assert BY_KEY["clv"].of(row).value is None and BY_KEY["repeat_purchase_rate"].of(row).value is None
