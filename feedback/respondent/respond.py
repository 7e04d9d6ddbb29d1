"""The respondent flow: page by page, every answer saved as it arrives, one response per form token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from feedback import events
from feedback.errors import DomainError
from feedback.events import InviteAccepted, ResponseCompleted
from feedback.extensions import db
from feedback.referrals import services as referrals
from feedback.referrals.models import Invite
from feedback.respondent import repeats
from feedback.surveys.claims import claim_all
from feedback.surveys.models import Answer, Response, Survey, SurveyVersion
from feedback.surveys.questions import AnswerError, QuestionSpec, missing_required, pages, parse_answer
from feedback.touchpoints.models import Touchpoint

#: Faster than this from showing the form to completing it is not a person reading the questions.
MIN_FILL_SECONDS = 3
HONEYPOT = "leave_empty"
#: The flag reason of a response from a team device (feedback.auth.devices).
TEAM = "team"

ANSWER_MESSAGES = {
    "out_of_range": _l("Please choose a value from %(low)s to %(high)s."),
    "invalid_choice": _l("Please choose one of the options shown."),
    "one_value": _l("Please give one answer only."),
    "invalid_text": _l("This text contains characters we cannot store."),
    "too_long": _l("Please keep it under %(limit)s characters."),
    "required": _l("Please answer this question."),
}


class SurveyChanged(DomainError):
    """The form belongs to an older survey version than the touchpoint shows now."""

    status = 409
    message = _l("This survey was just updated. Please check your answers and send them again.")


@dataclass(frozen=True)
class FormState:
    """What the signed hidden field of a survey form carries between requests."""

    token: str
    version_id: int
    scan_id: int | None
    code_id: int
    shown_at: float  # POSIX seconds when the first page was shown
    #: The personal invite the visitor came through (/i/<code>), if any.
    invite_id: int | None = None
    #: The "please take a moment" step was shown once: the next send is taken as it comes (flagged if still too
    #: fast), so a bot cannot be held in a loop and a person is asked only once.
    reminded: bool = False


@dataclass
class PageResult:
    """The outcome of submitting one page: errors per key, the answers so far, and where to go next."""

    errors: dict[str, str]
    answers: dict[str, object]
    next_page: int | None
    completed: bool
    response: Response | None
    #: Sent too fast for the first time: nothing was saved from this page; the page is shown again with its answers
    #: and the "please take a moment" step (`needs_a_moment`).
    held: bool = False


def new_token() -> str:
    """A response token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def current_version(touchpoint: Touchpoint) -> SurveyVersion | None:
    """The survey version the touchpoint shows now (the survey's newest), or None without a survey."""
    if touchpoint.survey_id is None:
        return None
    return db.session.scalar(
        sa.select(SurveyVersion)
        .where(SurveyVersion.survey_id == touchpoint.survey_id)
        .order_by(SurveyVersion.number.desc())
        .limit(1)
    )


def survey_pages(version: SurveyVersion) -> list[list[QuestionSpec]]:
    """The version's questions split into pages."""
    return pages(version.specs())


def already_answered(touchpoint: Touchpoint, visitor_key: str, now: datetime) -> bool:
    """True when this visitor completed the touchpoint's survey within the survey's repeat period. Never on a kiosk:
    there one person answers after another on the same screen."""
    if touchpoint.survey_id is None or touchpoint.kiosk:
        return False
    days = db.session.scalar(sa.select(Survey.repeat_days).where(Survey.id == touchpoint.survey_id)) or 0
    if days == 0:  # the survey allows answering again at any time
        return False
    query = sa.select(Response.id).where(
        Response.touchpoint_id == touchpoint.id,
        Response.visitor_key == visitor_key,
        Response.completed_at.is_not(None),
        Response.completed_at >= now - timedelta(days=days),
    )
    return db.session.scalar(query.limit(1)) is not None


def response_by_token(token: str) -> Response | None:
    """The response a form token belongs to."""
    return db.session.scalar(sa.select(Response).where(Response.token == token))


def _response_for_update(token: str) -> Response | None:
    """The response of a form token, locked until this request commits (PostgreSQL: FOR UPDATE).

    A page submit and the script's answer-by-answer saves of the same response can arrive at the same moment; the
    lock makes the second wait and then read the first one's answers, so neither replaces answers the other just
    wrote. SQLite needs no lock: its write transactions already run one at a time (BEGIN IMMEDIATE).
    """
    query = sa.select(Response).where(Response.token == token).with_for_update()
    return db.session.scalar(query.execution_options(populate_existing=True))


def answers_of(response: Response | None) -> dict[str, object]:
    """The response's answers by question key (multiple choice as a tuple)."""
    if response is None:
        return {}
    collected: dict[str, object] = {}
    for answer in sorted(response.answers, key=lambda a: a.id or 0):
        value: object = answer.value_number if answer.value_number is not None else answer.value_text
        if answer.question_type == "multi_choice":
            collected[answer.question_key] = (*collected.get(answer.question_key, ()), value)  # type: ignore[misc]
        else:
            collected[answer.question_key] = value
    return collected


def _get_or_create(
    touchpoint: Touchpoint, state: FormState, visitor_key: str, language: str, now: datetime, team: bool = False
) -> Response:
    """The response for this form token, created on the first save (a double tap finds the same row); a team
    device's response is flagged `team` from its first answer, so not even its partial answers count."""
    response = _response_for_update(state.token)
    if response is not None:
        return response
    response = Response(
        workspace_id=touchpoint.workspace_id,
        touchpoint_id=touchpoint.id,
        code_id=state.code_id,
        scan_id=state.scan_id,
        version_id=state.version_id,
        invite_id=state.invite_id,
        token=state.token,
        visitor_key=visitor_key,
        language=language,
        started_at=now,
        flagged=team,
        flag_reason=TEAM if team else "",
        kiosk=touchpoint.kiosk,
    )
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except sa.exc.IntegrityError:  # the same token arrived twice at once: the other request created it
        response = _response_for_update(state.token)
        if response is None:
            raise
    return response


def _store(response: Response, question: QuestionSpec, value: object, now: datetime) -> None:
    """Replace the stored answer of one question."""
    for old in [a for a in response.answers if a.question_key == question.key]:
        response.answers.remove(old)
    for row in answer_rows(response.workspace_id, response.touchpoint_id, question, value, now):
        response.answers.append(Answer(**row))


def answer_rows(
    workspace_id: int, touchpoint_id: int, question: QuestionSpec, value: object, now: datetime
) -> list[dict[str, object]]:
    """The answer table's rows for one question's value (one per chosen option; none for a skipped question)."""
    values = value if isinstance(value, tuple) else ((value,) if value is not None else ())
    return [
        {
            "workspace_id": workspace_id,
            "touchpoint_id": touchpoint_id,
            "question_key": question.key,
            "question_type": question.type.value,
            "value_number": item if isinstance(item, int) else None,
            "value_text": item if isinstance(item, str) else None,
            "answered_at": now,
        }
        for item in values
    ]


def message_for(error: AnswerError) -> str:
    """The respondent-facing text of an answer error, in the current language."""
    return str(ANSWER_MESSAGES[error.code]) % error.params if error.params else str(ANSWER_MESSAGES[error.code])


@dataclass(frozen=True)
class CheckedPage:
    """One submitted page read against its questions: errors per key, the parsed values, all answers so far, and
    the next page that has a question to show (None: this was the last)."""

    errors: dict[str, str]
    parsed: dict[str, object]
    merged: dict[str, object]
    next_page: int | None


def check_page(
    all_pages: list[list[QuestionSpec]], page: int, answers: dict[str, object], form: dict[str, list[str]]
) -> CheckedPage:
    """Parse the page's visible questions from the form and check the required ones; saves nothing."""
    errors: dict[str, str] = {}
    parsed: dict[str, object] = {}
    for question in all_pages[page]:
        if not question.visible(answers):
            continue
        try:
            parsed[question.key] = parse_answer(question, form.get(f"q_{question.key}", []))
        except AnswerError as error:
            errors[question.key] = message_for(error)
    merged = {**answers, **parsed}
    for key in missing_required([q for q in all_pages[page] if q.key not in errors], merged):
        errors[key] = str(ANSWER_MESSAGES["required"])
    next_page = next((i for i in range(page + 1, len(all_pages)) if any(q.visible(merged) for q in all_pages[i])), None)
    return CheckedPage(errors, parsed, merged, next_page)


def bot_signs(form: dict[str, list[str]], state: FormState, now: datetime) -> list[str]:
    """Why a completion looks like a bot's: the hidden field was filled, or it came too fast to have been read."""
    reasons = []
    if any(v.strip() for v in form.get(HONEYPOT, [])):
        reasons.append("honeypot")
    if now.timestamp() - state.shown_at < current_app.config.get("SURVEY_MIN_FILL_SECONDS", MIN_FILL_SECONDS):
        reasons.append("too_fast")
    return reasons


def needs_a_moment(reasons: list[str], state: FormState) -> bool:
    """True when the only sign of a bot is the fill time and the form has not asked to take a moment yet: the
    respondent then sees their answers again with that request instead of silently losing the coupon and invite."""
    return reasons == ["too_fast"] and not state.reminded


def submit_page(
    touchpoint: Touchpoint,
    version: SurveyVersion,
    state: FormState,
    page: int,
    form: dict[str, list[str]],
    visitor_key: str,
    language: str,
    now: datetime,
    team: bool = False,
    guard: repeats.Guard | None = None,
) -> PageResult:
    """Validate and save one page; complete the response after the last page. Nothing is saved on errors.
    A team device's response (`team`) is flagged: kept and listed, never counted, setting off nothing; so is a
    completion the repeat rules (`guard`) find to be a possible repeat or the referrer's own invite. The last page
    sent faster than the minimum fill time for the first time is held (`PageResult.held`): nothing of it is saved.

    :raises SurveyChanged: the form was made for another version than the touchpoint shows now.
    """
    if state.version_id != version.id:
        raise SurveyChanged()
    all_pages = survey_pages(version)
    page = max(0, min(page, len(all_pages) - 1))
    existing = _response_for_update(state.token)
    answers = answers_of(existing)
    if existing is not None and existing.completed_at is not None:
        return PageResult({}, answers, None, True, existing)
    checked = check_page(all_pages, page, answers, form)
    if checked.errors:
        return PageResult(checked.errors, checked.merged, page, False, existing)
    if checked.next_page is None and not team and needs_a_moment(bot_signs(form, state, now), state):
        return PageResult({}, checked.merged, page, False, existing, held=True)
    response = _get_or_create(touchpoint, state, visitor_key, language, now, team)
    for question in all_pages[page]:
        if question.key in checked.parsed:
            _store(response, question, checked.parsed[question.key], now)
    if checked.next_page is None:
        response.completed_at = now
        reasons = ([TEAM] if team or response.flag_reason == TEAM else []) + bot_signs(form, state, now)
        if not reasons and guard is not None:
            reasons = _repeat_signs(touchpoint, response, state, guard, now)
        response.flagged = bool(reasons)
        response.flag_reason = ",".join(reasons)
        db.session.flush()
        accepted = referrals.accept(response, now)
        _publish_completion(touchpoint, response, accepted, now, guard.device if guard else "")
    db.session.commit()
    return PageResult({}, checked.merged, checked.next_page, checked.next_page is None, response)


def _repeat_signs(
    touchpoint: Touchpoint, response: Response, state: FormState, guard: repeats.Guard, now: datetime
) -> list[str]:
    """Why a completion is not counted under the repeat rules: the referrer's own invite, or a possible repeat of
    the same visitor or the same network + device within the window (claimed atomically: of simultaneous
    completions one counts)."""
    invite = db.session.get(Invite, response.invite_id) if response.invite_id is not None else None
    if repeats.own_invite(invite, guard.device, guard.rules.window_minutes, now):
        return [repeats.OWN_INVITE]
    repeats.forget_old(now)
    claims = repeats.claims_for(guard.rules, touchpoint.id, state.code_id, response.visitor_key, guard.device, now)
    return [] if claim_all(response.workspace_id, claims, state.token, now) else [repeats.REPEAT]


def _publish_completion(
    touchpoint: Touchpoint, response: Response, accepted: bool, now: datetime, device: str = ""
) -> None:
    """Tell the subscribers (coupon, lead points, webhooks …), in the response's transaction. Likely bots, team
    devices and repeats (flagged) set off nothing."""
    if response.flagged:
        return
    events.publish(
        ResponseCompleted(
            response.workspace_id, response.id, touchpoint.campaign_id, touchpoint.id, now, response.code_id, device
        )
    )
    if accepted and response.invite_id is not None:
        invite = db.session.get(Invite, response.invite_id)
        if invite is not None:
            events.publish(
                InviteAccepted(
                    response.workspace_id, invite.id, invite.response_id, response.id, invite.touchpoint_id, now
                )
            )


def save_single_answer(
    touchpoint: Touchpoint,
    version: SurveyVersion,
    state: FormState,
    key: str,
    raw: list[str],
    visitor_key: str,
    language: str,
    now: datetime,
    team: bool = False,
) -> None:
    """Save one answer as it is given (JavaScript), creating the partial response on the first one.

    :raises SurveyChanged: the form belongs to another version.
    :raises AnswerError: the value is not acceptable for the question.
    """
    if state.version_id != version.id:
        raise SurveyChanged()
    question = next((q for q in version.specs() if q.key == key), None)
    if question is None:
        raise AnswerError("invalid_choice")
    value = parse_answer(question, raw)
    response = _get_or_create(touchpoint, state, visitor_key, language, now, team)
    if response.completed_at is None:
        _store(response, question, value, now)
    db.session.commit()
