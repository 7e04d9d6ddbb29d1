"""Win-back mailings: who is lapsed, a batch of personal codes for them, and how many of them came back.

A lapsed customer is a customer (feedback/analysis/customer_queries.py: a counted contact with a won order or a
redeemed coupon) whose last purchase lies more than N days back, who consented to be contacted (every contact did)
and left an e-mail address for the mailing. Lapsed detractors (their latest NPS answer 0–6, in a response they left
their details with or one from the same phone) are left out unless the batch includes them: there is no need to
annoy them again. Each recipient gets one personal code of the chosen touchpoint (feedback/qr/personal.py: a
mailing batch, its mail-merge CSV); the batch records which contact got which code.

The reactivation of a batch, each per code sent with its Wilson 95 % interval (STATISTICS.md §4):
- responded: codes of the batch through which a survey was completed (not flagged);
- redeemed: recipients with a coupon redeemed after the batch was created, the coupon of a response through their
  code or of a response they left their details with.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from feedback.analysis import stats
from feedback.analysis import themes as theme_analysis
from feedback.analysis.customer_queries import cookie_keys, customers
from feedback.analysis.theme_edits import campaign_edits
from feedback.errors import DomainError
from feedback.exports import PLAIN, CsvDialect, csv_stream
from feedback.extensions import db
from feedback.leads.models import Contact
from feedback.offers.models import Coupon
from feedback.qr import personal
from feedback.qr.codes import group
from feedback.qr.models import Code, CodeBatch
from feedback.qr.rendering import qr_url
from feedback.surveys.catalog import template
from feedback.surveys.models import Answer, Response
from feedback.surveys.questions import CHOICE_TYPES, NPS_GROUPS, QuestionType
from feedback.tenancy import get_owned, owned
from feedback.touchpoints.models import Touchpoint
from feedback.winback.models import WinbackBatch, WinbackRecipient

#: Answers that must name a term before it is a theme (shown on the page).
MIN_THEME_ANSWERS = theme_analysis.MIN_ANSWERS
#: A customer counts as lapsed after this many days without a purchase, unless the batch says otherwise.
DEFAULT_LAPSED_DAYS = 180
MAX_LAPSED_DAYS = 3650
#: The recipients download: the mail-merge columns of the batch and whom to send each code to.
RECIPIENT_COLUMNS = [*personal.MAILMERGE_COLUMNS, "email", "name", "language"]
_CHUNK = 500


class NobodyLapsed(DomainError):
    """No lapsed customer is left to write to; nothing was created."""

    status = 422
    message = _l("No lapsed customer can be written to, so no batch was created.")


@dataclass(frozen=True)
class Lapsed:
    """Lapsed customers to write to (contact ids, oldest last purchase first) and those left out, by reason."""

    contact_ids: tuple[int, ...]
    suppressed_detractors: int
    without_email: int


@dataclass(frozen=True)
class Reactivation:
    """What a win-back batch brought: responses and redemptions per code sent (Wilson intervals), the chosen
    reasons per choice question (option → respondents of those who answered it) and the themes of the open text."""

    sent: int
    responded: stats.Proportion
    redeemed: stats.Proportion
    reasons: dict[str, tuple[int, dict[str, int]]]
    themes: list[theme_analysis.Theme]
    comments: int


def _check_days(days: int) -> int:
    if not 1 <= days <= MAX_LAPSED_DAYS:
        raise NobodyLapsed(_("Give a number of days between 1 and %(max)s.", max=MAX_LAPSED_DAYS))
    return days


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _detractors(workspace_id: int, contact_ids: list[int]) -> set[int]:
    """Those of the contacts whose latest NPS answer is a detractor's: answers of the responses they left their
    details with, or of responses without details from the same first-party cookie visitor (as their purchases are
    found in feedback/analysis/customer_queries.py)."""
    low, high = NPS_GROUPS["detractors"]
    keys = cookie_keys(workspace_id)
    is_nps = (Answer.question_type == QuestionType.NPS.value, Answer.value_number.is_not(None))
    found: set[int] = set()
    for chunk in _chunks(contact_ids):
        own = (
            sa.select(Response.contact_id.label("contact_id"), Answer.answered_at, Answer.id, Answer.value_number)
            .join(Answer, Answer.response_id == Response.id)
            .where(Response.workspace_id == workspace_id, Response.contact_id.in_(chunk), *is_nps)
        )
        same_phone = (
            sa.select(keys.c.contact_id, Answer.answered_at, Answer.id, Answer.value_number)
            .select_from(Response)
            .join(keys, keys.c.key == Response.visitor_key)
            .join(Answer, Answer.response_id == Response.id)
            .where(Response.workspace_id == workspace_id, Response.contact_id.is_(None), Response.kiosk.is_(False))
            .where(keys.c.contact_id.in_(chunk), *is_nps)
        )
        answers = sa.union_all(own, same_phone).subquery()
        latest = sa.select(
            answers.c.contact_id,
            answers.c.value_number.label("nps"),
            sa.func.row_number()
            .over(partition_by=answers.c.contact_id, order_by=(answers.c.answered_at.desc(), answers.c.id.desc()))
            .label("rank"),
        ).subquery()
        found |= set(
            db.session.scalars(
                sa.select(latest.c.contact_id).where(latest.c.rank == 1, latest.c.nps.between(low, high))
            )
        )
    return found


def lapsed_customers(workspace_id: int, days: int, include_detractors: bool, now: datetime) -> Lapsed:
    """The workspace's customers whose last purchase is more than `days` days before `now`, with an e-mail address,
    detractors left out unless included.

    :raises NobodyLapsed: `days` is not between 1 and MAX_LAPSED_DAYS.
    """
    cutoff = now - timedelta(days=_check_days(days))
    touchpoint_ids = list(db.session.scalars(owned(Touchpoint, workspace_id).with_only_columns(Touchpoint.id)))
    last = {c.contact_id: c.purchases[-1][0] for c in customers(workspace_id, touchpoint_ids)}
    candidates = sorted((at, cid) for cid, at in last.items() if at < cutoff)
    ids = [cid for _at, cid in candidates]
    emails: dict[int, str] = {}
    for chunk in _chunks(ids):
        query = owned(Contact, workspace_id, Contact.id.in_(chunk)).with_only_columns(Contact.id, Contact.email)
        emails.update((contact_id, email) for contact_id, email in db.session.execute(query))
    reachable = [cid for cid in ids if emails.get(cid)]
    detractors = set() if include_detractors else _detractors(workspace_id, reachable)
    return Lapsed(
        tuple(cid for cid in reachable if cid not in detractors),
        suppressed_detractors=len(detractors),
        without_email=len(ids) - len(reachable),
    )


def create_winback(
    touchpoint: Touchpoint, name: str, days: int, include_detractors: bool, now: datetime
) -> WinbackBatch:
    """A mailing batch of the touchpoint with one personal code per lapsed customer, and who got which code; the
    caller commits.

    :raises NobodyLapsed: `days` out of range, or no lapsed customer to write to.
    :raises personal.BatchError: more lapsed customers than one batch holds.
    """
    lapsed = lapsed_customers(touchpoint.workspace_id, days, include_detractors, now)
    if not lapsed.contact_ids:
        raise NobodyLapsed()
    serial = 1 + (
        db.session.scalar(
            owned(WinbackBatch, touchpoint.workspace_id)
            .with_only_columns(sa.func.count())
            .join(WinbackBatch.batch)
            .where(CodeBatch.touchpoint_id == touchpoint.id)
        )
        or 0
    )
    # the reference names the contact for the mail merge and the CRM, never their address (viewers see references)
    references = {f"winback-{serial}-contact-{cid}": cid for cid in lapsed.contact_ids}
    name = name.strip() or _("Win-back of %(day)s", day=now.date().isoformat())
    batch = personal.create_batch(touchpoint, name, list(references))
    winback = WinbackBatch(
        workspace_id=touchpoint.workspace_id,
        batch_id=batch.id,
        lapsed_days=days,
        include_detractors=include_detractors,
        suppressed_detractors=lapsed.suppressed_detractors,
        without_email=lapsed.without_email,
        created_at=now,
    )
    db.session.add(winback)
    db.session.flush()
    codes = db.session.execute(
        owned(Code, touchpoint.workspace_id, Code.batch_id == batch.id).with_only_columns(Code.reference, Code.id)
    )
    db.session.execute(
        sa.insert(WinbackRecipient),
        [
            {"workspace_id": touchpoint.workspace_id, "winback_id": winback.id, "contact_id": references[ref],
             "code_id": code_id}
            for ref, code_id in codes
        ],
    )  # fmt: skip
    return winback


def get_winback(workspace_id: int, winback_id: int) -> WinbackBatch:
    """One win-back batch of the workspace or NotFound."""
    return get_owned(WinbackBatch, workspace_id, winback_id)


def winbacks_of(touchpoint: Touchpoint) -> list[WinbackBatch]:
    """The touchpoint's win-back batches, newest first."""
    return list(
        db.session.scalars(
            owned(WinbackBatch, touchpoint.workspace_id)
            .join(WinbackBatch.batch)
            .where(CodeBatch.touchpoint_id == touchpoint.id)
            .order_by(WinbackBatch.id.desc())
        )
    )


def _batch_responses(winback: WinbackBatch) -> sa.Select:
    """Ids of the completed, unflagged responses through the batch's codes."""
    return sa.select(Response.id).where(
        Response.workspace_id == winback.workspace_id,
        Response.code_id.in_(sa.select(WinbackRecipient.code_id).where(WinbackRecipient.winback_id == winback.id)),
        Response.completed_at.is_not(None),
        Response.flagged.is_(False),
    )


def reactivation(winback: WinbackBatch) -> Reactivation:
    """Codes sent, responses and redemptions per code sent, the reasons chosen and the themes of the open text."""
    workspace_id = winback.workspace_id
    recipients = sa.select(WinbackRecipient).where(WinbackRecipient.winback_id == winback.id).subquery()
    sent = db.session.scalar(sa.select(sa.func.count()).select_from(recipients)) or 0
    responded = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Response.code_id))).where(Response.id.in_(_batch_responses(winback)))
    )
    redeemed = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(recipients.c.id)))
        .select_from(recipients)
        .join(
            Response,
            sa.or_(
                Response.code_id == recipients.c.code_id,
                sa.and_(recipients.c.contact_id.is_not(None), Response.contact_id == recipients.c.contact_id),
            ),
        )
        .join(Coupon, Coupon.response_id == Response.id)
        .where(Response.workspace_id == workspace_id, Coupon.workspace_id == workspace_id)
        .where(Coupon.redeemed_at.is_not(None), Coupon.redeemed_at >= winback.created_at)
    )
    answered = (
        Answer.response_id.in_(_batch_responses(winback)),
        Answer.question_type.in_([t.value for t in CHOICE_TYPES]),
        Answer.value_text.is_not(None),
    )
    reasons: dict[str, tuple[int, dict[str, int]]] = {}
    totals = dict(
        db.session.execute(
            sa.select(Answer.question_key, sa.func.count(sa.distinct(Answer.response_id)))
            .where(*answered)
            .group_by(Answer.question_key)
        ).all()
    )
    for key, value, n in db.session.execute(
        sa.select(Answer.question_key, Answer.value_text, sa.func.count(sa.distinct(Answer.response_id)))
        .where(*answered)
        .group_by(Answer.question_key, Answer.value_text)
        .order_by(Answer.question_key, sa.func.count(sa.distinct(Answer.response_id)).desc(), Answer.value_text)
    ):
        reasons.setdefault(key, (totals[key], {}))[1][value] = n
    comments = [
        theme_analysis.Comment(response_id, text, language)
        for response_id, text, language in db.session.execute(
            sa.select(Answer.response_id, Answer.value_text, Response.language)
            .join(Response, Response.id == Answer.response_id)
            .where(Answer.response_id.in_(_batch_responses(winback)))
            .where(Answer.question_type == QuestionType.TEXT.value, Answer.value_text.is_not(None))
            .order_by(Answer.id)
        )
    ]
    edits = campaign_edits(winback.batch.touchpoint.campaign)
    return Reactivation(
        sent=sent,
        responded=stats.wilson(responded or 0, sent),
        redeemed=stats.wilson(redeemed or 0, sent),
        reasons=reasons,
        themes=theme_analysis.themes(comments, edits),
        comments=len(comments),
    )


def recipient_rows(winback: WinbackBatch, public_base_url: str) -> Iterator[list[object]]:
    """One row per code of the batch in RECIPIENT_COLUMNS order: the mail-merge columns, and the recipient's e-mail
    address, name and the language they consented in (empty once the contact was erased: the code stays counted)."""
    rows = db.session.execute(
        sa.select(Code.reference, Code.code, Contact.email, Contact.name, Contact.consent_language)
        .join(WinbackRecipient, WinbackRecipient.code_id == Code.id)
        .outerjoin(
            Contact, sa.and_(Contact.id == WinbackRecipient.contact_id, Contact.workspace_id == winback.workspace_id)
        )
        .where(WinbackRecipient.winback_id == winback.id, Code.workspace_id == winback.workspace_id)
        .order_by(Code.id)
        .execution_options(yield_per=1000)
    )
    for reference, code, email, name, language in rows:
        yield [reference, code, group(code), qr_url(public_base_url, code), email or "", name or "", language or ""]


def recipients_csv(winback: WinbackBatch, public_base_url: str, dialect: CsvDialect = PLAIN) -> Iterator[str]:
    """The recipients download (UTF-8 with BOM, formula-safe), streamed."""
    return csv_stream(RECIPIENT_COLUMNS, recipient_rows(winback, public_base_url), dialect)


def reason_labels(language: str) -> dict[str, str]:
    """Question texts (by key) and option labels (by "key:value") of the churn and win-back templates."""
    labels: dict[str, str] = {}
    for slug in ("churn", "win-back"):
        found = template(slug)
        for question in found.questions if found else ():
            labels[question.key] = question.text.pick(language)
            for option in question.options:
                labels[f"{question.key}:{option.value}"] = option.label(language)
    return labels
