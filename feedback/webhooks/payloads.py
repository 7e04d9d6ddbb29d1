"""The `data` of each event: the same shapes the API returns, plus the ids an integration joins on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feedback.extensions import db
from feedback.qr.models import Code
from feedback.referrals.models import Invite
from feedback.schemas import SurveyResponse
from feedback.surveys.models import Response
from feedback.touchpoints.models import Touchpoint


def response_completed(response: Response) -> dict[str, Any]:
    """The response as GET /api/v1/responses/{id} shows it, with its campaign and invite."""
    code = db.session.get(Code, response.code_id) if response.code_id else None
    touchpoint = db.session.get(Touchpoint, response.touchpoint_id)
    data = SurveyResponse.of(response, code.code if code else None, code.reference if code else None)
    return {
        "response": {
            **data.model_dump(mode="json"),
            "campaign_id": touchpoint.campaign_id if touchpoint else None,
            "invite_id": response.invite_id,
        }
    }


def invite_accepted(invite: Invite, response: Response, accepted_at: datetime) -> dict[str, Any]:
    """Which invite brought which friend's completed response, and whose response the invite came from."""
    return {
        "invite": {
            "id": invite.id,
            "code": invite.code,
            "campaign_id": invite.campaign_id,
            "touchpoint_id": invite.touchpoint_id,
            "generation": invite.generation,
            "referrer_response_id": invite.response_id,
        },
        "response_id": response.id,
        "accepted_at": accepted_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def code_scanned(
    scan_id: int, code: Code, touchpoint: Touchpoint, scanned_at: datetime, device: str, language: str
) -> dict[str, Any]:
    """A person (not a bot) opened a printed code that leads to its touchpoint."""
    return {
        "scan": {
            "id": scan_id,
            "code": code.code,
            "code_id": code.id,
            "reference": code.reference,
            "touchpoint_id": touchpoint.id,
            "campaign_id": touchpoint.campaign_id,
            "scanned_at": scanned_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "device_class": device,
            "language": language,
        }
    }


def stage_changed(contact: dict[str, Any], previous: str, changed_by: str, at: datetime) -> dict[str, Any]:
    """A lead's move: the contact as the API shows it (with its stage, a win's order value, a loss's reason),
    the stage it left, and who moved it (score, dashboard or api)."""
    return {
        "contact": contact,
        "previous_stage": previous,
        "stage": contact["stage"],
        "changed_by": changed_by,
        "changed_at": at.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
