"""A campaign's periods against each other, or against another campaign, and its weekly trend."""

from __future__ import annotations

from flask import Response
from spectree import Response as Resp

from feedback import schemas
from feedback.analysis import sentences
from feedback.analysis.period_catalogue import PERIOD_HEADER, TREND_HEADER, documents, period_rows, trend_rows
from feedback.analysis.period_queries import campaign_trend, comparison
from feedback.analysis.periods import Against
from feedback.analysis.segment_store import strict_segment
from feedback.analysis.services import checked_range
from feedback.api.base import ERRORS, bp, json_response, spec, workspace_id
from feedback.touchpoints import services as tp


@bp.get("/campaigns/<int:campaign_id>/comparison")
@spec.validate(
    query=schemas.ComparisonQuery,
    resp=Resp(HTTP_200=schemas.PeriodComparison, **ERRORS),
    tags=["ratings"],
)
def period_comparison(campaign_id: int, query: schemas.ComparisonQuery) -> Response:
    """The chosen days (the last 28 complete ones without) against the period before (`previous`) or the same
    dates a year earlier (`last_year`), or this campaign against another of the workspace (`campaign`, touchpoints
    matched by channel and phase, several sharing one summed); per metric of the total and of each row. A reversed
    period, a missing other campaign or this one again is 422, another workspace's campaign 404."""
    campaign = tp.get_campaign(workspace_id(), campaign_id)
    against = Against(query.against)
    dates, other_dates = checked_range(query.from_, query.to), checked_range(query.other_from, query.other_to)
    segment = strict_segment(query.segment_args(), campaign.workspace_id, campaign)
    found = comparison(campaign, against, dates, query.campaign_id, other_dates, segment=segment)
    rows = documents(PERIOD_HEADER, period_rows(found, sentences.period_sentence(found, campaign.name)))
    return json_response(
        schemas.PeriodComparison(
            campaign_id=campaign.id,
            against=against.value,
            other_campaign_id=found.other_id,
            only_a=list(found.only_a),
            only_b=list(found.only_b),
            rows=[schemas.ComparisonRow(**row) for row in rows],  # type: ignore[arg-type]
        )
    )


@bp.get("/campaigns/<int:campaign_id>/trend")
@spec.validate(query=schemas.AnalysisQuery, resp=Resp(HTTP_200=schemas.Trend, **ERRORS), tags=["ratings"])
def trend(campaign_id: int, query: schemas.AnalysisQuery) -> Response:
    """The campaign's weeks (of the chosen days, else from its first to its last answer): NPS and completion rate
    with their 95 % intervals; `enough` is false below 10 NPS answers."""
    campaign = tp.get_campaign(workspace_id(), campaign_id)
    segment = strict_segment(query.segment_args(), campaign.workspace_id, campaign)
    found = campaign_trend(campaign, checked_range(query.from_, query.to), segment)
    weeks = documents(TREND_HEADER, trend_rows(found))
    return json_response(
        schemas.Trend(campaign_id=campaign.id, weeks=[schemas.TrendWeek(**week) for week in weeks])  # type: ignore[arg-type]
    )
