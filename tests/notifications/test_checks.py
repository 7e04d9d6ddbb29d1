"""What `feedback notify run` writes: the weekly report on Monday morning in the workspace's zone, an alert when a
touchpoint's NPS of the last 4 weeks is significantly below its previous 12 weeks, and one when webhooks or mails
have been failing for a day; each once, however often it runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.notifications import checks, outbox, schedule, services
from feedback.notifications.models import Alert, Mail, MailStatus, Topic
from feedback.touchpoints.models import Channel
from feedback.webhooks import services as webhook_services
from feedback.webhooks.models import DeliveryStatus, WebhookDelivery

#: Monday 7 December 2026, 08:00 in Berlin.
MONDAY_MORNING = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


def _send(app, now=None) -> int:  # noqa: ANN001
    return outbox.run_once(app, services.bundle, now)


def _alerts(topic: Topic) -> list[Alert]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Alert).where(Alert.topic == topic.value).order_by(Alert.id)))


@pytest.fixture
def booth(make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_code):  # noqa: ANN001, ANN201
    owner = make_user(email="owner@example.com", locale="de")
    editor = make_user(email="editor@example.com")
    workspace = make_workspace("Kaffee & Co", owner=owner, members={editor: Role.EDITOR})
    campaign = make_campaign(workspace=workspace, name="Herbst")
    touchpoint = make_touchpoint(campaign=campaign, name="Messestand", channel=Channel.TRADE_FAIR, owner_id=editor.id)
    other = make_touchpoint(campaign=campaign, name="Flyer", channel=Channel.FLYER)
    for tp in (touchpoint, other):
        with_survey(tp, "nps-reason")
        make_code(tp)
    return workspace, campaign, touchpoint, other, owner, editor


def _answers(make_response, touchpoint, scores: list[int], first: datetime, days: int) -> None:  # noqa: ANN001
    for i, score in enumerate(scores):
        make_response(touchpoint, when=first + timedelta(days=i % days, hours=i % 7), nps=score)


def test_a_significant_drop_of_a_touchpoints_nps_is_alerted_once(app, smtp, booth, make_response) -> None:  # noqa: ANN001
    workspace, campaign, touchpoint, other, owner, editor = booth
    recent_range, previous_range = checks.periods(MONDAY_MORNING.date())
    assert (recent_range.first, recent_range.last) == (datetime(2026, 11, 9).date(), datetime(2026, 12, 6).date())
    assert (previous_range.first, previous_range.last) == (datetime(2026, 8, 17).date(), datetime(2026, 11, 8).date())
    previous_start = datetime(2026, 8, 18, 10, tzinfo=UTC)
    recent_start = datetime(2026, 11, 10, 10, tzinfo=UTC)
    _answers(make_response, touchpoint, [10] * 16 + [9] * 4 + [3] * 2, previous_start, 80)  # NPS 82
    _answers(make_response, touchpoint, [2] * 8 + [9] * 4, recent_start, 25)  # NPS -33, n = 12
    _answers(make_response, other, [9] * 10 + [10] * 5, previous_start, 80)
    _answers(make_response, other, [9] * 9, recent_start, 25)  # n = 9: under 10, not tested
    written = schedule.run_due(MONDAY_MORNING)
    (alert,) = _alerts(Topic.NPS_DROP)
    assert (alert.user_id, alert.about, alert.data["touchpoint"]) == (
        editor.id,
        f"touchpoint:{touchpoint.id}",
        "Messestand",
    )
    assert alert.data["recent"] == {"2": 8, "9": 4} and alert.data["previous"] == {"3": 2, "9": 4, "10": 16}
    assert alert.data["family"] == 1  # only the booth had 10 answers on both sides
    assert written.alerts == 1
    assert schedule.run_due(MONDAY_MORNING + timedelta(days=1)).alerts == 0  # once in four weeks
    _send(app, MONDAY_MORNING)
    (message,) = smtp.inbox.wait_for(1)
    assert message["To"] == "editor@example.com" and message["Subject"] == "NPS at Messestand has dropped"
    text = message.get_body(("plain",)).get_content()
    assert "NPS of the last 4 weeks: -33 (95 % CI" in text and "n = 12" in text
    assert "NPS of the 12 weeks before: 82 (95 % CI" in text and "n = 22" in text
    assert "Messestand in the last 4 weeks has a lower NPS than the 12 weeks before: −115 points" in text
    assert "significant, p " in text


def test_no_drop_alert_under_ten_answers_or_without_a_significant_difference(app, smtp, booth, make_response) -> None:  # noqa: ANN001
    workspace, campaign, touchpoint, other, owner, editor = booth
    previous_start = datetime(2026, 8, 18, 10, tzinfo=UTC)
    recent_start = datetime(2026, 11, 10, 10, tzinfo=UTC)
    _answers(make_response, touchpoint, [10] * 20, previous_start, 80)
    _answers(make_response, touchpoint, [0] * 9, recent_start, 25)  # a disaster, but only 9 answers
    _answers(make_response, other, [9, 10, 7, 3] * 5, previous_start, 80)
    _answers(make_response, other, [9, 10, 7, 2] * 3, recent_start, 25)  # about the same
    schedule.run_due(MONDAY_MORNING)
    assert _alerts(Topic.NPS_DROP) == []


def test_webhooks_and_mails_failing_for_a_day_are_alerted_to_the_editors_once(app, smtp, booth) -> None:  # noqa: ANN001
    workspace, campaign, touchpoint, other, owner, editor = booth
    now = MONDAY_MORNING
    endpoint = webhook_services.create_endpoint(
        workspace.id, "https://crm.example.com/hook", ["response.completed"], "", None
    )
    db.session.flush()
    for hours in (30, 2):
        db.session.add(
            WebhookDelivery(
                workspace_id=workspace.id,
                endpoint_id=endpoint.id,
                event="response.completed",
                event_id=f"e{hours}",
                payload="{}",
                status=DeliveryStatus.PENDING.value,
                created_at=now - timedelta(hours=hours),
                next_attempt_at=now + timedelta(hours=1),
                attempts=3,
                last_attempt_at=now - timedelta(hours=1),
                last_error="HTTP 503",
            )
        )
    db.session.add(
        Mail(
            workspace_id=workspace.id,
            user_id=owner.id,
            to_address="old@example.com",
            topic="detractor",
            locale="en",
            subject="x",
            text_body="x",
            html_body="",
            message_id="<m@x>",
            status=MailStatus.PENDING.value,
            created_at=now - timedelta(hours=26),
            next_attempt_at=now + timedelta(hours=1),
            attempts=5,
            last_error="451 4.3.0 Mailbox busy",
        )
    )
    db.session.commit()
    assert schedule.run_due(now).alerts == 4  # webhook and mails, to the owner and the editor each
    alerts = _alerts(Topic.DELIVERY_FAILING)
    assert {(a.user_id, a.about) for a in alerts} == {
        (owner.id, f"webhook:{endpoint.id}"),
        (editor.id, f"webhook:{endpoint.id}"),
        (owner.id, "mail"),
        (editor.id, "mail"),
    }
    webhook = next(a.data for a in alerts if a.about.startswith("webhook"))
    assert (webhook["count"], webhook["error"], webhook["target"]) == (2, "HTTP 503", "https://crm.example.com/hook")
    assert schedule.run_due(now + timedelta(hours=6)).alerts == 0  # once a day
    _send(app, now)
    messages = smtp.inbox.wait_for(2)
    german = next(m for m in messages if m["To"] == "owner@example.com")
    assert german["Subject"] == "Zustellungen von Kaffee & Co scheitern seit einem Tag"
    body = german.get_body(("plain",)).get_content()
    assert "2 Ereignisse wurden seit" in body and "HTTP 503" in body and "old@example.com" in body


def test_a_delivered_webhook_in_the_last_day_means_it_is_not_failing(app, smtp, booth) -> None:  # noqa: ANN001
    workspace, campaign, touchpoint, other, owner, editor = booth
    now = MONDAY_MORNING
    endpoint = webhook_services.create_endpoint(
        workspace.id, "https://crm.example.com/hook", ["response.completed"], "", None
    )
    db.session.flush()
    common = {"workspace_id": workspace.id, "endpoint_id": endpoint.id, "event": "response.completed", "payload": "{}"}
    db.session.add(
        WebhookDelivery(
            **common,
            event_id="a",
            status="pending",
            created_at=now - timedelta(hours=30),
            next_attempt_at=now,
            attempts=2,
            last_error="HTTP 500",
        )
    )
    db.session.add(
        WebhookDelivery(
            **common,
            event_id="b",
            status="delivered",
            created_at=now - timedelta(hours=3),
            next_attempt_at=now,
            attempts=1,
            delivered_at=now - timedelta(hours=3),
        )
    )
    db.session.commit()
    schedule.run_due(now)
    assert _alerts(Topic.DELIVERY_FAILING) == []


def test_the_weekly_report_goes_out_on_monday_morning_once_per_member(
    app, smtp, booth, make_response, make_scans, runner
) -> None:  # noqa: ANN001
    workspace, campaign, touchpoint, other, owner, editor = booth
    make_scans(touchpoint, 12, when=datetime(2026, 12, 2, 9, tzinfo=UTC))
    for score in (9, 10, 4):
        make_response(touchpoint, when=datetime(2026, 12, 3, 9, tzinfo=UTC), nps=score)
    assert schedule.run_due(MONDAY_MORNING - timedelta(hours=2)).digests == 0  # 06:00 in Berlin: not yet
    assert schedule.run_due(MONDAY_MORNING).digests == 2  # the campaign has no owner: its editors and owners
    assert schedule.run_due(MONDAY_MORNING + timedelta(hours=3)).digests == 0  # written once
    db.session.rollback()
    mails = list(db.session.scalars(sa.select(Mail).where(Mail.topic == "digest")))
    assert {m.dedupe_key for m in mails} == {
        f"digest:{campaign.id}:2026-11-30:{owner.id}",
        f"digest:{campaign.id}:2026-11-30:{editor.id}",
    }
    _send(app, MONDAY_MORNING)
    messages = smtp.inbox.wait_for(2)
    german = next(m for m in messages if m["To"] == "owner@example.com")
    assert german["Subject"].startswith("Wochenbericht: Herbst")
    assert german["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "12" in german.get_body(("plain",)).get_content()
    link = german["List-Unsubscribe"].strip("<>").replace("https://fb.example", "")
    assert app.test_client().post(link).status_code == 200
    assert services.switches(owner.id, workspace.id)[Topic.DIGEST] is False
    assert services.switches(owner.id, workspace.id)[Topic.DETRACTOR] is True  # only the report was switched off
    # the next week: only the editor still gets it
    make_response(touchpoint, when=datetime(2026, 12, 9, 9, tzinfo=UTC), nps=9)
    assert schedule.run_due(MONDAY_MORNING + timedelta(days=7)).digests == 1


def test_a_campaign_without_anything_in_two_weeks_sends_no_report(app, smtp, booth) -> None:  # noqa: ANN001
    assert schedule.run_due(MONDAY_MORNING).digests == 0


def test_notify_run_once_reports_what_it_did(app, smtp, booth, runner) -> None:  # noqa: ANN001
    result = runner.invoke(args=["notify", "run", "--once"])
    assert result.exit_code == 0
    assert "report(s)" in result.output and "alert(s) written" in result.output and "send attempt(s)" in result.output
