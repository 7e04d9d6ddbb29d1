"""Surveys (read, and new ones from templates)."""

from __future__ import annotations

from flask import Response
from spectree import Response as Resp

from feedback import schemas
from feedback.api.base import ERRORS, WRITE_ERRORS, bp, json_response, spec, workspace_id
from feedback.extensions import commit, db
from feedback.surveys import services as survey_services
from feedback.surveys.models import Survey
from feedback.tenancy import get_owned, owned

# --- surveys -------------------------------------------------------------------------------------------------------


def _survey(survey: Survey) -> schemas.Survey:
    version = survey.current
    return schemas.Survey(
        id=survey.id,
        name=survey.name,
        version=version.number,
        archived=survey.archived_at is not None,
        questions=[
            schemas.Question(
                key=q.key,
                type=q.type,
                required=q.required,
                text=dict(q.text or {}),
                text_de=(q.text or {}).get("de", ""),
                text_en=(q.text or {}).get("en", ""),
                options=list(q.options or []),
                condition=q.condition,
                higher_is_better=q.higher_is_better,
                loyalty=q.loyalty,
            )
            for q in version.questions
        ],
    )


@bp.get("/surveys")
@spec.validate(resp=Resp(HTTP_200=schemas.SurveyList, **ERRORS), tags=["surveys"])
def list_surveys() -> Response:
    """Surveys of the workspace with the questions of their newest version."""
    surveys = db.session.scalars(owned(Survey, workspace_id()).order_by(Survey.id))
    return json_response(schemas.SurveyList(items=[_survey(s) for s in surveys]))


@bp.post("/surveys")
@spec.validate(json=schemas.SurveyCreate, resp=Resp(HTTP_201=schemas.Survey, **WRITE_ERRORS), tags=["surveys"])
def create_survey(json: schemas.SurveyCreate) -> Response:
    """A new survey from a built-in template; attach it to touchpoints with `survey_id`."""
    survey = survey_services.create_survey(workspace_id(), json.name, json.template)
    commit()
    return json_response(_survey(survey), 201)


@bp.get("/surveys/<int:survey_id>")
@spec.validate(resp=Resp(HTTP_200=schemas.Survey, **ERRORS), tags=["surveys"])
def get_survey(survey_id: int) -> Response:
    """One survey."""
    return json_response(_survey(get_owned(Survey, workspace_id(), survey_id)))
