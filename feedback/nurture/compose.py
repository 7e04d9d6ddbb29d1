"""A nurture step's mail to one contact, in their language (German or English): the step's text, the personal link
and code, and why they get it with the link that stops these mails."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from feedback.auth.models import Workspace
from feedback.leads.models import Contact
from feedback.nurture.models import NurtureStep
from feedback.nurture.steps import STEP_LANGUAGES
from feedback.qr.codes import group
from feedback.texts import texts


@dataclass(frozen=True)
class StepMail:
    """A composed nurture mail and the language it is written in."""

    subject: str
    text: str
    html: str
    language: str


def mail_language(contact: Contact) -> str:
    """The contact's language where the steps are written in it, else English."""
    return contact.consent_language if contact.consent_language in STEP_LANGUAGES else "en"


def batch_name(step: NurtureStep) -> str:
    """How the mailing batch of a step's personal codes is named on its touchpoint's page."""
    return _("Nurture mail, step %(position)s", position=step.position)


def step_mail(
    step: NurtureStep, contact: Contact, workspace: Workspace, link: str, code: str, stop_url: str
) -> StepMail:
    """The mail of `step` to `contact` with their personal `link` and `code`, and `stop_url` to stop these mails."""
    language = mail_language(contact)
    with force_locale(language):
        subject = texts(step.subject).pick(language, "en")
        context = {
            "subject": subject,
            "paragraphs": [p.strip() for p in texts(step.body).pick(language, "en").split("\n\n") if p.strip()],
            "name": contact.name,
            "brand": workspace.name,
            "link": link,
            "code": group(code),
            "stop_url": stop_url,
            "consented_on": format_date(contact.consented_at.astimezone(ZoneInfo(workspace.timezone)).date(), "long"),
        }
        return StepMail(
            subject=subject,
            text=render_template("nurture/mail.txt", **context),
            html=render_template("nurture/mail.html", **context),
            language=language,
        )
