"""/api/v1: tokens, scopes, problem+json errors, resources and the generated OpenAPI document."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from feedback.api import services
from feedback.api.models import ApiToken, Scope
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.leads.models import Contact
from feedback.offers.models import Coupon, Offer
from feedback.qr import personal
from feedback.qr import services as qr_services
from feedback.qr.models import Code
from feedback.surveys import services as survey_services
from feedback.surveys.models import Answer, Response
from feedback.touchpoints.models import Campaign
from feedback.webhooks.models import WebhookEndpoint
from tests.helpers import count, csrf_token_from


@pytest.fixture
def api(make_user, make_workspace):  # noqa: ANN201
    """A workspace with a write and a read token; returns (workspace, owner, headers by scope)."""
    owner = make_user()
    workspace = make_workspace("Rösterei", owner=owner)
    _w, write = services.create_token(workspace.id, "CRM", Scope.WRITE, owner.id, utcnow())
    _r, read = services.create_token(workspace.id, "BI", Scope.READ, owner.id, utcnow())
    db.session.commit()
    return (
        workspace,
        owner,
        {"write": {"Authorization": f"Bearer {write}"}, "read": {"Authorization": f"Bearer {read}"}},
    )


def _problem(response, status: int) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["detail"]
    return body


def test_requests_without_a_valid_token_get_401(client, api) -> None:
    """Missing, malformed, unknown and revoked tokens: 401 with WWW-Authenticate, nothing else."""
    workspace, _owner, headers = api
    for header in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer fbk_" + "x" * 43},
    ):
        response = client.get("/api/v1/campaigns", headers=header)
        _problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "BI"))
    services.revoke_token(workspace.id, token.id, utcnow())
    db.session.commit()
    _problem(client.get("/api/v1/campaigns", headers=headers["read"]), 401)


def test_tokens_are_never_taken_from_the_url_or_a_cookie(client, api) -> None:
    """A token in a query string or a cookie ends up in logs and histories: it is not accepted there."""
    _workspace, _owner, headers = api
    plain = headers["read"]["Authorization"].removeprefix("Bearer ")
    for query in ("token", "access_token", "api_key", "key", "bearer"):
        _problem(client.get(f"/api/v1/campaigns?{query}={plain}"), 401)
    client.set_cookie("token", plain)
    _problem(client.get("/api/v1/campaigns"), 401)
    assert client.get("/api/v1/campaigns", headers=headers["read"]).status_code == 200


def test_a_token_differing_in_its_last_character_is_refused(client, api) -> None:
    _workspace, _owner, headers = api
    plain = headers["read"]["Authorization"].removeprefix("Bearer ")
    other = plain[:-1] + ("A" if plain[-1] != "A" else "B")
    _problem(client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {other}"}), 401)


def test_tokens_are_stored_as_hashes_and_note_their_use(client, api) -> None:
    """The plain token is nowhere in the database; last use is recorded."""
    _workspace, _owner, headers = api
    plain = headers["write"]["Authorization"].split()[1]
    assert client.get("/api/v1/campaigns", headers=headers["write"]).status_code == 200
    db.session.expire_all()
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "CRM"))
    assert token.token_hash != plain and plain not in (token.prefix + token.token_hash)
    assert token.prefix == plain[:10] and token.last_used_at is not None


def test_campaigns_and_touchpoints_through_the_api(client, api) -> None:
    """Create, read, change and archive; unknown fields, bad values and duplicates are refused."""
    _workspace, _owner, headers = api
    write = headers["write"]
    created = client.post("/api/v1/campaigns", json={"name": "Frühjahr", "budget": "12500.00"}, headers=write)
    assert created.status_code == 201
    campaign = created.get_json()
    assert campaign["slug"] == "fruhjahr" and campaign["budget"] == "12500.00" and not campaign["archived"]
    body = _problem(client.post("/api/v1/campaigns", json={"name": "", "colour": "red"}, headers=write), 422)
    assert {tuple(e["loc"]) for e in body["errors"]} == {("name",), ("colour",)}
    _problem(client.post("/api/v1/campaigns", json={"name": "Frühjahr"}, headers=write), 409)
    _problem(
        client.post("/api/v1/campaigns", data="{not json", headers={**write, "Content-Type": "application/json"}), 422
    )
    _problem(client.post("/api/v1/campaigns", json={"name": "X"}, headers=headers["read"]), 403)
    changed = client.patch(
        f"/api/v1/campaigns/{campaign['id']}", json={"archived": True, "description": "Neu"}, headers=write
    )
    assert changed.status_code == 200 and changed.get_json()["archived"] and changed.get_json()["description"] == "Neu"
    _problem(client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"name": None}, headers=write), 422)

    url = f"/api/v1/campaigns/{campaign['id']}/touchpoints"
    touchpoint = client.post(
        url, json={"name": "Messe", "channel": "trade_fair", "phase": "awareness", "reach": 3500}, headers=write
    )
    assert touchpoint.status_code == 201 and touchpoint.get_json()["channel"] == "trade_fair"
    _problem(client.post(url, json={"name": "Y", "channel": "telepathy", "phase": "awareness"}, headers=write), 422)
    listed = client.get(url, headers=headers["read"]).get_json()["items"]
    assert [t["name"] for t in listed] == ["Messe"]
    patched = client.patch(f"/api/v1/touchpoints/{listed[0]['id']}", json={"cost": "900.00"}, headers=write)
    assert patched.get_json()["cost"] == "900.00" and patched.get_json()["reach"] == 3500


def test_codes_and_their_images(client, api, make_campaign, make_touchpoint) -> None:
    """New codes for a touchpoint; PNG and SVG of a code; absurd sizes are a clear 422."""
    workspace, _owner, headers = api
    touchpoint = make_touchpoint(make_campaign(workspace=workspace), "Plakat")
    code = client.post(
        f"/api/v1/touchpoints/{touchpoint.id}/codes", json={"label": "Variante A"}, headers=headers["write"]
    )
    assert code.status_code == 201
    body = code.get_json()
    assert body["url"].endswith("/T/" + body["code"]) and body["state"] == "active"
    png = client.get(f"/api/v1/codes/{body['id']}/qr.png?size_mm=30", headers=headers["read"])
    assert png.mimetype == "image/png" and Image.open(io.BytesIO(png.data)).size[0] > 100
    svg = client.get(f"/api/v1/codes/{body['id']}/qr.svg", headers=headers["read"])
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    _problem(client.get(f"/api/v1/codes/{body['id']}/qr.png?size_mm=banana", headers=headers["read"]), 422)


#: A valid body per writing endpoint, so the answer is about the id, not the body.
VALID_BODIES = {
    "api.update_campaign": {"name": "Neu"},
    "api.create_touchpoint": {"name": "Neu", "channel": "flyer", "phase": "awareness"},
    "api.update_touchpoint": {"name": "Neu"},
    "api.create_code": {"label": "Neu"},
    "api.create_batch": {"count": 1},
    "api.update_webhook": {"description": "x"},
    "api.redeem_coupon": {"order_value": "10.00"},
    "api.move_contact": {"stage": "sales_accepted"},
}


def test_other_workspaces_ids_are_404(app, client, api, make_campaign, make_touchpoint) -> None:
    """Every /api/v1 route with an id, replayed with another workspace's ids: 404 each time, nothing changes.

    Fails when a new route has an id this test does not know yet.
    """
    _workspace, _owner, headers = api
    foreign = make_campaign(name="Fremd")
    foreign_tp = make_touchpoint(foreign, "Fremder Stand")
    code = qr_services.create_code(foreign_tp, "Fremd")
    batch = personal.create_batch(foreign_tp, "Fremdes Mailing", ["FREMD-1"])
    survey = survey_services.create_survey(foreign.workspace_id, "Fremd", "nps-reason")
    db.session.flush()
    response = Response(
        workspace_id=foreign.workspace_id,
        touchpoint_id=foreign_tp.id,
        version_id=survey.current.id,
        token="fremd",
        visitor_key="f" * 32,
        language="de",
        started_at=utcnow(),
    )
    db.session.add(response)
    endpoint = WebhookEndpoint(
        workspace_id=foreign.workspace_id, url="https://fremd.example.com/hook", events="ping", secret="whsec_x"
    )
    db.session.add(endpoint)
    offer = Offer(workspace_id=foreign.workspace_id, campaign_id=foreign.id, name="Fremd", texts={"de": "10 %"})
    db.session.add(offer)
    db.session.flush()
    coupon = Coupon(
        workspace_id=foreign.workspace_id,
        offer_id=offer.id,
        touchpoint_id=foreign_tp.id,
        code="FREMD12345",
        issued_at=utcnow(),
    )
    contact = Contact(
        workspace_id=foreign.workspace_id,
        email="fremd@example.com",
        consent_text="ok",
        consent_language="de",
        consented_at=utcnow(),
    )
    db.session.add_all([coupon, contact])
    db.session.commit()
    ids = {
        "code": coupon.code,
        "contact_id": contact.id,
        "endpoint_id": endpoint.id,
        "campaign_id": foreign.id,
        "touchpoint_id": foreign_tp.id,
        "code_id": code.id,
        "batch_id": batch.id,
        "survey_id": survey.id,
        "response_id": response.id,
        "fmt": "png",
    }
    before = (count(Code), count(Response))
    replayed = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or not rule.arguments:
            continue
        unknown = set(rule.arguments) - ids.keys()
        assert not unknown, f"{rule.rule}: add an object for {unknown} to this test"
        path = rule.build({k: ids[k] for k in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            body = VALID_BODIES.get(rule.endpoint) if method in ("POST", "PATCH") else None
            reply = client.open(path, method=method, json=body, headers=headers["write"])
            assert reply.status_code == 404, f"{method} {path}: {reply.status_code}"
            replayed += 1
    assert replayed >= 20
    assert db.session.get(Campaign, foreign.id).archived_at is None and (count(Code), count(Response)) == before
    db.session.commit()
    assert db.session.get(Coupon, coupon.id).redeemed_at is None and db.session.get(Contact, contact.id) is not None
    assert db.session.get(Contact, contact.id).stage == "new"


def test_responses_page_with_a_signed_cursor_and_can_be_deleted(client, api, make_campaign, make_touchpoint) -> None:
    """Newest first, two at a time; a tampered cursor is 400; delete erases answers too."""
    workspace, _owner, headers = api
    touchpoint = make_touchpoint(make_campaign(workspace=workspace), "Stand")
    survey = survey_services.create_survey(workspace.id, "NPS", "nps-reason")
    db.session.flush()
    start = datetime(2026, 3, 10, 12, tzinfo=UTC)
    for i in range(5):
        response = Response(
            workspace_id=workspace.id,
            touchpoint_id=touchpoint.id,
            version_id=survey.current.id,
            token=f"api-{i}",
            visitor_key=f"{i:032d}",
            language="de",
            started_at=start + timedelta(hours=i),
            completed_at=start + timedelta(hours=i, minutes=1) if i % 2 == 0 else None,
        )
        response.answers.append(
            Answer(
                workspace_id=workspace.id,
                touchpoint_id=touchpoint.id,
                question_key="nps",
                question_type="nps",
                value_number=i + 5,
                answered_at=start,
            )
        )
        db.session.add(response)
    db.session.commit()
    seen, cursor = [], None
    while True:
        page = client.get(
            "/api/v1/responses",
            query_string={"limit": 2, **({"cursor": cursor} if cursor else {})},
            headers=headers["read"],
        ).get_json()
        seen += [r["answers"]["nps"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [9, 8, 7, 6, 5]
    done = client.get("/api/v1/responses", query_string={"completed": "true"}, headers=headers["read"]).get_json()
    assert [r["answers"]["nps"] for r in done["items"]] == [9, 7, 5]
    _problem(client.get("/api/v1/responses", query_string={"cursor": "forged"}, headers=headers["read"]), 422)
    _problem(client.get("/api/v1/responses", query_string={"limit": 100000}, headers=headers["read"]), 422)
    ancient = client.get("/api/v1/responses", query_string={"from": "0001-01-01"}, headers=headers["read"])
    assert "outside the range" in _problem(ancient, 422)["detail"]  # found by the fuzzer: it was a 500
    first = db.session.scalar(sa.select(Response.id).order_by(Response.id))
    assert client.delete(f"/api/v1/responses/{first}", headers=headers["write"]).status_code == 204
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == 4
    _problem(client.get(f"/api/v1/responses/{first}", headers=headers["read"]), 404)


def test_ratings_are_the_dashboards_numbers(client, api, make_campaign) -> None:
    """Same document as the JSON download; a reversed period is a clear 400."""
    workspace, _owner, headers = api
    campaign = make_campaign(workspace=workspace, name="Leer")
    body = client.get(f"/api/v1/campaigns/{campaign.id}/ratings", headers=headers["read"]).get_json()
    assert body["campaign"]["slug"] == campaign.slug and body["touchpoints"] == []
    reversed_ = client.get(
        f"/api/v1/campaigns/{campaign.id}/ratings?from=2026-05-01&to=2026-01-01", headers=headers["read"]
    )
    _problem(reversed_, 422)


def test_openapi_document_is_generated_and_documented(client) -> None:
    """OpenAPI 3.1 with every route, bearer security and the problem schema; a readable docs page."""
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert {"/api/v1/campaigns", "/api/v1/responses", "/api/v1/campaigns/{campaign_id}/ratings"} <= set(
        document["paths"]
    )
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "422" in document["paths"]["/api/v1/campaigns"]["post"]["responses"]
    html = client.get("/api/docs").get_data(as_text=True)
    assert "/api/v1/campaigns/{campaign_id}/touchpoints" in html


def test_owners_create_tokens_in_the_dashboard_and_see_them_once(client, auth, make_user, make_workspace) -> None:
    """The new token is shown on the page that created it, never again; editors cannot create tokens."""
    owner, editor = make_user(), make_user()
    from feedback.auth.models import Role

    workspace = make_workspace(owner=owner, members={editor: Role.EDITOR})
    auth.login(owner)
    page = client.get(f"/w/{workspace.slug}/api-tokens/")
    created = client.post(
        f"/w/{workspace.slug}/api-tokens/",
        data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "name": "CRM", "scope": "write"},
    )
    html = created.get_data(as_text=True)
    assert created.status_code == 200, html[:3000]
    assert created.headers["Cache-Control"] == "no-store"
    plain = html.split('readonly value="')[1].split('"')[0]
    assert (
        plain.startswith("fbk_")
        and client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    )
    assert plain not in client.get(f"/w/{workspace.slug}/api-tokens/").get_data(as_text=True)
    auth.logout()
    auth.login(editor)
    page = client.get(f"/w/{workspace.slug}/api-tokens/")
    refused = client.post(
        f"/w/{workspace.slug}/api-tokens/",
        data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "name": "Mine"},
    )
    assert refused.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1


def test_token_command_prints_a_working_token(runner, client, make_workspace) -> None:
    """feedback token create --workspace SLUG --scope read."""
    workspace = make_workspace("Skripte")
    result = runner.invoke(args=["token", "create", "--workspace", workspace.slug, "--scope", "read"])
    assert result.exit_code == 0, result.output
    plain = result.output.strip().splitlines()[0]
    assert client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    assert runner.invoke(args=["token", "create", "--workspace", "nope"]).exit_code == 2


def test_surveys_and_referral_numbers(client, api, make_campaign, make_touchpoint) -> None:
    """Surveys with their questions; referral numbers with nulls where nothing happened yet."""
    workspace, _owner, headers = api
    survey = survey_services.create_survey(workspace.id, "Messe", "trade-fair")
    db.session.commit()
    body = client.get(f"/api/v1/surveys/{survey.id}", headers=headers["read"]).get_json()
    assert body["version"] == 1 and [q["key"] for q in body["questions"]] == ["nps", "csat", "ces", "follow_up"]
    assert len(client.get("/api/v1/surveys", headers=headers["read"]).get_json()["items"]) == 1
    campaign = make_campaign(workspace=workspace)
    make_touchpoint(campaign, "Stand")
    numbers = client.get(f"/api/v1/campaigns/{campaign.id}/referrals", headers=headers["read"]).get_json()
    assert numbers["total"]["invites"] == 0 and numbers["total"]["k_factor"] is None
    assert len(numbers["touchpoints"]) == 1


def test_nul_characters_are_refused_everywhere(client, api, auth) -> None:
    """PostgreSQL cannot store NUL: the API answers 422, forms 400, and nothing is written (found by the fuzzer)."""
    workspace, owner, headers = api
    body = _problem(client.post("/api/v1/campaigns", json={"name": "X\u0000Y"}, headers=headers["write"]), 422)
    assert "control characters" in body["detail"]
    auth.login(owner)
    page = client.get(f"/w/{workspace.slug}/campaigns/new")
    form = client.post(
        f"/w/{workspace.slug}/campaigns/new",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "name": "Früh\u0000jahr",
            "invite_policy": "everyone",
        },
    )
    assert form.status_code == 400 and "control characters" in form.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


def test_ids_beyond_the_database_range_are_404(client, api, auth) -> None:
    """A 12-digit id is no id: 404 on the API and the dashboard, not a database error (found by the fuzzer)."""
    workspace, owner, headers = api
    _problem(client.get("/api/v1/campaigns/99999999999", headers=headers["read"]), 404)
    _problem(
        client.get("/api/v1/responses", query_string={"touchpoint_id": 8960114772958211}, headers=headers["read"]), 422
    )
    auth.login(owner)
    assert client.get(f"/w/{workspace.slug}/campaigns/99999999999").status_code == 404


def test_personalised_codes_for_a_mailing_through_the_api(client, api, make_campaign, make_touchpoint) -> None:
    """A batch from references or a count, paged codes by batch, the mail-merge CSV, refusals that change nothing."""
    workspace, _owner, headers = api
    touchpoint = make_touchpoint(make_campaign(workspace=workspace), "Mailing")
    path = f"/api/v1/touchpoints/{touchpoint.id}/code-batches"
    created = client.post(path, json={"name": "März", "references": ["K-1", "K-2", "K-3"]}, headers=headers["write"])
    assert created.status_code == 201, created.get_data(as_text=True)
    batch = created.get_json()
    assert (batch["name"], batch["size"]) == ("März", 3) and batch["mailmerge_csv"].endswith("/mailmerge.csv")
    numbered = client.post(path, json={"count": 2}, headers=headers["write"]).get_json()
    assert numbered["size"] == 2
    codes_path = f"/api/v1/touchpoints/{touchpoint.id}/codes"
    seen, cursor = [], None
    while True:
        query = {"batch_id": batch["id"], "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(codes_path, query_string=query, headers=headers["read"]).get_json()
        seen += [(c["reference"], c["batch_id"]) for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [("K-1", batch["id"]), ("K-2", batch["id"]), ("K-3", batch["id"])]
    shared = client.get(codes_path, query_string={"personal": "false"}, headers=headers["read"]).get_json()
    assert [c["label"] for c in shared["items"]] == ["Invited friends"]
    mailmerge = client.get(f"/api/v1/code-batches/{batch['id']}/mailmerge.csv", headers=headers["read"])
    assert mailmerge.mimetype == "text/csv" and mailmerge.get_data(as_text=True).count("\r\n") == 4
    listed = client.get(path, headers=headers["read"]).get_json()
    assert [b["size"] for b in listed["items"]] == [2, 3]
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Code))
    _problem(client.post(path, json={"references": ["K-1"]}, headers=headers["write"]), 422)  # already used
    _problem(client.post(path, json={"references": ["A"], "count": 1}, headers=headers["write"]), 422)
    _problem(client.post(path, json={}, headers=headers["write"]), 422)
    _problem(client.post(path, json={"references": ["x"] * 10_001}, headers=headers["write"]), 422)
    _problem(client.post(path, json={"count": 2}, headers=headers["read"]), 403)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Code)) == before


def test_responses_carry_the_reference_of_a_personal_code(client, api, make_campaign, make_touchpoint) -> None:
    workspace, _owner, headers = api
    touchpoint = make_touchpoint(make_campaign(workspace=workspace), "Mailing")
    survey = survey_services.create_survey(workspace.id, "NPS", "nps-reason")
    client.post(
        f"/api/v1/touchpoints/{touchpoint.id}/code-batches", json={"references": ["K-9"]}, headers=headers["write"]
    )
    code = db.session.scalar(sa.select(Code).where(Code.reference == "K-9"))
    for i, code_id in enumerate((code.id, None)):
        db.session.add(
            Response(
                workspace_id=workspace.id,
                touchpoint_id=touchpoint.id,
                code_id=code_id,
                version_id=survey.current.id,
                token=f"ref-{i}",
                visitor_key=f"{i:032d}",
                language="de",
                started_at=utcnow(),
            )
        )
    db.session.commit()
    items = client.get("/api/v1/responses", headers=headers["read"]).get_json()["items"]
    assert sorted((r["code"], r["reference"]) for r in items if r["code"]) == [(code.code, "K-9")]
    only = client.get("/api/v1/responses", query_string={"reference": "K-9"}, headers=headers["read"]).get_json()
    assert [r["reference"] for r in only["items"]] == ["K-9"]
    codes_cursor = client.get(
        f"/api/v1/touchpoints/{touchpoint.id}/codes", query_string={"limit": 1}, headers=headers["read"]
    ).get_json()["next_cursor"]
    _problem(client.get("/api/v1/responses", query_string={"cursor": codes_cursor}, headers=headers["read"]), 422)


def test_surveys_from_templates_and_webhooks_through_the_api(client, api, make_campaign, make_workspace) -> None:
    """A survey attached by id (another workspace's is 404); webhooks refuse private targets and need write."""
    workspace, _owner, headers = api
    campaign = make_campaign(workspace=workspace)
    survey = client.post("/api/v1/surveys", json={"name": "NPS", "template": "nps-reason"}, headers=headers["write"])
    assert survey.status_code == 201 and [q["key"] for q in survey.get_json()["questions"]] == ["nps", "reason"]
    _problem(
        client.post("/api/v1/surveys", json={"name": "NPS", "template": "nps-reason"}, headers=headers["write"]), 409
    )
    _problem(client.post("/api/v1/surveys", json={"name": "X", "template": "nope"}, headers=headers["write"]), 422)
    foreign = survey_services.create_survey(make_workspace().id, "Fremd", "loyalty")
    db.session.commit()
    path = f"/api/v1/campaigns/{campaign.id}/touchpoints"
    body = {"name": "Stand", "channel": "trade_fair", "phase": "awareness"}
    _problem(client.post(path, json={**body, "survey_id": foreign.id}, headers=headers["write"]), 404)
    created = client.post(path, json={**body, "survey_id": survey.get_json()["id"]}, headers=headers["write"])
    assert created.status_code == 201 and created.get_json()["survey_id"] == survey.get_json()["id"]
    detached = client.patch(
        f"/api/v1/touchpoints/{created.get_json()['id']}", json={"survey_id": None}, headers=headers["write"]
    )
    assert detached.get_json()["survey_id"] is None

    hooks = "/api/v1/webhooks"
    for url in ("http://127.0.0.1:9/x", "http://169.254.169.254/", "ftp://crm.example.com/"):
        _problem(client.post(hooks, json={"url": url, "events": ["response.completed"]}, headers=headers["write"]), 422)
    _problem(client.post(hooks, json={"url": "https://crm.example.com/h", "events": []}, headers=headers["write"]), 422)
    _problem(
        client.post(hooks, json={"url": "https://crm.example.com/h", "events": ["ping"]}, headers=headers["write"]), 422
    )
    _problem(
        client.post(
            hooks, json={"url": "https://crm.example.com/h", "events": ["code.scanned"]}, headers=headers["read"]
        ),
        403,
    )
    made = client.post(
        hooks, json={"url": "https://crm.example.com/h", "events": ["code.scanned"]}, headers=headers["write"]
    ).get_json()
    assert made["secret"].startswith("whsec_") and made["events"] == ["code.scanned"]
    listed = client.get(hooks, headers=headers["read"]).get_json()["items"]
    assert [h["url"] for h in listed] == ["https://crm.example.com/h"] and "secret" not in listed[0]
    paused = client.patch(f"{hooks}/{made['id']}", json={"paused": True}, headers=headers["write"]).get_json()
    assert paused["paused"] is True
    assert client.delete(f"{hooks}/{made['id']}", headers=headers["write"]).status_code == 204
    assert client.get(hooks, headers=headers["read"]).get_json()["items"] == []


def test_codes_are_relabelled_paused_and_expired_through_the_api(client, api, make_campaign, make_touchpoint) -> None:
    workspace, _owner, headers = api
    touchpoint = make_touchpoint(make_campaign(workspace=workspace), "Plakat")
    first = client.post(f"/api/v1/touchpoints/{touchpoint.id}/codes", json={"label": "A"}, headers=headers["write"])
    second = client.post(f"/api/v1/touchpoints/{touchpoint.id}/codes", json={"label": "B"}, headers=headers["write"])
    path = f"/api/v1/codes/{second.get_json()['id']}"
    _problem(client.patch(path, json={"label": "a"}, headers=headers["write"]), 409)
    paused = client.patch(path, json={"paused": True, "label": "B2"}, headers=headers["write"]).get_json()
    assert (paused["state"], paused["label"]) == ("paused", "B2")
    expired = client.patch(
        path, json={"paused": False, "expires_on": "2020-01-31"}, headers=headers["write"]
    ).get_json()
    assert expired["state"] == "expired" and expired["expires_at"].startswith("2020-01-31T23:00:00")  # Berlin midnight
    assert client.get(f"/t/{second.get_json()['code']}").status_code == 410
    again = client.patch(path, json={"expires_on": None}, headers=headers["write"]).get_json()
    assert again["state"] == "active" and again["expires_at"] is None
    _problem(client.patch(path, json={"paused": True}, headers=headers["read"]), 403)
    assert first.get_json()["label"] == "A"


def test_expired_tokens_get_401(client, api, runner) -> None:
    workspace, _owner, _headers = api
    printed = runner.invoke(args=["token", "create", "--workspace", workspace.slug, "--days", "30"])
    token = printed.output.split()[0]
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.prefix == token[:10]))
    assert 29 <= (row.expires_at - utcnow()).days <= 30
    assert client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    _problem(client.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"}), 401)
