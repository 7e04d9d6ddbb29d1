"""The scan path /t/<code> under load (gunicorn, 2 workers, 32 connections from wrk, SQLite WAL), against bare
WSGI baselines measured in the same run; and whether every acknowledged scan was stored."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.load import figures, gunicorn, run_wrk

SECRET = "bench-secret-" * 4


def _prepare(database_url: str) -> tuple[dict[str, str], str, str, bytes]:
    """A workspace with a redirect touchpoint and a landing-page touchpoint; the env to serve it, both codes and the
    landing page's bytes."""
    from flask_migrate import upgrade

    from feedback import create_app
    from feedback.auth import services as auth
    from feedback.extensions import db
    from feedback.qr import services as qr
    from feedback.touchpoints import services as tp
    from feedback.touchpoints.models import Channel, Phase

    env = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "PUBLIC_BASE_URL": "https://fb.example.com"}
    app = create_app({"ENVIRON": env})
    with app.app_context():
        upgrade()
        workspace = auth.create_workspace("Bench GmbH", auth.create_user("bench@example.com", "bench-password-1"))
        campaign = tp.create_campaign(workspace.id, tp.CampaignData(name="TV-Spot"))
        redirecting = tp.create_touchpoint(campaign, tp.TouchpointData("Spot", Channel.TV_RADIO, Phase.AWARENESS))
        redirecting.destination_url = "https://example.com/fruehling"
        showing = tp.create_touchpoint(campaign, tp.TouchpointData("Plakat", Channel.POSTER, Phase.AWARENESS))
        showing.headline_texts = {"de": "Frühlingsröstung: jetzt probieren"}
        showing.body_texts = {
            "de": "Zeigen Sie diese Seite in einem unserer Läden und erhalten Sie einen Espresso gratis."
        }
        redirect_code, landing_code = qr.create_code(redirecting).code, qr.create_code(showing).code
        db.session.commit()
        page = app.test_client().get(f"/t/{landing_code}", headers={"User-Agent": "Mozilla/5.0 (iPhone) Mobile"})
        body = page.get_data()
        db.session.remove()
        db.engine.dispose()
    return env, redirect_code, landing_code, body


def _rows(database_url: str, code: str) -> int:
    import sqlalchemy as sa

    from feedback.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(database_url))
    with engine.connect() as connection:
        found = connection.execute(
            sa.text("SELECT count(*) FROM scan JOIN code ON code.id = scan.code_id WHERE code.code = :c"), {"c": code}
        ).scalar_one()
    engine.dispose()
    return int(found)


POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def fresh_postgres(name: str = "feedback_bench") -> str | None:
    """A new, empty database `name` on the local PostgreSQL server, or None when there is none."""
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(
            POSTGRES_ADMIN.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
        )
        with engine.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
        engine.dispose()
    except sa.exc.OperationalError:
        return None
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _measure(database_url: str, seconds: int, tmp: Path, prefix: str) -> dict[str, object]:
    """Baselines, then both kinds of touchpoint on one database; ratios and lost-scan counts."""
    env, redirect_code, landing_code, body = _prepare(database_url)
    landing_file = tmp / "landing.html"
    landing_file.write_bytes(body)
    with gunicorn("bench.servers:redirect") as base:
        bare_302 = run_wrk(f"{base}/t/{redirect_code}", seconds)
    with gunicorn("bench.servers:landing", {"BENCH_LANDING_FILE": str(landing_file)}) as base:
        bare_page = run_wrk(f"{base}/t/{landing_code}", seconds)
    with gunicorn("wsgi:app", env) as base:  # the production entry point
        redirect = run_wrk(f"{base}/t/{redirect_code}", seconds)
        landing = run_wrk(f"{base}/t/{landing_code}", seconds)
    stored_redirect, stored_landing = _rows(database_url, redirect_code), _rows(database_url, landing_code)
    return {
        **figures(f"{prefix}_bare_wsgi_302", bare_302),
        **figures(f"{prefix}_bare_wsgi_page", bare_page),
        **figures(f"{prefix}_scan_redirect", redirect),
        **figures(f"{prefix}_scan_landing", landing),
        f"{prefix}_landing_page_bytes": len(body),
        f"{prefix}_ratio_scan_redirect_vs_bare_302_rps": round(redirect.rps / bare_302.rps, 3),
        f"{prefix}_ratio_scan_landing_vs_bare_page_rps": round(landing.rps / bare_page.rps, 3),
        f"{prefix}_ratio_scan_redirect_vs_bare_302_p99": round(redirect.p99_ms / bare_302.p99_ms, 2),
        f"{prefix}_ratio_scan_landing_vs_bare_page_p99": round(landing.p99_ms / bare_page.p99_ms, 2),
        f"{prefix}_scans_acknowledged": redirect.acknowledged + landing.acknowledged,
        f"{prefix}_scans_stored": stored_redirect + stored_landing,
        f"{prefix}_scans_lost": max(0, redirect.acknowledged - stored_redirect)
        + max(0, landing.acknowledged - stored_landing),
    }


#: The spike: as many connections as wrk keeps open on this machine without starving the server of CPU.
SPIKE_CONNECTIONS = 256


def spike(seconds: int, tmp: Path) -> dict[str, object]:
    """A TV spot: `seconds` of the heaviest load wrk makes here against one redirecting code (SQLite, one 2-worker
    instance): errors, lost scans, p99, and how many scans per minute the instance absorbs."""
    database_url = f"sqlite:///{tmp / 'spike.sqlite3'}"
    env, redirect_code, _landing_code, _body = _prepare(database_url)
    with gunicorn("wsgi:app", env) as base:
        load = run_wrk(f"{base}/t/{redirect_code}", seconds, connections=SPIKE_CONNECTIONS)
    stored = _rows(database_url, redirect_code)
    return {
        "spike_seconds": seconds,
        "spike_connections": SPIKE_CONNECTIONS,
        **figures("spike", load),
        "spike_scans_per_minute": round(load.rps * 60),
        "spike_scans_acknowledged": load.acknowledged,
        "spike_scans_stored": stored,
        "spike_scans_lost": max(0, load.acknowledged - stored),
    }


def run(quick: bool = False, seconds: int | None = None) -> dict[str, object]:
    """The scan path on SQLite (WAL) and, where a local server answers, on PostgreSQL."""
    seconds = seconds or (3 if quick else 20)
    with tempfile.TemporaryDirectory() as tmp:
        figures = _measure(f"sqlite:///{Path(tmp) / 'scan.sqlite3'}", seconds, Path(tmp), "sqlite")
        postgres = fresh_postgres()
        if postgres is not None:
            figures |= _measure(postgres, seconds, Path(tmp), "postgres")
        if seconds >= 3:  # not in the suite's smoke run
            figures |= spike(5 if quick else 60, Path(tmp))
    return figures
