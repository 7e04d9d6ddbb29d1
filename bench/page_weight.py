"""Respondent page: weight in bytes, external requests, and server time per page against a bare baseline."""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from pathlib import Path

from flask import Flask

WEIGHT_LIMIT = 30 * 1024


def _app_with_survey(database: Path) -> tuple[Flask, str]:
    """A fresh app on its own SQLite file with one touchpoint that shows the trade-fair survey."""
    from flask_migrate import upgrade

    from feedback import create_app
    from feedback.auth import services as auth
    from feedback.extensions import db
    from feedback.qr import services as qr
    from feedback.surveys import services as surveys
    from feedback.touchpoints import services as tp
    from feedback.touchpoints.models import Channel, Phase

    app = create_app(
        {
            "ENVIRON": {
                "DATABASE_URL": f"sqlite:///{database}",
                "SECRET_KEY": "bench-" * 8,
                "PUBLIC_BASE_URL": "https://fb.example.com",
            }
        }
    )
    with app.app_context():
        upgrade()
        user = auth.create_user("bench@example.com", "bench-password-1")
        workspace = auth.create_workspace("Bench GmbH", user)
        campaign = tp.create_campaign(workspace.id, tp.CampaignData("Bench"))
        touchpoint = tp.create_touchpoint(campaign, tp.TouchpointData("Stand", Channel.TRADE_FAIR, Phase.AWARENESS))
        touchpoint.headline_texts = {"de": "Schön, dass Sie da waren!"}
        touchpoint.body_texts = {"de": "Verraten Sie uns in 30 Sekunden, wie es war."}
        surveys.attach(touchpoint, surveys.create_survey(workspace.id, "Messe", "trade-fair"))
        code = qr.create_code(touchpoint).code
        db.session.commit()
    return app, code


def run(quick: bool = False) -> dict[str, float]:
    """Measure the page and return the figures (printed by bench.__main__)."""
    repeats = 50 if quick else 300
    with tempfile.TemporaryDirectory() as folder:
        app, code = _app_with_survey(Path(folder) / "bench.sqlite3")
        client = app.test_client()
        headers = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)", "Accept-Language": "de"}
        page = client.get(f"/t/{code}", headers=headers)
        html = page.get_data()
        with client.get("/static/respond.js") as response:
            script = response.get_data()
        external = re.findall(rb'(?:src|href)="(?:https?:)?//', html)

        def timed(path: str) -> float:
            started = time.perf_counter()
            client.get(path, headers=headers)
            return time.perf_counter() - started

        page_times = [timed(f"/t/{code}") for _ in range(repeats)]
        base_times = [timed("/healthz") for _ in range(repeats)]
    return {
        "respondent_page_bytes": len(html),
        "respondent_page_with_script_bytes": len(html) + len(script),
        "respondent_page_limit_bytes": WEIGHT_LIMIT,
        "respondent_page_external_requests": len(external),
        "respondent_page_ms_median": statistics.median(page_times) * 1000,
        "healthz_ms_median": statistics.median(base_times) * 1000,
        "respondent_page_vs_healthz_ratio": statistics.median(page_times) / statistics.median(base_times),
    }
