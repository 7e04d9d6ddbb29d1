"""An integration that uses only the API (and the public scan links) from start to finish.

An operator prints a write token; the integration registers a webhook on its own receiver, creates a campaign, a
survey from a template and a postal-mail touchpoint, 100 personalised codes for its CRM records, fetches the mail
merge; recipients scan and answer; the integration receives signed webhooks carrying the CRM references, reads the
ratings and finds each answer by reference.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time

import pytest

from feedback.webhooks import delivery
from tests.phone import PHONE
from tests.webhooks.receiver import start_receiver

#: What 30 recipients answer on the loyalty survey's NPS question: 12 promoters, 10 passives, 8 detractors.
NPS_ANSWERS = [10, 9] * 6 + [8, 7] * 5 + [6, 3, 0, 5] * 2


@pytest.fixture
def app(make_app):  # noqa: ANN001, ANN201
    application = make_app(WEBHOOKS_ALLOW_PRIVATE=True, SURVEY_MIN_FILL_SECONDS=0)
    with application.app_context():
        yield application
    delivery.stop_dispatchers()


def _scan_and_answer(visitor, url: str, nps: int | None) -> None:  # noqa: ANN001
    """Open a printed link once like a phone; answer the one-page survey unless nps is None."""
    page = visitor.get(url, headers=PHONE)
    assert page.status_code == 200
    if nps is None:
        return
    html = page.get_data(as_text=True)
    fields = dict(re.findall(r'name="(state|page|csrf_token)" value="([^"]*)"', html))
    action = re.search(r'<form method="post" action="(/t/[A-Z0-9]+)"', html).group(1)
    sent = visitor.post(action, data={**fields, "q_nps": str(nps), "q_csat": "4", "q_repurchase": "5"}, headers=PHONE)
    assert sent.status_code == 303, sent.get_data(as_text=True)[:300]


def test_an_integration_runs_a_personalised_mailing_through_the_api(app, client, runner, make_workspace) -> None:
    workspace = make_workspace("Nordlicht Kaffee")
    printed = runner.invoke(
        args=["token", "create", "--workspace", workspace.slug, "--scope", "write", "--name", "CRM"]
    )
    assert printed.exit_code == 0, printed.output
    token = re.search(r"fbk_[A-Za-z0-9_-]+", printed.output).group(0)
    auth = {"Authorization": f"Bearer {token}"}
    receiver, server = start_receiver()
    try:
        api = _walk(app, client, auth, receiver)
    finally:
        server.shutdown()
        server.server_close()
    assert api["checked"] == 30


def _walk(app, client, auth: dict[str, str], receiver) -> dict[str, int]:  # noqa: ANN001, PLR0915
    def call(method: str, path: str, status: int, **kwargs) -> object:  # noqa: ANN003
        reply = client.open(f"/api/v1{path}", method=method, headers=auth, **kwargs)
        assert reply.status_code == status, f"{method} {path}: {reply.status_code} {reply.get_data(as_text=True)}"
        return reply.get_json() if reply.mimetype == "application/json" else reply.get_data(as_text=True)

    hook = call("POST", "/webhooks", 201, json={"url": receiver.url, "events": ["response.completed"]})
    assert hook["secret"].startswith("whsec_") and hook["events"] == ["response.completed"]
    campaign = call("POST", "/campaigns", 201, json={"name": "Kundenmailing Frühjahr", "budget": "4200.00"})
    survey = call("POST", "/surveys", 201, json={"name": "Kundenbindung", "template": "loyalty"})
    assert [q["key"] for q in survey["questions"]] == ["nps", "csat", "repurchase"]
    touchpoint = call(
        "POST",
        f"/campaigns/{campaign['id']}/touchpoints",
        201,
        json={
            "name": "Brief März",
            "channel": "postal_mail",
            "phase": "retention",
            "cost": "4200.00",
            "reach": 100,
            "survey_id": survey["id"],
        },
    )
    assert touchpoint["survey_id"] == survey["id"]

    references = [f"CRM-{n:04d}" for n in range(1, 101)]
    batch = call(
        "POST", f"/touchpoints/{touchpoint['id']}/code-batches", 201, json={"name": "März", "references": references}
    )
    assert batch["size"] == 100
    codes, cursor = [], None
    while True:
        page = call(
            "GET",
            f"/touchpoints/{touchpoint['id']}/codes",
            200,
            query_string={"batch_id": batch["id"], "limit": 40, **({"cursor": cursor} if cursor else {})},
        )
        codes += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [c["reference"] for c in codes] == references and len({c["code"] for c in codes}) == 100
    merge = list(
        csv.DictReader(io.StringIO(call("GET", f"/code-batches/{batch['id']}/mailmerge.csv", 200).lstrip("\ufeff")))
    )
    assert {r["reference"]: r["url"] for r in merge} == {c["reference"]: c["url"] for c in codes}

    # 30 recipients scan their letter and answer; 10 more only scan; the other 60 do nothing
    answered = {}
    for row, nps in zip(merge[:30], NPS_ANSWERS, strict=True):
        _scan_and_answer(app.test_client(), row["url"].replace("HTTPS://FB.EXAMPLE", ""), nps)
        answered[row["reference"]] = nps
    for row in merge[30:40]:
        _scan_and_answer(app.test_client(), row["url"].replace("HTTPS://FB.EXAMPLE", ""), None)

    # the integration's receiver gets one signed event per answer, with the CRM reference
    delivery.start_dispatcher(app)
    requests = receiver.wait_for(30, timeout=30)
    checked = 0
    for request in requests:
        assert delivery.verify(hook["secret"], request.headers["Feedback-Signature"], request.body, now=time.time())
        event = json.loads(request.body)
        assert event["type"] == "response.completed"
        response = event["data"]["response"]
        assert answered[response["reference"]] == response["answers"]["nps"]
        assert response["touchpoint_id"] == touchpoint["id"] and response["campaign_id"] == campaign["id"]
        checked += 1
    assert len({json.loads(r.body)["id"] for r in requests}) == 30

    # the ratings: the dashboard's numbers, with intervals
    ratings = call("GET", f"/campaigns/{campaign['id']}/ratings", 200)
    (row,) = ratings["touchpoints"]
    assert (row["touchpoint_id"], row["scans"], row["completions"], row["nps_n"]) == (touchpoint["id"], 40, 30, 30)
    promoters = sum(v >= 9 for v in answered.values())
    detractors = sum(v <= 6 for v in answered.values())
    assert row["nps"] == pytest.approx(100 * (promoters - detractors) / 30)
    assert row["nps_low"] < row["nps"] < row["nps_high"]

    # and each answer is found by its CRM reference
    found = call("GET", "/responses", 200, query_string={"reference": "CRM-0007"})
    assert [(r["reference"], r["answers"]["nps"]) for r in found["items"]] == [("CRM-0007", answered["CRM-0007"])]
    deadline = time.monotonic() + 120  # the receiver answers before the dispatcher records the answer
    while True:
        states = [d["status"] for d in call("GET", f"/webhooks/{hook['id']}/deliveries", 200)["items"]]
        if set(states) == {"delivered"} or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert states == ["delivered"] * 30
    return {"checked": checked}
