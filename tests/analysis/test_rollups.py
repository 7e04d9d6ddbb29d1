"""Daily roll-ups give exactly the numbers of the raw rows: local days (DST included), later writes, deletions."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from feedback.analysis import rollups
from feedback.analysis.models import DailyCount, RolledUpDay
from feedback.analysis.services import DateRange, campaign_ratings
from feedback.extensions import db
from feedback.surveys.models import Response
from feedback.touchpoints.models import Channel, Phase

BERLIN = ZoneInfo("Europe/Berlin")
#: Around the switch to summer time (29 March 2026, 02:00 → 03:00 in Berlin) and its local midnights.
INSTANTS = [
    datetime(2026, 3, 27, 10, 0, tzinfo=UTC),
    datetime(2026, 3, 28, 22, 30, tzinfo=UTC),  # 23:30 on the 28th in Berlin
    datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # 00:30 on the 29th
    datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 03:30 CEST, after the switch
    datetime(2026, 3, 29, 21, 30, tzinfo=UTC),  # 23:30 CEST on the 29th
    datetime(2026, 3, 29, 22, 30, tzinfo=UTC),  # 00:30 on the 30th
    datetime(2026, 3, 31, 12, 0, tzinfo=UTC),
]
SCORES = [10, 9, 3, 8, 10, 6, 7]


@pytest.fixture
def dst_campaign(make_campaign, make_touchpoint, with_survey, make_scans, make_response):
    """One touchpoint with a scan and an NPS answer at each instant, two scans by the same visitor on the 31st."""
    campaign = make_campaign()
    touchpoint = with_survey(make_touchpoint(campaign, "Stand", Channel.TRADE_FAIR, Phase.AWARENESS))
    for when, score in zip(INSTANTS, SCORES, strict=True):
        make_scans(touchpoint, 1, when=when)
        make_response(touchpoint, when=when, nps=score)
    make_scans(touchpoint, 2, when=INSTANTS[-1] + timedelta(hours=1), visitors=1)
    return campaign, touchpoint


def _by_day(rows: list[rollups.Count], measure: str) -> Counter:
    counts: Counter = Counter()
    for row in rows:
        if row.measure == measure:
            counts[row.day] += row.n
    return counts


def _expected_by_day(instants: list[datetime]) -> Counter:
    return Counter(i.astimezone(BERLIN).date() for i in instants)


@pytest.mark.parametrize("today", [date(2026, 3, 30), date(2026, 4, 2), date(2026, 11, 24)])
def test_local_days_are_cut_exactly_whether_rolled_up_or_live(dst_campaign, today) -> None:
    """Per local day: scans, NPS answers and visitors agree with zoneinfo, however many days are rolled up."""
    campaign, touchpoint = dst_campaign
    rows = rollups.daily_counts(campaign.workspace_id, [touchpoint.id], "Europe/Berlin", None, None, "day", today)
    expected = _expected_by_day([i for i in INSTANTS if i.astimezone(BERLIN).date() <= today])
    assert _by_day(rows, "starts") == expected
    assert _by_day(rows, "nps") == expected
    scans = expected.copy()
    if INSTANTS[-1].astimezone(BERLIN).date() <= today:
        scans[date(2026, 3, 31)] += 2
    assert _by_day(rows, "scans") == scans
    assert _by_day(rows, "visitors")[date(2026, 3, 31)] == (2 if today >= date(2026, 3, 31) else 0)
    rolled = db.session.scalars(sa.select(RolledUpDay.day).order_by(RolledUpDay.day)).all()
    assert all(day <= today - timedelta(days=rollups.OPEN_DAYS) for day in rolled)


def test_ratings_over_rolled_up_days_equal_the_raw_answers(dst_campaign) -> None:
    """A period of local days: NPS of exactly the answers given on those days in Berlin."""
    campaign, touchpoint = dst_campaign
    result = campaign_ratings(campaign, DateRange(date(2026, 3, 29), date(2026, 3, 29)))
    row = next(r for r in result.rows if r.touchpoint.id == touchpoint.id)
    inside = [s for i, s in zip(INSTANTS, SCORES, strict=True) if i.astimezone(BERLIN).date() == date(2026, 3, 29)]
    assert row.summary.nps.n == len(inside) == 3
    assert row.summary.nps.promoters == sum(1 for s in inside if s >= 9)
    db.session.commit()  # roll-ups are written on their own connection; a new transaction sees them
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DailyCount)) > 0


def test_writes_to_a_rolled_up_day_are_counted_at_once(dst_campaign, make_response) -> None:
    """A late response, a flag and a deletion on a rolled-up day change the next numbers exactly."""
    campaign, touchpoint = dst_campaign
    day = DateRange(date(2026, 3, 27), date(2026, 3, 27))

    def nps_n() -> int:
        n = next(r for r in campaign_ratings(campaign, day).rows if r.touchpoint.id == touchpoint.id).summary.nps.n
        db.session.commit()  # end the read, as every request does, before the next write (SQLite snapshots)
        return n

    assert nps_n() == 1
    late = make_response(touchpoint, when=INSTANTS[0] + timedelta(hours=2), nps=4)
    assert nps_n() == 2
    late.flagged = True
    db.session.commit()
    assert nps_n() == 1
    late.flagged = False
    db.session.commit()
    assert nps_n() == 2
    db.session.delete(late)
    db.session.commit()
    assert nps_n() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == len(INSTANTS)


def test_another_time_zone_rebuilds_the_days(dst_campaign) -> None:
    """Days cut in Berlin are not reused for a workspace now in New York."""
    campaign, touchpoint = dst_campaign
    berlin = rollups.daily_counts(campaign.workspace_id, [touchpoint.id], "Europe/Berlin", None, None, "day")
    new_york = rollups.daily_counts(campaign.workspace_id, [touchpoint.id], "America/New_York", None, None, "day")
    assert _by_day(berlin, "starts") == _expected_by_day(INSTANTS)
    assert _by_day(new_york, "starts") == Counter(i.astimezone(ZoneInfo("America/New_York")).date() for i in INSTANTS)


def test_whole_months_are_read_from_monthly_sums_and_stay_exact(
    make_campaign, make_touchpoint, with_survey, make_response
) -> None:
    """February in Berlin, read as one monthly row per count, equals the raw answers, also after a late one."""
    from feedback.analysis.models import MonthlyCount

    campaign = make_campaign()
    touchpoint = with_survey(make_touchpoint(campaign, "Flyer"))
    instants = {
        datetime(2026, 1, 31, 22, 30, tzinfo=UTC): 10,  # 23:30 on 31 January in Berlin
        datetime(2026, 1, 31, 23, 30, tzinfo=UTC): 9,  # 00:30 on 1 February
        datetime(2026, 2, 15, 12, 0, tzinfo=UTC): 3,
        datetime(2026, 2, 28, 22, 30, tzinfo=UTC): 7,  # 23:30 on 28 February
        datetime(2026, 2, 28, 23, 30, tzinfo=UTC): 0,  # 00:30 on 1 March
    }
    for when, score in instants.items():
        make_response(touchpoint, when=when, nps=score)

    def february() -> Counter:
        rows = rollups.daily_counts(
            campaign.workspace_id, [touchpoint.id], "Europe/Berlin", date(2026, 1, 20), date(2026, 3, 5), "touchpoint"
        )
        db.session.commit()
        return Counter({(r.measure, r.value): r.n for r in rows if r.measure == "nps"})

    in_range = Counter({("nps", s): 1 for s in instants.values()})
    assert february() == in_range
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MonthlyCount)) > 0
    make_response(touchpoint, when=datetime(2026, 2, 10, 9, 0, tzinfo=UTC), nps=3)
    assert february() == in_range + Counter({("nps", 3): 1})
    only_february = rollups.daily_counts(
        campaign.workspace_id, [touchpoint.id], "Europe/Berlin", date(2026, 2, 1), date(2026, 2, 28), "touchpoint"
    )
    assert sorted(r.value for r in only_february if r.measure == "nps" for _ in range(r.n)) == [3, 3, 7, 9]
