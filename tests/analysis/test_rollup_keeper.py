"""Roll-ups built outside page views: `rollups.build` goes day by day and stops when asked; each serving process's
keeper rolls up only while it serves no request; the request count it relies on."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback.analysis import rollups
from feedback.analysis.models import RolledUpDay
from feedback.analysis.rollup_keeper import Keeper, keep_rolled_up
from feedback.analysis.services import campaign_ratings
from feedback.extensions import db
from feedback.touchpoints.models import Channel, Phase
from tests.conftest import PASSWORD

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


WIDE = 12  # days of data, more than LIVE_PENDING_DAYS


def _wide_campaign(make_campaign, make_touchpoint, with_survey, make_scans, make_response, workspace=None):  # noqa: ANN001, ANN202
    campaign = make_campaign(workspace=workspace) if workspace else make_campaign()
    touchpoint = with_survey(make_touchpoint(campaign, "Stand", Channel.TRADE_FAIR, Phase.AWARENESS))
    for i in range(WIDE):
        make_scans(touchpoint, 2, when=FIRST + timedelta(days=i))
        make_response(touchpoint, when=FIRST + timedelta(days=i), nps=9)
    db.session.commit()
    return campaign


def _roll_up_first(campaign, n: int) -> None:  # noqa: ANN001
    asked = []
    rollups.build(
        campaign.workspace_id, campaign.workspace.timezone, should_stop=lambda: asked.append(1) or len(asked) > n
    )
    assert len(_rolled(campaign.workspace_id)) == n


def test_read_at_once_counts_a_few_missing_days_live_and_rolls_up_nothing(
    app, make_campaign, make_touchpoint, with_survey, make_scans, make_response
) -> None:  # noqa: ANN001
    campaign = _wide_campaign(make_campaign, make_touchpoint, with_survey, make_scans, make_response)
    _roll_up_first(campaign, WIDE - rollups.LIVE_PENDING_DAYS)
    with rollups.answering_at_once() as left_out:
        row = campaign_ratings(campaign).rows[0]
    assert left_out == set()
    assert (row.summary.counts.scans, row.summary.nps.n) == (2 * WIDE, WIDE)  # exact: the missing days counted live
    assert len(_rolled(campaign.workspace_id)) == WIDE - rollups.LIVE_PENDING_DAYS  # and none rolled up by the read


def test_read_at_once_gives_no_figures_from_part_of_the_days_and_names_the_missing_ones(
    app, make_campaign, make_touchpoint, with_survey, make_scans, make_response
) -> None:  # noqa: ANN001
    campaign = _wide_campaign(make_campaign, make_touchpoint, with_survey, make_scans, make_response)
    _roll_up_first(campaign, 3)
    missing = [FIRST.date() + timedelta(days=i) for i in range(3, WIDE)]
    with rollups.answering_at_once() as left_out, pytest.raises(rollups.StillCounting) as still:
        campaign_ratings(campaign)
    assert still.value.days == missing and left_out == set(missing)
    assert len(_rolled(campaign.workspace_id)) == 3  # the read rolled nothing up
    row = campaign_ratings(campaign).rows[0]  # outside: the read rolls up what it needs, as downloads do
    assert (row.summary.counts.scans, row.summary.nps.n) == (2 * WIDE, WIDE)


def test_a_page_says_which_days_are_still_being_counted_wakes_the_keeper_and_downloads_stay_whole(
    app, make_app, make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_scans, make_response
) -> None:  # noqa: ANN001
    user = make_user(locale="en")
    workspace = make_workspace(owner=user)
    campaign = _wide_campaign(make_campaign, make_touchpoint, with_survey, make_scans, make_response, workspace)
    _roll_up_first(campaign, 3)
    served = make_app(ROLLUP_POLL_SECONDS=3600)
    keeper = keep_rolled_up(served)
    assert keeper is not None
    try:
        client = served.test_client()
        client.post("/login", data={"email": user.email, "password": PASSWORD})
        page = client.get(f"/w/{workspace.slug}/campaigns/{campaign.id}/ratings")
        assert page.status_code == 503 and page.headers["Retry-After"] == "30"
        assert 'data-days="9"' in page.text and "still being counted" in page.text
        assert "NPS" not in page.text  # no figure from part of the data
        assert keeper.round_done.wait(timeout=60)  # woken by the page, not after its first 30 s
        assert len(_rolled(campaign.workspace_id)) == WIDE
        again = client.get(f"/w/{workspace.slug}/campaigns/{campaign.id}/ratings")
        assert again.status_code == 200 and "still being counted" not in again.text
        # a download waits for its roll-ups: its figures are whole
        db.session.execute(sa.delete(RolledUpDay).where(RolledUpDay.workspace_id == workspace.id))
        db.session.commit()
        download = client.get(f"/w/{workspace.slug}/campaigns/{campaign.id}/ratings.csv")
        rows = list(csv.DictReader(io.StringIO(download.text.lstrip("\ufeff"))))
        assert [r["scans"] for r in rows if r["touchpoint"] == "Stand"] == [str(2 * WIDE)]
    finally:
        keeper.stop()


def test_a_round_a_request_cut_short_goes_on_soon_without_a_wake_up(
    app, make_campaign, make_touchpoint, with_survey, make_scans, make_response
) -> None:  # noqa: ANN001
    campaign = _campaign(make_campaign, make_touchpoint, with_survey, make_scans, make_response)
    keeper = Keeper(app, poll_seconds=3600)  # the next poll would be an hour away
    keeper.request_started()
    keeper.start()
    try:
        keeper.wake()
        assert keeper.round_done.wait(timeout=60)
        assert keeper.interrupted and _rolled(campaign.workspace_id) == []  # busy: nothing done
        keeper.round_done.clear()
        keeper.request_ended()  # idle again: no wake-up, yet the next round comes after RESUME_SECONDS
        for _ in range(20):  # (a round that began before the request ended was cut short too)
            assert keeper.round_done.wait(timeout=60)
            keeper.round_done.clear()
            if not keeper.interrupted:
                break
        assert len(_rolled(campaign.workspace_id)) == DAYS and not keeper.interrupted
    finally:
        keeper.stop()


def test_read_at_once_reads_only_the_days_rolled_up_in_the_workspaces_zone(
    app, make_campaign, make_touchpoint, with_survey, make_scans, make_response
) -> None:  # noqa: ANN001
    campaign = _campaign(make_campaign, make_touchpoint, with_survey, make_scans, make_response)
    rollups.build(campaign.workspace_id, campaign.workspace.timezone)
    assert len(_rolled(campaign.workspace_id)) == DAYS
    campaign.workspace.timezone = "America/New_York"  # the stored days belong to the old zone now
    db.session.commit()
    with rollups.answering_at_once() as left_out:
        row = campaign_ratings(campaign).rows[0]
    assert left_out == set()
    assert (row.summary.counts.scans, row.summary.nps.n) == (2 * DAYS, DAYS)  # each counted once, live


def test_a_page_waiting_for_its_figures_has_days_rolled_up_even_while_requests_are_served(
    app, make_campaign, make_touchpoint, with_survey, make_scans, make_response
) -> None:  # noqa: ANN001
    campaign = _campaign(make_campaign, make_touchpoint, with_survey, make_scans, make_response)
    keeper = Keeper(app, poll_seconds=3600)
    keeper.request_started()  # a process that is never idle (scans keep coming)
    keeper.start()
    try:
        keeper.wake(urgent=True)  # what a page that is still counting asks for
        assert keeper.round_done.wait(timeout=60)
        assert len(_rolled(campaign.workspace_id)) == DAYS and not keeper.interrupted and not keeper.urgent
        keeper.round_done.clear()
        make_scans(campaign.touchpoints[0], 1, when=FIRST + timedelta(days=DAYS))
        db.session.commit()
        before = _rolled(campaign.workspace_id)  # the new scan's day and its neighbour are to be rolled up again
        keeper.wake()  # not urgent: the busy process is left alone
        assert keeper.round_done.wait(timeout=60)
        assert keeper.interrupted and _rolled(campaign.workspace_id) == before
    finally:
        keeper.request_ended()
        keeper.stop()
