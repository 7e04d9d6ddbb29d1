"""Roll-ups built outside page views: `rollups.build` goes day by day and stops when asked; each serving process's
keeper rolls up only while it serves no request; the request count it relies on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from feedback.analysis import rollups
from feedback.analysis.models import RolledUpDay
from feedback.analysis.rollup_keeper import Keeper, keep_rolled_up
from feedback.analysis.services import campaign_ratings
from feedback.extensions import db
from feedback.touchpoints.models import Channel, Phase

FIRST = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAYS = 5


def _campaign(make_campaign, make_touchpoint, with_survey, make_scans, make_response):  # noqa: ANN001, ANN202
    campaign = make_campaign()
    touchpoint = with_survey(make_touchpoint(campaign, "Stand", Channel.TRADE_FAIR, Phase.AWARENESS))
    for i in range(DAYS):
        make_scans(touchpoint, 2, when=FIRST + timedelta(days=i))
        make_response(touchpoint, when=FIRST + timedelta(days=i), nps=10 - i)
    db.session.commit()
    return campaign


def _rolled(workspace_id: int) -> list[date]:
    db.session.commit()  # written on other connections: start a new read
    query = sa.select(RolledUpDay.day).where(RolledUpDay.workspace_id == workspace_id).order_by(RolledUpDay.day)
    return list(db.session.scalars(query))


def test_build_goes_day_by_day_and_leaves_the_rest_when_asked_to_stop(
    app, make_campaign, make_touchpoint, with_survey, make_scans, make_response
) -> None:  # noqa: ANN001
    campaign = _campaign(make_campaign, make_touchpoint, with_survey, make_scans, make_response)
    timezone = campaign.workspace.timezone
    days = [FIRST.date() + timedelta(days=i) for i in range(DAYS)]
    assert rollups.pending_days(campaign.workspace_id, timezone) == days
    asked = []

    def stop_after_two() -> bool:
        asked.append(1)
        return len(asked) > 2

    assert rollups.build(campaign.workspace_id, timezone, should_stop=stop_after_two) == 2
    assert _rolled(campaign.workspace_id) == days[:2]
    assert rollups.pending_days(campaign.workspace_id, timezone) == days[2:]
    assert rollups.build(campaign.workspace_id, timezone) == DAYS
    assert _rolled(campaign.workspace_id) == days and rollups.pending_days(campaign.workspace_id, timezone) == []
    # the rolled-up days give the numbers of the raw rows
    row = campaign_ratings(campaign).rows[0]
    assert (row.summary.counts.scans, row.summary.nps.n) == (2 * DAYS, DAYS)


def test_the_keeper_rolls_up_only_while_its_process_serves_no_request(
    app, make_campaign, make_touchpoint, with_survey, make_scans, make_response
) -> None:  # noqa: ANN001
    campaign = _campaign(make_campaign, make_touchpoint, with_survey, make_scans, make_response)
    keeper = Keeper(app, poll_seconds=3600)
    keeper.request_started()
    assert keeper.run_round() == 0 and _rolled(campaign.workspace_id) == []
    keeper.request_ended()
    assert keeper.run_round() == DAYS and len(_rolled(campaign.workspace_id)) == DAYS
    assert keeper.run_round() == 0  # nothing left


def test_the_keepers_thread_runs_a_round_when_woken(
    app, make_campaign, make_touchpoint, with_survey, make_scans, make_response
) -> None:  # noqa: ANN001
    campaign = _campaign(make_campaign, make_touchpoint, with_survey, make_scans, make_response)
    keeper = Keeper(app, poll_seconds=3600)
    keeper.start()
    try:
        keeper.wake()  # instead of the first round's wait
        assert keeper.round_done.wait(timeout=60)
        assert len(_rolled(campaign.workspace_id)) == DAYS
        keeper.round_done.clear()
        make_scans(campaign.touchpoints[0], 1, when=FIRST + timedelta(days=DAYS))
        db.session.commit()
        keeper.wake()
        assert keeper.round_done.wait(timeout=60)
        assert len(_rolled(campaign.workspace_id)) == DAYS + 1
    finally:
        keeper.stop()


def test_each_serving_process_counts_its_requests_and_zero_turns_the_keeper_off(make_app) -> None:  # noqa: ANN001
    assert keep_rolled_up(make_app(ROLLUP_POLL_SECONDS=0)) is None
    app = make_app(ROLLUP_POLL_SECONDS=3600)
    keeper = keep_rolled_up(app)
    assert keeper is not None and keep_rolled_up(app) is keeper  # once per app and process
    seen = []
    app.add_url_rule("/probe-busy", "probe_busy", lambda: seen.append(keeper.busy()) or "ok")
    try:
        assert app.test_client().get("/probe-busy").status_code == 200
        assert seen == [True] and not keeper.busy()
        assert app.test_client().get("/no-such-page").status_code == 404
        assert not keeper.busy()  # a request that ends in an error is counted out too
    finally:
        keeper.stop()
