"""The daily checks of `feedback notify run`: a touchpoint whose NPS of the last 4 weeks is significantly below its
own previous 12 weeks, and webhook or mail deliveries that have been failing for a day. Each writes alerts once per
thing and period, however often it runs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from feedback.analysis.comparisons import Comparison, Verdict, adjust, compare_one
from feedback.analysis.services import DateRange, touchpoint_counts
from feedback.analysis.summaries import Metric, summarise
from feedback.auth.models import User, Workspace
from feedback.extensions import db
from feedback.notifications import services
from feedback.notifications.models import Mail, MailStatus, Topic
from feedback.notifications.recipients import editors
from feedback.touchpoints.models import Campaign, Touchpoint
from feedback.touchpoints.services import alert_recipients
from feedback.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

RECENT_DAYS, PREVIOUS_DAYS = 28, 84
#: A drop is alerted once per touchpoint within this time.
QUIET_DAYS = RECENT_DAYS
FAILING = timedelta(days=1)


def _write_alerts(
    workspace_id: int, topic: Topic, about: str, quiet: timedelta, users: list[int], data: dict[str, Any], now: datetime
) -> int:
    """Write a check's alert about one thing for each member (unless one was written within `quiet`), in a write
    transaction of its own taken at its start (SQLite: BEGIN IMMEDIATE, so no other writer can slip in between its
    reads and writes); a second `notify run` writing the same alerts the same day finds them there (unique key)."""
    db.session.rollback()
    db.session.connection(execution_options={"sqlite_immediate": True})
    if services.alerted_since(workspace_id, topic, about, now - quiet):
        db.session.rollback()
        return 0
    written = 0
    for user_id in users:
        user = db.session.get(User, user_id)
        key = f"{topic.value}:{about}:{user_id}:{now.date().isoformat()}"
        if user is not None:
            written += (
                services.queue_alert(user, workspace_id, topic, data, now, about=about, dedupe_key=key) is not None
            )
    try:
        db.session.commit()
    except IntegrityError:  # another run wrote them meanwhile
        db.session.rollback()
        return 0
    return written


def periods(today: date) -> tuple[DateRange, DateRange]:
    """The last 4 weeks up to yesterday, and the 12 weeks before them (local days)."""
    last = today - timedelta(days=1)
    recent = DateRange(last - timedelta(days=RECENT_DAYS - 1), last)
    assert recent.first is not None
    previous_last = recent.first - timedelta(days=1)
    return recent, DateRange(previous_last - timedelta(days=PREVIOUS_DAYS - 1), previous_last)


def _nps_counts(counts: dict[int, int]) -> dict[str, int]:
    return {str(score): n for score, n in sorted(counts.items()) if n}


def campaign_drops(campaign: Campaign, today: date) -> list[tuple[Touchpoint, dict[str, Any]]]:
    """The campaign's touchpoints whose NPS of the last 4 weeks is significantly lower than in the 12 weeks before
    (adjusted-Wald test of STATS.md §3, Holm-adjusted over the touchpoints tested that day, each side with at least
    10 answers), with what the alert shows."""
    recent_range, previous_range = periods(today)
    recent, previous = touchpoint_counts(campaign, recent_range), touchpoint_counts(campaign, previous_range)
    tested: list[tuple[Touchpoint, Any]] = []
    for touchpoint in campaign.touchpoints:
        if touchpoint.archived_at is not None or touchpoint.id not in recent or touchpoint.id not in previous:
            continue
        result = compare_one(Comparison.NPS, summarise(recent[touchpoint.id]), summarise(previous[touchpoint.id]))
        if result is not None and result.tested:
            tested.append((touchpoint, result))
    drops = []
    for (touchpoint, _), result in zip(tested, adjust([r for _, r in tested]), strict=True):
        if result.verdict is not Verdict.LOWER:
            continue
        drops.append(
            (
                touchpoint,
                {
                    "touchpoint": touchpoint.name,
                    "touchpoint_id": touchpoint.id,
                    "campaign": campaign.name,
                    "campaign_id": campaign.id,
                    "recent": _nps_counts(recent[touchpoint.id].of(Metric.NPS)),
                    "previous": _nps_counts(previous[touchpoint.id].of(Metric.NPS)),
                    "recent_days": [str(recent_range.first), str(recent_range.last)],
                    "previous_days": [str(previous_range.first), str(previous_range.last)],
                    "p_adjusted": result.p_adjusted,
                    "family": result.family,
                },
            )
        )
    return drops


def nps_drops(now: datetime) -> int:
    """Alert the people in charge of touchpoints whose NPS dropped (once per touchpoint in QUIET_DAYS); how many
    alerts. Reads everything first and writes afterwards in a transaction of its own (reading may build roll-ups
    through another connection, and a SQLite read transaction cannot become a write one after that)."""
    found: list[tuple[int, int, list[int], dict[str, Any]]] = []
    for workspace in db.session.scalars(sa.select(Workspace).order_by(Workspace.id)).all():
        today = now.astimezone(ZoneInfo(workspace.timezone)).date()
        campaigns = db.session.scalars(
            sa.select(Campaign).where(Campaign.workspace_id == workspace.id, Campaign.archived_at.is_(None))
        ).all()
        for campaign in campaigns:
            found.extend(
                (workspace.id, touchpoint.id, [u.id for u in alert_recipients(touchpoint)], data)
                for touchpoint, data in campaign_drops(campaign, today)
            )
    db.session.rollback()
    written = 0
    for workspace_id, touchpoint_id, users, data in found:
        written += _write_alerts(
            workspace_id, Topic.NPS_DROP, f"touchpoint:{touchpoint_id}", timedelta(days=QUIET_DAYS), users, data, now
        )
    return written


def _failing_webhooks(workspace_id: int, now: datetime) -> list[dict[str, Any]]:
    """Endpoints with deliveries that have waited or failed for a day without any delivered in that day."""
    since = now - FAILING
    items = []
    endpoints = db.session.scalars(
        sa.select(WebhookEndpoint).where(
            WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.paused_at.is_(None)
        )
    )
    for endpoint in endpoints:
        stuck = sa.select(
            sa.func.count(), sa.func.min(WebhookDelivery.created_at), sa.func.max(WebhookDelivery.last_attempt_at)
        ).where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.attempts > 0,
            sa.or_(
                WebhookDelivery.status == DeliveryStatus.PENDING.value,
                sa.and_(WebhookDelivery.status == DeliveryStatus.FAILED.value, WebhookDelivery.last_attempt_at > since),
            ),
        )
        count, oldest, _ = db.session.execute(stuck).one()
        delivered = db.session.scalar(
            sa.select(sa.func.count()).where(
                WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.delivered_at > since
            )
        )
        if not count or oldest is None or oldest > since or delivered:
            continue
        error = db.session.scalar(
            sa.select(WebhookDelivery.last_error)
            .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.attempts > 0)
            .order_by(WebhookDelivery.last_attempt_at.desc())
            .limit(1)
        )
        items.append(
            {
                "kind": "webhook",
                "endpoint_id": endpoint.id,
                "target": endpoint.url,
                "count": count,
                "since": oldest.isoformat(),
                "error": error or "",
            }
        )
    return items


def _failing_mails(workspace_id: int, now: datetime) -> list[dict[str, Any]]:
    """Mails of the workspace still not sent a day after they were written, or given up in the last day."""
    since = now - FAILING
    rows = db.session.execute(
        sa.select(Mail.to_address, Mail.created_at, Mail.last_error, Mail.last_attempt_at).where(
            Mail.workspace_id == workspace_id,
            Mail.attempts > 0,
            sa.or_(
                sa.and_(Mail.status == MailStatus.PENDING.value, Mail.created_at <= since),
                sa.and_(Mail.status == MailStatus.FAILED.value, Mail.last_attempt_at > since),
            ),
        )
    ).all()
    if not rows:
        return []
    latest = max(rows, key=lambda r: r.last_attempt_at or r.created_at)
    addresses = sorted({r.to_address for r in rows})
    return [
        {
            "kind": "mail",
            "target": ", ".join(addresses[:5]) + (" …" if len(addresses) > 5 else ""),
            "count": len(rows),
            "since": min(r.created_at for r in rows).isoformat(),
            "error": latest.last_error,
        }
    ]


def failing_deliveries(now: datetime) -> int:
    """Alert each workspace's editors, once a day, about webhooks and mails failing for a day; how many alerts.
    Reads first, then writes each alert in a transaction of its own."""
    found: list[tuple[int, list[int], dict[str, Any]]] = []
    for workspace in db.session.scalars(sa.select(Workspace).order_by(Workspace.id)).all():
        items = _failing_webhooks(workspace.id, now) + _failing_mails(workspace.id, now)
        if items:
            users = [u.id for u in editors(workspace.id)]
            found.extend((workspace.id, users, item) for item in items)
    written = 0
    for workspace_id, users, item in found:
        written += _write_alerts(workspace_id, Topic.DELIVERY_FAILING, _about(item), FAILING, users, item, now)
    return written


def _about(item: dict[str, Any]) -> str:
    return f"webhook:{item['endpoint_id']}" if item["kind"] == "webhook" else "mail"
