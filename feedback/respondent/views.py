"""Every URL a customer's phone opens: /t/<code> and /T/<code> (printed codes), /t (typing a code), /i/<code> and
/I/<code> (invites), the survey's page submits and single-answer saves, the thank-you page with its invite, offer
and contact steps, and a touchpoint's calendar entry."""

from __future__ import annotations

import dataclasses
import time
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from icalendar import Calendar, Event
from limits import parse as parse_limit

from feedback.auth import devices
from feedback.bounds import page_number
from feedback.db_types import utcnow
from feedback.errors import render_error
from feedback.extensions import commit, csrf, db, limiter
from feedback.i18n import current_language
from feedback.leads import services as leads
from feedback.qr import actions, fastpath
from feedback.qr import services as qr_services
from feedback.qr.codes import InvalidCode, normalise_code
from feedback.qr.models import Arrival as ScanArrival
from feedback.qr.models import ScanOutcome
from feedback.qr.services import ResolvedCode
from feedback.qr.visitors import VISITOR_COOKIE, describe_visit, device_signature
from feedback.referrals import services as referrals
from feedback.respondent import arrive, client, lane, pages, repeats, respond
from feedback.respondent.arrive import Next
from feedback.surveys.models import Response as SurveyResponse
from feedback.surveys.questions import AnswerError
from feedback.touchpoints.landing import is_public_url
from feedback.touchpoints.models import Campaign
from feedback.webhooks.services import has_scan_subscribers

bp = Blueprint("respondent", __name__)
# A phone's forms need no session: a survey page carries its signed state, the thank-you page's forms the response's
# secret token. So they work where cookies are blocked (in-app browsers); what a session-bound CSRF token guarded
# against, another website making visitors' browsers send answers, is refused by the browser's own headers below.
csrf.exempt(bp)


@bp.before_request
def _refuse_posts_from_other_sites() -> Response | None:
    """A form sent from another website or another subdomain is refused (`client.sent_from_another_site`)."""
    if request.method != "POST":
        return None
    if not client.sent_from_another_site(
        request.headers.get("Sec-Fetch-Site"), request.headers.get("Origin"), request.host
    ):
        return None
    body, status = render_error(403, _("This form was sent from another website. Please open the link again."))
    return pages.no_store(make_response(body, status))


#: Per network + device signature: unknown codes are counted against this; valid scans are not.
UNKNOWN_CODE_LIMIT = "60 per minute"
_UNKNOWN_CODES = parse_limit(UNKNOWN_CODE_LIMIT)
CONTACT_LIMIT = "10 per minute"
#: Per network + device signature: landing-action clicks stored (more are sent on, not stored).
ACTION_LIMIT = "30 per minute"
_ACTIONS = parse_limit(ACTION_LIMIT)


def _signature_key() -> str:
    """Rate limits of the phone's pages count per anonymised network + device signature (`client.limit_key`)."""
    return client.limit_key(
        request.remote_addr, request.headers.get("User-Agent", ""), current_app.config["SECRET_KEY"]
    )


def _typed_code_limit() -> str:
    return current_app.config["TYPED_CODE_RATE_LIMIT"]


def _invite_limit() -> str:
    return current_app.config["INVITE_RATE_LIMIT"]


def _answer_limit() -> str:
    return current_app.config["ANSWER_RATE_LIMIT"]


def _counted_by_the_lane() -> bool:
    """The submit lane counted this request against the answer limit before it handed it on (one request, one
    count)."""
    return bool(request.environ.get(lane.COUNTED))


def _no_typed_code() -> bool:
    """The empty form writes nothing; only a typed code is counted."""
    return not request.args.get("code")


# --- arrival ---------------------------------------------------------------------------------------------------


def with_utm(destination: str, medium: str, campaign: str, content: str) -> str:
    """The destination URL with our UTM parameters (replacing any it already had)."""
    parts = urlsplit(destination)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    query += [("utm_source", "qr"), ("utm_medium", medium), ("utm_campaign", campaign), ("utm_content", content)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _unknown(typed: str) -> Response:
    """The friendly page for a code we do not know (counted by its text); 429 after too many from one client.

    Only unknown codes count against the client's limit, so real visitors behind one address are never blocked.
    The attempt is counted and checked in one step of the limiter's storage (shared by all workers and instances
    with Redis), so concurrent attempts cannot slip past the limit between a check and a count.
    """
    address = _signature_key()
    if limiter.enabled and not limiter.limiter.hit(_UNKNOWN_CODES, "unknown-code", address):
        reset_at, _remaining = limiter.limiter.get_window_stats(_UNKNOWN_CODES, "unknown-code", address)
        body, status = render_error(429)
        response = make_response(body, status)
        response.headers["Retry-After"] = str(max(1, int(reset_at - time.time()) + 1))
        return pages.no_store(response)
    qr_services.record_unknown(typed, utcnow())
    return pages.no_store(make_response(render_template("respondent/unknown.html", typed=typed[:40]), 404))


def _replayable(response: Response, resolved: ResolvedCode) -> Response:
    """Offer the answer of an active code to the fast lane, which sends it to the next visitors of the code."""
    code = resolved.code
    if not has_scan_subscribers(code.workspace_id):  # their webhook events go with the scan: full path only
        offered = fastpath.Offer(
            code.workspace_id, code.touchpoint_id, code.id, code.expires_at, current_language(), code.is_personal
        )
        fastpath.offer(request.environ, offered)
    return response


def _show(arrival: arrive.Arrival, notice: str | None = None) -> Response:
    """The page an arrival leads to (the caller handles UNKNOWN)."""
    resolved = arrival.resolved
    assert resolved is not None
    if arrival.next in (Next.ENDED, Next.EXPIRED):
        expired = arrival.next is Next.EXPIRED
        html = render_template("respondent/ended.html", brand=resolved.brand, expired=expired)
        return pages.no_store(make_response(html, 410 if expired else 200))
    if arrival.next is Next.SURVEY:
        assert arrival.version is not None and arrival.state is not None
        return pages.survey_page(resolved, arrival.version, arrival.state, 0, {}, notice=notice)
    if arrival.next is Next.ANSWERED:
        return pages.already_answered_page(resolved)
    return pages.landing_page(resolved)


@bp.route("/T/<raw>", methods=["GET", "HEAD"])  # what printed symbols encode (alphanumeric mode)
@bp.route("/t/<raw>", methods=["GET", "HEAD"])  # registered first, so url_for builds the lower-case form
def scan(raw: str) -> Response:
    """The printed QR target: record the scan, then show the landing page or redirect to the destination."""
    now = utcnow()
    if request.args.get("via") == "code":
        how = ScanArrival.TYPED_CODE
    elif request.args.get("via") == "kiosk":  # a kiosk's reset for the next person (arrive.by_code checks it)
        how = ScanArrival.KIOSK
    else:  # the symbol encodes /T/ in upper case; people typing the printed address write /t/
        rule = request.url_rule.rule if request.url_rule else ""
        how = ScanArrival.SYMBOL if rule.startswith("/T/") else ScanArrival.TYPED_URL
    arrival = arrive.by_code(raw, describe_visit(request, now.date()), now, how, _team())
    if arrival.next is Next.UNKNOWN:
        return _unknown(raw)
    resolved = arrival.resolved
    assert resolved is not None
    if arrival.next is Next.REDIRECT and not is_public_url(resolved.touchpoint.destination_url):
        # a destination stored before it was checked as strictly as now: the landing page, not an error
        return pages.landing_page(resolved)
    if arrival.next is Next.REDIRECT:
        touchpoint = resolved.touchpoint
        target = with_utm(touchpoint.destination_url, touchpoint.channel, resolved.campaign_slug, resolved.code.code)
        return _replayable(pages.no_store(redirect(target, 302)), resolved)
    if arrival.next is Next.LANDING:
        return _replayable(pages.landing_page(resolved), resolved)
    return _show(arrival)


@bp.route("/T", methods=["GET"])
@bp.route("/t", methods=["GET"])
@limiter.limit(_typed_code_limit, key_func=_signature_key, exempt_when=_no_typed_code)
def enter_code() -> Response:
    """A form for people who type the printed code instead of scanning it."""
    typed = request.args.get("code", "")
    error = None
    if typed:
        try:
            return redirect(url_for("respondent.scan", raw=normalise_code(typed), via="code"), 303)
        except InvalidCode:
            qr_services.record_unknown(typed, utcnow())
            error = _("This does not look like one of our codes. It has 8 letters and digits, e.g. 7K3Q-X9PM.")
    return pages.no_store(make_response(render_template("respondent/enter.html", typed=typed[:40], error=error)))


@bp.route("/I/<raw>")
@bp.route("/i/<raw>")
@limiter.limit(_invite_limit, key_func=_signature_key)
def open_invite(raw: str) -> Response:
    """A friend opened an invite: record the open and show the survey with an "invited by a friend" note."""
    now = utcnow()
    arrival = arrive.by_invite(raw, describe_visit(request, now.date()), now, _team())
    if arrival.next is Next.UNKNOWN:
        qr_services.record_unknown(f"i:{raw}", now)
        html = render_template("respondent/unknown_invite.html", typed=raw[:40])
        return pages.no_store(make_response(html, 404))
    notice = _("A friend invited you. Thank you for taking 30 seconds!") if arrival.invited else None
    return _show(arrival, notice)


@bp.route("/T/<raw>/go/<action>")
@bp.route("/t/<raw>/go/<action>")
def landing_action(raw: str, action: str) -> Response:
    """A click on a landing page's call, calendar, follow or main button: count it, then send the phone to the
    touchpoint's stored target (never one named by the request). Unknown actions and actions the touchpoint does
    not have answer 404; a paused or expired code answers as its scan does. Beyond ACTION_LIMIT clicks a minute from
    one network + device signature the phone is still sent on, but nothing more is stored."""
    resolved = qr_services.resolve_code(raw)
    kind = actions.action_kind(action)
    if resolved is None:
        return _unknown(raw)
    calendar = url_for("respondent.calendar_entry", raw=resolved.code.code)
    target = actions.action_target(resolved.touchpoint, kind, calendar) if kind is not None else None
    if kind is None or target is None:
        body, status = render_error(404)
        return pages.no_store(make_response(body, status))
    now = utcnow()
    outcome = qr_services.outcome_for(resolved.code, now, resolved.campaign_archived)
    if outcome is not ScanOutcome.OK:
        expired = outcome is ScanOutcome.EXPIRED
        html = render_template("respondent/ended.html", brand=resolved.brand, expired=expired)
        return pages.no_store(make_response(html, 410 if expired else 200))
    commit()  # the reads end here: the click is written in a short transaction of its own
    if not limiter.enabled or limiter.limiter.hit(_ACTIONS, "landing-action", _signature_key()):
        actions.record_action(resolved, kind, describe_visit(request, now.date()), _is_team(resolved), now)
    return pages.no_store(redirect(target, 302))


@bp.route("/t/<raw>/event.ics")
def calendar_entry(raw: str) -> Response:
    """An iCalendar file for a trade-fair or event touchpoint, so visitors can keep the date."""
    resolved = qr_services.resolve_code(raw)
    if resolved is None or not resolved.touchpoint.has_event:
        return _unknown(raw)
    touchpoint = resolved.touchpoint
    language = current_language()
    calendar = Calendar()
    calendar.add("prodid", "-//feedback//touchpoint event//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"touchpoint-{touchpoint.id}@{urlsplit(current_app.config['PUBLIC_BASE_URL']).hostname}")
    event.add("summary", touchpoint.headline(language, resolved.brand, resolved.main_language))
    event.add("dtstart", touchpoint.event_starts_at)
    event.add("dtend", touchpoint.event_ends_at or touchpoint.event_starts_at + timedelta(hours=1))
    event.add("dtstamp", utcnow())
    if touchpoint.location:
        event.add("location", touchpoint.location)
    if touchpoint.body(language, resolved.main_language):
        event.add("description", touchpoint.body(language, resolved.main_language))
    calendar.add_component(event)
    response = make_response(calendar.to_ical())
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="event.ics"'
    return response


# --- the survey --------------------------------------------------------------------------------------------------


def _respondent_key(token: str, kiosk: bool = False) -> tuple[str, str | None]:
    """The visitor key for responses, and a cookie id to set when the visitor has none (`client.respondent_key`)."""
    cookie = request.cookies.get(VISITOR_COOKIE, "")
    return client.respondent_key(cookie, token, kiosk, current_app.config["SECRET_KEY"])


def _with_cookie(response: Response, fresh: str | None) -> Response:
    """Remember the respondent (first-party, functional: prevents answering twice)."""
    if fresh:
        response.set_cookie(
            VISITOR_COOKIE,
            fresh,
            max_age=client.VISITOR_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


def _form_lists() -> dict[str, list[str]]:
    return {key: request.form.getlist(key) for key in request.form}


def _page_number() -> int:
    return page_number(request.form.get("page"), 0, 1000)


def _device() -> str:
    """The request's network + device signature for the repeat rules (`qr.visitors.device_signature`)."""
    user_agent = request.headers.get("User-Agent", "")
    return device_signature(request.remote_addr, user_agent, current_app.config["SECRET_KEY"])


def _maybe_team() -> bool:
    """The request may come from a team device (marked, or a member's browser): the full path finds out. A
    respondent has no session of their own (their forms need none), so a session cookie names a member."""
    cookies = request.cookies
    if devices.TEAM_COOKIE in cookies or current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies:
        return True
    return current_app.config["SESSION_COOKIE_NAME"] in cookies and "_user_id" in session


def _team() -> frozenset[int]:
    """The workspaces whose team this browser belongs to (looked up only when it may belong to one)."""
    return devices.team_workspaces() if _maybe_team() else frozenset()


def _is_team(resolved: ResolvedCode) -> bool:
    """The code's workspace counts this browser as one of its team's devices."""
    return resolved.code.workspace_id in _team()


@bp.route("/T/<raw>", methods=["POST"])
@bp.route("/t/<raw>", methods=["POST"])
@limiter.shared_limit(_answer_limit, lane.SCOPE, key_func=_signature_key, exempt_when=_counted_by_the_lane)
def submit(raw: str) -> Response:
    """A survey page was sent: save it, then show the next page or the thank-you page. (The common case, a new
    response completed by its one page, the submit lane answers before Flask: `respondent.lane`.)"""
    commit()  # no read of the attempt may stay open: the full path takes the write lock first
    resolved = qr_services.resolve_code(raw)
    state = pages.unsign_state(request.form.get("state", ""))
    if resolved is None or state is None or state.code_id != resolved.code.id:
        return redirect(url_for("respondent.scan", raw=raw.upper()), 303)
    now = utcnow()
    version = respond.current_version(resolved.touchpoint)
    if version is None:
        return redirect(url_for("respondent.scan", raw=resolved.code.code), 303)
    visitor_key, fresh = _respondent_key(state.token, resolved.touchpoint.kiosk)
    existing = respond.response_by_token(state.token)
    team = _is_team(resolved)
    if existing is None and not team and respond.already_answered(resolved.touchpoint, visitor_key, now):
        return pages.already_answered_page(resolved)
    page = _page_number()
    try:
        guard = repeats.Guard(repeats.rules_of(resolved.touchpoint), _device())
        result = respond.submit_page(
            resolved.touchpoint, version, state, page, _form_lists(), visitor_key, current_language(), now, team, guard
        )
    except respond.SurveyChanged as error:
        fresh_state = respond.FormState(respond.new_token(), version.id, state.scan_id, state.code_id, now.timestamp())
        return pages.survey_page(resolved, version, fresh_state, 0, {}, notice=str(error.message), status=409)
    if result.errors:
        return pages.survey_page(resolved, version, state, page, result.answers, result.errors, status=422)
    if result.held:  # sent faster than a person reads: the same page, answers kept, asking to take a moment
        reminded = dataclasses.replace(state, reminded=True)
        return _with_cookie(pages.survey_page(resolved, version, reminded, page, result.answers, moment=True), fresh)
    if result.completed:  # the code's text from the form state's check: the commit expired the loaded rows
        target = url_for("respondent.thanks", raw=normalise_code(raw), r=state.token)
        return pages.no_store(_with_cookie(redirect(target, 303), fresh))
    response = pages.survey_page(resolved, version, state, result.next_page or 0, result.answers)
    return _with_cookie(response, fresh)


@bp.route("/t/<raw>/answer", methods=["POST"])
@limiter.shared_limit(_answer_limit, lane.SCOPE, key_func=_signature_key)
def save_answer(raw: str) -> Response:
    """Save one answer as it is given (progressive enhancement); JSON in, JSON out."""
    resolved = qr_services.resolve_code(raw)
    state = pages.unsign_state(request.form.get("state", ""))
    if resolved is None or state is None or state.code_id != resolved.code.id:
        return make_response(jsonify(error="unknown form"), 400)
    version = respond.current_version(resolved.touchpoint)
    if version is None:
        return make_response(jsonify(error="no survey"), 409)
    key = request.form.get("key", "")[:40]
    visitor_key, fresh = _respondent_key(state.token, resolved.touchpoint.kiosk)
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
            _is_team(resolved),
        )
    except respond.SurveyChanged as error:
        return make_response(jsonify(error=str(error.message)), 409)
    except AnswerError as error:
        return make_response(jsonify(error=respond.message_for(error)), 422)
    return _with_cookie(make_response(jsonify(saved=key)), fresh)


# --- the thank-you page ------------------------------------------------------------------------------------------


def _answered(raw: str, token: str) -> tuple[ResolvedCode, SurveyResponse] | None:
    """The code and the response a thank-you page or one of its forms is about; None when they do not belong."""
    resolved = qr_services.resolve_code(raw)
    response = respond.response_by_token(token[:64])
    if resolved is None or response is None or response.touchpoint_id != resolved.touchpoint.id:
        return None
    return resolved, response


@bp.route("/t/<raw>/thanks")
def thanks(raw: str) -> Response:
    """What happens next, after a completed response."""
    found = _answered(raw, request.args.get("r", ""))
    if found is None:
        return redirect(url_for("respondent.scan", raw=raw.upper()), 303)
    return pages.thanks_page(*found)


@bp.route("/t/<raw>/coupon")
def coupon(raw: str) -> Response:
    """A response's coupon on a page of its own: where a kiosk's QR symbol leads, on the visitor's own phone."""
    found = _answered(raw, request.args.get("r", ""))
    page = pages.coupon_page(*found) if found is not None else None
    if page is None:
        body, status = render_error(404)
        return pages.no_store(make_response(body, status))
    return page


@bp.route("/t/<raw>/invite", methods=["POST"])
@limiter.limit(_invite_limit, key_func=_signature_key)
def take_invite(raw: str) -> Response:
    """The respondent takes a personal invite on the thank-you page (the same one when asked again)."""
    found = _answered(raw, request.form.get("r", ""))
    if found is None:
        return redirect(url_for("respondent.scan", raw=raw.upper()), 303)
    resolved, response = found
    campaign = resolved.touchpoint.campaign
    if not resolved.touchpoint.kiosk and referrals.offers_invite(response, campaign):
        referrals.issue_invite(response, campaign, utcnow(), _device())
        commit()
    return redirect(url_for("respondent.thanks", raw=resolved.code.code, r=response.token) + "#invite", 303)


@bp.route("/t/<raw>/contact", methods=["POST"])
@limiter.limit(CONTACT_LIMIT, key_func=_signature_key)
def leave_contact(raw: str) -> Response:
    """Store the respondent's contact details, only with the consent box ticked."""
    found = _answered(raw, request.form.get("r", ""))
    if found is None:
        return redirect(url_for("respondent.scan", raw=raw.upper()), 303)
    resolved, response = found
    campaign = db.session.get(Campaign, resolved.touchpoint.campaign_id)
    target = url_for("respondent.thanks", raw=resolved.code.code, r=response.token)
    if campaign is None or not campaign.ask_contact or response.completed_at is None or response.flagged:
        return redirect(target, 303)
    if resolved.touchpoint.kiosk:  # a shared screen asks nobody for contact details
        return redirect(target, 303)
    try:
        leads.capture(
            response,
            request.form.get("name", "")[:200],
            request.form.get("email", "")[:300],
            request.form.get("phone", "")[:60],
            request.form.get("consent") == "yes",
            current_language(),
            resolved.brand,
            utcnow(),
        )
    except leads.ContactInvalid as error:
        db.session.rollback()
        return pages.thanks_page(resolved, response, error.errors, request.form, status=422)
    except leads.DetailsAlreadyLeft:
        db.session.rollback()  # the other request's details stand; this one's are not stored
        return redirect(target + "#contact", 303)
    commit()
    return redirect(target + "#contact", 303)
