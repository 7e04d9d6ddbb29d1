"""What an alert mail says: subject, plain text and HTML, rendered in the recipient's language from the data the
alerts took when their events happened. A drop in NPS is worded from its counts here, by the test of STATS.md §3 and
the sentences of §11, so the mail says what the numbers say."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from feedback.analysis import sentences, stats
from feedback.analysis.comparisons import Comparison, adjust, compare_one
from feedback.analysis.summaries import GroupCounts, summarise
from feedback.auth.models import User, Workspace
from feedback.leads.models import ACTIVITY_LABELS
from feedback.notifications.digest import Rendered
from feedback.notifications.links import absolute_url
from feedback.notifications.models import Topic
from feedback.notifications.tokens import unsubscribe_token
from feedback.surveys.questions import QuestionType
from feedback.texts import texts


def nps_counts(data: dict[str, int]) -> GroupCounts:
    """Counts of NPS answers stored as {"score": n} back as the analysis' counts."""
    return GroupCounts(answers={QuestionType.NPS: {int(score): n for score, n in data.items()}})


def nps_drop_sentence(item: dict[str, Any], a: str, b: str) -> str:
    """The §11 sentence of the last 4 weeks against the 12 before, with the Holm adjustment the check applied over
    the touchpoints it tested that day."""
    result = compare_one(Comparison.NPS, summarise(nps_counts(item["recent"])), summarise(nps_counts(item["previous"])))
    assert result is not None
    if result.tested:
        result = adjust([result])[0]
        if "p_adjusted" in item:
            result = replace(result, p_adjusted=float(item["p_adjusted"]), family=int(item.get("family", 1)))
    return sentences.comparison(result, a, b)


def _when(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _activity(event: dict[str, Any]) -> str:
    """A score event's label in the recipient's language (the stored label is in the language of its request)."""
    label = ACTIVITY_LABELS.get(event.get("activity", ""))
    return str(label) if label is not None else str(event.get("label", ""))


def nps_of(counts: dict[str, int]) -> stats.NpsEstimate:
    return summarise(nps_counts(counts)).nps


def _subject(topic: Topic, items: list[dict[str, Any]], workspace: Workspace) -> str:
    n = len(items)
    if topic is Topic.DETRACTOR:
        if n == 1:
            return _(
                "Detractor at %(touchpoint)s: %(score)s of 10",
                touchpoint=items[0]["touchpoint"],
                score=items[0]["score"],
            )
        return ngettext("%(num)d detractor needs attention", "%(num)d detractors need attention", n)
    if topic is Topic.SALES_READY:
        return ngettext("A lead is ready for sales", "%(num)d leads are ready for sales", n)
    if topic is Topic.NPS_DROP:
        if n == 1:
            return _("NPS at %(touchpoint)s has dropped", touchpoint=items[0]["touchpoint"])
        return ngettext("NPS has dropped at %(num)d touchpoint", "NPS has dropped at %(num)d touchpoints", n)
    if topic is Topic.DELIVERY_FAILING:
        return _("Deliveries of %(workspace)s have been failing for a day", workspace=workspace.name)
    return _("Message from feedback")


def _links(topic: Topic, item: dict[str, Any], workspace: Workspace) -> dict[str, str]:
    """The dashboard pages an alert leads to."""
    links: dict[str, str] = {}
    if item.get("campaign_id") and item.get("touchpoint_id"):
        links["touchpoint"] = absolute_url(
            "analysis.touchpoint",
            ws=workspace.slug,
            campaign_id=item["campaign_id"],
            touchpoint_id=item["touchpoint_id"],
        )
    if item.get("contact", {}).get("id"):
        links["contact"] = absolute_url("leads.show_contact", ws=workspace.slug, contact_id=item["contact"]["id"])
    if item.get("endpoint_id"):
        links["endpoint"] = absolute_url("webhooks.show_endpoint", ws=workspace.slug, endpoint_id=item["endpoint_id"])
    if topic is Topic.DELIVERY_FAILING and item.get("kind") == "mail":
        links["mails"] = absolute_url("notifications.settings", ws=workspace.slug)
    return links


def _prepared(topic: Topic, item: dict[str, Any], workspace: Workspace, language: str) -> dict[str, Any]:
    prepared = {**item, "links": _links(topic, item, workspace)}
    if topic is Topic.NPS_DROP and "recent" in item:
        prepared["recent_nps"] = nps_of(item["recent"])
        prepared["previous_nps"] = nps_of(item["previous"])
        prepared["sentence"] = nps_drop_sentence(
            item, _("%(touchpoint)s in the last 4 weeks", touchpoint=item["touchpoint"]), _("the 12 weeks before")
        )
    for key in ("at", "since"):
        if key in item:
            prepared[key] = _when(item[key])
    if item.get("contact"):
        prepared["contact"] = {**item["contact"], "consented_at": _when(item["contact"].get("consented_at"))}
    if item.get("history"):
        prepared["history"] = [
            {**event, "at": _when(event.get("at")), "label": _activity(event)} for event in item["history"]
        ]
    if item.get("comments"):
        prepared["comments"] = [
            {**comment, "question": texts(comment.get("question_texts")).pick(language) or comment.get("question", "")}
            for comment in item["comments"]
        ]
    return prepared


def alerts(topic: Topic, items: list[dict[str, Any]], user: User, workspace: Workspace) -> Rendered:
    """One mail with every item, in the member's language."""
    with force_locale(user.locale):
        shown = [_prepared(topic, item, workspace, user.locale) for item in items if not item.get("erased")]
        context = {
            "topic": topic.value,
            "items": shown,
            "workspace": workspace,
            "user": user,
            "unsubscribe_url": absolute_url("unsubscribe.page", token=unsubscribe_token(user.id, workspace.id, topic)),
            "settings_url": absolute_url("notifications.settings", ws=workspace.slug),
        }
        context["subject"] = subject = _subject(topic, shown, workspace)
        return Rendered(
            subject=subject,
            text=render_template("notifications/alert.txt", **context),
            html=render_template("notifications/alert.html", **context),
        )


def test_mail(locale: str) -> Rendered:
    """The mail `feedback mail test` sends."""
    with force_locale(locale):
        context = {
            "topic": Topic.TEST.value,
            "items": [],
            "workspace": None,
            "user": None,
            "unsubscribe_url": "",
            "settings_url": "",
            "subject": _("Test mail from feedback"),
        }
        return Rendered(
            subject=context["subject"],
            text=render_template("notifications/alert.txt", **context),
            html=render_template("notifications/alert.html", **context),
        )
