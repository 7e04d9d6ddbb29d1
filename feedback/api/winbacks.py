"""A touchpoint's win-back mailings and what each brought back (the numbers of its win-back page)."""

from __future__ import annotations

from flask import Response, g
from spectree import Response as Resp

from feedback import schemas
from feedback.analysis.theme_catalogue import theme_documents, theme_rows
from feedback.api.base import ERRORS, bp, json_response, spec, workspace_id
from feedback.api.themes import theme_model
from feedback.touchpoints import services as tp
from feedback.winback import services as winback_services
from feedback.winback.models import WinbackBatch
from feedback.winback.services import Reactivation


def _reasons(found: Reactivation, labels: dict[str, dict[str, str]]) -> list[schemas.WinbackReason]:
    """Each choice question's answers with the texts of the churn and win-back templates in every language of the
    workspace (a question of another survey keeps its key and values as its texts)."""
    return [
        schemas.WinbackReason(
            question=key,
            texts={language: words.get(key, key) for language, words in labels.items()},
            answered=answered,
            options=[
                schemas.WinbackOption(
                    value=value,
                    labels={language: words.get(f"{key}:{value}", value) for language, words in labels.items()},
                    count=count,
                )
                for value, count in options.items()
            ],
        )
        for key, (answered, options) in found.reasons.items()
    ]


def _winback(winback: WinbackBatch, labels: dict[str, dict[str, str]]) -> schemas.Winback:
    found = winback_services.reactivation(winback)
    responded, redeemed = found.responded, found.redeemed
    return schemas.Winback(
        id=winback.id,
        batch_id=winback.batch_id,
        name=winback.batch.name,
        created_at=winback.created_at,
        lapsed_days=winback.lapsed_days,
        include_detractors=winback.include_detractors,
        suppressed_detractors=winback.suppressed_detractors,
        without_email=winback.without_email,
        sent=found.sent,
        responded=responded.k,
        response_rate=responded.share,
        response_rate_low=responded.ci.low if responded.ci else None,
        response_rate_high=responded.ci.high if responded.ci else None,
        redeemed=redeemed.k,
        redemption_rate=redeemed.share,
        redemption_rate_low=redeemed.ci.low if redeemed.ci else None,
        redemption_rate_high=redeemed.ci.high if redeemed.ci else None,
        reasons=_reasons(found, labels),
        comments=found.comments,
        themes=[theme_model(document) for document in theme_documents(theme_rows(found.themes, found.comments))],
    )


@bp.get("/touchpoints/<int:touchpoint_id>/win-backs")
@spec.validate(resp=Resp(HTTP_200=schemas.WinbackList, **ERRORS), tags=["ratings"])
def list_winbacks(touchpoint_id: int) -> Response:
    """The touchpoint's win-back mailings, newest first: codes sent, responses and redemptions per code sent with
    their Wilson 95 % intervals, the reasons chosen and the themes of the open answers, as on its win-back page.
    No recipient's address: those are in the dashboard's editor-only recipients download."""
    touchpoint = tp.get_touchpoint(workspace_id(), touchpoint_id)
    labels = {language: winback_services.reason_labels(language) for language in g.workspace.language_list}
    items = [_winback(w, labels) for w in winback_services.winbacks_of(touchpoint)]
    return json_response(schemas.WinbackList(touchpoint_id=touchpoint.id, items=items))
