"""A campaign's cohorts: respondents or customers by month or touchpoint of first contact, and who came back."""

from __future__ import annotations

from flask import Response, g
from spectree import Response as Resp

from feedback import schemas
from feedback.analysis.cohort_queries import campaign_cohorts
from feedback.analysis.cohorts import COHORT_HEADER, By, Who, cohort_rows
from feedback.api.base import ERRORS, bp, json_response, spec, workspace_id
from feedback.db_types import utcnow
from feedback.touchpoints import services as tp


@bp.get("/campaigns/<int:campaign_id>/cohorts")
@spec.validate(query=schemas.CohortQuery, resp=Resp(HTTP_200=schemas.Cohorts, **ERRORS), tags=["ratings"])
def cohorts(campaign_id: int, query: schemas.CohortQuery) -> Response:
    """The cohort table of the page and its downloads: per cohort and month after the first contact, who came
    back, of how many (n), with the Wilson 95 % interval; `too_few` below 10."""
    campaign = tp.get_campaign(workspace_id(), campaign_id)
    table = campaign_cohorts(campaign, Who(query.who), By(query.by), g.workspace.timezone, utcnow())
    names = {t.id: t.name for t in tp.touchpoints_of(campaign, include_archived=True)}
    cells = [dict(zip(COHORT_HEADER, row, strict=True)) for row in cohort_rows(table, names)]
    return json_response(
        schemas.Cohorts(
            campaign_id=campaign.id,
            who=table.who.value,
            by=table.by.value,
            months=[m.isoformat()[:7] for m in table.months],
            members=table.members,
            left_out=table.left_out,
            cells=[schemas.CohortCell(**cell) for cell in cells],  # type: ignore[arg-type]
        )
    )
