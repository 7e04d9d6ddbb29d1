"""Ratings at scale: 100 touchpoints, 5,000,000 scans, 1,000,000 responses (3 answers each, and a free-text answer
in every fourth) on SQLite or PostgreSQL.

Prints the time of the campaign ratings, the ratings page and the XLSX download, each as a ratio to a plain
`SELECT touchpoint_id, COUNT(*) … GROUP BY touchpoint_id` over the same scans, responses and answers, measured in
the same run. Goal: ratings and XLSX within 3× of that baseline.

The narrowed analyses (`NARROWED_RUNS`: the themes of the campaign's open-text answers, as the comments page computes
them, and the campaign ratings of two segments, counted live from the raw rows) print their time as a ratio to the
unfiltered campaign ratings of the same run (goal ≤ 3×) and their peak Python memory.
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
#: Every TEXT_EVERY-th response has a free-text answer; every fifth response is in English.
TEXT_EVERY = 4
#: What respondents write at a trade-fair stand: (language, tone, text); a low-quality touchpoint draws more
#: complaints. A few dozen phrases, so that the themes have recurring terms to find.
PHRASES = (
    ("de", "bad", "Die Wartezeit am Stand war viel zu lang"),
    ("de", "bad", "Lange Wartezeit, aber freundliches Personal"),
    ("de", "bad", "Der Kaffee war kalt"),
    ("de", "bad", "Zu laut in der Halle, man versteht kaum etwas"),
    ("de", "bad", "Parkplätze waren schwer zu finden"),
    ("de", "bad", "Die Preise sind zu hoch"),
    ("de", "bad", "Die Beratung war oberflächlich"),
    ("de", "bad", "Keine Prospekte mehr am Stand"),
    ("de", "bad", "Lange Wartezeit an der Kasse"),
    ("de", "good", "Sehr freundliches Personal"),
    ("de", "good", "Kompetente Beratung, vielen Dank"),
    ("de", "good", "Tolle Produktvorführung am Stand"),
    ("de", "good", "Gute Beratung und leckerer Kaffee"),
    ("de", "good", "Schöner Stand, angenehme Atmosphäre"),
    ("de", "good", "Schnelle Antworten auf alle Fragen"),
    ("de", "good", "Das Gewinnspiel hat Spaß gemacht"),
    ("de", "good", "Freundliches Personal und kompetente Beratung"),
    ("de", "neutral", "Alles in Ordnung"),
    ("de", "neutral", "Mehr Sitzplätze wären schön"),
    ("de", "neutral", "Bitte das Angebot per Mail schicken"),
    ("en", "bad", "Waiting time was far too long"),
    ("en", "bad", "Long wait at the booth"),
    ("en", "bad", "The coffee was cold"),
    ("en", "bad", "Too noisy in the hall"),
    ("en", "bad", "Prices are too high"),
    ("en", "bad", "Hard to find parking"),
    ("en", "good", "Very friendly staff"),
    ("en", "good", "Great product demo"),
    ("en", "good", "Helpful advice, thank you"),
    ("en", "good", "Friendly staff and good coffee"),
    ("en", "good", "Quick answers to all my questions"),
    ("en", "neutral", "More seats would be nice"),
    ("en", "neutral", "Please send the offer by email"),
)


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
    from feedback.surveys.questions import QuestionSpec, QuestionType
    from feedback.texts import Texts
    from feedback.touchpoints import services as tp
    from feedback.touchpoints.models import Channel, Phase

    rng = random.Random(7)
    with app.app_context():
        user = auth.create_user("bench@example.com", "bench-password-1")
        workspace = auth.create_workspace("Bench GmbH", user)
        campaign = tp.create_campaign(workspace.id, tp.CampaignData("Bench"))
        survey = surveys.create_survey(workspace.id, "Messe", "trade-fair")
        surveys.add_question(survey, QuestionSpec("comment", QuestionType.TEXT, False, Texts.of(de="Was noch?")))
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
                # the scan it started from: one of the same touchpoint at about the same time (k ≡ i mod 100)
                "scan_id": k + 1 if (k := 5 * i - 4 * (i % TOUCHPOINTS)) < scans else None,
                "visitor_key": f"{i:032x}",
                "language": "en" if i % 5 == 0 else "de",
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
        by_language = {
            (language, tone): [t for lang, kind, t in PHRASES if (lang, kind) == (language, tone)]
            for language, tone, _text in PHRASES
        }

        def text_answer(j: int) -> dict:
            i = j * TEXT_EVERY + 1  # the second response of every TEXT_EVERY
            tp_id, _ = touchpoints[i % TOUCHPOINTS]
            draw = rng.random()
            tone = "bad" if draw > 0.3 + 0.6 * quality[i % TOUCHPOINTS] else "good" if draw > 0.15 else "neutral"
            return {
                "response_id": i + 1,
                "workspace_id": ws,
                "touchpoint_id": tp_id,
                "question_key": "comment",
                "question_type": "text",
                "value_number": None,
                "value_text": rng.choice(by_language["en" if i % 5 == 0 else "de", tone]),
                "answered_at": start + timedelta(seconds=i * 15),
            }

        rows(responses // TEXT_EVERY, Answer.__table__, text_answer)
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


def campaign_themes_run(campaign) -> Callable[[], object]:  # noqa: ANN001 - a Campaign
    """The themes of the campaign's open-text answers, unfiltered, with the marketer's edits: what the comments page
    computes."""
    from feedback.analysis.comments import CommentFilters
    from feedback.analysis.theme_edits import campaign_themes

    return lambda: campaign_themes(campaign, CommentFilters())


def segment_ratings_run(campaign) -> Callable[[], object]:  # noqa: ANN001 - a Campaign
    """The campaign ratings of the NPS detractors (an answer condition, scans not counted; the roll-ups count per NPS
    group), as the ratings page computes them with `?nps=detractors`."""
    from feedback.analysis.segments import Segment
    from feedback.analysis.services import campaign_ratings

    return lambda: campaign_ratings(campaign, segment=Segment(nps="detractors"))


def segment_visit_ratings_run(campaign) -> Callable[[], object]:  # noqa: ANN001 - a Campaign
    """The campaign ratings of German-speaking phone visitors (`?device=mobile&language=de`): scans and responses
    narrowed live, the responses through their scan."""
    from feedback.analysis.segments import Segment
    from feedback.analysis.services import campaign_ratings

    return lambda: campaign_ratings(campaign, segment=Segment(device="mobile", language="de"))


def segment_device_ratings_run(campaign) -> Callable[[], object]:  # noqa: ANN001 - a Campaign
    """The campaign ratings of phone visitors (`?device=mobile`): a segment the roll-ups hold (they count per
    device class and touchpoint)."""
    from feedback.analysis.segments import Segment
    from feedback.analysis.services import campaign_ratings

    return lambda: campaign_ratings(campaign, segment=Segment(device="mobile"))


#: Narrowed analyses timed against the unfiltered campaign ratings of the same run: name → a function of the campaign
#: giving the call to time.
NARROWED_RUNS: dict[str, Callable[[object], Callable[[], object]]] = {
    "themes": campaign_themes_run,
    "segment_filtered_ratings": segment_ratings_run,
    "segment_visit_ratings": segment_visit_ratings_run,
    "segment_device_ratings": segment_device_ratings_run,
}


def narrowed_runs(campaign, ratings_seconds: float, repeats: int) -> dict[str, float]:  # noqa: ANN001
    """Each of NARROWED_RUNS: its best time, its ratio to the unfiltered campaign ratings and its peak Python memory
    (tracemalloc, measured after the timings because tracing slows everything down)."""
    figures: dict[str, float] = {}
    for name, make in NARROWED_RUNS.items():
        call = make(campaign)
        seconds = _best(call, repeats)
        tracemalloc.start()
        call()
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        figures[f"{name}_seconds"] = seconds
        figures[f"{name}_ratio_to_ratings"] = seconds / ratings_seconds
        figures[f"{name}_peak_python_mb"] = round(peak_mb, 1)
    return figures


def run(quick: bool = False, url: str | None = None, size: dict[str, int] | None = None) -> dict[str, float]:
    """Build the data set, measure, and return the figures."""
    from feedback.analysis import rollups
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
            # the first ratings page after the bulk import, as a serving worker reads it: from what is rolled up
            # (nothing yet), a few missing days live, more named as still being counted (its page), never rolled
            # up by the page itself
            with rollups.answering_at_once() as left_out:
                first_page = _best(lambda: _read_at_once(campaign), 1)
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
            found = campaign_themes_run(campaign)()
            themes = {"text_answers_read": found.answers, "themes_found": len(found.themes)}
            narrowed = narrowed_runs(campaign, ratings, repeats)
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
        "first_page_after_import_seconds": first_page,
        "first_page_after_import_ratio": first_page / base,
        "first_page_days_left_out": len(left_out),
        "first_read_with_roll_up_seconds": first_read,
        "campaign_ratings_seconds": ratings,
        "ratings_page_seconds": page,
        "xlsx_download_seconds": xlsx,
        "ratings_ratio": ratings / base,
        "ratings_page_ratio": page / base,
        "xlsx_ratio": xlsx / base,
        "ratings_and_xlsx_peak_python_mb": round(peak_python_mb, 1),
        **themes,
        **narrowed,
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _read_at_once(campaign) -> None:  # noqa: ANN001 - a Campaign
    """The ratings a page reads, or the days it finds still being counted."""
    from feedback.analysis import rollups
    from feedback.analysis.services import campaign_ratings

    try:
        campaign_ratings(campaign)
    except rollups.StillCounting:
        pass


def _all():  # noqa: ANN202
    from feedback.analysis.services import DateRange

    return DateRange()
