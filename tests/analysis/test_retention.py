"""Retention: old raw scans become exact daily counts; every total stays the same, however the days are counted."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback.analysis import retention, rollups
from feedback.analysis.models import DailyCount, MonthlyCount, RetainedCount, RolledUpDay, RolledUpMonth
from feedback.analysis.services import campaign_ratings
from feedback.extensions import db
from feedback.qr.models import Scan
from feedback.surveys.models import Response
from feedback.touchpoints.models import Channel, Phase
from tests.helpers import count

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 24)
OLD = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 259 days before NOW
RECENT = NOW - timedelta(days=5)
DIMENSIONS = ("touchpoint", "code", "device", "language", "day")


@pytest.fixture
def campaign(make_campaign, make_touchpoint, with_survey, make_scans, make_response):  # noqa: ANN001, ANN201
    """Two touchpoints with scans over March (desktop and mobile, German and English, repeat visitors, a bot),
    responses that came from some of those scans, and a few recent scans."""
    campaign = make_campaign()
    flyer = with_survey(make_touchpoint(campaign, "Flyer", Channel.FLYER, Phase.AWARENESS))
    poster = with_survey(make_touchpoint(campaign, "Plakat", Channel.POSTER, Phase.CONSIDERATION))
    for day in range(0, 40, 3):  # into April: a whole month (monthly sums) and days around it
        when = OLD + timedelta(days=day)
        make_scans(flyer, 4, when=when, visitors=2)
        make_scans(poster, 3, when=when + timedelta(hours=13), device="desktop", language="en")
        make_scans(flyer, 1, when=when, bot=True)
        for score in (9, 4):
            response = make_response(flyer, when=when + timedelta(minutes=5), nps=score)
            response.scan_id = _a_scan_of(flyer, when)
        db.session.commit()
    make_scans(flyer, 6, when=RECENT)
    return campaign, flyer, poster


def _a_scan_of(touchpoint, when: datetime) -> int:  # noqa: ANN001
    return db.session.scalar(
        sa.select(Scan.id).where(Scan.touchpoint_id == touchpoint.id, Scan.scanned_at >= when).order_by(Scan.id)
    )


def _totals(campaign, touchpoints) -> dict[str, Counter]:  # noqa: ANN001
    """Every count of every dimension, summed per (touchpoint, day, key, measure, value)."""
    found: dict[str, Counter] = {}
    for dimension in DIMENSIONS:
        rows = rollups.daily_counts(
            campaign.workspace_id, [t.id for t in touchpoints], "Europe/Berlin", None, None, dimension, TODAY
        )
        totals: Counter = Counter()
        for row in rows:
            totals[(row.touchpoint_id, row.day, row.key, row.measure, row.value)] += row.n
        found[dimension] = totals
    db.session.commit()  # the test's read of the ids must not outlive the roll-ups written meanwhile
    return found


def _forget_roll_ups() -> None:
    for table in (DailyCount, RolledUpDay, MonthlyCount, RolledUpMonth):
        db.session.execute(sa.delete(table))
    db.session.commit()


def _scan_totals(campaign) -> tuple[int, int]:  # noqa: ANN001
    rows = campaign_ratings(campaign).rows
    return sum(r.summary.counts.scans for r in rows), sum(r.summary.counts.visitors for r in rows)


def test_old_scans_become_daily_counts_and_every_total_stays_exact(campaign) -> None:
    campaign, flyer, poster = campaign
    _forget_roll_ups()
    before = _totals(campaign, [flyer, poster])
    raw_before = count(Scan)
    referred = db.session.scalar(sa.select(sa.func.count(sa.distinct(Response.scan_id))))
    (result,) = retention.run(30, NOW)
    assert result.scans_counted == 14 * 7 and result.scans_deleted == raw_before - 6 - referred
    assert count(Scan) == 6 + referred  # the recent scans, and the ones responses came from
    assert db.session.scalar(sa.select(sa.func.count()).where(Scan.retained_at.is_not(None))) == referred
    assert count(RetainedCount) > 0
    assert _totals(campaign, [flyer, poster]) == before  # from the roll-ups made before
    _forget_roll_ups()
    assert _totals(campaign, [flyer, poster]) == before  # counted again: raw rows left + retained counts


def test_ratings_and_devices_of_answers_survive_retention(campaign) -> None:
    campaign, flyer, poster = campaign
    ratings_before = campaign_ratings(campaign)
    retention.run(30, NOW)
    _forget_roll_ups()
    ratings_after = campaign_ratings(campaign)
    for old, new in zip(ratings_before.rows, ratings_after.rows, strict=True):
        assert old.touchpoint.id == new.touchpoint.id and old.summary.counts == new.summary.counts
        assert old.summary.nps == new.summary.nps and old.scan_rate == new.scan_rate


def test_erasing_an_answer_on_a_retained_day_keeps_that_days_scans(campaign) -> None:
    campaign, flyer, poster = campaign
    retention.run(30, NOW)
    before = _totals(campaign, [flyer, poster])["day"]
    response = db.session.scalar(sa.select(Response).order_by(Response.id))
    day = response.started_at.astimezone(rollups.ZoneInfo("Europe/Berlin")).date()
    db.session.delete(response)  # the roll-ups of its days are forgotten and counted again
    db.session.commit()
    after = _totals(campaign, [flyer, poster])["day"]
    assert after[(0, day, "", "scans", 0)] == before[(0, day, "", "scans", 0)] == 7  # both touchpoints' scans
    assert after[(0, day, "", "starts", 0)] == before[(0, day, "", "starts", 0)] - 1 == 1


def test_a_second_run_and_two_runs_at_once_count_nothing_twice(app, campaign) -> None:
    campaign, flyer, poster = campaign
    before = _scan_totals(campaign)
    results: list[list[retention.Retained]] = []

    def run() -> None:
        with app.app_context():
            results.append(retention.run(30, NOW))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r[0].scans_counted for r in results) == 14 * 7  # each scan counted by one of the runs
    (again,) = retention.run(30, NOW)
    assert again.scans_counted == again.scans_deleted == 0
    _forget_roll_ups()
    assert _scan_totals(campaign) == before


def test_scans_within_the_period_stay_raw_and_short_periods_are_refused(campaign) -> None:
    campaign, flyer, poster = campaign
    (result,) = retention.run(300, NOW)  # everything is younger than 300 days
    assert result.scans_deleted == 0 and count(RetainedCount) == 0
    with pytest.raises(ValueError):
        retention.run(7, NOW)


def test_the_command_runs_the_configured_retention(app, runner, campaign) -> None:
    refused = runner.invoke(args=["retention"])
    assert refused.exit_code == 2 and "SCAN_RETENTION_DAYS" in refused.output
    assert runner.invoke(args=["retention", "--days", "10"]).exit_code == 2
    done = runner.invoke(args=["retention", "--days", "30"])
    assert done.exit_code == 0, done.output
    assert "98 scans counted" in done.output and "raw scans deleted" in done.output
    assert runner.invoke(args=["retention", "--days", "30", "--workspace", "nope"]).exit_code == 2
