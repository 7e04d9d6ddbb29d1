"""Alerts from what happens: a detractor's comment or call-back request, a lead that became sales-ready; routed to
the person in charge, grouped per minute, switchable per member, with one-click unsubscribe and no personal data
without consent."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from feedback.auth.models import Membership, Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.notifications import outbox, services
from feedback.notifications.models import Alert, Mail, Topic
from feedback.surveys import services as survey_services
from feedback.surveys.models import Response
from feedback.touchpoints.models import Channel
from tests.phone import Respondent, form_fields


def _answer(app, code, nps: str, reason: str = "") -> str:  # noqa: ANN001
    """A new phone answers the two pages of "NPS + reason"; the thank-you page's URL."""
    phone = Respondent(app.test_client())
    second = phone.submit(f"/t/{code.code}", q_nps=nps)
    assert second.status_code == 200, second.get_data(as_text=True)[:300]
    reply = phone.post(f"/t/{code.code}", {**form_fields(second.get_data(as_text=True)), "q_reason": reason})
    assert reply.status_code == 303, reply.get_data(as_text=True)[:300]
    phone_of[reply.headers["Location"]] = phone
    return reply.headers["Location"]


#: The phone that reached each thank-you page (to leave contact details from it).
phone_of: dict[str, Respondent] = {}


def _send(app, now=None) -> int:  # noqa: ANN001
    return outbox.run_once(app, services.bundle, now)


def _mails() -> list[Mail]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Mail).order_by(Mail.id)))


@pytest.fixture
def shop(make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_code):  # noqa: ANN001, ANN201
    """A workspace with an owner (German), an editor in charge of the shop window, a viewer; a campaign asking for
    contact details; the shop window asks NPS and a reason."""
    owner = make_user(email="inhaber@example.com", locale="de", name="Ines Inhaber")
    editor = make_user(email="eva@example.com", locale="en", name="Eva Editor")
    viewer = make_user(email="viktor@example.com")
    workspace = make_workspace("Nordlicht <Kaffee>", owner=owner, members={editor: Role.EDITOR, viewer: Role.VIEWER})
    campaign = make_campaign(workspace=workspace, name="Frühjahr", ask_contact=True)
    window = make_touchpoint(campaign=campaign, name="Schaufenster <b>", channel=Channel.POSTER, owner_id=editor.id)
    with_survey(window, "nps-reason")
    code = make_code(window)
    return workspace, campaign, window, code, owner, editor, viewer


def test_a_detractors_comment_reaches_the_person_in_charge_at_once(app, smtp, shop) -> None:  # noqa: ANN001
    workspace, campaign, window, code, owner, editor, viewer = shop
    _answer(app, code, "3", "Kalt & <i>teuer</i>")
    _answer(app, code, "9", "Super")  # a promoter: no alert
    _answer(app, code, "5")  # no comment: nothing to act on
    assert _send(app) == 1
    (message,) = smtp.inbox.wait_for(1)
    assert message["To"] == "eva@example.com"  # the person in charge, not the owner or the viewer
    assert message["Subject"] == "Detractor at Schaufenster <b>: 3 of 10"
    text, html = message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
    assert '"Kalt & <i>teuer</i>"' in text
    assert "Kalt &amp; &lt;i&gt;teuer&lt;/i&gt;" in html and "<i>teuer" not in html  # the answer is escaped
    assert "Schaufenster &lt;b&gt;" in html
    link = f"https://fb.example/w/{workspace.slug}/campaigns/{campaign.id}/ratings/{window.id}"
    assert link in text and f'href="{link}"' in html
    assert "Asked to be contacted" not in text  # nothing personal: they left no details
    unsubscribe = re.search(r"<(https://fb\.example/unsubscribe/[^>]+)>", message["List-Unsubscribe"]).group(1)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text and unsubscribe.replace("&", "&amp;") in html
    assert "<img" not in html and "<script" not in html
    (mail,) = _mails()
    assert (mail.user_id, mail.topic, mail.status, mail.locale) == (editor.id, "detractor", "sent", "en")


def test_without_a_person_in_charge_the_campaigns_then_the_editors_get_it_in_their_language(
    app,
    smtp,
    shop,  # noqa: ANN001
) -> None:
    workspace, campaign, window, code, owner, editor, viewer = shop
    window.owner_id = None
    db.session.commit()
    _answer(app, code, "0", "Nie wieder")
    _send(app)
    messages = smtp.inbox.wait_for(2)
    by_address = {m["To"]: m for m in messages}
    assert set(by_address) == {"inhaber@example.com", "eva@example.com"}  # editors and owners, never viewers
    assert by_address["inhaber@example.com"]["Subject"] == "Kritiker bei Schaufenster <b>: 0 von 10"
    assert by_address["inhaber@example.com"]["Content-Language"] == "de"
    assert "Bearbeiter von Nordlicht <Kaffee>" in by_address["inhaber@example.com"].get_body(("plain",)).get_content()


def test_many_alerts_within_a_minute_come_as_one_mail(app, smtp, shop) -> None:  # noqa: ANN001
    workspace, campaign, window, code, owner, editor, viewer = shop
    _answer(app, code, "2", "Erstens")
    assert _send(app) == 1  # the first at once
    for reason in ("Zweitens", "Drittens"):
        _answer(app, code, "4", reason)
    assert _send(app) == 0  # the others wait for the minute to pass
    due = db.session.scalar(sa.select(sa.func.min(Alert.due_at)).where(Alert.mail_id.is_(None)))
    assert _send(app, due + timedelta(seconds=1)) == 1
    first, second = smtp.inbox.wait_for(2)
    assert first["Subject"].startswith("Detractor at")
    assert second["Subject"] == "2 detractors need attention"
    body = second.get_body(("plain",)).get_content()
    assert "Zweitens" in body and "Drittens" in body and "Erstens" not in body
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Alert).where(Alert.mail_id.is_(None))) == 0


def test_a_detractor_who_asks_to_be_called_back_comes_with_the_consented_details(app, smtp, shop) -> None:  # noqa: ANN001
    workspace, campaign, window, code, owner, editor, viewer = shop
    thanks = _answer(app, code, "6")  # no comment: no alert yet
    assert _send(app) == 0
    left = phone_of[thanks].leave_contact(thanks, name="Anna Berg", email="anna@example.com", consent="yes")
    assert left.status_code == 303
    assert _send(app) == 1
    (message,) = smtp.inbox.wait_for(1)
    text = message.get_body(("plain",)).get_content()
    assert "Asked to be contacted: Anna Berg anna@example.com" in text
    assert "They agreed to:" in text and "Nordlicht <Kaffee>" in text  # the consent wording, word for word
    assert f"/w/{workspace.slug}/contacts/" in text


def test_a_lead_that_becomes_sales_ready_is_announced_with_consent_and_score_history(
    app,
    smtp,
    make_user,
    make_workspace,
    make_campaign,
    make_touchpoint,
    make_survey,
    make_code,  # noqa: ANN001
) -> None:
    owner = make_user(email="chefin@example.com", locale="de")
    workspace = make_workspace("Messe GmbH", owner=owner)
    campaign = make_campaign(workspace=workspace, name="Messe 2026", ask_contact=True)
    booth = make_touchpoint(campaign=campaign, name="Messestand", channel=Channel.TRADE_FAIR, cost=Decimal("1000"))
    make_survey(booth, "trade-fair")
    code = make_code(booth)
    phone = Respondent(app.test_client())
    thanks = phone.answer(f"/t/{code.code}", q_nps="10", q_csat="5", q_ces="6", q_follow_up="offer")
    phone.leave_contact(thanks, name="Bert Kunde", email="bert@example.com", consent="yes")
    _send(app)
    (message,) = smtp.inbox.wait_for(1)
    assert message["To"] == "chefin@example.com"
    assert message["Subject"] == "Ein Lead ist bereit für den Vertrieb"
    text = message.get_body(("plain",)).get_content()
    assert "Bert Kunde hat" in text and "bereit für den Vertrieb" in text and "bert@example.com" in text
    assert "Eingewilligt in:" in text
    assert "Umfrage abgeschlossen" in text or "Completed a survey" not in text  # the history, in German
    assert re.search(r"\+\d+", text)


def test_a_member_switches_an_alert_off_in_the_dashboard_or_with_one_click(app, smtp, shop, auth) -> None:  # noqa: ANN001
    workspace, campaign, window, code, owner, editor, viewer = shop
    client = app.test_client()
    client.post("/login", data={"email": "eva@example.com", "password": "correct horse battery"})
    page = client.get(f"/w/{workspace.slug}/notifications/").get_data(as_text=True)
    assert 'value="detractor" checked' in page and "Alerts by mail" in page
    saved = client.post(f"/w/{workspace.slug}/notifications/", data={"topic": ["sales_ready", "digest"]})
    assert saved.status_code == 302
    assert services.switches(editor.id, workspace.id)[Topic.DETRACTOR] is False
    _answer(app, code, "1", "Schlecht")
    assert _send(app) == 0 and _mails() == []  # off: nothing written for her
    client.post(f"/w/{workspace.slug}/notifications/", data={"topic": ["detractor"]})
    _answer(app, code, "1", "Wieder schlecht")
    _send(app)
    (message,) = smtp.inbox.wait_for(1)
    link = re.search(r"<https://fb\.example(/unsubscribe/[^>]+)>", message["List-Unsubscribe"]).group(1)
    anonymous = app.test_client()
    shown = anonymous.get(link)
    assert shown.status_code == 200 and "Stop these mails from Nordlicht &lt;Kaffee&gt;" in shown.get_data(as_text=True)
    assert services.switches(editor.id, workspace.id)[Topic.DETRACTOR] is True  # a GET changes nothing
    # what a mail provider sends for one-click unsubscribing (RFC 8058): no cookie, no CSRF token
    done = anonymous.post(link, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200 and "Unsubscribed" in done.get_data(as_text=True)
    assert services.switches(editor.id, workspace.id)[Topic.DETRACTOR] is False
    assert services.switches(editor.id, workspace.id)[Topic.DIGEST] is False  # the form left it off
    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert anonymous.post(tampered).status_code == 404 and anonymous.get(tampered).status_code == 404


def test_viewers_get_no_alerts_and_see_no_mail_log(app, smtp, shop) -> None:  # noqa: ANN001
    workspace, campaign, window, code, owner, editor, viewer = shop
    client = app.test_client()
    client.post("/login", data={"email": "viktor@example.com", "password": "correct horse battery"})
    page = client.get(f"/w/{workspace.slug}/notifications/")
    assert page.status_code == 200 and "Ask an owner of the workspace for the editor role" in page.get_data(
        as_text=True
    )
    assert client.post(f"/w/{workspace.slug}/notifications/", data={"topic": []}).status_code == 200
    assert "Mail log" not in page.get_data(as_text=True)


@pytest.mark.app_config(SMTP_URL="")
def test_without_a_mail_server_the_log_says_why_alerts_wait(app, smtp, shop) -> None:  # noqa: ANN001
    workspace, campaign, window, code, owner, editor, viewer = shop
    _answer(app, code, "3", "Zu laut")
    _send(app)
    (mail,) = _mails()
    assert (mail.status, mail.attempts) == ("pending", 0)
    client = app.test_client()
    client.post("/login", data={"email": "eva@example.com", "password": "correct horse battery"})
    page = client.get(f"/w/{workspace.slug}/notifications/").get_data(as_text=True)
    assert "No mail server is configured." in page and "not sent: no mail server configured" in page
    assert "Detractor at Schaufenster &lt;b&gt;: 3 of 10" in page


def test_deleting_a_response_erases_what_its_alerts_carried(app, smtp, shop) -> None:  # noqa: ANN001
    workspace, campaign, window, code, owner, editor, viewer = shop
    smtp.inbox.mode = "busy"
    _answer(app, code, "3", "Mein Name ist Hase")
    _send(app)
    (mail,) = _mails()
    assert mail.status == "pending" and "Hase" in mail.text_body
    survey_services.delete_response(workspace.id, db.session.scalar(sa.select(Response.id)), utcnow())
    db.session.commit()
    (mail,) = _mails()
    assert (mail.status, mail.text_body, mail.html_body) == ("cancelled", "", "")
    assert all(a.data == {"erased": True} for a in db.session.scalars(sa.select(Alert)))
    smtp.inbox.mode = "accept"
    assert _send(app, utcnow() + timedelta(days=1)) == 0 and smtp.inbox.messages == []


def test_erasing_one_response_of_a_bundle_still_sends_the_others(app, smtp, shop) -> None:  # noqa: ANN001
    workspace, campaign, window, code, owner, editor, viewer = shop
    _answer(app, code, "2", "Erstens")
    _send(app)
    smtp.inbox.wait_for(1)
    smtp.inbox.mode = "busy"
    _answer(app, code, "4", "Zweitens")
    _answer(app, code, "4", "Drittens")
    due = db.session.scalar(sa.select(sa.func.min(Alert.due_at)).where(Alert.mail_id.is_(None)))
    _send(app, due + timedelta(seconds=1))  # bundled into one mail, which the server does not take yet
    db.session.rollback()
    second = db.session.scalar(sa.select(Response.id).join(Response.answers).where(sa.text("value_text = 'Zweitens'")))
    survey_services.delete_response(workspace.id, second, utcnow())
    db.session.commit()
    smtp.inbox.mode = "accept"
    _send(app, utcnow() + timedelta(minutes=5))
    first, again = smtp.inbox.wait_for(2)
    body = again.get_body(("plain",)).get_content()
    assert (
        "Drittens" in body and "Zweitens" not in body and again["Subject"] == "Detractor at Schaufenster <b>: 4 of 10"
    )
    statuses = sorted(m.status for m in _mails())
    assert statuses == ["cancelled", "sent", "sent"]


def test_an_alert_erased_before_its_mail_sends_nothing(app, smtp, shop) -> None:  # noqa: ANN001
    workspace, campaign, window, code, owner, editor, viewer = shop
    _answer(app, code, "2", "Erstens")
    _send(app)
    _answer(app, code, "3", "Meine Nummer ist 0171 1234567")  # waits for the minute
    response_id = db.session.scalar(sa.select(sa.func.max(Response.id)))
    survey_services.delete_response(workspace.id, response_id, utcnow())
    db.session.commit()
    assert _send(app, utcnow() + timedelta(minutes=5)) == 0
    assert len(smtp.inbox.wait_for(1)) == 1 and len(_mails()) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Alert)) == 1  # only the first one's


def test_a_waiting_mail_is_not_sent_to_a_member_who_left_meanwhile(app, smtp, shop) -> None:  # noqa: ANN001
    workspace, campaign, window, code, owner, editor, viewer = shop
    smtp.inbox.mode = "busy"
    _answer(app, code, "1", "Unfreundlich")
    _send(app)
    (mail,) = _mails()
    assert mail.status == "pending" and mail.user_id == editor.id
    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == editor.id))
    db.session.delete(membership)
    db.session.commit()
    smtp.inbox.mode = "accept"
    _send(app, utcnow() + timedelta(hours=1))
    (mail,) = _mails()
    assert mail.status == "cancelled" and "no longer an editor" in mail.last_error
    assert smtp.inbox.messages == []


def test_the_question_and_score_history_come_in_the_recipients_language(app, smtp, shop) -> None:  # noqa: ANN001
    workspace, campaign, window, code, owner, editor, viewer = shop
    phone = Respondent(app.test_client(), headers={"Accept-Language": "fr"})
    second = phone.submit(f"/t/{code.code}", q_nps="2")
    phone.post(f"/t/{code.code}", {**form_fields(second.get_data(as_text=True)), "q_reason": "Trop cher"})
    _send(app)
    (message,) = smtp.inbox.wait_for(1)
    text = message.get_body(("plain",)).get_content()
    assert "What should we improve?" in text  # the English editor reads the question in English
    assert '"Trop cher"' in text
