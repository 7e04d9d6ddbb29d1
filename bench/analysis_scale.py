"""Ratings at scale: 100 touchpoints, 5,000,000 scans, 1,000,000 responses (3 answers each) on SQLite or PostgreSQL.

Prints the time of the campaign ratings, the ratings page and the XLSX download, each as a ratio to a plain
`SELECT touchpoint_id, COUNT(*) … GROUP BY touchpoint_id` over the same scans, responses and answers, measured in
the same run. Goal: ratings and XLSX within 3× of that baseline.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

TOUCHPOINTS = 100
FULL = {"scans": 5_000_000, "responses": 1_000_000}
QUICK = {"scans": 100_000, "responses": 20_000}
CHUNK = 20_000


def _app(url: str):  # noqa: ANN202 - a Flask app
    from flask_migrate import upgrade

    from feedback import create_app
    from feedback.extensions import db

    app = create_app(
        {
            "ENVIRON": {"DATABASE_URL": url, "SECRET_KEY": "bench-" * 8, "PUBLIC_BASE_URL": "https://fb.example.com"},
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
    return app


def _fill(app, scans: int, responses: int) -> tuple[int, str]:  # noqa: ANN001
    """Workspace, campaign, touchpoints with a survey, codes, then bulk rows; returns (campaign id, workspace slug)."""
    from feedback.auth import services as auth
    from feedback.extensions import db
    from feedback.qr import services as qr
    from feedback.qr.models import Scan
    from feedback.surveys import services as surveys
    from feedback.surveys.models import Answer, Response
    from feedback.touchpoints import services as tp
    from feedback.touchpoints.models import Channel, Phase

    rng = random.Random(7)
    with app.app_context():
        user = auth.create_user("bench@example.com", "bench-password-1")
        workspace = auth.create_workspace("Bench GmbH", user)
        campaign = tp.create_campaign(workspace.id, tp.CampaignData("Bench"))
        survey = surveys.create_survey(workspace.id, "Messe", "trade-fair")
        version_id = survey.current.id
        touchpoints = []
        for i in range(TOUCHPOINTS):
            touchpoint = tp.create_touchpoint(
                campaign, tp.TouchpointData(f"TP {i:03d}", list(Channel)[i % 12], list(Phase)[i % 5])
            )
            surveys.attach(touchpoint, survey)
            touchpoints.append((touchpoint.id, qr.create_code(touchpoint).id))
        db.session.commit()
        ws, start = workspace.id, datetime(2026, 1, 1, tzinfo=UTC)
        devices = ("mobile", "mobile", "mobile", "tablet", "desktop")

        def rows(n: int, table: sa.Table, make: Callable[[int], dict]) -> None:
            for offset in range(0, n, CHUNK):
                db.session.execute(sa.insert(table), [make(i) for i in range(offset, min(n, offset + CHUNK))])
                db.session.commit()

        def scan(i: int) -> dict:
            tp_id, code_id = touchpoints[i % TOUCHPOINTS]
            return {
                "workspace_id": ws,
                "touchpoint_id": tp_id,
                "code_id": code_id,
                "scanned_at": start + timedelta(seconds=i * 3),
                "visitor_key": f"{rng.getrandbits(100):032x}",
                "visitor_from_cookie": False,
                "device_class": devices[i % 5],
                "os": "",
                "browser": "",
                "language": "de" if i % 4 else "en",
                "is_bot": i % 50 == 0,
                "outcome": "ok",
            }

        rows(scans, Scan.__table__, scan)

        def response(i: int) -> dict:
            tp_id, code_id = touchpoints[i % TOUCHPOINTS]
            when = start + timedelta(seconds=i * 15)
            return {
                "id": i + 1,
                "workspace_id": ws,
                "touchpoint_id": tp_id,
                "code_id": code_id,
                "version_id": version_id,
                "token": f"b{i:042d}",
                "visitor_key": f"{i:032x}",
                "language": "de",
                "started_at": when,
                "completed_at": when + timedelta(seconds=40) if i % 8 else None,
                "flagged": i % 97 == 0,
                "flag_reason": "",
            }

        rows(responses, Response.__table__, response)
        quality = [rng.random() for _ in range(TOUCHPOINTS)]

        def answer(j: int) -> dict:
            i, kind = divmod(j, 3)
            tp_id, _ = touchpoints[i % TOUCHPOINTS]
            q = quality[i % TOUCHPOINTS]
            key, value = (
                ("nps", min(10, max(0, round(rng.gauss(5 + 4 * q, 2.5)))))
                if kind == 0
                else ("csat", min(5, max(1, round(rng.gauss(2.5 + 2 * q, 1)))))
                if kind == 1
                else ("ces", min(7, max(1, round(rng.gauss(3 + 3 * q, 1.3)))))
            )
            return {
                "response_id": i + 1,
                "workspace_id": ws,
                "touchpoint_id": tp_id,
                "question_key": key,
                "question_type": key,
                "value_number": value,
                "value_text": None,
                "answered_at": start + timedelta(seconds=i * 15),
            }

        rows(responses * 3, Answer.__table__, answer)
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        return campaign.id, workspace.slug


def _best(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times) if repeats > 1 else statistics.mean(times)


def run(quick: bool = False, url: str | None = None, size: dict[str, int] | None = None) -> dict[str, float]:
    """Build the data set, measure, and return the figures."""
    from feedback.analysis.downloads import ratings_download
    from feedback.analysis.services import campaign_ratings
    from feedback.extensions import db
    from feedback.touchpoints.models import Campaign

    size = size or (QUICK if quick else FULL)
    repeats = 3
    with tempfile.TemporaryDirectory() as folder:
        url = url or os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(folder) / 'scale.sqlite3'}"
        app = _app(url)
        started = time.perf_counter()
        campaign_id, slug = _fill(app, size["scans"], size["responses"])
        build_seconds = time.perf_counter() - started
        with app.app_context():
            baseline_sql = [
                sa.text(f"SELECT touchpoint_id, COUNT(*) FROM {table} GROUP BY touchpoint_id")
                for table in ("scan", "response", "answer")
            ]

            def baseline() -> None:
                for statement in baseline_sql:
                    db.session.execute(statement).all()

            base = _best(baseline, repeats)
            campaign = db.session.get(Campaign, campaign_id)
            first_read = _best(lambda: campaign_ratings(campaign), 1)  # builds the daily roll-ups
            ratings = _best(lambda: campaign_ratings(campaign), repeats)
            xlsx = _best(lambda: ratings_download(campaign, _all(), "xlsx").body, repeats)
            result = campaign_ratings(campaign)
            answers = sum(row.summary.nps.n for row in result.rows)
            tracemalloc.start()  # after the timings: tracing slows everything down
            campaign_ratings(campaign)
            ratings_download(campaign, _all(), "xlsx")
            peak_python_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        client = app.test_client()
        client.post("/login", data={"email": "bench@example.com", "password": "bench-password-1"})
        page = _best(lambda: client.get(f"/w/{slug}/campaigns/{campaign_id}/ratings").status_code, repeats)
        status = client.get(f"/w/{slug}/campaigns/{campaign_id}/ratings").status_code
        with app.app_context():
            db.engine.dispose()
    return {
        "database": url.split(":", 1)[0],
        "scans": size["scans"],
        "responses": size["responses"],
        "nps_answers_counted": answers,
        "page_status": status,
        "build_seconds": build_seconds,
        "baseline_count_group_by_seconds": base,
        "first_read_with_roll_up_seconds": first_read,
        "campaign_ratings_seconds": ratings,
        "ratings_page_seconds": page,
        "xlsx_download_seconds": xlsx,
        "ratings_ratio": ratings / base,
        "ratings_page_ratio": page / base,
        "xlsx_ratio": xlsx / base,
        "ratings_and_xlsx_peak_python_mb": round(peak_python_mb, 1),
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _all():  # noqa: ANN202
    from feedback.analysis.services import DateRange

    return DateRange()
