"""The survey submit's lane (`feedback.respondent.lane`): a one-page completion answered before Flask gets the answer
the Flask view gives, stores the same rows, counts once against the answer limit; a forged, replayed or cross-site
form, and every case the lane does not take, is answered by Flask exactly as before."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from feedback.extensions import db
from feedback.respondent import lane, quick
from feedback.surveys.models import Answer, Response
from tests.helpers import count
from tests.phone import IPHONE, PHONE, TRADE_FAIR, open_form

OTHER_IPHONE = IPHONE.replace("17_5", "17_4")  # another phone of the same kind: its own device, the same limit key


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """An answer limit the tests reach; no minimum fill time."""
    application = make_app({"ANSWER_RATE_LIMIT": "3 per minute"}, SURVEY_MIN_FILL_SECONDS=0)
    with application.app_context():
        yield application


@pytest.fixture
def code(make_touchpoint, make_survey, make_code):  # noqa: ANN001, ANN201
    """A code showing the trade-fair template (one page), whose completions set nothing off."""
    touchpoint = make_touchpoint(name="Messe")
    make_survey(touchpoint, "trade-fair", name="Messebesuch")
    return make_code(touchpoint)


@pytest.fixture
def through_flask(monkeypatch):  # noqa: ANN001, ANN201
    """Switch the lane off: every submit takes the Flask view."""

    def off() -> None:
        monkeypatch.setattr(lane.SubmitLane, "_candidate", lambda self, environ: None)

    return off


def _send(client, code, fields: dict[str, str], agent: str = IPHONE, **headers: str):  # noqa: ANN001, ANN202
    return client.post(
        f"/t/{code.code}", data={**fields, **TRADE_FAIR}, headers={**PHONE, "User-Agent": agent, **headers}
    )


def _served(app: Flask) -> int:
    return lane.lane_of(app).served


def _stored() -> list[tuple]:
    """What the completions stored, without ids, tokens, keys and times."""
    db.session.expire_all()
    responses = db.session.scalars(sa.select(Response).order_by(Response.id)).all()
    return [
        (
            r.workspace_id, r.touchpoint_id, r.code_id, r.version_id, r.language, r.flagged, r.flag_reason, r.kiosk,
            r.completed_at is not None, len(r.visitor_key),
            sorted((a.question_key, a.value_number, a.value_text) for a in r.answers),
        )
        for r in responses
    ]  # fmt: skip


def _body(reply) -> str:  # noqa: ANN001
    """The answer's body, with the form's own thank-you address taken out."""
    return reply.get_data(as_text=True).replace(reply.headers["Location"], "<thanks>")


def _headers(reply) -> dict[str, str]:  # noqa: ANN001
    """The answer's headers that do not name the form (its token) or the moment."""
    skipped = {"location", "set-cookie", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after", "content-length"}
    return {name.lower(): value for name, value in reply.headers.items() if name.lower() not in skipped}


def test_a_completion_gets_from_the_lane_what_the_view_gives_and_stores_the_same(app, code, through_flask) -> None:
    lane_phone, view_phone = app.test_client(), app.test_client()
    by_lane = _send(lane_phone, code, open_form(lane_phone, code))
    assert _served(app) == 1
    through_flask()
    by_view = _send(view_phone, code, open_form(view_phone, code), agent=OTHER_IPHONE)
    assert _served(app) == 1  # the view answered the second
    assert by_lane.status_code == by_view.status_code == 303
    assert _headers(by_lane) == _headers(by_view)
    assert _body(by_lane) == _body(by_view) and "Redirecting" in _body(by_lane)
    for reply in (by_lane, by_view):
        path, _, token = reply.headers["Location"].partition("/thanks?r=")
        assert path == f"/t/{code.code}" and len(token) > 20
        assert reply.headers["X-RateLimit-Limit"] == "3"
        cookie = reply.headers["Set-Cookie"]
        assert cookie.startswith("fb_vid=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Max-Age=31536000" in cookie
    assert by_lane.headers["X-RateLimit-Remaining"] == "2" and by_view.headers["X-RateLimit-Remaining"] == "1"
    first, second = _stored()
    assert first == second and first[8] and first[10] == sorted(
        [("ces", 6, None), ("csat", 4, None), ("follow_up", None, "offer"), ("nps", 9, None)]
    )
    thanks = lane_phone.get(by_lane.headers["Location"], headers=PHONE)
    assert thanks.status_code == 200 and "Vielen Dank" in thanks.get_data(as_text=True)


def test_a_forged_form_state_is_refused_as_before_and_stores_nothing(app, client, code) -> None:
    fields = open_form(client, code)
    state = fields["state"]
    forged = state[:-3] + ("AAA" if not state.endswith("AAA") else "BBB")
    reply = _send(client, code, {**fields, "state": forged})
    assert reply.status_code == 303 and reply.headers["Location"].endswith(f"/t/{code.code}")  # back to the survey
    assert count(Response) == 0 and count(Answer) == 0 and _served(app) == 0


def test_a_replayed_form_stores_one_response_and_counts_once(app, client, code) -> None:
    fields = open_form(client, code)
    first = _send(client, code, fields)
    again = _send(client, code, fields)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]  # the same thank-you page
    assert count(Response) == 1 and count(Answer) == 4
    assert _served(app) == 1  # the lane handed the replay to the view, which found the response
    # the limit is 3: two sends of one form counted two, so a third form from the same kind of phone still counts
    other = app.test_client()
    third = _send(other, code, open_form(other, code), agent=OTHER_IPHONE)
    assert third.status_code == 303 and count(Response) == 2
    fourth_phone = app.test_client()
    fourth = _send(fourth_phone, code, open_form(fourth_phone, code), agent=IPHONE.replace("17_5", "17_3"))
    assert fourth.status_code == 429 and "Zu viele Versuche" in fourth.get_data(as_text=True)
    assert count(Response) == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "http://["},  # no address at all
    ],
)
def test_a_form_sent_from_another_site_is_refused_in_german_and_stores_nothing(app, client, code, headers) -> None:
    reply = _send(client, code, open_form(client, code), **headers)
    assert reply.status_code == 403
    assert "Dieses Formular wurde von einer anderen Website gesendet" in reply.get_data(as_text=True)
    assert count(Response) == 0 and _served(app) == 0


def test_a_form_sent_from_the_page_itself_is_taken(app, client, code) -> None:
    reply = _send(client, code, open_form(client, code), **{"Sec-Fetch-Site": "same-origin"})
    assert reply.status_code == 303 and count(Response) == 1 and _served(app) == 1


def test_the_answer_limit_holds_exactly_through_the_lane(app, code) -> None:
    agents = [IPHONE.replace("17_5", f"17_{minor}") for minor in range(5)]  # five phones, one network and kind
    replies = []
    for agent in agents:
        phone = app.test_client()
        replies.append(_send(phone, code, open_form(phone, code), agent=agent))
    assert [r.status_code for r in replies] == [303, 303, 303, 429, 429]
    assert count(Response) == 3 and _served(app) == 3


def test_what_the_lane_does_not_take_the_view_answers_with_the_body_intact(app, client, code) -> None:
    fields = open_form(client, code)
    missing = client.post(f"/t/{code.code}", data={**fields, "q_csat": "4"}, headers=PHONE)  # nps missing
    assert missing.status_code == 422 and 'value="4" checked' in missing.get_data(as_text=True)
    nul = client.post(f"/t/{code.code}", data={**fields, **TRADE_FAIR, "note": "hallo\x00"}, headers=PHONE)
    assert nul.status_code == 400  # a field no question reads: only the NUL check sends it to Flask
    multipart = client.post(
        f"/t/{code.code}", data={**fields, **TRADE_FAIR}, headers=PHONE, content_type="multipart/form-data"
    )
    assert multipart.status_code == 303 and count(Response) == 1
    assert _served(app) == 0


def test_an_error_in_the_lane_leaves_the_submit_to_the_view(app, client, code, monkeypatch) -> None:
    def broken(_code: str) -> None:
        raise RuntimeError("setup unreadable")

    monkeypatch.setattr(quick, "setup_of", broken)
    reply = _send(client, code, open_form(client, code))
    assert reply.status_code == 303 and "/thanks?r=" in reply.headers["Location"]
    assert count(Response) == 1 and count(Answer) == 4 and _served(app) == 0


def test_a_member_browser_goes_to_the_view(app, client, auth, make_user, code) -> None:
    auth.login(make_user())
    reply = _send(client, code, open_form(client, code))
    assert reply.status_code == 303 and count(Response) == 1 and _served(app) == 0


def test_every_limit_of_the_answer_limit_counts_in_the_lane(make_app, make_touchpoint, make_survey, make_code) -> None:
    app = make_app({"ANSWER_RATE_LIMIT": "5 per minute;2 per hour"}, SURVEY_MIN_FILL_SECONDS=0)
    with app.app_context():
        touchpoint = make_touchpoint(name="Messe")
        make_survey(touchpoint, "trade-fair", name="Messebesuch")
        code = make_code(touchpoint)
        replies = []
        for minor in range(3):
            phone = app.test_client()
            replies.append(_send(phone, code, open_form(phone, code), agent=IPHONE.replace("17_5", f"17_{minor}")))
        assert [r.status_code for r in replies] == [303, 303, 429]  # the hour's limit, not only the minute's
        assert replies[0].headers["X-RateLimit-Limit"] == "5"  # the headers of the shortest window
        assert count(Response) == 2 and _served(app) == 2


@pytest.mark.parametrize("mount", ["/", "/umfrage/"])
def test_the_thank_you_address_keeps_to_the_mount_point_as_the_view_builds_it(app, code, through_flask, mount) -> None:
    locations = []
    for agent in (IPHONE, OTHER_IPHONE):
        phone = app.test_client()
        fields = open_form(phone, code)
        reply = phone.post(
            f"/t/{code.code}",
            data={**fields, **TRADE_FAIR},
            headers={**PHONE, "User-Agent": agent},
            environ_overrides={"SCRIPT_NAME": mount},
        )
        assert reply.status_code == 303
        locations.append(reply.headers["Location"].partition("?r=")[0])
        through_flask()  # the second phone's submit takes the view
    assert _served(app) == 1
    assert locations == [f"{mount.rstrip('/')}/t/{code.code}/thanks"] * 2  # never "//t/…" (another host)
