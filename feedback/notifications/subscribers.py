"""Alerts from domain events, written in the transaction of the event: a detractor who commented or asked to be
contacted, a lead that became sales-ready; erasures erase what alerts and mails carried."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from feedback.auth.models import User
from feedback.events import Bus, ContactErased, ContactLeft, LeadStageChanged, ResponseCompleted, ResponseErased
from feedback.extensions import db
from feedback.leads.models import Contact, Stage
from feedback.leads.services import history
from feedback.notifications import services
from feedback.notifications.models import Alert, Topic
from feedback.notifications.recipients import editors
from feedback.surveys.models import Answer, Question, Response, Survey, SurveyVersion
from feedback.surveys.questions import DETRACTOR_MAX, QuestionType
from feedback.touchpoints.models import Touchpoint
from feedback.touchpoints.services import alert_recipients


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _detractor(response: Response, touchpoint: Touchpoint) -> dict[str, Any] | None:
    """What a detractor alert shows of a response: its score and comments; None when it is no detractor's or says
    nothing (no comment, no contact)."""
    answers = list(db.session.scalars(sa.select(Answer).where(Answer.response_id == response.id)))
    scores = [
        a.value_number for a in answers if a.question_type == QuestionType.NPS.value and a.value_number is not None
    ]
    if not scores or scores[0] > DETRACTOR_MAX:
        return None
    # the wording a detractor was shown, where the question has one for detractors
    questions = {
        q.key: (q.detractor_text if q.wording_key and q.detractor_text else q.text)
        for q in db.session.scalars(sa.select(Question).where(Question.version_id == response.version_id))
    }
    comments = [
        # the question's text in every language it is written in: the mail picks the recipient's
        {
            "question": a.question_key,
            "question_texts": questions.get(a.question_key, {}),
            "answer": a.value_text.strip()[:2000],
        }
        for a in answers
        if a.question_type == QuestionType.TEXT.value and a.value_text and a.value_text.strip()
    ]
    return {
        "touchpoint": touchpoint.name,
        "touchpoint_id": touchpoint.id,
        "campaign": touchpoint.campaign.name,
        "campaign_id": touchpoint.campaign_id,
        "score": scores[0],
        "comments": comments,
        "response_id": response.id,
        "at": _iso(response.completed_at),
    }


def _contact_data(contact: Contact) -> dict[str, Any]:
    """A consented contact's details, as the alert shows them (only contacts exist that consented)."""
    return {
        "id": contact.id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "consent_text": contact.consent_text,
        "consented_at": _iso(contact.consented_at),
    }


def _alert_all(
    recipients: list[User], workspace_id: int, topic: Topic, data: dict[str, Any], at: datetime, **keys: Any
) -> None:
    for user in recipients:
        services.queue_alert(user, workspace_id, topic, data, at, **keys)


def _response_completed(event: ResponseCompleted) -> None:
    response, touchpoint = db.session.get(Response, event.response_id), db.session.get(Touchpoint, event.touchpoint_id)
    if response is None or touchpoint is None:
        return
    data = _detractor(response, touchpoint)
    if data is not None and data["comments"]:
        _alert_all(
            alert_recipients(touchpoint),
            event.workspace_id,
            Topic.DETRACTOR,
            data,
            event.at,
            about=f"response:{response.id}",
            response_id=response.id,
        )


def _contact_left(event: ContactLeft) -> None:
    """A detractor asked to be called back: the alert that waits about their comment gets the details, else one
    alert with them goes out."""
    response, contact = db.session.get(Response, event.response_id), db.session.get(Contact, event.contact_id)
    touchpoint = db.session.get(Touchpoint, event.touchpoint_id)
    if response is None or contact is None or touchpoint is None or contact.unconfirmed:
        return
    data = _detractor(response, touchpoint)
    if data is None:
        return
    data["contact"] = _contact_data(contact)
    about = f"response:{response.id}"
    waiting = {
        alert.user_id: alert
        for alert in db.session.scalars(
            sa.select(Alert).where(
                Alert.workspace_id == event.workspace_id,
                Alert.topic == Topic.DETRACTOR.value,
                Alert.about == about,
                Alert.mail_id.is_(None),
            )
        )
    }
    for user in alert_recipients(touchpoint):
        if user.id in waiting:
            waiting[user.id].data, waiting[user.id].contact_id = data, contact.id
        else:
            services.queue_alert(
                user,
                event.workspace_id,
                Topic.DETRACTOR,
                data,
                event.at,
                about=about,
                response_id=response.id,
                contact_id=contact.id,
            )


def says_something_as_a_detractor(answers: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a completion's answers are a detractor's (NPS 0–6) with a comment: what a detractor alert is about."""
    scores = [a["value_number"] for a in answers if a["question_type"] == QuestionType.NPS.value]
    comment = any(a["question_type"] == QuestionType.TEXT.value and str(a["value_text"] or "").strip() for a in answers)
    return bool(scores) and scores[0] is not None and int(scores[0]) <= DETRACTOR_MAX and comment


def _lead_ready(event: LeadStageChanged) -> None:
    contact = db.session.get(Contact, event.contact_id)
    if not event.rose or event.stage != Stage.SALES_READY.value or contact is None or contact.unconfirmed:
        return
    touchpoint = db.session.get(Touchpoint, contact.touchpoint_id) if contact.touchpoint_id else None
    data = {
        "contact": _contact_data(contact),
        "score": contact.score,
        "touchpoint": touchpoint.name if touchpoint else "",
        "history": [{"at": _iso(e.created_at), "activity": e.activity, "points": e.points} for e in history(contact)],
    }
    recipients = alert_recipients(touchpoint) if touchpoint is not None else editors(event.workspace_id)
    _alert_all(
        recipients,
        event.workspace_id,
        Topic.SALES_READY,
        data,
        event.at,
        about=f"contact:{contact.id}",
        contact_id=contact.id,
    )


def _response_erased(event: ResponseErased) -> None:
    services.erase(event.workspace_id, response_id=event.response_id)


def _contact_erased(event: ContactErased) -> None:
    services.erase(event.workspace_id, contact_id=event.contact_id)


def _wants_completions(workspace_id: int, _campaign_id: int, touchpoint_id: int) -> bool:
    """Only a survey that asks NPS and a text question can make a detractor with a comment; of its completions,
    only a detractor's with a comment leaves the group commit's fast path (`says_something_as_a_detractor`)."""
    types = set(
        db.session.scalars(
            sa.select(Question.type)
            .join(SurveyVersion, SurveyVersion.id == Question.version_id)
            .join(Survey, Survey.id == SurveyVersion.survey_id)
            .join(Touchpoint, Touchpoint.survey_id == Survey.id)
            .where(Touchpoint.id == touchpoint_id, Touchpoint.workspace_id == workspace_id)
            .distinct()
        )
    )
    return {QuestionType.NPS.value, QuestionType.TEXT.value} <= types


def subscribe(bus: Bus) -> None:
    """Detractor and sales-ready alerts; erasures."""
    bus.subscribe(ResponseCompleted, _response_completed, wants=_wants_completions, when=says_something_as_a_detractor)
    bus.subscribe(ContactLeft, _contact_left)
    bus.subscribe(LeadStageChanged, _lead_ready)
    bus.subscribe(ResponseErased, _response_erased)
    bus.subscribe(ContactErased, _contact_erased)
