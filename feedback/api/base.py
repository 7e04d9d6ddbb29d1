"""/api/v1: the blueprint, the OpenAPI document, authentication and the helpers every resource module uses;
the routes live in one module per resource (campaigns, codes, responses, surveys, webhooks, coupons)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData
from werkzeug.exceptions import BadRequest

from feedback import schemas
from feedback.api.models import ApiToken, Scope
from feedback.api.services import authenticate
from feedback.auth.models import Workspace
from feedback.db_types import utcnow
from feedback.errors import problem
from feedback.extensions import csrf, db
from feedback.replica import route_reads

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

ERRORS = {"HTTP_401": schemas.Problem, "HTTP_404": schemas.Problem, "HTTP_422": schemas.Problem}
WRITE_ERRORS = {**ERRORS, "HTTP_403": schemas.Problem, "HTTP_409": schemas.Problem, "HTTP_415": schemas.Problem}


def _validation_problem(_req: Any, resp: Any, error: Exception | None, _instance: Any, _adapter: Any) -> None:
    """Turn spectree's 422 list of field errors into problem+json (in place: spectree then aborts with it)."""
    if error is None or resp is None:
        return
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in json.loads(resp.get_data() or b"[]")
    ]
    body = problem(422, "The request does not match the API's schema; see errors.", errors=errors).get_data()
    resp.set_data(body)
    resp.mimetype = "application/problem+json"


#: The OpenAPI 3.1 document is generated from the validated routes of the resource modules (`/api/openapi.json`).
spec = SpecTree(
    "flask",
    title="feedback API",
    version="1.0",
    description="Campaigns, touchpoints, codes, responses and ratings of one workspace. Authenticate with "
    "`Authorization: Bearer fbk_…` (create tokens in the dashboard under Members → API tokens, or with "
    "`feedback token create`). Errors are `application/problem+json`.",
    # spectree leaves routes under its own path out of the document, so its copy lives apart; /api/openapi.json
    # (api_docs.openapi) is the published address.
    path="api-spec",
    filename="openapi.json",
    page_templates={},
    mode="strict",
    annotations=True,
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer", description="An API token: fbk_…"),
        )
    ],
    security={"bearer": []},
    before=_validation_problem,
    # plain class names (unique in feedback.schemas) read better in clients than spectree's hashed ones
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
)


def published_spec() -> dict[str, Any]:
    """The OpenAPI document as published: error responses are documented as application/problem+json."""
    import copy

    document = copy.deepcopy(spec.spec)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status.isdigit() and int(status) >= 400 and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    return document


@bp.before_request
def _authenticate() -> Response | None:
    """Every API request needs an active token; writes need a write token."""
    writing = request.method not in ("GET", "HEAD", "OPTIONS")
    token = authenticate(request.headers.get("Authorization"), utcnow(), writing)
    if token is None:
        response = problem(401, "Send an active API token: Authorization: Bearer fbk_…")
        response.headers["WWW-Authenticate"] = 'Bearer realm="feedback"'
        return response
    needed = Scope.WRITE if writing else Scope.READ
    if not token.allows(needed):
        return problem(403, "This token may only read; create a write token to change data.")
    g.api_token = token
    g.workspace = db.session.get(Workspace, token.workspace_id)
    return None


@bp.before_request
def _json_body() -> Response | None:
    """Writes send JSON: a form-encoded or other body gets 415, unreadable or absurdly nested JSON 422 like any
    other body that does not match the schema (the parse is cached for the route's validation)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    if not request.is_json:
        if request.mimetype or request.content_length:
            return problem(415, "Send the body as JSON with Content-Type: application/json.")
        return None
    try:
        request.get_json(silent=False)
    except RecursionError:
        return problem(422, "The JSON body is nested too deeply.")
    except BadRequest:
        return problem(422, "The body is not valid JSON.")
    return None


def json_response(model: Any, status: int = 200) -> Response:
    return Response(model.model_dump_json(by_alias=True), status=status, mimetype="application/json")


def workspace_id() -> int:
    """The workspace of the request's API token."""
    token: ApiToken = g.api_token
    return token.workspace_id


def cursor_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api-response-cursor")


def read_cursor(raw: str, kind: str) -> int | None:
    """The id a cursor of this kind carries; None when it was not given out by us (or for another list)."""
    try:
        value = cursor_serializer().loads(raw)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and value[0] == kind and isinstance(value[1], int)):
        return None
    return value[1]


route_reads(bp)  # after authentication: the read endpoints may read from the replica
