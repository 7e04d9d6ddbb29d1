"""Throughput through the load balancer of scripts/cluster.py (HAProxy, instances installed from the wheel, the
local PostgreSQL as primary with a streaming replica): scans with one and with two instances, and the API's ratings
read with and without the replica serving it; each as a ratio to the bare WSGI app answering 302 in the same run.

All of it shares the machine's cores with wrk, HAProxy and both PostgreSQL servers: on two cores a second instance
cannot add throughput that the cores do not have, so the figures say what the set-up costs and that it holds, not
what two machines would give."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

from bench.load import figures, gunicorn, run_wrk
from scripts import cluster

LAYOUT = cluster.Layout(
    folder=cluster.ROOT / ".cluster" / "bench", port=8300, replica_port=5433, database="feedback_cluster_bench"
)


#: Dashboards and BI tools reading the campaign ratings at once (each read computes every interval and test, so a
#: few keep the two cores busy; with wrk's 32 connections each read would wait past its 2 s timeout).
READERS = 4


def _prepare(env: dict[str, str]) -> dict[str, object]:
    """A redirecting touchpoint with a code, a survey touchpoint with 200 answers (so the ratings read has data),
    and a read token."""
    from datetime import timedelta

    from feedback import create_app
    from feedback.api import services as api_services
    from feedback.api.models import Scope
    from feedback.auth import services as auth
    from feedback.db_types import utcnow
    from feedback.extensions import db
    from feedback.qr import services as qr
    from feedback.surveys import services as surveys
    from feedback.surveys.models import Answer, Response
    from feedback.touchpoints import services as tp
    from feedback.touchpoints.models import Channel, Phase

    app = create_app({"ENVIRON": env})
    with app.app_context():
        user = auth.create_user("bench@example.com", "bench-password-1")
        workspace = auth.create_workspace("Bench GmbH", user)
        campaign = tp.create_campaign(workspace.id, tp.CampaignData(name="TV-Spot"))
        spot = tp.create_touchpoint(campaign, tp.TouchpointData("Spot", Channel.TV_RADIO, Phase.AWARENESS))
        spot.destination_url = "https://example.com/fruehling"
        stand = tp.create_touchpoint(campaign, tp.TouchpointData("Stand", Channel.TRADE_FAIR, Phase.AWARENESS))
        survey = surveys.create_survey(workspace.id, "Kurz", "nps-reason")
        surveys.attach(stand, survey)
        code = qr.create_code(spot).code
        db.session.flush()
        started = utcnow() - timedelta(days=10)
        for i in range(200):
            response = Response(
                workspace_id=workspace.id,
                touchpoint_id=stand.id,
                version_id=survey.current.id,
                token=f"bench-{i:04d}",
                visitor_key=f"v{i}",
                language="de",
                started_at=started + timedelta(minutes=i),
                completed_at=started + timedelta(minutes=i, seconds=30),
            )
            response.answers.append(
                Answer(
                    workspace_id=workspace.id,
                    touchpoint_id=stand.id,
                    question_key="nps",
                    question_type="nps",
                    value_number=i % 11,
                    answered_at=started + timedelta(minutes=i),
                )
            )
            db.session.add(response)
        _token, secret = api_services.create_token(workspace.id, "bench", Scope.READ, user.id, utcnow())
        db.session.commit()
        found = {"code": code, "campaign_id": campaign.id, "token": secret}
        db.session.remove()
        db.engine.dispose()
    return found


def _check(url: str, data: dict[str, object]) -> None:
    """One read first: it answers 200 (and builds the roll-ups, so the load measures reads)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {data['token']}"})
    for _ in range(3):
        with urllib.request.urlopen(request, timeout=120) as response:
            assert response.status == 200, response.status


def _restart(python: Path, replica: bool) -> None:
    """Both instances again, with or without the replica for their reads."""
    for number in (1, 2):
        cluster.instance_kill(LAYOUT, number)
    if replica:
        os.environ.pop("CLUSTER_NO_REPLICA", None)
    else:
        os.environ["CLUSTER_NO_REPLICA"] = "1"
    cluster.instances_up(LAYOUT, python)


def run(quick: bool = False, seconds: int | None = None) -> dict[str, object]:
    """Start the cluster on a database of its own, measure, stop it."""
    seconds = seconds or (3 if quick else 15)
    python, env = cluster.prepare(LAYOUT, fresh=True)
    data = _prepare(env)
    scan = f"http://127.0.0.1:{LAYOUT.port}/t/{data['code']}"
    ratings = f"http://127.0.0.1:{LAYOUT.port}/api/v1/campaigns/{data['campaign_id']}/ratings"
    auth = (f"Authorization: Bearer {data['token']}",)
    results: dict[str, object] = {}
    try:
        with gunicorn("bench.servers:redirect") as base:
            bare = run_wrk(f"{base}/t/{data['code']}", seconds)
        cluster.instances_up(LAYOUT, python)
        cluster.haproxy_up(LAYOUT)
        two = run_wrk(scan, seconds)
        _check(ratings, data)
        replica_reads = run_wrk(ratings, seconds, connections=READERS, headers=auth)
        cluster.instance_kill(LAYOUT, 2)
        cluster.wait_for(lambda: not cluster.healthy(LAYOUT.instance_ports[1]), "instance 2's stop")
        one = run_wrk(scan, seconds)
        _restart(python, replica=False)
        _check(ratings, data)
        primary_reads = run_wrk(ratings, seconds, connections=READERS, headers=auth)
        results = {
            **figures("bare_wsgi_302", bare),
            **figures("scan_two_instances", two),
            **figures("scan_one_instance", one),
            **figures("ratings_api_replica", replica_reads),
            **figures("ratings_api_primary", primary_reads),
            "ratio_scan_two_instances_vs_bare_302_rps": round(two.rps / bare.rps, 3),
            "ratio_scan_one_instance_vs_bare_302_rps": round(one.rps / bare.rps, 3),
            "ratio_ratings_api_replica_vs_bare_302_rps": round(replica_reads.rps / bare.rps, 3),
            "ratio_ratings_api_primary_vs_bare_302_rps": round(primary_reads.rps / bare.rps, 3),
        }
    finally:
        os.environ.pop("CLUSTER_NO_REPLICA", None)
        cluster.stop_and_drop(LAYOUT)
    return results
