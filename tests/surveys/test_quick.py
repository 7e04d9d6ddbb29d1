"""Completions through the group commit (`feedback.respondent.quick`), and every case it leaves to the full path."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.offers import services as offers
from feedback.offers.models import Coupon
from feedback.respondent import quick
from feedback.surveys import services
from feedback.surveys.models import Answer, Response, Survey, SurveyVersion
from feedback.surveys.questions import QuestionSpec, QuestionType
from feedback.texts import Texts
from tests.helpers import count
from tests.phone import PHONE, answer_all, open_form

pytestmark = pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)  # tests answer at once: no bot flag


@pytest.fixture
def code(app, make_touchpoint, make_survey, make_code):  # noqa: ANN001, ANN201
    """A code of a touchpoint showing the trade-fair template (one page: nps, csat, ces, follow_up)."""
    touchpoint = make_touchpoint(name="Messe")
    make_survey(touchpoint, "trade-fair", name="Messebesuch")
    return make_code(touchpoint)


@pytest.fixture
def writes(monkeypatch):  # noqa: ANN001, ANN201
    """The batch sizes the response writer committed."""
    batches: list[int] = []
    original = quick.ResponseWriter._write

    def counting(self, cursor, batch):  # noqa: ANN001, ANN202
        batches.append(len(batch))
        return original(self, cursor, batch)

    monkeypatch.setattr(quick.ResponseWriter, "_write", counting)
    return batches


def _completion(code, n: int, since=None) -> quick.Completion:  # noqa: ANN001
    now = utcnow()
    response = {
        "workspace_id": code[0], "touchpoint_id": code[1], "code_id": code[2], "scan_id": None,
        "version_id": code[3], "invite_id": None, "token": f"token-{n:06d}", "visitor_key": f"{n:032x}",
        "language": "de", "started_at": now, "completed_at": now, "flagged": False, "flag_reason": "",
        "contact_id": None, "coupon_withheld": False, "kiosk": False,
    }  # fmt: skip
    answer = {"workspace_id": code[0], "touchpoint_id": code[1], "question_key": "nps", "question_type": "nps",
              "value_number": n % 11, "value_text": None, "answered_at": now}  # fmt: skip
    return quick.Completion(response, [answer], since)


def _ids(code) -> tuple[int, int, int, int]:  # noqa: ANN001
    version_id = db.session.scalar(
        sa.select(sa.func.max(SurveyVersion.id)).where(SurveyVersion.survey_id == code.touchpoint.survey_id)
    )
    ids = code.workspace_id, code.touchpoint_id, code.id, version_id
    db.session.commit()  # no read transaction of the test may keep an old snapshot of the rows the writer adds
    return ids


def test_a_one_page_completion_is_stored_by_the_writer_with_every_answer(client, code, writes) -> None:
    response = answer_all(client, code, open_form(client, code))
    assert response.status_code == 303 and "/thanks?r=" in response.headers["Location"]
    assert writes == [1]
    stored = db.session.scalar(sa.select(Response))
    assert stored.completed_at == stored.started_at and stored.language == "de" and not stored.flagged
    values = {a.question_key: (a.value_number, a.value_text) for a in stored.answers}
    assert values == {"nps": (9, None), "csat": (4, None), "ces": (6, None), "follow_up": (None, "offer")}
    assert "Vielen Dank" in client.get(response.headers["Location"], headers=PHONE).get_data(as_text=True)


def test_a_form_whose_answers_the_script_saved_goes_straight_to_the_full_path(client, code, writes) -> None:
    fields = open_form(client, code)
    saved = client.post(
        f"/t/{code.code}/answer", data={**fields, "key": "nps", "value": "9"}, headers=PHONE
    )  # what respond.js sends as the answer is given
    assert saved.status_code == 200
    response = answer_all(client, code, {**fields, "saved": "1"})
    assert response.status_code == 303 and writes == []  # no wasted turn at the writer
    assert count(Response) == 1 and count(Answer) == 4


def test_a_respondent_post_sets_no_session_or_remember_cookie(client, code) -> None:
    response = answer_all(client, code, open_form(client, code))
    cookies = response.headers.getlist("Set-Cookie")
    assert not [c for c in cookies if c.startswith(("feedback_session=", "remember_token="))], cookies
    assert all(c.startswith("fb_vid=") for c in cookies), cookies  # the visitor cookie at most


def test_concurrent_completions_share_transactions_and_all_are_stored(app, code, writes) -> None:
    ids = _ids(code)
    results: list[int | None] = []
    start = threading.Barrier(16)

    def complete(worker: int) -> None:
        start.wait()
        for i in range(10):
            with app.app_context():
                results.append(quick.store(_completion(ids, worker * 100 + i)))

    threads = [threading.Thread(target=complete, args=(w,)) for w in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 160 and all(r for r in results) and len(set(results)) == 160
    db.session.commit()
    assert count(Response) == 160 and count(Answer) == 160
    assert set(db.session.scalars(sa.select(Response.id))) == set(results)
    assert sum(writes) == 160 and len(writes) < 160


def test_a_token_that_exists_and_a_repeat_are_left_to_the_full_path(app, code) -> None:
    ids = _ids(code)
    assert quick.store(_completion(ids, 1)) > 0
    assert quick.store(_completion(ids, 1)) == quick.FULL_PATH  # the same form again
    since = utcnow() - timedelta(days=30)
    again = _completion(ids, 2, since)
    again.response["visitor_key"] = f"{1:032x}"  # the same visitor, another form
    assert quick.store(again) == quick.FULL_PATH
    db.session.commit()
    assert count(Response) == 1 and count(Answer) == 1


def test_a_second_form_of_one_visitor_is_blocked_by_the_repeat_rule(client, code) -> None:
    first, second = open_form(client, code), open_form(client, code)
    assert answer_all(client, code, first).status_code == 303
    blocked = answer_all(client, code, second)
    assert blocked.status_code == 200 and "bereits" in blocked.get_data(as_text=True)
    assert count(Response) == 1


def test_a_failed_write_is_taken_by_the_full_path(client, code, monkeypatch) -> None:
    def broken(self, cursor, batch):  # noqa: ANN001, ANN202
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(quick.ResponseWriter, "_write", broken)
    response = answer_all(client, code, open_form(client, code))
    assert response.status_code == 303 and count(Response) == 1 and count(Answer) == 4


def test_an_offer_made_here_reaches_the_next_completion_at_once(app, client, code, writes) -> None:
    answer_all(client, code, open_form(client, code))  # the setup is read and kept: no offer
    assert writes == [1] and count(Coupon) == 0
    campaign = code.touchpoint.campaign
    offers.create_offer(campaign, offers.OfferData("Rabatt", Texts.of(de="10 % Rabatt", en="10 % off")))
    db.session.commit()
    someone = client.application.test_client()
    someone.environ_base["REMOTE_ADDR"] = "198.51.100.23"  # another person: another network
    assert answer_all(someone, code, open_form(someone, code)).status_code == 303
    assert writes == [1] and count(Response) == 2 and count(Coupon) == 1  # the full path issued the coupon


def test_a_new_survey_version_made_here_refuses_old_forms_at_once(app, client, code) -> None:
    someone = client.application.test_client()
    answer_all(someone, code, open_form(someone, code))  # version 1 has answers and the setup is kept
    stale = open_form(client, code)
    survey = db.session.get(Survey, code.touchpoint.survey_id)
    services.add_question(survey, QuestionSpec("extra", QuestionType.TEXT, False, text=Texts.of(en="More?")))
    db.session.commit()
    assert answer_all(client, code, stale).status_code == 409 and count(Response) == 1
