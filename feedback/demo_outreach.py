"""The demo's outreach story, so that the nurture and win-back pages open filled: a two-step nurture sequence that
wrote to the workspace's contacts below the sales-ready score (some scanned their personal code, some reached the
threshold, one unsubscribed; the sequence is switched off now, so the demo itself sends no mail), and an autumn
win-back letter to the spring campaign's lapsed customers with their answers and redeemed coupons (part of
feedback/demo.py, run once per workspace)."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from feedback.auth.models import Workspace
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.leads.models import Activity, Contact
from feedback.qr.models import Code, CodeBatch, Scan
from feedback.surveys.models import Answer, Response, Survey
from feedback.texts import Texts
from feedback.touchpoints.models import Campaign, Channel, Phase, Touchpoint

WINBACK_TOUCHPOINT = "Rückgewinnungs-Brief"
#: The letter went out this many days before the demo was loaded, to customers without a purchase for ...
WINBACK_SENT_DAYS_AGO = 42
WINBACK_LAPSED_DAYS = 120
#: Of the recipients: who answers the survey behind their code, and of those who redeem the coupon it brings.
WINBACK_ANSWER, WINBACK_REDEEM, WINBACK_COMMENT = 0.45, 0.45, 0.8
#: Of the contacts a nurture mail reached: who scans its personal code, who unsubscribes.
NURTURE_REACT, NURTURE_UNSUBSCRIBE = 0.35, 0.05
LEFT_REASONS = {"price": 4, "forgot": 4, "competitor": 2, "quality": 1, "service": 1, "no_need": 2}
COME_BACK = {"discount": 5, "reminder": 4, "new_products": 2, "better_service": 1, "nothing": 1}
#: The open answers, in turn (so that each theme of the page recurs): price, a reminder, a discount.
WINBACK_COMMENTS = [
    "Zu teuer geworden, ehrlich gesagt.",
    "Eine Erinnerung per Mail wäre schön gewesen.",
    "Mit einem Rabatt würde ich wiederkommen.",
    "Die Preise sind mir zu teuer.",
    "Ohne Erinnerung vergesse ich das einfach.",
    "Ein Rabatt für Stammkunden wäre fair.",
    "Der Laden in meiner Nähe hat geschlossen.",
]
STEPS = [
    (
        3,
        Texts.of(de="Schön, dass Sie dabei sind", en="Good to have you with us"),
        Texts.of(
            de="Danke für Ihr Interesse an unseren Röstungen. Mit Ihrem persönlichen Code erfahren Sie, welche "
            "Sorte zu Ihnen passt.",
            en="Thank you for your interest in our roasts. Your personal code shows you which one suits you.",
        ),
    ),
    (
        14,
        Texts.of(de="Ihre Einladung zur Verkostung", en="Your invitation to a tasting"),
        Texts.of(
            de="Probieren Sie unsere neue Herbströstung: Ihr persönlicher Code bringt Sie zur Anmeldung.",
            en="Taste our new autumn roast: your personal code takes you to the sign-up.",
        ),
    ),
]


def demo_outreach(workspace: Workspace, campaign: Campaign, rng: random.Random) -> None:
    """The nurture history of the workspace's contacts and the win-back letter of `campaign` (each only once)."""
    from feedback.nurture import steps as nurture_steps

    if not nurture_steps.steps_of(workspace.id):
        _demo_nurture(workspace, campaign, rng)
    named = sa.select(Touchpoint.id).where(Touchpoint.campaign_id == campaign.id, Touchpoint.name == WINBACK_TOUCHPOINT)
    if db.session.scalar(named) is None:
        _demo_winback(workspace, campaign, rng)


def _scan(code: Code, at: datetime, rng: random.Random) -> Scan:
    """A phone scanning the personal code."""
    scan = Scan(
        workspace_id=code.workspace_id, touchpoint_id=code.touchpoint_id, code_id=code.id, scanned_at=at,
        visitor_key=f"{rng.getrandbits(128):032x}", visitor_from_cookie=True, device_class="mobile", os="Android",
        browser="Chrome", language="de", arrival="symbol",
    )  # fmt: skip
    db.session.add(scan)
    db.session.flush()
    return scan


def _demo_nurture(workspace: Workspace, campaign: Campaign, rng: random.Random) -> None:
    """Two steps leading to the campaign's retention touchpoint, written to the contacts below the sales-ready score
    as the sequence would have: each step once, after its delay; a scan of the mail's code scores and may end it."""
    from feedback.leads import services as leads
    from feedback.nurture import compose
    from feedback.nurture import steps as nurture_steps
    from feedback.nurture.models import NurtureEnrolment, NurtureMail, StopAt, StopReason
    from feedback.nurture.services import limits_of, stop
    from feedback.qr import personal

    touchpoints = sorted(
        db.session.scalars(sa.select(Touchpoint).where(Touchpoint.campaign_id == campaign.id)),
        key=lambda t: (t.phase != Phase.RETENTION.value, t.id),
    )
    if not touchpoints:
        return
    target = touchpoints[0]
    now = utcnow()
    steps = [
        nurture_steps.add_step(workspace.id, nurture_steps.StepData(delay, subject, body, target.id), now)
        for delay, subject, body in STEPS
    ]
    sequence = nurture_steps.save_sequence(workspace.id, False, StopAt.SALES_READY.value, now)
    db.session.flush()
    limits = limits_of(sequence)
    contacts = db.session.scalars(
        sa.select(Contact)
        .where(Contact.workspace_id == workspace.id, Contact.email != "", Contact.unconfirmed.is_(False))
        .order_by(Contact.id)
    ).all()
    for contact in contacts:
        if not limits.holds(contact.stage, contact.score) or db.session.get(NurtureEnrolment, contact.id):
            continue  # (enrolled already: the steps were removed and the demo loaded again)
        db.session.add(
            NurtureEnrolment(contact_id=contact.id, workspace_id=workspace.id, entered_at=contact.created_at)
        )
        db.session.flush()
        at = contact.created_at
        for step in steps:
            at += timedelta(days=step.delay_days, hours=rng.uniform(0, 3))
            if at > now:
                break
            reference = f"nurture-{step.id}-{contact.id}"
            batch = db.session.get(CodeBatch, step.batch_id) if step.batch_id else None
            code = personal.add_to_batch(target, batch, compose.batch_name(step), reference, at)
            step.batch_id = code.batch_id
            mail = NurtureMail(workspace_id=workspace.id, contact_id=contact.id, step_id=step.id, code_id=code.id,
                               sent_at=at)  # fmt: skip
            db.session.add(mail)
            db.session.flush()
            if rng.random() < NURTURE_UNSUBSCRIBE:
                stop(contact, StopReason.UNSUBSCRIBED, at + timedelta(hours=rng.uniform(1, 48)), steps)
                break
            reacted = at + timedelta(hours=rng.uniform(2, 72))
            if rng.random() < NURTURE_REACT and reacted <= now:
                _scan(code, reacted, rng)
                mail.reacted_at = reacted
                leads.score_activity(contact, Activity.NURTURE_REACTION, f"nurture:{mail.id}", target.id, reacted)
                db.session.flush()
                if not limits.holds(contact.stage, contact.score):
                    stop(contact, limits.reason(contact.stage, contact.score), reacted, steps)
                    break


def _demo_winback(workspace: Workspace, campaign: Campaign, rng: random.Random) -> None:
    """A win-back touchpoint with the win-back survey, its letter to the lapsed customers of its day, and what came
    back: answers through the personal codes, and coupons of the campaign's offer redeemed at the till."""
    from feedback.offers.services import issue_coupon
    from feedback.surveys import services as survey_services
    from feedback.touchpoints import services as tp
    from feedback.winback import services as winback_services
    from feedback.winback.models import WinbackRecipient

    now = utcnow()
    sent_at = now - timedelta(days=WINBACK_SENT_DAYS_AGO)
    touchpoint = tp.create_touchpoint(
        campaign,
        tp.TouchpointData(WINBACK_TOUCHPOINT, Channel.POSTAL_MAIL, Phase.RETENTION, Decimal("240"), None,
                          "An Kundinnen und Kunden ohne Einkauf seit vier Monaten"),
    )  # fmt: skip
    survey = db.session.scalar(
        sa.select(Survey).where(Survey.workspace_id == workspace.id, Survey.name == "Rückgewinnung")
    ) or survey_services.create_survey(workspace.id, "Rückgewinnung", "win-back")
    db.session.flush()
    survey_services.attach(touchpoint, survey)
    db.session.flush()
    try:
        winback = winback_services.create_winback(
            touchpoint, "Rückgewinnung Herbst", WINBACK_LAPSED_DAYS, False, sent_at
        )
    except winback_services.NobodyLapsed:
        return
    db.session.flush()
    version = survey.current
    types = {q.key: q.type for q in version.questions}
    codes = db.session.scalars(
        sa.select(Code).join(WinbackRecipient, WinbackRecipient.code_id == Code.id)
        .where(WinbackRecipient.winback_id == winback.id)
        .order_by(Code.id)
    ).all()  # fmt: skip
    comments = itertools.count()
    for code in codes:
        at = sent_at + timedelta(days=rng.uniform(2, 30))
        if rng.random() >= WINBACK_ANSWER or at > now:
            continue
        scan = _scan(code, at, rng)
        response = Response(
            workspace_id=workspace.id, touchpoint_id=touchpoint.id, code_id=code.id, scan_id=scan.id,
            version_id=version.id, token=f"demo-winback-{scan.id}-{rng.getrandbits(48):012x}",
            visitor_key=scan.visitor_key, language="de", started_at=at,
            completed_at=at + timedelta(seconds=rng.randint(30, 90)),
        )  # fmt: skip
        chosen = [("left_reason", v) for v in _some(LEFT_REASONS, rng)] + [
            ("come_back", v) for v in _some(COME_BACK, rng)
        ]
        if rng.random() < WINBACK_COMMENT:
            chosen.append(("come_back_comment", WINBACK_COMMENTS[next(comments) % len(WINBACK_COMMENTS)]))
        for key, value in chosen:
            response.answers.append(
                Answer(workspace_id=workspace.id, touchpoint_id=touchpoint.id, question_key=key,
                       question_type=types[key], value_text=value, answered_at=at)
            )  # fmt: skip
        db.session.add(response)
        db.session.flush()
        coupon = issue_coupon(response, response.completed_at)
        redeemed = at + timedelta(days=rng.uniform(1, 14))
        if coupon is not None and rng.random() < WINBACK_REDEEM and redeemed <= now:
            coupon.redeemed_at, coupon.redeemed_via = redeemed, "dashboard"
            coupon.order_value = Decimal(str(round(rng.uniform(9, 45), 2)))


def _some(weights: dict[str, int], rng: random.Random) -> list[str]:
    """One or two different options, the more common ones more often."""
    first = rng.choices(list(weights), weights=list(weights.values()))[0]
    second = rng.choices(list(weights), weights=list(weights.values()))[0]
    return [first] if second == first or rng.random() < 0.6 else [first, second]
