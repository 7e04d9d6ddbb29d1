"""What `feedback notify run` writes when it is due: each campaign's weekly report on Monday morning in the
workspace's time zone (for the week just ended, once per member, however often it runs), and the daily checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from feedback.auth.models import Workspace
from feedback.extensions import db
from feedback.notifications import checks, digest, outbox, services
from feedback.notifications.links import absolute_url
from feedback.notifications.models import Mail, NotifyRun, Topic
from feedback.notifications.tokens import unsubscribe_token
from feedback.touchpoints.models import Campaign
from feedback.touchpoints.services import campaign_recipients

#: Reports go out from this local hour on Monday (and later in the week, if nothing ran on Monday).
DIGEST_HOUR = 7
#: Where create_app registers the other features' jobs that `feedback notify run` does each time (the nurture
#: mails): features that write into the outbox import notifications, so notifications cannot import them.
JOBS = "feedback.notify.jobs"
#: A job: (now) → how many things it wrote.
Job = Callable[[datetime], int]


def add_job(app: Flask, name: str, job: Job) -> None:
    """Have `feedback notify run` (and its loop) do `job` each time it looks for due work."""
    app.extensions.setdefault(JOBS, []).append((name, job))


def has_news(data: digest.DigestData) -> bool:
    """Whether a report has anything to say: a week without scans, answers or leads in it or the week before sends
    none."""
    return bool(data.scans or data.scans_before or data.completions or data.completions_before or data.leads)


@dataclass(frozen=True)
class Written:
    digests: int
    alerts: int
    #: What each registered job wrote, by its name.
    jobs: dict[str, int] = field(default_factory=dict)


def _dedupe_key(campaign_id: int, week: str, user_id: int) -> str:
    return f"digest:{campaign_id}:{week}:{user_id}"


def digests(now: datetime) -> int:
    """Write the weekly reports that are due and not yet written; how many."""
    written = 0
    for workspace in list(db.session.scalars(sa.select(Workspace).order_by(Workspace.id))):
        local = now.astimezone(ZoneInfo(workspace.timezone))
        if local.weekday() == 0 and local.hour < DIGEST_HOUR:
            continue
        week = digest.week_before(local.date())
        kind = f"digest:{workspace.id}"
        if done(kind, week):
            continue
        campaigns = db.session.scalars(
            sa.select(Campaign)
            .where(Campaign.workspace_id == workspace.id, Campaign.archived_at.is_(None))
            .order_by(Campaign.id)
        )
        for campaign in list(campaigns):
            written += _campaign_digest(workspace, campaign, week, now)
        mark(kind, week, now)
    return written


def done(kind: str, day: date) -> bool:
    """Whether `feedback notify run` did this (a check of a day, a workspace's reports of a week) already."""
    return db.session.get(NotifyRun, (kind, day)) is not None


def mark(kind: str, day: date, now: datetime) -> None:
    """Record that it is done (a second run that did it at the same time changes nothing)."""
    db.session.rollback()
    db.session.add(NotifyRun(kind=kind, day=day, ran_at=now))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def _campaign_digest(workspace: Workspace, campaign: Campaign, week: date, now: datetime) -> int:
    campaign_id = campaign.id
    recipients = [
        user
        for user in campaign_recipients(campaign)
        if services.wants(user.id, workspace.id, Topic.DIGEST)
        and db.session.scalar(sa.select(Mail.id).where(Mail.dedupe_key == _dedupe_key(campaign.id, str(week), user.id)))
        is None
    ]
    if not recipients:
        return 0
    data = digest.digest_data(campaign, week)
    if not has_news(data):
        return 0
    composed = []
    for user in recipients:
        token = unsubscribe_token(user.id, workspace.id, Topic.DIGEST)
        rendered = digest.render_digest(
            data,
            locale=user.locale,
            unsubscribe_url=absolute_url("unsubscribe.page", token=token),
            settings_url=absolute_url("notifications.settings", ws=workspace.slug),
        )
        composed.append((user.id, user.email, user.locale, rendered))
    workspace_id = workspace.id
    # the reads may have built roll-ups through another connection: write in a transaction of their own
    db.session.rollback()
    written = 0
    for user_id, email, locale, rendered in composed:
        outbox.queue_mail(
            to=email,
            topic=Topic.DIGEST.value,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            locale=locale,
            now=now,
            workspace_id=workspace_id,
            user_id=user_id,
            dedupe_key=_dedupe_key(campaign_id, str(week), user_id),
        )
        try:
            db.session.commit()
        except IntegrityError:  # another `notify run` wrote it meanwhile
            db.session.rollback()
            continue
        written += 1
    return written


def run_due(now: datetime) -> Written:
    """The weekly reports and the daily checks that are due now."""
    reports = digests(now)
    alerts = 0
    if not done("nps_drop", now.date()):  # reads 16 weeks of every campaign: once a day
        alerts += checks.nps_drops(now)
        mark("nps_drop", now.date(), now)
    alerts += checks.failing_deliveries(now)  # cheap, and each thing is alerted once a day
    jobs = {name: job(now) for name, job in current_app.extensions.get(JOBS, [])}
    return Written(reports, alerts, jobs)
