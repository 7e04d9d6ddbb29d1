"""Survey submit under load: one POST completes one response with five answers (gunicorn, 2 workers, 32
connections from wrk, every form a fresh one), against the bare WSGI server answering the same POSTs in the same run;
and whether every acknowledged response was stored with all its answers."""

from __future__ import annotations

import http.client
import secrets
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
#: The phones' User-Agents: a handful of common models and systems (phones repeat them a lot, so classifying one is
#: mostly a cache hit, as in the field).
PHONES = [
    *(
        f"Mozilla/5.0 (iPhone; CPU iPhone OS {version} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        f"Version/{version.split('_')[0]}.0 Mobile/15E148 Safari/604.1"
        for version in ("16_6", "17_4", "17_5", "17_6", "18_0", "18_1")
    ),
    *(
        f"Mozilla/5.0 (Linux; Android {android}; {model}) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36"
        for android in ("13", "14")
        for model in ("SM-S918B", "SM-A546B", "Pixel 8", "Pixel 7a", "moto g84 5G")
    ),
]

#: Each wrk thread sends its own share of the forms (line i goes to thread i mod threads), one per request; a line is
#: one phone's form: its User-Agent, its cookie (the visitor cookie its scan gave it), its address (as the reverse
#: proxy in front passes it on) and the answered form.
LUA = """
local forms = {}
local sent = 0
local count = 0
function setup(thread)
  thread:set("slot", count)
  count = count + 1
end
function init(args)
  local threads, line = tonumber(args[2]), 0
  for text in io.lines(args[1]) do
    if line % threads == slot then
      local agent, cookie, address, body = text:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      forms[#forms + 1] = {agent, cookie, address, body}
    end
    line = line + 1
  end
end
function request()
  sent = sent + 1
  local form = forms[((sent - 1) % #forms) + 1]
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["User-Agent"] = form[1]
  headers["Cookie"] = form[2]
  headers["X-Forwarded-For"] = form[3]
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  return wrk.format("POST", nil, headers, form[4])
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

    # The phones come through one reverse proxy (PROXY_HOPS=1), which passes on each phone's own address.
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "PUBLIC_BASE_URL": "https://fb.example.com",
        "PROXY_HOPS": "1",
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
    """`count` fresh survey forms, one per line, each from another phone: a common phone's User-Agent, its own
    visitor cookie, its own network (another device for the repeat rules and the answer limit), its own signed
    state (shown two minutes ago) and the answers."""
    from feedback import create_app
    from feedback.extensions import db
    from feedback.qr.models import Code
    from feedback.qr.visitors import VISITOR_COOKIE
    from feedback.respondent import respond
    from feedback.respondent.pages import sign_state

    app = create_app({"ENVIRON": env})
    with app.app_context():
        row = db.session.execute(db.select(Code).where(Code.code == code)).scalar_one()
        version = respond.current_version(row.touchpoint)
        assert version is not None and len(respond.survey_pages(version)) == 1
        shown = time.time() - 120
        with path.open("w") as out:
            for phone in range(count):
                state = respond.FormState(respond.new_token(), version.id, None, row.id, shown)
                fields = {"state": sign_state(state), "page": "0", **ANSWERS}
                cookie = f"{VISITOR_COOKIE}={secrets.token_hex(16)}"
                address = f"10.{phone // 250 % 250}.{phone % 250}.{phone % 7 + 2}"
                agent = PHONES[phone % len(PHONES)]
                out.write(f"{agent}\t{cookie}\t{address}\t{urlencode(fields)}\n")
        db.session.remove()
        db.engine.dispose()


def _check_survey(base: str, code: str) -> None:
    """Open the survey once like a phone: it shows a form."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    connection.request("GET", f"/t/{code}", headers={"User-Agent": PHONE_UA, "Accept-Language": "de"})
    response = connection.getresponse()
    html = response.read().decode()
    connection.close()
    assert 'name="state"' in html, "the survey page shows no form"


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
        _check_survey(base, code)
        _bodies(env, code, FORMS_PER_SECOND * seconds, bodies)
        arguments = (str(bodies), str(WRK_THREADS))
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
