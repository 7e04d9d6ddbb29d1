"""Consented contacts and lead scoring.

A contact exists only with consent: the form's unticked box must be ticked, and the wording agreed to is stored
with the language and time. Points come from activities (see models.Activity); each counts once per source. The
stage follows the score against the workspace's thresholds; a rise fires the `lead.qualified` webhook.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from feedback import events
from feedback.auth.models import Role, Workspace
from feedback.db_types import utcnow
from feedback.errors import DomainError
from feedback.events import Bus, ContactErased, ContactLeft, CouponRedeemed, InviteAccepted
from feedback.extensions import db
from feedback.leads import stages
from feedback.leads.models import (
    DEFAULT_MQL,
    DEFAULT_POINTS,
    DEFAULT_SALES_READY,
    SCORED_STAGES,
    Activity,
    ChangedBy,
    Contact,
    LeadSettings,
    ScoreEvent,
    Stage,
)
from feedback.surveys.models import Answer, Response
from feedback.surveys.questions import PROMOTER_MIN
from feedback.tenancy import get_owned, owned
from feedback.texts import Texts, texts
from feedback.touchpoints.models import Campaign, Touchpoint

#: Answers of the follow-up question that mean "interested".
FOLLOW_UP_INTEREST = frozenset({"offer", "info", "call", "yes"})
PHONE_PATTERN = re.compile(r"\+?[0-9][0-9 ()/-]{4,30}")

DEFAULT_PURPOSE = {
    "de": "Ich bin einverstanden, dass {brand} mich zu meinem Feedback und zu passenden Angeboten per E-Mail oder "
    "Telefon kontaktiert. Meine Angaben werden nur dafür genutzt; ich kann die Einwilligung jederzeit widerrufen.",
    "en": "I agree that {brand} may contact me by e-mail or phone about my feedback and matching offers. My details "
    "are used only for this; I can withdraw my consent at any time.",
    "fr": "J'accepte que {brand} me contacte par e-mail ou par téléphone au sujet de mon avis et d'offres adaptées. "
    "Mes données ne sont utilisées qu'à cette fin ; je peux retirer mon consentement à tout moment.",
    "es": "Acepto que {brand} se ponga en contacto conmigo por correo electrónico o teléfono sobre mi opinión y "
    "ofertas adecuadas. Mis datos solo se usan para ello; puedo retirar mi consentimiento en cualquier momento.",
    "it": "Acconsento che {brand} mi contatti via e-mail o telefono in merito al mio feedback e a offerte adatte. "
    "I miei dati sono usati solo a questo scopo; posso revocare il consenso in qualsiasi momento.",
    "nl": "Ik ga ermee akkoord dat {brand} per e-mail of telefoon contact met mij opneemt over mijn feedback en "
    "passende aanbiedingen. Mijn gegevens worden alleen hiervoor gebruikt; ik kan mijn toestemming altijd intrekken.",
    "pl": "Wyrażam zgodę na kontakt ze strony {brand} e-mailem lub telefonicznie w sprawie mojej opinii i "
    "dopasowanych ofert. Moje dane są wykorzystywane tylko w tym celu; mogę w każdej chwili wycofać zgodę.",
    "tr": "{brand} firmasının geri bildirimim ve uygun teklifler hakkında benimle e-posta veya telefonla iletişime "
    "geçmesini kabul ediyorum. Bilgilerim yalnızca bunun için kullanılır; onayımı istediğim zaman geri alabilirim.",
}




class ContactInvalid(DomainError):
    """What a respondent entered cannot be stored; `errors` maps field names to messages. Nothing is stored."""

    status = 422
    message = _l("Please check your details.")

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


# --- settings ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """The scoring rules in force for a workspace."""

    points: dict[Activity, int]
    mql_at: int
    sales_ready_at: int
    #: The workspace's own consent wording per language (empty: the default wording).
    own_purpose: Texts = Texts()

    def stage_for(self, score: int) -> Stage:
        if score >= self.sales_ready_at:
            return Stage.SALES_READY
        if score >= self.mql_at:
            return Stage.MARKETING_QUALIFIED
        return Stage.NEW

    def purpose(self, language: str, brand: str) -> str:
        """The consent wording shown (and stored) in the respondent's language."""
        own = self.own_purpose.get(language).strip()
        return own or DEFAULT_PURPOSE.get(language, DEFAULT_PURPOSE["en"]).format(brand=brand)


def rules_for(workspace_id: int) -> Rules:
    """The workspace's rules: its own settings over the defaults."""
    settings = db.session.get(LeadSettings, workspace_id)
    points = dict(DEFAULT_POINTS)
    if settings is not None:
        stored = json.loads(settings.points or "{}")
        points |= {Activity(k): int(v) for k, v in stored.items() if k in Activity.__members__.values()}
    return Rules(
        points=points,
        mql_at=settings.mql_at if settings else DEFAULT_MQL,
        sales_ready_at=settings.sales_ready_at if settings else DEFAULT_SALES_READY,
        own_purpose=texts(settings.purpose) if settings else Texts(),
    )


def save_purpose(workspace_id: int, purpose: Texts) -> None:
    """Store the workspace's consent wording in the languages it writes in; wordings in the others stay stored. The
    points and thresholds are saved as versions (`leads.scoring.save_version`). The caller commits."""
    settings = db.session.get(LeadSettings, workspace_id) or LeadSettings(
        workspace_id=workspace_id, points="{}", mql_at=DEFAULT_MQL, sales_ready_at=DEFAULT_SALES_READY
    )
    workspace = db.session.get(Workspace, workspace_id)
    shown = workspace.language_list if workspace else ()
    kept = {k: v for k, v in texts(settings.purpose).items if k not in shown}
    settings.purpose = {**kept, **purpose.stripped(2000).as_dict()}
    db.session.add(settings)


# --- capturing a contact -----------------------------------------------------------------------------------------


def clean_details(name: str, email: str, phone: str, consent: bool) -> tuple[str, str, str]:
    """Name, normalised e-mail and phone, or ContactInvalid naming each problem (in the respondent's language)."""
    errors: dict[str, str] = {}
    name, email, phone = " ".join(name.split())[:120], email.strip(), " ".join(phone.split())
    if not consent:
        errors["consent"] = str(_l("Please tick the box if we may contact you; otherwise we store nothing."))
    if not email and not phone:
        errors["email"] = str(_l("Enter an e-mail address or a phone number."))
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            errors["email"] = str(_l("This is not an e-mail address, e.g. name@example.com."))
    if phone and not PHONE_PATTERN.fullmatch(phone):
        errors["phone"] = str(_l("Enter a phone number with digits only, e.g. +49 40 1234567."))
    if errors:
        raise ContactInvalid(errors)
    return name, email, phone[:40]


class DetailsAlreadyLeft(DomainError):
    """This response has left its contact details already (perhaps in a second tab at the same moment)."""

    status = 409


def capture(
    response: Response, name: str, email: str, phone: str, consent: bool, language: str, brand: str, now: datetime
) -> Contact:
    """Store the respondent's contact with their consent, link it to the response and score what they did.

    One response leaves one contact: asked again, it returns that contact and changes nothing. A respondent proves
    nothing about the address they type, so an address another contact of the workspace holds never changes that
    contact (its name, phone, consent or score): the respondent gets a contact of their own, marked as having the
    same address, until ownership is confirmed. The caller commits.

    :raises ContactInvalid: no consent, nothing to reach them by, or malformed details. Nothing is stored.
    :raises DetailsAlreadyLeft: another request left this response's details in the meantime; roll back.
    """
    if response.contact_id is not None:
        return get_contact(response.workspace_id, response.contact_id)
    name, email, phone = clean_details(name, email, phone, consent)
    rules = rules_for(response.workspace_id)
    holder = _existing(response.workspace_id, email, phone)
    contact = Contact(
        workspace_id=response.workspace_id,
        touchpoint_id=response.touchpoint_id,
        name=name,
        email=email,
        phone=phone,
        consent_text=rules.purpose(language, brand),
        consent_language=language,
        consented_at=now,
        score=0,
        stage=Stage.NEW.value,
        created_at=now,
        unconfirmed=holder is not None,
        same_address_as=holder.id if holder is not None else None,
    )
    db.session.add(contact)
    db.session.flush()
    linked = db.session.execute(
        sa.update(Response)
        .where(Response.id == response.id, Response.contact_id.is_(None))
        .values(contact_id=contact.id)
        .execution_options(synchronize_session=False)
    )
    if linked.rowcount != 1:
        raise DetailsAlreadyLeft()
    response.contact_id = contact.id
    for activity in _response_activities(response):
        _add(contact, activity, f"response:{response.id}", response.touchpoint_id, rules, now)
    restage(contact, rules, now)
    events.publish(ContactLeft(contact.workspace_id, contact.id, response.id, response.touchpoint_id, now))
    return contact


def _existing(workspace_id: int, email: str, phone: str) -> Contact | None:
    """The contact that holds the address: the first one left with it, confirmed ones first."""
    if email:
        same = Contact.email == email
    else:
        same = sa.and_(Contact.email == "", Contact.phone == phone)
    return db.session.scalar(
        owned(Contact, workspace_id, same).order_by(Contact.unconfirmed, Contact.id).limit(1)
    )


def _response_activities(response: Response) -> list[Activity]:
    """What the response itself earns: the scan, the completion, a promoter answer, interest in a follow-up."""
    found = []
    if response.scan_id is not None:
        found.append(Activity.SCAN)
    if response.completed_at is not None and not response.flagged:
        found.append(Activity.COMPLETED)
    answers = db.session.execute(
        sa.select(Answer.question_type, Answer.question_key, Answer.value_number, Answer.value_text).where(
            Answer.response_id == response.id
        )
    ).all()
    if any(kind == "nps" and number is not None and number >= PROMOTER_MIN for kind, _k, number, _t in answers):
        found.append(Activity.PROMOTER)
    if any(key == "follow_up" and (text or "") in FOLLOW_UP_INTEREST for _kind, key, _n, text in answers):
        found.append(Activity.FOLLOW_UP)
    return found


def _add(
    contact: Contact, activity: Activity, source: str, touchpoint_id: int | None, rules: Rules, now: datetime
) -> bool:
    """Score one activity once per source; False when it was already counted."""
    exists = db.session.scalar(
        sa.select(ScoreEvent.id).where(
            ScoreEvent.contact_id == contact.id, ScoreEvent.activity == activity.value, ScoreEvent.source == source
        )
    )
    if exists is not None:
        return False
    points = rules.points.get(activity, 0)
    db.session.add(
        ScoreEvent(
            workspace_id=contact.workspace_id,
            contact_id=contact.id,
            activity=activity.value,
            points=points,
            source=source,
            touchpoint_id=touchpoint_id,
            created_at=now,
        )
    )
    contact.score += points
    return True


def restage(contact: Contact, rules: Rules, now: datetime) -> None:
    """Move the contact to the marketing stage its score reaches, record the move and tell the subscribers (a
    rise: lead.qualified). A lead that sales took on (or that was won or lost) is no longer moved by its score."""
    if Stage(contact.stage) not in SCORED_STAGES:
        return
    stage = rules.stage_for(contact.score)
    if stage.value == contact.stage:
        return
    previous = contact.stage
    contact.stage = stage.value
    contact.stage_changed_at = now
    stages.record(contact, previous, stages.Mover(ChangedBy.SCORE), now)


def score_activity(
    contact: Contact, activity: Activity, source: str, touchpoint_id: int | None, now: datetime
) -> bool:
    """Score one activity of the contact once per source with the workspace's rules, and move the contact to the
    stage its score reaches; False when this source had scored it already. The caller commits."""
    rules = rules_for(contact.workspace_id)
    if not _add(contact, activity, source, touchpoint_id, rules, now):
        return False
    restage(contact, rules, now)
    return True


def _score_for_response(
    response_id: int | None, activity: Activity, source: str, touchpoint_id: int | None, now: datetime
) -> None:
    if response_id is None:
        return
    contact_id = db.session.scalar(sa.select(Response.contact_id).where(Response.id == response_id))
    contact = db.session.get(Contact, contact_id) if contact_id else None
    if contact is None:
        return
    rules = rules_for(contact.workspace_id)
    if _add(contact, activity, source, touchpoint_id, rules, now):
        restage(contact, rules, now)


def _score_redemption(event: CouponRedeemed) -> None:
    """A redeemed coupon scores for the contact of the response it was issued for."""
    _score_for_response(
        event.response_id, Activity.COUPON_REDEEMED, f"coupon:{event.coupon_id}", event.touchpoint_id, event.at
    )


def _score_invitation(event: InviteAccepted) -> None:
    """A friend who answered through an invite scores for the contact of the response that invited them."""
    _score_for_response(
        event.referrer_response_id, Activity.INVITE_ACCEPTED, f"friend:{event.response_id}", event.touchpoint_id,
        event.at,
    )  # fmt: skip


def subscribe(bus: Bus) -> None:
    """Lead scoring builds on redemptions and on friends who answered."""
    bus.subscribe(CouponRedeemed, _score_redemption)
    bus.subscribe(InviteAccepted, _score_invitation)


# --- reading, exporting, erasing -------------------------------------------------------------------------------


def get_contact(workspace_id: int, contact_id: int) -> Contact:
    """One contact of the workspace or NotFound."""
    return get_owned(Contact, workspace_id, contact_id)


def leads(workspace_id: int, stage: str | None, limit: int = 200) -> list[tuple[Contact, str, str]]:
    """Contacts (of one stage or all), best score first, with the touchpoint and campaign they came from."""
    from feedback.touchpoints.models import Campaign

    query = (
        owned(Contact, workspace_id)
        .add_columns(sa.func.coalesce(Touchpoint.name, ""), sa.func.coalesce(Campaign.name, ""))
        .outerjoin(Touchpoint, Touchpoint.id == Contact.touchpoint_id)
        .outerjoin(Campaign, Campaign.id == Touchpoint.campaign_id)
        .order_by(Contact.score.desc(), Contact.id.desc())
    )
    if stage in {s.value for s in Stage}:
        query = query.where(Contact.stage == stage)
    return [(c, tp, campaign) for c, tp, campaign in db.session.execute(query.limit(limit))]


def stage_counts(workspace_id: int) -> dict[str, int]:
    """Contacts per stage."""
    rows = db.session.execute(
        sa.select(Contact.stage, sa.func.count()).where(Contact.workspace_id == workspace_id).group_by(Contact.stage)
    )
    return {stage: n for stage, n in rows}


def same_address(contact: Contact) -> list[Contact]:
    """The unconfirmed contacts left later with this contact's address (perhaps the person, perhaps not)."""
    return list(
        db.session.scalars(
            owned(Contact, contact.workspace_id, Contact.same_address_as == contact.id).order_by(Contact.id)
        )
    )


def history(contact: Contact) -> list[ScoreEvent]:
    """How the score came about, oldest first."""
    return list(
        db.session.scalars(
            owned(ScoreEvent, contact.workspace_id, ScoreEvent.contact_id == contact.id).order_by(ScoreEvent.id)
        )
    )


#: What a viewer sees instead of a contact's name, e-mail address and phone number: on pages, in downloads and in
#: the API. Viewers see how many contacts there are, their stages and scores, but not who they are.
HIDDEN_FOR_VIEWERS = _l("hidden for viewers")


def may_identify_contacts(role: Role) -> bool:
    """Editors and owners see who a contact is; viewers see counts, stages and scores only."""
    return role.allows(Role.EDITOR)


@dataclass(frozen=True)
class Identity:
    """A contact's name, e-mail address and phone number as a member may see them ('' where none was left)."""

    name: str
    email: str
    phone: str
    #: True when the values are masked for a viewer.
    hidden: bool
    #: How the contact is named on its page: the name, else the e-mail address, else the phone number.
    title: str


def identity(contact: Contact, reveal: bool) -> Identity:
    """Who the contact is, or HIDDEN_FOR_VIEWERS in each field the contact filled when `reveal` is False."""
    if reveal:
        title = contact.name or contact.email or contact.phone
        return Identity(contact.name, contact.email, contact.phone, False, title)
    hidden = str(HIDDEN_FOR_VIEWERS)
    name, email, phone = (hidden if value else "" for value in (contact.name, contact.email, contact.phone))
    return Identity(name, email, phone, True, str(_l("Contact %(number)s", number=contact.id)))


def contact_data(contact: Contact, reveal: bool = True) -> dict[str, Any]:
    """A contact as the API and webhooks show it; name, e-mail and phone masked unless `reveal`."""
    person = identity(contact, reveal)
    return {
        "id": contact.id,
        "name": person.name,
        "email": person.email,
        "phone": person.phone,
        "score": contact.score,
        "stage": contact.stage,
        "touchpoint_id": contact.touchpoint_id,
        "consented_at": contact.consented_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "consent_language": contact.consent_language,
        "consent_text": contact.consent_text,
        "created_at": contact.created_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "unconfirmed": contact.unconfirmed,
        "same_address_as": contact.same_address_as,
        "stage_changed_at": _iso(contact.stage_changed_at),
        "order_value": f"{contact.order_value:.2f}" if contact.order_value is not None else None,
        "lost_reason": contact.lost_reason,
        "lost_note": _note(contact.lost_note, reveal),
    }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat(timespec="seconds").replace("+00:00", "Z")


def _note(note: str | None, reveal: bool) -> str:
    """A note about a lost lead may name the person: masked for viewers like the name."""
    return (note or "") if reveal or not note else str(HIDDEN_FOR_VIEWERS)


def export(contact: Contact, reveal: bool = True) -> dict[str, Any]:
    """Everything stored about the person (GDPR Art. 15): details (masked unless `reveal`), consent, score
    history, their answers."""
    from feedback.surveys.services import answers_by_key

    responses = db.session.scalars(
        owned(Response, contact.workspace_id, Response.contact_id == contact.id).order_by(Response.id)
    )
    return {
        "contact": contact_data(contact, reveal),
        "score_history": [
            {
                "activity": e.activity,
                "points": e.points,
                "source": e.source,
                "at": e.created_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            }
            for e in history(contact)
        ],
        "stage_history": [
            {
                "from_stage": change.from_stage,
                "to_stage": change.to_stage,
                "at": _iso(change.changed_at),
                "changed_by": change.changed_by,
                "order_value": str(change.order_value) if change.order_value is not None else None,
                "lost_reason": change.lost_reason,
                "lost_note": _note(change.lost_note, reveal),
            }
            for change in stages.stage_history(contact)
        ],
        "responses": [
            {
                "id": r.id,
                "touchpoint_id": r.touchpoint_id,
                "started_at": r.started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "completed_at": r.completed_at.isoformat(timespec="seconds").replace("+00:00", "Z")
                if r.completed_at
                else None,
                "answers": answers_by_key(r),
            }
            for r in responses
        ],
    }


def erase(contact: Contact, now: datetime | None = None) -> None:
    """Delete the person (GDPR Art. 17): contact, consent and score history; their answers stay, anonymous again.
    Subscribers erase what they keep of the person (webhook bodies that named them). The caller commits."""
    db.session.execute(
        sa.update(Response)
        .where(Response.workspace_id == contact.workspace_id, Response.contact_id == contact.id)
        .values(contact_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.delete(contact)
    events.publish(ContactErased(contact.workspace_id, contact.id, now or utcnow()))


CSV_COLUMNS = [
    "contact_id",
    "name",
    "email",
    "phone",
    "stage",
    "score",
    "touchpoint",
    "campaign",
    "consented_at",
    "consent_language",
    "consent_text",
    "created_at",
    "same_address_as",
    "unconfirmed",
    # added with the funnel to won
    "stage_changed_at",
    "order_value",
    "lost_reason",
    "lost_note",
]


def csv_rows(workspace_id: int, stage: str | None, reveal: bool = True) -> list[list[object]]:
    """One row per lead for a CRM import (columns CSV_COLUMNS, a contract: only ever append); name, e-mail and
    phone masked unless `reveal`."""
    rows: list[list[object]] = []
    for c, tp, campaign in leads(workspace_id, stage, limit=100_000):
        person = identity(c, reveal)
        rows.append(
            [
                c.id,
                person.name,
                person.email,
                person.phone,
                c.stage,
                c.score,
                tp,
                campaign,
                c.consented_at,
                c.consent_language,
                c.consent_text,
                c.created_at,
                c.same_address_as or "",
                "yes" if c.unconfirmed else "",
                c.stage_changed_at,
                c.order_value,
                c.lost_reason or "",
                _note(c.lost_note, reveal),
            ]
        )
    return rows


@dataclass(frozen=True)
class LeadNumbers:
    """Contacts a touchpoint brought; qualified ones include the sales-ready; won ones with their order values."""

    contacts: int = 0
    marketing_qualified: int = 0
    sales_ready: int = 0
    won: int = 0
    won_value: Decimal = Decimal("0.00")


def lead_numbers(
    workspace_id: int,
    touchpoint_ids: list[int],
    start: datetime | None,
    end: datetime | None,
    responses: Sequence[sa.ColumnElement[bool]] | None = None,
) -> dict[int, LeadNumbers]:
    """Per touchpoint: contacts first captured there within the period, and how many are qualified now; with
    `responses` (conditions on Response: an analysis segment) only contacts left with a response meeting them.

    A contact left with an address another contact already held (`unconfirmed`) is not counted again: it may be the
    same person, and the address reached the workspace once.
    """
    if not touchpoint_ids:
        return {}
    query = (
        sa.select(
            Contact.touchpoint_id,
            sa.func.count(),
            sa.func.count().filter(Contact.stage.in_([Stage.MARKETING_QUALIFIED.value, Stage.SALES_READY.value])),
            sa.func.count().filter(Contact.stage == Stage.SALES_READY.value),
            sa.func.count().filter(Contact.stage == Stage.WON.value),
            sa.func.coalesce(sa.func.sum(Contact.order_value), 0),
        )
        .where(
            Contact.workspace_id == workspace_id,
            Contact.touchpoint_id.in_(touchpoint_ids),
            Contact.unconfirmed.is_(False),
        )
        .group_by(Contact.touchpoint_id)
    )
    if responses is not None:
        query = query.where(sa.exists().where(Response.contact_id == Contact.id, *responses))
    if start is not None:
        query = query.where(Contact.created_at >= start)
    if end is not None:
        query = query.where(Contact.created_at < end)
    return {
        tp: LeadNumbers(n, mql, sales, won, Decimal(str(value)).quantize(Decimal("0.01")))
        for tp, n, mql, sales, won, value in db.session.execute(query)
    }


@dataclass(frozen=True)
class ContactStep:
    """The contact step of the thank-you page: done already, or the purpose the consent box states."""

    done: bool
    purpose: str
    token: str


def contact_step(campaign: Campaign, response: Response, brand: str, language: str) -> ContactStep | None:
    """What the thank-you page asks for contact details; None when the campaign does not ask this response."""
    if not campaign.ask_contact or response.completed_at is None or response.flagged:
        return None
    purpose = rules_for(campaign.workspace_id).purpose(language, brand)
    return ContactStep(response.contact_id is not None, purpose, response.token)
