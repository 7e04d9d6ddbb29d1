"""Cohorts of respondents and customers by month and by touchpoint of first contact, from constructed histories,
checked cell by cell against a computation in plain Python and SciPy's Wilson interval."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from scipy import stats as sps

from feedback.analysis.cohort_queries import campaign_cohorts
from feedback.analysis.cohorts import MIN_CELL_N, By, Who
from feedback.extensions import db
from tests.customers.histories import History, key

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


def at(month: int, day: int = 10, hour: int = 12, year: int = 2026) -> datetime:
    """An instant in 2026 (UTC)."""
    return datetime(year, month, day, hour, tzinfo=UTC)


#: Respondents: (name, touchpoint, [(kind, when)]) with kind "response" or "scan"; the first response at one of the
#: campaign's touchpoints is their first contact.
PEOPLE = [
    *[(f"m{i}", "Booth", [("response", at(3, 2 + i))]) for i in range(12)],
    ("a", "Booth", [("response", at(3, 5)), ("scan", at(4, 3)), ("scan", at(5, 9)), ("scan", at(3, 25))]),
    ("b", "Booth", [("response", at(3, 6)), ("response", at(5, 2))]),
    ("c", "Booth", [("response", at(3, 7)), ("scan", at(6, 1))]),  # June is the current month: no column yet
    ("d", "Flyer", [("response", at(4, 1)), ("scan", at(5, 2))]),
    ("e", "Flyer", [("response", at(4, 8))]),
    # 23:30 UTC on 31 March is already April in Berlin
    ("f", "Flyer", [("response", datetime(2026, 3, 31, 23, 30, tzinfo=UTC)), ("scan", at(5, 20))]),
    # first seen at the flyer in February, then at the booth: a February flyer respondent
    ("g", "Flyer", [("response", at(2, 20)), ("response", at(3, 3)), ("scan", at(4, 4))]),
    # first answered before the window: not a member of any cohort shown
    ("old", "Booth", [("response", at(3, 3, year=2025)), ("scan", at(4, 4))]),
    ("h", "Booth", [("response", at(1, 15)), ("scan", at(2, 1)), ("scan", at(4, 1)), ("scan", at(4, 2))]),
]


def _month(instant: datetime) -> date:
    local = instant.astimezone(BERLIN)
    return date(local.year, local.month, 1)


def _months_between(first: date, later: date) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


CURRENT = _month(NOW)
OLDEST = date(2025, 6, 1)


def _expected_respondents(by: By) -> dict[object, dict[int, tuple[int, int]]]:
    """{row: {k: (came back, of members whose month k is over)}} computed from PEOPLE directly."""
    cells: dict[object, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for name, _tp, events in PEOPLE:
        responses = sorted(when for kind, when in events if kind == "response")
        first_at = responses[0]
        first = _month(first_at)
        if first < OLDEST:
            continue
        where = "Flyer" if name == "g" else _tp
        row = first if by is By.MONTH else where
        active = {_months_between(first, _month(when)) for _kind, when in events if when > first_at}
        for k in range(1, _months_between(first, CURRENT)):
            cells[row][k][1] += 1
            cells[row][k][0] += k in active
    return {row: {k: tuple(v) for k, v in ks.items()} for row, ks in cells.items()}  # type: ignore[misc]


@pytest.fixture
def campaign(make_user, make_workspace, make_campaign, make_touchpoint, with_survey):
    """The people of PEOPLE, two completions without a cookie, a kiosk completion and a flagged one."""
    workspace = make_workspace(owner=make_user(locale="en"))
    campaign = make_campaign(workspace=workspace, name="Spring")
    touchpoints = {name: with_survey(make_touchpoint(campaign, name)) for name in ("Booth", "Flyer")}
    h = History()
    for name, tp, events in PEOPLE:
        for kind, when in events:
            where = touchpoints[tp] if not (name == "g" and when.month == 3) else touchpoints["Booth"]
            if kind == "response":
                h.respond(where, when, key(name))
            else:
                h.scan(where, when, key(name))
    for i in range(2):
        h.respond(touchpoints["Booth"], at(4, 2 + i), key(f"daily{i}"), cookie=False)
    h.respond(touchpoints["Booth"], at(4, 5), key("kiosk"), kiosk=True)
    h.respond(touchpoints["Booth"], at(4, 6), key("bot"), flagged=True)
    h.scan(touchpoints["Booth"], at(5, 1), key("e"), bot=True)  # a bot with e's key does not bring e back
    db.session.commit()
    return {"campaign": campaign, "touchpoints": touchpoints}


def _found(table, names: dict[int, str]) -> dict[object, dict[int, tuple[int, int]]]:  # noqa: ANN001
    found = {}
    for row in table.rows:
        label = names[row.key] if table.by is By.TOUCHPOINT else row.key
        found[label] = {c.k: (c.rate.k, c.rate.n) for c in row.cells if c is not None}
    return found


@pytest.mark.parametrize("by", list(By))
def test_respondent_cohorts_match_an_independent_computation(campaign, by) -> None:
    table = campaign_cohorts(campaign["campaign"], Who.RESPONDENTS, by, "Europe/Berlin", NOW)
    names = {tp.id: name for name, tp in campaign["touchpoints"].items()}
    expected = _expected_respondents(by)
    assert _found(table, names) == expected
    assert table.left_out == 3  # two daily visitors and the kiosk answer; the flagged one is not counted at all
    assert table.months[0] == OLDEST and table.months[-1] == CURRENT and table.width == 11
    for row in table.rows:
        for cell in row.cells:
            if cell is None:
                continue
            wilson = sps.binomtest(cell.rate.k, cell.rate.n).proportion_ci(confidence_level=0.95, method="wilson")
            assert (cell.rate.ci.low, cell.rate.ci.high) == pytest.approx((wilson.low, wilson.high), abs=1e-12)
            assert cell.few == (cell.rate.n < MIN_CELL_N)
    if by is By.MONTH:
        march = next(r for r in table.rows if r.key == date(2026, 3, 1))
        assert march.size == 15 and not march.cells[0].few and march.cells[2] is None  # 12 + a, b, c; June open
        assert (march.cells[0].rate.k, march.cells[1].rate.k) == (1, 2)  # a in April; a and b in May


def test_customer_cohorts_count_purchases_and_visits_after_the_first_contact(campaign) -> None:
    """Customers: first contact when they left their details; back when they bought or their cookie came back."""
    booth, flyer = campaign["touchpoints"]["Booth"], campaign["touchpoints"]["Flyer"]
    h = History()
    plan = [  # (name, touchpoint, contact at, [(coupon redeemed at, value)], later cookie scans, won at)
        ("kim", booth, at(2, 3), [at(2, 9)], [at(3, 3)], None),
        ("lea", booth, at(2, 4), [at(4, 9)], [], None),
        ("max", flyer, at(3, 4), [at(3, 5)], [], at(5, 5)),
        ("nina", flyer, at(3, 6), [], [], at(3, 7)),
        ("otto", flyer, at(3, 8), [at(6, 2)], [], None),  # bought in the current month only
    ]
    expected: dict[object, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for name, tp, when, coupons, scans, won in plan:
        response = h.respond(tp, when, key(f"c-{name}"))
        contact = h.contact(response, f"{name}@example.com")
        for i, redeemed in enumerate(coupons):
            owner = response if i == 0 else h.respond(tp, redeemed, key(f"c-{name}"))
            h.coupon(owner, redeemed, "10.00")
        for scanned in scans:
            h.scan(tp, scanned, key(f"c-{name}"))
        if won:
            h.win(contact, won, "100.00")
        first = _month(response.completed_at)
        later = [*coupons, *scans, *([won] if won else [])]
        active = {_months_between(first, _month(x)) for x in later if x > response.completed_at}
        for k in range(1, _months_between(first, CURRENT)):
            expected[first][k][1] += 1
            expected[first][k][0] += k in active
    db.session.commit()
    table = campaign_cohorts(campaign["campaign"], Who.CUSTOMERS, By.MONTH, "Europe/Berlin", NOW)
    assert _found(table, {}) == {row: {k: tuple(v) for k, v in ks.items()} for row, ks in expected.items()}
    assert table.members == 5 and all(c.few for row in table.rows for c in row.cells if c)
    by_touchpoint = campaign_cohorts(campaign["campaign"], Who.CUSTOMERS, By.TOUCHPOINT, "Europe/Berlin", NOW)
    assert {row.key: row.size for row in by_touchpoint.rows} == {booth.id: 2, flyer.id: 3}
