"""Webhook endpoints and their deliveries."""

from __future__ import annotations

from typing import Any

from flask import Response, g
from spectree import Response as Resp

from feedback import schemas
from feedback.api.base import ERRORS, WRITE_ERRORS, bp, json_response, spec, workspace_id
from feedback.api.models import ApiToken
from feedback.db_types import utcnow
from feedback.extensions import commit
from feedback.webhooks import services as webhook_services
from feedback.webhooks.models import WebhookEndpoint

# --- webhooks ---------------------------------------------------------------------------------------------------


def _webhook(e: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": e.id,
        "url": e.url,
        "description": e.description,
        "events": e.events.split(),
        "paused": e.paused_at is not None,
        "created_at": e.created_at,
    }


@bp.get("/webhooks")
@spec.validate(resp=Resp(HTTP_200=schemas.WebhookList, **ERRORS), tags=["webhooks"])
def list_webhooks() -> Response:
    """The workspace's webhook endpoints."""
    items = [schemas.Webhook(**_webhook(e)) for e in webhook_services.endpoints_of(workspace_id())]
    return json_response(schemas.WebhookList(items=items))


@bp.post("/webhooks")
@spec.validate(
    json=schemas.WebhookCreate, resp=Resp(HTTP_201=schemas.WebhookCreated, **WRITE_ERRORS), tags=["webhooks"]
)
def create_webhook(json: schemas.WebhookCreate) -> Response:
    """A new endpoint; the answer carries its signing secret. Loopback and private addresses are refused (after
    DNS resolution, at every delivery) unless the operator allows them."""
    token: ApiToken = g.api_token
    endpoint = webhook_services.create_endpoint(
        workspace_id(), json.url, json.events, json.description, token.created_by_id
    )
    commit()
    return json_response(schemas.WebhookCreated(**_webhook(endpoint), secret=endpoint.secret), 201)


@bp.get("/webhooks/<int:endpoint_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.Webhook, **ERRORS), tags=["webhooks"])
def get_webhook(endpoint_id: int) -> Response:
    """One endpoint (without its secret)."""
    return json_response(schemas.Webhook(**_webhook(webhook_services.get_endpoint(workspace_id(), endpoint_id))))


@bp.patch("/webhooks/<int:endpoint_id>")
@spec.validate(json=schemas.WebhookUpdate, resp=Resp(HTTP_200=schemas.Webhook, **WRITE_ERRORS), tags=["webhooks"])
def update_webhook(endpoint_id: int, json: schemas.WebhookUpdate) -> Response:
    """Change an endpoint; `paused: true` stops new events for it."""
    changes = webhook_services.EndpointChanges(**json.model_dump(exclude_unset=True))
    endpoint = webhook_services.change_endpoint(workspace_id(), endpoint_id, changes, utcnow())
    commit()
    return json_response(schemas.Webhook(**_webhook(endpoint)))


@bp.delete("/webhooks/<int:endpoint_id>")
@spec.validate(resp=Resp("HTTP_204", **WRITE_ERRORS), tags=["webhooks"])
def delete_webhook(endpoint_id: int) -> Response:
    """Remove an endpoint and its delivery log."""
    webhook_services.delete_endpoint(webhook_services.get_endpoint(workspace_id(), endpoint_id))
    commit()
    return Response(status=204)


@bp.get("/webhooks/<int:endpoint_id>/deliveries")
@spec.validate(resp=Resp(HTTP_200=schemas.WebhookDeliveryList, **ERRORS), tags=["webhooks"])
def webhook_deliveries(endpoint_id: int) -> Response:
    """The endpoint's 50 newest deliveries with their state."""
    endpoint = webhook_services.get_endpoint(workspace_id(), endpoint_id)
    rows, _more = webhook_services.deliveries_of(endpoint, None, None)
    items = [
        schemas.WebhookDelivery(
            id=d.id,
            event=d.event,
            event_id=d.event_id,
            status=d.status,  # type: ignore[arg-type]
            attempts=d.attempts,
            created_at=d.created_at,
            last_attempt_at=d.last_attempt_at,
            last_status=d.last_status,
            last_error=d.last_error,
            next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
        )
        for d in rows
    ]
    return json_response(schemas.WebhookDeliveryList(items=items))
