"""Nurture mails (issue 25, item 3): with a constructed history, who gets which step when, the stops (unsubscribed,
threshold reached, stage changed), the reaction to a personal code recorded as an activity that raises the score,
idempotent runs, German and English mails, the page's numbers and erasure."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.leads import services as leads
from feedback.leads import stages
from feedback.leads.models import Activity, ChangedBy, Contact, ScoreEvent
from feedback.notifications import schedule
from feedback.notifications.models import Mail, MailStatus
from feedback.nurture import services, steps
from feedback.nurture.models import NurtureEnrolment, NurtureMail
from feedback.qr.models import Code, Scan
from feedback.texts import Texts
from tests.helpers import WHEN, count

DAY = timedelta(days=1)


@pytest.fixture
def shop(make_user, make_workspace, make_campaign, make_touchpoint, make_survey):  # noqa: ANN201
    """A workspace with an editor, a "Newsletter" touchpoint with a survey, and a two-step sequence (2 days after
    entering, then 5 days later) switched on an hour before WHEN."""
    owner, editor = make_user(), make_user(locale="de")
    workspace = make_workspace("Nordlicht", owner=owner, members={editor: Role.EDITOR})
    newsletter = make_touchpoint(campaign=make_campaign(workspace=workspace, name="Pflege"), name="Newsletter")
    make_survey(newsletter)
    for delay, de, en in ((2, "Schön, dass Sie da waren", "Good to see you"), (5, "Unser Angebot", "Our offer")):
        steps.add_step(workspace.id, steps.StepData(delay, Texts.of(de=de, en=en),
                       Texts.of(de=f"{de}.\n\nMehr dazu hier.", en=f"{en}.\n\nMore here."), newsletter.id), WHEN)
    steps.save_sequence(workspace.id, True, "sales_ready", WHEN - timedelta(hours=1))
    db.session.commit()
    return {"owner": owner, "editor": editor, "workspace": workspace, "newsletter": newsletter}  # fmt: skip


def _contact(shop, name: str, score: int = 0, when=WHEN, **kw) -> Contact:  # noqa: ANN001
    values = {"email": f"{name}@example.com", "consent_language": "de", "stage": "new", **kw}
    contact = Contact(
        workspace_id=shop["workspace"].id, touchpoint_id=shop["newsletter"].id, name=name.title(),
        consent_text="Ich bin einverstanden …", consented_at=when, created_at=when, score=score, **values,
    )  # fmt: skip
    db.session.add(contact)
    db.session.commit()
    return contact


def _mails(contact: Contact) -> list[str]:
    """The subjects of the nurture mails written to the contact, in order."""
    return list(db.session.scalars(sa.select(Mail.subject).where(Mail.contact_id == contact.id).order_by(Mail.id)))


def _scan(code_id: int, when, bot: bool = False) -> None:  # noqa: ANN001
    code = db.session.get(Code, code_id)
    db.session.add(Scan(workspace_id=code.workspace_id, touchpoint_id=code.touchpoint_id, code_id=code.id,
                        scanned_at=when, visitor_key="k" * 32, device_class="bot" if bot else "mobile", is_bot=bot,
                        arrival="personal_mailing"))  # fmt: skip
    db.session.commit()


def test_who_gets_which_step_when_and_why_a_sequence_stops(app, client, auth, shop) -> None:
    anna, ben = _contact(shop, "anna", 6), _contact(shop, "ben", consent_language="en")
    hanna, ida = _contact(shop, "hanna", 15), _contact(shop, "ida", consent_language="fr")
    never = [
        _contact(shop, "cara", unconfirmed=True),  # someone else's address
        _contact(shop, "dora", email="", phone="+49 40 123456"),  # no e-mail address
        _contact(shop, "emil", 40, stage="sales_ready"),  # at the threshold already
        _contact(shop, "fritz", when=WHEN - DAY),  # left their details before the sequence was switched on
        _contact(shop, "gina", stage="lost", lost_reason="price"),  # sales closed it
    ]
    assert services.run_due(WHEN + DAY).mails == 0  # step 1 waits two days
    assert services.run_due(WHEN + 2 * DAY).mails == 4
    assert services.run_due(WHEN + 2 * DAY).mails == 0 and count(NurtureMail) == 4  # idempotent
    assert _mails(anna) == ["Schön, dass Sie da waren"] and _mails(ben) == ["Good to see you"]
    assert _mails(ida) == ["Good to see you"]  # French: the English text
    assert all(_mails(c) == [] for c in never)

    # anna opens her personal code (a link checker opened it first: not counted); the reaction scores 5 points
    anna_mail = db.session.scalar(sa.select(NurtureMail).where(NurtureMail.contact_id == anna.id))
    _scan(anna_mail.code_id, WHEN + 2 * DAY + timedelta(minutes=1), bot=True)
    _scan(anna_mail.code_id, WHEN + 3 * DAY)
    _scan(anna_mail.code_id, WHEN + 3 * DAY + timedelta(hours=1))
    assert services.record_reactions(WHEN + 3 * DAY + timedelta(hours=2)) == 1
    assert services.record_reactions(WHEN + 4 * DAY) == 0  # once per mail
    db.session.expire_all()
    anna = db.session.get(Contact, anna.id)
    reaction = db.session.scalar(sa.select(ScoreEvent).where(ScoreEvent.activity == Activity.NURTURE_REACTION.value))
    assert (reaction.contact_id, reaction.points, reaction.created_at) == (anna.id, 5, WHEN + 3 * DAY)
    assert (anna.score, anna.stage) == (11, "new")

    # ben is taken on by sales, hanna's coupon makes her sales-ready, ida stops the mails through the link
    stages.move_stage(ben.workspace_id, ben.id, stages.Move("sales_accepted"), stages.Mover(ChangedBy.DASHBOARD),
                      WHEN + 4 * DAY)  # fmt: skip
    leads.score_activity(hanna, Activity.COUPON_REDEEMED, "coupon:1", None, WHEN + 4 * DAY)
    db.session.commit()
    token = services.stop_token(ida.workspace_id, ida.id)
    page = client.get(f"/nurture/stop/{token}")
    assert page.status_code == 200 and "Nordlicht" in page.get_data(as_text=True)
    assert client.post(f"/nurture/stop/{token}").status_code == 200
    assert client.post(f"/nurture/stop/{token}").status_code == 200  # again: nothing changes
    assert client.get("/nurture/stop/forged-token").status_code == 404
    db.session.expire_all()
    reasons = {e.contact_id: e.stop_reason for e in db.session.scalars(sa.select(NurtureEnrolment))}
    assert reasons == {anna.id: None, ben.id: "stage_changed", hanna.id: "reached_threshold", ida.id: "unsubscribed"}
    ida_mail = db.session.scalar(sa.select(Mail).where(Mail.contact_id == ida.id))
    assert ida_mail.status == MailStatus.CANCELLED.value  # it still waited in the outbox (no mail server here)

    assert services.run_due(WHEN + 7 * DAY - timedelta(minutes=1)).mails == 0  # 5 days after anna's first mail
    assert services.run_due(WHEN + 7 * DAY).mails == 1
    assert _mails(anna) == ["Schön, dass Sie da waren", "Unser Angebot"]
    assert services.run_due(WHEN + 30 * DAY).mails == 0  # after the last step nothing more

    stats = steps.step_stats(shop["workspace"].id)
    first, second = stats
    assert (first.sent, first.reacted.k, first.reacted.n) == (4, 1, 4)
    assert first.stopped == {"unsubscribed": 0, "reached_threshold": 0, "stage_changed": 0}
    assert second.stopped == {"unsubscribed": 1, "reached_threshold": 1, "stage_changed": 1}
    assert (second.sent, second.reacted.k) == (1, 0)
    auth.login(shop["editor"])
    page = client.get(f"/w/{shop['workspace'].slug}/leads/nurture/").get_data(as_text=True)
    assert "Unser Angebot" in page and "abgemeldet" in page and "1/4" in page


def test_a_stop_is_also_caught_at_send_time(shop) -> None:
    """A contact whose threshold was lowered (no stage change through the score: the sequence now stops earlier)."""
    anna = _contact(shop, "anna", 20)
    assert services.run_due(WHEN + 2 * DAY).mails == 1
    steps.save_sequence(shop["workspace"].id, True, "marketing_qualified", WHEN + 3 * DAY)
    db.session.commit()
    done = services.run_due(WHEN + 7 * DAY)
    assert (done.mails, done.stopped) == (0, 1)
    enrolment = db.session.get(NurtureEnrolment, anna.id)
    assert enrolment.stop_reason == "reached_threshold" and enrolment.stopped_before is not None


def test_the_mails_are_german_or_english_with_personal_link_and_stop_link(app, shop) -> None:
    anna, ben = _contact(shop, "anna"), _contact(shop, "ben", consent_language="en")
    services.run_due(WHEN + 2 * DAY)
    german = db.session.scalar(sa.select(Mail).where(Mail.contact_id == anna.id))
    english = db.session.scalar(sa.select(Mail).where(Mail.contact_id == ben.id))
    written = db.session.scalar(sa.select(NurtureMail).where(NurtureMail.contact_id == anna.id))
    code = db.session.get(Code, written.code_id)
    assert code.reference == f"nurture-{written.step_id}-{anna.id}" and code.batch_id is not None
    assert (german.topic, german.locale, english.locale) == ("nurture", "de", "en")
    assert f"https://fb.example/t/{code.code}" in german.text_body and f"/t/{code.code}" in german.html_body
    assert "Hallo Anna," in german.text_body and "Mehr dazu hier." in german.text_body
    assert "Keine weiteren dieser Mails" in german.text_body
    assert "Hello Ben," in english.text_body and "No more of these mails" in english.text_body
    assert german.list_unsubscribe.startswith("https://fb.example/nurture/stop/")
    assert german.user_id is None and german.dedupe_key.startswith("nurture:")


def test_erasing_a_contact_cancels_and_empties_its_mails(shop) -> None:
    anna = _contact(shop, "anna")
    services.run_due(WHEN + 2 * DAY)
    leads.erase(anna)
    db.session.commit()
    mail = db.session.scalar(sa.select(Mail).where(Mail.topic == "nurture"))
    assert (mail.status, mail.to_address, mail.text_body, mail.html_body) == ("cancelled", "", "", "")
    assert count(NurtureMail) == 0


def test_the_nurture_command_and_the_notify_run_write_due_steps(app, runner, shop) -> None:
    _contact(shop, "anna", when=WHEN - timedelta(minutes=30))
    done = runner.invoke(args=["nurture", "--no-send"])  # now: long after step 1 fell due
    assert done.exit_code == 0 and "1 mail(s) written" in done.output
    assert runner.invoke(args=["nurture", "--no-send"]).output.startswith("0 reaction(s) recorded, 0 mail(s)")
    _contact(shop, "ben", when=WHEN - timedelta(minutes=20))
    written = schedule.run_due(utcnow())  # ben's first step; anna's second waits 5 days after her first
    assert written.jobs == {"nurture mail(s)": 1}


def test_steps_are_built_by_editors_on_the_page_and_bad_steps_say_why(client, auth, shop) -> None:
    base = f"/w/{shop['workspace'].slug}/leads/nurture"
    auth.login(shop["editor"])
    bad = client.post(f"{base}/steps/new", data={"delay_days": "-1", "subject_de": "Hallo", "touchpoint_id": "0"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "Deutsch und Englisch" in body and "Touchpoint" in body and "0 bis 365" in body
    step = {"delay_days": "10", "subject_de": "Noch da?", "subject_en": "Still there?", "body_de": "Text",
            "body_en": "Text", "touchpoint_id": str(shop["newsletter"].id)}  # fmt: skip
    good = client.post(f"{base}/steps/new", data=step)
    assert good.status_code == 302
    third = steps.steps_of(shop["workspace"].id)[-1]
    assert (third.position, third.delay_days, third.subject) == (3, 10, {"de": "Noch da?", "en": "Still there?"})
    assert client.post(f"{base}/steps/{third.id}/remove").status_code == 302
    assert len(steps.steps_of(shop["workspace"].id)) == 2
    sent = steps.steps_of(shop["workspace"].id)[0]
    _contact(shop, "anna")
    services.run_due(WHEN + 2 * DAY)
    assert client.post(f"{base}/steps/{sent.id}/remove").status_code == 302  # a step with mails stays
    assert len(steps.steps_of(shop["workspace"].id)) == 2
