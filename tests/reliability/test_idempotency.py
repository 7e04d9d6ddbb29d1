"""Twenty identical survey submits at the same moment, against gunicorn with two workers: one response, once."""

from __future__ import annotations

import http.client
import threading
from pathlib import Path

import sqlalchemy as sa

from bench import survey_submit
from bench.load import gunicorn
from feedback.config import normalise_database_url


def test_twenty_identical_concurrent_submits_make_exactly_one_response(server_database: str, tmp_path: Path) -> None:
    env, code = survey_submit._prepare(server_database)
    forms = tmp_path / "forms.txt"
    with gunicorn("wsgi:app", env) as base:
        port = int(base.rsplit(":", 1)[1])
        survey_submit._check_survey(base, code)
        survey_submit._bodies(env, code, 1, forms)  # one phone's form: its User-Agent, cookie, address and answers
        agent, cookie, address, body = forms.read_text().strip().split("\t")
        start = threading.Barrier(20)
        statuses: list[int] = []

        def submit() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            headers = {
                "User-Agent": agent,
                "Cookie": cookie,
                "X-Forwarded-For": address,
                "Content-Type": "application/x-www-form-urlencoded",
            }
            start.wait()
            try:
                connection.request("POST", f"/t/{code}", body=body, headers=headers)
                statuses.append(connection.getresponse().status)
            finally:
                connection.close()

        threads = [threading.Thread(target=submit) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [303] * 20  # every tap is answered with the thank-you page, none with an error
    engine = sa.create_engine(normalise_database_url(server_database))
    with engine.connect() as connection:
        responses = connection.execute(sa.text("SELECT id, completed_at FROM response")).all()
        answers = connection.execute(sa.text("SELECT count(*) FROM answer")).scalar_one()
    engine.dispose()
    assert len(responses) == 1 and responses[0][1] is not None
    assert answers == len(survey_submit.ANSWERS)
