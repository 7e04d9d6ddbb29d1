"""Respondent pages: the survey on the landing page, page submits, single-answer saves, thank-you."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime

from flask import Blueprint, Response, current_app, jsonify, make_response, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.i18n import current_language
from feedback.qr import services as qr_services
from feedback.qr.codes import InvalidCode, normalise_code
from feedback.qr.services import ResolvedCode
from feedback.qr.visitors import VISITOR_COOKIE, visitor_key_for_cookie
from feedback.surveys import quick, respond
from feedback.surveys.models import Response as SurveyResponseRow
from feedback.surveys.models import SurveyVersion
from feedback.surveys.questions import AnswerError
from feedback.touchpoints.models import Campaign

bp = Blueprint("surveys", __name__)

FORM_MAX_AGE = 2 * 24 * 3600  # a form left open over a weekend day still submits
VISITOR_COOKIE_AGE = 365 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    """Signs the hidden form state so nobody can change the scan, code or version it names."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="survey-form")


def sign_state(state: respond.FormState) -> str:
    """The signed hidden field of a survey form (the benchmark signs its own forms with it too)."""
    return _serializer().dumps(asdict(state))


def _unsign(value: str) -> respond.FormState | None:
    try:
        data = _serializer().loads(value[:1000], max_age=FORM_MAX_AGE)
        return respond.FormState(**data)
    except (BadSignature, TypeError, ValueError):
        return None


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def render_survey_page(
    resolved: ResolvedCode,
    version: SurveyVersion,
    state: respond.FormState,
    page: int,
    answers: dict[str, object],
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    """The landing page with one page of the survey."""
    all_pages = respond.survey_pages(version)
    language = current_language()
    questions = [q for q in all_pages[page] if q.visible(answers)]
    html = render_template(
        "qr/landing.html",
        resolved=resolved,
        touchpoint=resolved.touchpoint,
        language=language,
        survey={
            "questions": questions,
            "answers": answers,
            "errors": errors or {},
            "state": sign_state(state),
            "page": page,
            "pages": len(all_pages),
            "notice": notice,
            "honeypot": respond.HONEYPOT,
        },
    )
    return _no_store(make_response(html, status))


def landing_with_survey(
    resolved: ResolvedCode, scan_id: int | None, visitor_key: str, now: datetime
) -> Response | None:
    """The first survey page for a fresh scan, "already answered", or None when the touchpoint has no survey."""
    version = respond.current_version(resolved.touchpoint)
    if version is None or not version.questions:
        return None
    if respond.already_answered(resolved.touchpoint, visitor_key, now):
        html = render_template("surveys/already.html", resolved=resolved, language=current_language())
        return _no_store(make_response(html))
    state = respond.FormState(respond.new_token(), version.id, scan_id, resolved.code.id, now.timestamp())
    return render_survey_page(resolved, version, state, 0, {})


def _respondent_key(token: str) -> tuple[str, str | None]:
    """The visitor key for responses, and a first-party cookie id to set when the visitor has none.

    The new id is derived from the form token, so requests of one form that overlap (answers saved as they are
    given) all set the same cookie and the response's visitor key matches it.
    """
    cookie = request.cookies.get(VISITOR_COOKIE, "")
    if len(cookie) == 32 and all(c in "0123456789abcdef" for c in cookie):
        return visitor_key_for_cookie(cookie), None
    secret = current_app.config["SECRET_KEY"].encode()
    fresh = hmac.new(secret, f"visitor-cookie:{token}".encode(), hashlib.sha256).hexdigest()[:32]
    return visitor_key_for_cookie(fresh), fresh


def _with_cookie(response: Response, fresh: str | None) -> Response:
    """Remember the respondent (first-party, functional: prevents answering twice)."""
    if fresh:
        response.set_cookie(
            VISITOR_COOKIE, fresh, max_age=VISITOR_COOKIE_AGE, httponly=True, samesite="Lax", secure=request.is_secure
        )
    return response


def _form_lists() -> dict[str, list[str]]:
    return {key: request.form.getlist(key) for key in request.form}


def _page_number() -> int:
    try:
        return int(request.form.get("page", "0"))
    except ValueError:
        return 0


def _submit_at_once(raw: str) -> Response | None:
    """The common case, a new response completed by this page, stored through the group commit (`quick`) from the
    code's cached survey setup; None when the full path must take the request. The request takes no write lock of
    its own, so the completions of many requests share one transaction."""
    try:
        code = normalise_code(raw)
    except InvalidCode:
        return None
    if request.form.get("saved"):  # the script saved answers one by one: the response exists, the full path merges
        return None
    state = _unsign(request.form.get("state", ""))
    if state is None or state.invite_id is not None:
        return None
    setup = quick.setup_of(code)
    if setup is None or setup.code_id != state.code_id:
        return None
    visitor_key, fresh = _respondent_key(state.token)
    form, language = _form_lists(), current_language()
    if not quick.complete_at_once(setup, state, _page_number(), form, visitor_key, language, utcnow()):
        return None
    target = url_for("surveys.thanks", raw=code, r=state.token)
    return _no_store(_with_cookie(redirect(target, 303), fresh))


@bp.route("/T/<raw>", methods=["POST"])
@bp.route("/t/<raw>", methods=["POST"])
def submit(raw: str) -> Response:
    """A survey page was sent: save it, then show the next page or the thank-you page."""
    at_once = _submit_at_once(raw)
    if at_once is not None:
        return at_once
    db.session.commit()  # no read of the attempt may stay open: the full path takes the write lock first
    resolved = qr_services.resolve_code(raw)
    state = _unsign(request.form.get("state", ""))
    if resolved is None or state is None or state.code_id != resolved.code.id:
        return redirect(url_for("qr.scan", raw=raw.upper()), 303)
    now = utcnow()
    version = respond.current_version(resolved.touchpoint)
    if version is None:
        return redirect(url_for("qr.scan", raw=resolved.code.code), 303)
    visitor_key, fresh = _respondent_key(state.token)
    existing = respond.response_by_token(state.token)
    if existing is None and respond.already_answered(resolved.touchpoint, visitor_key, now):
        html = render_template("surveys/already.html", resolved=resolved, language=current_language())
        return _no_store(make_response(html))
    page = _page_number()
    try:
        result = respond.submit_page(
            resolved.touchpoint, version, state, page, _form_lists(), visitor_key, current_language(), now
        )
    except respond.SurveyChanged as error:
        fresh_state = respond.FormState(respond.new_token(), version.id, state.scan_id, state.code_id, now.timestamp())
        return render_survey_page(resolved, version, fresh_state, 0, {}, notice=str(error.message), status=409)
    if result.errors:
        return render_survey_page(resolved, version, state, page, result.answers, result.errors, status=422)
    if result.completed:  # the code's text from the form state's check: the commit expired the loaded rows
        target = url_for("surveys.thanks", raw=normalise_code(raw), r=state.token)
        return _no_store(_with_cookie(redirect(target, 303), fresh))
    response = render_survey_page(resolved, version, state, result.next_page or 0, result.answers)
    return _with_cookie(response, fresh)


@bp.route("/t/<raw>/answer", methods=["POST"])
def save_answer(raw: str) -> Response:
    """Save one answer as it is given (progressive enhancement); JSON in, JSON out."""
    resolved = qr_services.resolve_code(raw)
    state = _unsign(request.form.get("state", ""))
    if resolved is None or state is None or state.code_id != resolved.code.id:
        return make_response(jsonify(error="unknown form"), 400)
    version = respond.current_version(resolved.touchpoint)
    if version is None:
        return make_response(jsonify(error="no survey"), 409)
    key = request.form.get("key", "")[:40]
    visitor_key, fresh = _respondent_key(state.token)
    try:
        respond.save_single_answer(
            resolved.touchpoint,
            version,
            state,
            key,
            request.form.getlist("value"),
            visitor_key,
            current_language(),
            utcnow(),
        )
    except respond.SurveyChanged as error:
        return make_response(jsonify(error=str(error.message)), 409)
    except AnswerError as error:
        return make_response(jsonify(error=respond.message_for(error)), 422)
    return _with_cookie(make_response(jsonify(saved=key)), fresh)


@bp.route("/t/<raw>/thanks")
def thanks(raw: str) -> Response:
    """What happens next, after a completed response."""
    resolved = qr_services.resolve_code(raw)
    response = respond.response_by_token(request.args.get("r", "")[:64])
    if resolved is None or response is None or response.touchpoint_id != resolved.touchpoint.id:
        return redirect(url_for("qr.scan", raw=raw.upper()), 303)
    return render_thanks(resolved, response)


def render_thanks(
    resolved: ResolvedCode,
    response: SurveyResponseRow,
    contact_errors: dict[str, str] | None = None,
    contact_values: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The thank-you page: the invite, the offer with its coupon, and the contact step, as the campaign has them."""
    # these features build on the survey flow, so they are asked here rather than imported at the top
    from feedback.leads.views import contact_panel
    from feedback.offers.views import offer_panel
    from feedback.referrals.views import invite_panel

    language = current_language()
    campaign = db.session.get(Campaign, resolved.touchpoint.campaign_id)
    html = render_template(
        "surveys/thanks.html",
        resolved=resolved,
        language=language,
        completed=response.completed_at,
        invite=invite_panel(resolved, response.token),
        offer=offer_panel(response, resolved.touchpoint, language),
        contact=contact_panel(campaign, response, resolved.brand, language) if campaign else None,
        contact_errors=contact_errors or {},
        contact_values=contact_values or {},
    )
    return _no_store(make_response(html, status))
