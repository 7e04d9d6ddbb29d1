"""Sending mail for real: SMTP settings, the test mail, the outbox's retries against a server that refuses, hangs,
is down and comes back, and mails that wait while no server is configured."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback import create_app
from feedback.config import ConfigError
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.notifications import mailer, outbox, services
from feedback.notifications.models import Mail, MailStatus, Topic
from tests.conftest import environ_for


def _mails() -> list[Mail]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Mail).order_by(Mail.id)))


def test_smtp_urls_are_read_or_refused_with_their_reason() -> None:
    assert mailer.parse_smtp_url("smtp://ann%40shop:p%3Ass@mail.example.com:587?starttls=1") == mailer.SmtpSettings(
        "mail.example.com", 587, "ann@shop", "p:ss", starttls=True
    )
    assert mailer.parse_smtp_url("smtps://mail.example.com").port == 465
    assert mailer.parse_smtp_url("smtp://relay?timeout=5").timeout == 5
    assert mailer.parse_smtp_url("smtp://u:secret@relay:25").describe() == "smtp://u@relay:25"  # no password shown
    for bad, reason in [
        ("http://mail.example.com", "must look like"),
        ("smtp://", "must look like"),
        ("smtp://relay?tls=1", "unknown settings: tls"),
        ("smtp://relay?timeout=soon", "timeout must be a number"),
        ("smtp://relay?timeout=0", "between 0 and 60"),
        ("smtp://relay?timeout=120", "between 0 and 60"),
        ("smtps://relay?starttls=1", "already uses TLS"),
        ("smtp://relay:99999", "not a valid URL"),
    ]:
        with pytest.raises(mailer.SmtpUrlInvalid, match=reason):
            mailer.parse_smtp_url(bad)


def test_the_service_refuses_to_start_with_a_malformed_mail_server_or_sender(database_url) -> None:  # noqa: ANN001
    with pytest.raises(ConfigError, match="SMTP_URL"):
        create_app({"ENVIRON": environ_for(database_url, SMTP_URL="mail.example.com:25")})
    with pytest.raises(ConfigError, match="MAIL_FROM"):
        create_app({"ENVIRON": environ_for(database_url, MAIL_FROM="feedback")})


def test_mail_test_sends_one_multipart_mail_in_the_chosen_language(app, runner, smtp) -> None:  # noqa: ANN001
    result = runner.invoke(args=["mail", "test", "ops@example.com", "--locale", "de"])
    assert result.exit_code == 0, result.output
    assert f"sent to ops@example.com via smtp://127.0.0.1:{smtp.port}" in result.output
    (message,) = smtp.inbox.wait_for(1)
    assert smtp.inbox.envelopes == [("noreply@fb.example", ["ops@example.com"])]
    assert message["From"] == "feedback <noreply@fb.example>" and message["To"] == "ops@example.com"
    assert message["Subject"] == "Testmail von feedback"
    assert message["Content-Language"] == "de" and message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] is None  # nothing to unsubscribe from
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Der Mailserver funktioniert" in text and "Der Mailserver funktioniert" in html
    assert "<img" not in html and "<script" not in html
    (mail,) = _mails()
    assert (mail.status, mail.attempts, mail.message_id) == ("sent", 1, message["Message-ID"])


def test_an_address_that_is_none_is_refused_before_anything_is_stored(app, runner, smtp) -> None:  # noqa: ANN001
    for bad in ["ops", "ops@example", "a@b.c\r\nBcc: x@evil.example", "Ann <ann@example.com>"]:
        result = runner.invoke(args=["mail", "test", bad])
        assert result.exit_code == 2 and "is not an e-mail address" in result.output
    assert _mails() == [] and smtp.inbox.messages == []


def test_a_refused_recipient_is_given_up_with_the_servers_reason(app, runner, smtp) -> None:  # noqa: ANN001
    smtp.inbox.refused = {"gone@example.com"}
    result = runner.invoke(args=["mail", "test", "gone@example.com"])
    assert result.exit_code == 1
    assert "550 5.1.1 No such user here (given up)" in result.output
    (mail,) = _mails()
    assert (mail.status, mail.attempts) == ("failed", 1) and mail.last_error.startswith("550")
    assert runner.invoke(args=["mail", "test", "ops@example.com"]).exit_code == 0  # others still go out
    assert smtp.inbox.wait_for(1)[0]["To"] == "ops@example.com"


def _queue(to: str = "ops@example.com") -> int:
    mail = outbox.queue_mail(
        to=to, topic=Topic.TEST.value, subject="Hello", text="Hi", html="<p>Hi</p>", locale="en", now=utcnow()
    )
    db.session.commit()
    return mail.id


def _send(app, now=None) -> int:  # noqa: ANN001
    return outbox.run_once(app, services.bundle, now)


def test_a_busy_server_is_tried_again_with_backoff_until_it_accepts(app, smtp) -> None:  # noqa: ANN001
    mail_id = _queue()
    smtp.inbox.mode = "busy"
    assert _send(app) == 1
    (mail,) = _mails()
    assert (mail.status, mail.attempts) == ("pending", 1) and mail.last_error.startswith("451")
    retry = mail.next_attempt_at
    assert retry > utcnow() + timedelta(seconds=20)  # the first retry waits about 30 s
    assert _send(app) == 0  # not due yet
    smtp.inbox.mode = "accept"
    assert _send(app, retry + timedelta(seconds=1)) == 1
    (message,) = smtp.inbox.wait_for(1)
    (mail,) = _mails()
    assert (mail.id, mail.status, mail.attempts, mail.last_error) == (mail_id, "sent", 2, "")
    assert message["Message-ID"] == mail.message_id


def test_a_server_that_hangs_times_out_and_one_that_is_down_is_tried_again(app, smtp) -> None:  # noqa: ANN001
    _queue()
    smtp.inbox.mode = "hang"
    assert _send(app) == 1
    (mail,) = _mails()
    assert mail.status == "pending" and "did not answer within 2 s" in mail.last_error
    smtp.stop()  # the server goes away altogether
    later = mail.next_attempt_at + timedelta(seconds=1)
    assert _send(app, later) == 1
    (mail,) = _mails()
    assert (mail.status, mail.attempts) == ("pending", 2) and "refused" in mail.last_error.lower()
    smtp.inbox.mode = "accept"
    smtp.start()  # … and comes back
    assert _send(app, mail.next_attempt_at + timedelta(seconds=1)) == 1
    smtp.inbox.wait_for(1)
    (mail,) = _mails()
    assert (mail.status, mail.attempts) == ("sent", 3)
    assert len(smtp.inbox.messages) == 1  # once, however often it was tried


def test_a_mail_is_given_up_after_its_last_attempt(app, smtp) -> None:  # noqa: ANN001
    _queue()
    smtp.inbox.mode = "busy"
    now = utcnow()
    for _ in range(outbox.MAX_ATTEMPTS):
        assert _send(app, now) == 1
        (mail,) = _mails()
        now = mail.next_attempt_at + timedelta(seconds=1)
    assert (mail.status, mail.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert _send(app, now + timedelta(days=30)) == 0


def test_a_mail_of_a_rolled_back_write_never_exists_and_a_crashed_attempt_is_sent_once(app, smtp) -> None:  # noqa: ANN001
    outbox.queue_mail(to="ops@example.com", topic="test", subject="x", text="x", html="", locale="en", now=utcnow())
    db.session.rollback()
    assert _mails() == []
    _queue()
    # a dispatcher claims the mail and dies before it talks to the server: the lease runs out, another sends it
    claimed = outbox._claim(utcnow(), 10)
    assert len(claimed) == 1 and _send(app) == 0
    assert _send(app, utcnow() + timedelta(seconds=outbox.LEASE_SECONDS + 1)) == 1
    smtp.inbox.wait_for(1)
    assert _send(app, utcnow() + timedelta(days=1)) == 0
    assert len(smtp.inbox.messages) == 1 and _mails()[0].status == "sent"


@pytest.mark.app_config(SMTP_URL="")
def test_without_a_mail_server_mails_wait_in_the_outbox(app, runner, smtp) -> None:  # noqa: ANN001
    result = runner.invoke(args=["mail", "test", "ops@example.com"])
    assert result.exit_code == 1 and "not sent: no mail server configured" in result.output
    assert _send(app) == 0
    (mail,) = _mails()
    assert (mail.status, mail.attempts) == (MailStatus.PENDING.value, 0)
    notify = runner.invoke(args=["notify", "run", "--once"])
    assert notify.exit_code == 0 and "no mail server configured" in notify.output
    assert _mails()[0].status == "pending" and smtp.inbox.messages == []


def test_a_refused_sender_or_login_is_the_operators_to_fix_and_the_mails_wait(app, smtp) -> None:  # noqa: ANN001
    _queue()
    smtp.inbox.mode = "sender"
    assert _send(app) == 1
    (mail,) = _mails()
    assert (mail.status, mail.attempts) == ("pending", 1)  # not given up: every mail would be lost to one typo
    assert mail.last_error.startswith("550 5.7.1 Sender address rejected")
    smtp.inbox.mode = "accept"
    assert _send(app, mail.next_attempt_at + timedelta(seconds=1)) == 1
    smtp.inbox.wait_for(1)
    assert _mails()[0].status == "sent"


def test_an_international_address_goes_out_as_smtputf8(app, smtp) -> None:  # noqa: ANN001
    assert mailer.check_address("jörg@example.de") == "jörg@example.de"  # sign-up takes it, so must we
    _queue("jörg@example.de")
    _queue("ops@example.com")
    assert _send(app) == 2
    smtp.inbox.wait_for(2)
    assert sorted(rcpt for _, (rcpt,) in smtp.inbox.envelopes) == ["jörg@example.de", "ops@example.com"]
    assert [m.status for m in _mails()] == ["sent", "sent"]
