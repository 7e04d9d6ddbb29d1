"""Every anonymous write of the phone's pages (typing a code at /t, invite links, page submits and answer saves) is
rate-limited per anonymised network + device signature: a new cookie or a private tab does not reset it, another
network or another kind of device is not affected, and a refusal says so in the visitor's language."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from feedback.qr.models import UnknownCodeHit
from feedback.qr.visitors import signature
from feedback.surveys.models import Response
from tests.helpers import count
from tests.phone import IPHONE, PHONE, form_fields

ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Mobile "
    "Safari/537.36"
)
HOME, NEIGHBOUR, ELSEWHERE = "198.51.100.20", "198.51.100.21", "203.0.113.9"
SECRET = "test-secret-key-that-is-long-enough-for-tests"


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """Small limits, so the tests reach them quickly; no minimum fill time."""
    limits = {"TYPED_CODE_RATE_LIMIT": "5 per minute", "INVITE_RATE_LIMIT": "4 per minute"}
    application = make_app({**limits, "ANSWER_RATE_LIMIT": "6 per minute"}, SURVEY_MIN_FILL_SECONDS=0)
    with application.app_context():
        yield application


def _get(client, path: str, ip: str = HOME, ua: str = IPHONE, cookie: str | None = None):  # noqa: ANN001,ANN201
    """GET as a German phone from `ip`, with a visitor cookie of the client's choosing."""
    if cookie is not None:
        client.set_cookie("fb_vid", cookie)
    return client.get(path, headers={**PHONE, "User-Agent": ua}, environ_base={"REMOTE_ADDR": ip})


def _refused_in_german(reply) -> bool:  # noqa: ANN001
    return (
        reply.status_code == 429
        and "Zu viele Versuche. Bitte warten Sie einen Moment" in reply.get_data(as_text=True)
        and int(reply.headers["Retry-After"]) >= 1
    )


def test_the_signature_keeps_no_address_and_groups_a_network_and_a_kind_of_device() -> None:
    home = signature(HOME, IPHONE, SECRET)
    assert HOME not in home and "198.51.100" not in home and "iPhone" not in home and len(home) == 32
    assert signature(NEIGHBOUR, IPHONE.replace("17_5", "17_4"), SECRET) == home  # same /24, same kind of phone
    assert signature(ELSEWHERE, IPHONE, SECRET) != home
    assert signature(HOME, ANDROID, SECRET) != home


def test_typed_codes_are_limited_per_signature_and_refused_attempts_store_nothing(client, make_code) -> None:
    code = make_code()
    replies = [_get(client, f"/t?code=wrong{n}") for n in range(7)]
    assert [r.status_code for r in replies] == [200] * 5 + [429, 429]
    assert _refused_in_german(replies[-1])
    assert count(UnknownCodeHit) == 5
    assert _get(client, f"/t?code={code.code}").status_code == 429  # a valid code typed counts the same
    assert _get(client, "/t").status_code == 200  # the empty form writes nothing and is never refused


def test_a_new_cookie_or_a_private_tab_does_not_reset_the_limit(app, client) -> None:
    for n in range(5):
        assert _get(client, f"/t?code=wrong{n}", cookie=f"{n:032x}").status_code == 200
    assert _get(client, "/t?code=again", cookie="f" * 32).status_code == 429
    private_tab = app.test_client()
    assert _get(private_tab, "/t?code=again").status_code == 429


def test_another_network_or_another_kind_of_phone_gets_through(app, client) -> None:
    for n in range(6):
        _get(client, f"/t?code=wrong{n}")
    assert _get(client, "/t?code=again").status_code == 429
    assert _get(app.test_client(), "/t?code=again", ip=ELSEWHERE).status_code == 200
    assert _get(app.test_client(), "/t?code=again", ua=ANDROID).status_code == 200


def test_invite_links_are_limited_per_signature_not_per_cookie(app, client) -> None:
    statuses = [_get(client, f"/i/ZZZZZZZZ{n:04d}", cookie=f"{n:032x}").status_code for n in range(6)]
    assert statuses == [404] * 4 + [429, 429]
    assert _refused_in_german(_get(app.test_client(), "/i/ZZZZZZZZ9999", ip=NEIGHBOUR))
    assert _get(app.test_client(), "/i/ZZZZZZZZ9999", ip=ELSEWHERE).status_code == 404


def test_answer_saves_and_page_submits_share_one_limit_per_signature(app, client, make_code) -> None:
    code = make_code()
    fields = form_fields(_get(client, f"/t/{code.code}").get_data(as_text=True))
    saves = [
        client.post(
            f"/t/{code.code}/answer",
            data={"state": fields["state"], "key": "nps", "value": "9"},
            headers=PHONE,
            environ_base={"REMOTE_ADDR": HOME},
        ).status_code
        for _ in range(6)
    ]
    assert saves == [200] * 6
    other_phone = app.test_client()
    other_phone.set_cookie("fb_vid", "a" * 32)
    other_fields = form_fields(_get(other_phone, f"/t/{code.code}").get_data(as_text=True))
    submitted = other_phone.post(
        f"/t/{code.code}",
        data={**other_fields, "q_nps": "10", "q_csat": "5", "q_repurchase": "5"},
        headers=PHONE,
        environ_base={"REMOTE_ADDR": NEIGHBOUR},
    )
    assert _refused_in_german(submitted)
    assert count(Response) == 1  # the saves' response; the refused submit stored nothing
    elsewhere = app.test_client()
    far_fields = form_fields(_get(elsewhere, f"/t/{code.code}", ip=ELSEWHERE).get_data(as_text=True))
    done = elsewhere.post(
        f"/t/{code.code}",
        data={**far_fields, "q_nps": "10", "q_csat": "5", "q_repurchase": "5"},
        headers=PHONE,
        environ_base={"REMOTE_ADDR": ELSEWHERE},
    )
    assert done.status_code == 303 and count(Response) == 2
