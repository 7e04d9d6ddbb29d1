"""Bad input at the edge answers 4xx with a message and changes nothing; never a 500 (hardening, item 6).

Each case here gave a 500 once: form-encoded and absurdly nested API writes, a last day of 9999-12-31 (one day more
does not exist), a "²" where an id belongs (Python's str.isdigit says yes, int() says no), ids and page numbers
beyond 64 bits. And an error page that no Flask hook finished still carries the security headers.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import request

from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr import personal
from feedback.qr.models import Code
from feedback.touchpoints.models import Campaign, Touchpoint
from feedback.webhooks import services as webhook_services
from tests.helpers import count, csrf_token_from

HUGE = str(10**30)
ODD_IDS = ["²", "٣", HUGE, str(2**31), "-1", "0", "1e3", " 7", "0x10", ""]


@pytest.fixture
def shop(make_user, make_workspace, make_campaign, make_touchpoint, make_survey, make_code, make_response, auth):  # noqa: ANN201
    owner = make_user(locale="de")
    workspace = make_workspace("Rösterei", owner=owner)
    campaign = make_campaign(workspace=workspace, name="Frühjahr")
    touchpoint = make_touchpoint(campaign=campaign, name="Plakat")
    survey = make_survey(touchpoint, "loyalty")
    code = make_code(touchpoint)
    make_response(touchpoint)
    batch = personal.create_batch(touchpoint, "Mailing", ["K-1", "K-2"])
    endpoint = webhook_services.create_endpoint(workspace.id, "https://crm.example.com/h", ["lead.qualified"], "", None)
    _token, plain = api_services.create_token(workspace.id, "CRM", Scope.WRITE, owner.id, utcnow())
    db.session.commit()
    auth.login(owner)
    ids = {"campaign": campaign.id, "touchpoint": touchpoint.id, "survey": survey.id, "code": code.id,
           "batch": batch.id, "endpoint": endpoint.id}  # fmt: skip
    return workspace, ids, {"Authorization": f"Bearer {plain}"}


def _problem(response, status: int) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json" and response.headers["Content-Security-Policy"]
    return response.get_json()


def test_api_writes_must_be_json_of_sane_depth(client, shop) -> None:
    _workspace, ids, token = shop
    campaigns = count(Campaign)
    body = _problem(client.post("/api/v1/campaigns", data={"name": "Formular"}, headers=token), 415)
    assert "application/json" in body["detail"]
    _problem(client.patch(f"/api/v1/codes/{ids['code']}", data="label=x", headers={**token,
             "Content-Type": "application/x-www-form-urlencoded"}), 415)  # fmt: skip
    _problem(client.post("/api/v1/campaigns", data="name: x", headers={**token, "Content-Type": "text/plain"}), 415)
    for deep in ("[" * 100_000 + "]" * 100_000, '{"name":' + "[" * 5000 + "]" * 5000 + "}"):
        body = _problem(client.post("/api/v1/campaigns", data=deep, headers={**token,
                        "Content-Type": "application/json"}), 422)  # fmt: skip
        assert "nested too deeply" in body["detail"]
    assert count(Campaign) == campaigns


def test_days_beyond_the_calendar_are_refused_in_the_api_and_the_dashboard(client, shop) -> None:
    workspace, ids, token = shop
    for day in ("9999-12-31", "2100-01-01", "1899-12-31"):
        body = _problem(client.patch(f"/api/v1/codes/{ids['code']}", json={"expires_on": day}, headers=token), 422)
        assert body["errors"][0]["loc"] == ["expires_on"]
        _problem(client.post("/api/v1/campaigns", json={"name": f"C {day}", "ends_on": day}, headers=token), 422)
        _problem(client.patch(f"/api/v1/campaigns/{ids['campaign']}", json={"starts_on": day}, headers=token), 422)
    assert (
        client.patch(f"/api/v1/codes/{ids['code']}", json={"expires_on": "2099-12-31"}, headers=token).status_code
        == 200
    )

    page = client.get(f"/w/{workspace.slug}/codes/{ids['code']}").get_data(as_text=True)
    expiry = {"csrf_token": csrf_token_from(page), "expires_on": "9999-12-31"}
    saved = client.post(f"/w/{workspace.slug}/codes/{ids['code']}/expiry", data=expiry, follow_redirects=True)
    assert saved.status_code == 200 and "Bitte ein Datum zwischen 2000 und 2099 eingeben." in saved.get_data(
        as_text=True
    )
    db.session.expire_all()
    expires = db.session.get(Code, ids["code"]).expires_at  # the end of 2099-12-31 in Berlin, as set above
    assert (expires.year, expires.month, expires.day) == (2099, 12, 31)

    edit = client.get(f"/w/{workspace.slug}/campaigns/{ids['campaign']}/edit").get_data(as_text=True)
    refused = client.post(f"/w/{workspace.slug}/campaigns/{ids['campaign']}/edit",
                          data={"csrf_token": csrf_token_from(edit), "name": "Frühjahr", "ends_on": "9999-12-31",
                                "invite_policy": "everyone"})  # fmt: skip
    assert refused.status_code in (200, 422) and "zwischen 2000 und 2099" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(Campaign.ends_on).where(Campaign.id == ids["campaign"])) is None


@pytest.mark.parametrize("odd", ODD_IDS)
def test_odd_ids_in_forms_are_refused_politely(client, shop, odd: str) -> None:
    workspace, ids, _token = shop
    page = client.get(f"/w/{workspace.slug}/touchpoints/{ids['touchpoint']}").get_data(as_text=True)
    csrf = csrf_token_from(page)
    chosen = client.post(f"/w/{workspace.slug}/touchpoints/{ids['touchpoint']}/survey",
                         data={"csrf_token": csrf, "survey_id": odd}, follow_redirects=True)  # fmt: skip
    assert chosen.status_code == 200
    text = chosen.get_data(as_text=True)
    if odd:
        assert "Bitte wählen Sie eine der angezeigten Umfragen." in text
        assert (
            db.session.scalar(sa.select(Touchpoint.survey_id).where(Touchpoint.id == ids["touchpoint"]))
            == ids["survey"]
        )
    deleted = client.post(
        f"/w/{workspace.slug}/responses/1/delete", data={"csrf_token": csrf, "survey_id": odd, "confirm": "1"}
    )
    assert deleted.status_code in (302, 303)


@pytest.mark.parametrize("odd", [HUGE, str(2**63), "²", "abc", "-5", "0", "9" * 200])
def test_odd_page_numbers_and_cursors_show_the_page(client, shop, odd: str) -> None:
    workspace, ids, _token = shop
    base = f"/w/{workspace.slug}"
    for path in (
        f"{base}/surveys/{ids['survey']}/responses?before={odd}",
        f"{base}/webhooks/{ids['endpoint']}?before={odd}",
        f"{base}/campaigns/{ids['campaign']}/ratings/{ids['touchpoint']}?page={odd}",
        f"{base}/batches/{ids['batch']}?page={odd}",
        f"{base}/surveys/{ids['survey']}/preview/frame?page={odd}",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"


def test_an_error_page_no_hook_finished_carries_the_security_headers(make_app) -> None:
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer like production: an error page, not the test's exception

    @app.route("/broken-hook")
    def broken_hook() -> str:
        return "fine"

    @app.after_request
    def fail(response):  # noqa: ANN001,ANN202 - registered last, so it runs before every other hook
        if request.path == "/broken-hook":
            raise RuntimeError("a hook failed")
        return response

    answer = app.test_client().get("/broken-hook")
    assert answer.status_code == 500
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
        assert answer.headers.get(header), header
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


@pytest.mark.parametrize("moment", ["9999-12-31T23:30", "0001-01-01T00:30"])
def test_event_times_beyond_the_calendar_are_refused(client, shop, moment: str) -> None:
    workspace, ids, _token = shop
    path = f"/w/{workspace.slug}/touchpoints/{ids['touchpoint']}/landing"
    page = client.get(path).get_data(as_text=True)
    refused = client.post(path, data={"csrf_token": csrf_token_from(page), "event_starts_at": moment})
    assert refused.status_code in (200, 422) and "zwischen 2000 und 2099" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(Touchpoint.event_starts_at).where(Touchpoint.id == ids["touchpoint"])) is None
