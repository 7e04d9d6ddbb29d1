"""Survey submit under load: one POST completes one response with five answers (gunicorn, 2 workers, 32
connections from wrk, every form a fresh one), against the bare WSGI server answering the same POSTs in the same run;
and whether every acknowledged response was stored with all its answers."""

from __future__ import annotations

import http.client
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.load import PHONE_UA, figures, gunicorn, run_wrk
from bench.scan_path import SECRET, fresh_postgres

#: Forms signed per second of load: more than the server can take, so no form is sent twice.
FORMS_PER_SECOND = 2500
ANSWERS = {"q_nps": "9", "q_csat": "5", "q_ces": "6", "q_follow_up": "info", "q_repurchase": "4"}
WRK_THREADS = 2

#: Each wrk thread sends its own share of the forms (line i goes to thread i mod threads), one per request.
LUA = """
local bodies = {}
local sent = 0
local count = 0
function setup(thread)
  thread:set("slot", count)
  count = count + 1
end
function init(args)
  local threads, line = tonumber(args[2]), 0
  for body in io.lines(args[1]) do
    if line % threads == slot then bodies[#bodies + 1] = body end
    line = line + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = args[3]
end
function request()
  sent = sent + 1
  return wrk.format(nil, nil, nil, bodies[((sent - 1) % #bodies) + 1])
end
"""


def _prepare(database_url: str) -> tuple[dict[str, str], str]:
    """A touchpoint whose survey asks five questions on one page; the env to serve it and its code."""
    from flask_migrate import upgrade

    from feedback import create_app
    from feedback.auth import services as auth
    from feedback.extensions import db
    from feedback.qr import services as qr
    from feedback.surveys import services as surveys
    from feedback.surveys.questions import QuestionSpec, QuestionType
    from feedback.texts import Texts
    from feedback.touchpoints import services as tp
    from feedback.touchpoints.models import Channel, Phase

    # wrk sends every form from one address and browser: the per-signature answer limit is lifted so the benchmark
    # measures the write path, with the limiter still in it.
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "PUBLIC_BASE_URL": "https://fb.example.com",
        "ANSWER_RATE_LIMIT": "1000000 per minute",
    }
    app = create_app({"ENVIRON": env})
    with app.app_context():
        upgrade()
        workspace = auth.create_workspace("Bench GmbH", auth.create_user("bench@example.com", "bench-password-1"))
        campaign = tp.create_campaign(workspace.id, tp.CampaignData(name="Messe"))
        touchpoint = tp.create_touchpoint(campaign, tp.TouchpointData("Stand", Channel.TRADE_FAIR, Phase.AWARENESS))
        survey = surveys.create_survey(workspace.id, "Messe", "trade-fair")
        surveys.add_question(
            survey,
            QuestionSpec(
                key="repurchase",
                type=QuestionType.RATING,
                required=True,
                text=Texts.of(
                    de="Wie wahrscheinlich kaufen Sie wieder bei uns?", en="How likely are you to buy from us again?"
                ),
            ),
        )
        surveys.attach(touchpoint, survey)
        code = qr.create_code(touchpoint).code
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return env, code


def _bodies(env: dict[str, str], code: str, count: int, path: Path) -> None:
    """`count` fresh survey forms (each its own signed state, shown two minutes ago), answered, one per line."""
    from feedback import create_app
    from feedback.extensions import db
    from feedback.qr.models import Code
    from feedback.respondent import respond
    from feedback.respondent.pages import sign_state

    app = create_app({"ENVIRON": env})
    with app.app_context():
        row = db.session.execute(db.select(Code).where(Code.code == code)).scalar_one()
        version = respond.current_version(row.touchpoint)
        assert version is not None and len(respond.survey_pages(version)) == 1
        shown = time.time() - 120
        with path.open("w") as out:
            for _ in range(count):
                state = respond.FormState(respond.new_token(), version.id, None, row.id, shown)
                fields = {"state": sign_state(state), "page": "0", **ANSWERS}
                out.write(urlencode(fields) + "\n")
        db.session.remove()
        db.engine.dispose()


def _session(base: str, code: str) -> str:
    """Open the survey once like a phone: the cookies it is given (its visitor cookie; the forms need no session)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    connection.request("GET", f"/t/{code}", headers={"User-Agent": PHONE_UA, "Accept-Language": "de"})
    response = connection.getresponse()
    html = response.read().decode()
    cookie = "; ".join(value.split(";")[0] for name, value in response.getheaders() if name.lower() == "set-cookie")
    connection.close()
    assert 'name="state"' in html, "the survey page shows no form"
    return cookie


def _stored(database_url: str) -> tuple[int, int]:
    """Completed responses and their answers in the database."""
    import sqlalchemy as sa

    from feedback.config import normalise_database_url

    engine = sa.create_engine(normalise_database_url(database_url))
    with engine.connect() as connection:
        responses = connection.execute(
            sa.text("SELECT count(*) FROM response WHERE completed_at IS NOT NULL")
        ).scalar_one()
        answers = connection.execute(sa.text("SELECT count(*) FROM answer")).scalar_one()
    engine.dispose()
    return int(responses), int(answers)


def _measure(database_url: str, seconds: int, tmp: Path, prefix: str) -> dict[str, object]:
    env, code = _prepare(database_url)
    script = tmp / "submit.lua"
    script.write_text(LUA)
    bodies = tmp / "bodies.txt"
    with gunicorn("wsgi:app", env) as base:
        cookie = _session(base, code)
        _bodies(env, code, FORMS_PER_SECOND * seconds, bodies)
        arguments = (str(bodies), str(WRK_THREADS), cookie)
        submit = run_wrk(f"{base}/t/{code}", seconds, script=script, script_args=arguments)
    with gunicorn("bench.servers:redirect") as base:  # the same POSTs, answered with a bare redirect
        bare = run_wrk(f"{base}/t/{code}", seconds, script=script, script_args=arguments)
    responses, answers = _stored(database_url)
    acknowledged = submit.acknowledged
    twice = max(0, submit.requests - FORMS_PER_SECOND * seconds)  # idempotent: the same response again
    return {
        **figures(f"{prefix}_bare_wsgi_post", bare),
        **figures(f"{prefix}_survey_submit", submit),
        f"{prefix}_ratio_survey_submit_vs_bare_post_rps": round(submit.rps / bare.rps, 3),
        f"{prefix}_survey_submits_acknowledged": acknowledged,
        f"{prefix}_survey_responses_stored": responses,
        f"{prefix}_survey_answers_stored": answers,
        f"{prefix}_survey_responses_lost": max(0, acknowledged - twice - responses),
        f"{prefix}_survey_answers_missing": max(0, responses * len(ANSWERS) - answers),
        f"{prefix}_survey_forms_sent_twice": twice,
    }


def run(quick: bool = False, seconds: int | None = None) -> dict[str, object]:
    """Survey submits on SQLite (WAL) and, where a local server answers, on PostgreSQL."""
    seconds = seconds or (3 if quick else 20)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        figures = _measure(f"sqlite:///{tmp / 'submit.sqlite3'}", seconds, tmp, "sqlite")
        postgres = fresh_postgres()
        if postgres is not None:
            figures |= _measure(postgres, seconds, tmp, "postgres")
    return figures
