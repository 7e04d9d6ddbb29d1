"""/i/<code> invite links, issuing invites on the thank-you page, and the campaign's referral overview."""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug import Response

from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role, Workspace
from feedback.db_types import utcnow
from feedback.extensions import db, limiter
from feedback.i18n import current_language
from feedback.qr import services as qr_services
from feedback.qr.codes import group
from feedback.qr.models import Scan, ScanOutcome
from feedback.qr.rendering import QrOptions, qr_url, render_svg
from feedback.qr.services import ResolvedCode
from feedback.qr.visitors import VISITOR_COOKIE, describe_visit
from feedback.referrals import services
from feedback.surveys import respond
from feedback.surveys.views import render_survey_page
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.touchpoints import services as touchpoint_services

bp = Blueprint("referrals", __name__)
dashboard_bp = Blueprint("referral_admin", __name__, url_prefix="/w/<ws>")
scope_blueprint(dashboard_bp)

INVITE_LIMIT = "30 per minute"


def _visitor_limit_key() -> str:
    """Rate-limit invites per visitor: the first-party cookie where set, else the client address."""
    return "visitor:" + (request.cookies.get(VISITOR_COOKIE, "")[:32] or (request.remote_addr or ""))


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def invite_url(code: str) -> str:
    """The invite link people share: PUBLIC_BASE_URL/i/<code>."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/i/{code}"


def invite_qr_url(code: str) -> str:
    """What the on-screen QR symbol encodes: upper case (/I/), so the symbol uses alphanumeric mode."""
    return qr_url(current_app.config["PUBLIC_BASE_URL"], code).replace("/T/", "/I/")


@bp.route("/I/<raw>")
@bp.route("/i/<raw>")
@limiter.limit(INVITE_LIMIT, key_func=_visitor_limit_key)
def open_invite(raw: str) -> Response:
    """A friend opened an invite: record the open and show the survey with an "invited by a friend" note."""
    now = utcnow()
    visit = describe_visit(request, now.date())
    resolved = services.resolve_invite(raw)
    if resolved is None or resolved.code is None:
        qr_services.record_unknown(f"i:{raw}", now)
        return _no_store(make_response(render_template("referrals/unknown.html", typed=raw[:40]), 404))
    invite, touchpoint = resolved.invite, resolved.landing
    attributed = invite.revoked_at is None
    scan_id = qr_services.write_in_own_transaction(
        sa.insert(Scan)
        .values(
            workspace_id=touchpoint.workspace_id,
            touchpoint_id=touchpoint.id,
            code_id=resolved.code.id,
            invite_id=invite.id if attributed else None,
            scanned_at=now,
            visitor_key=visit.visitor_key,
            visitor_from_cookie=visit.from_cookie,
            device_class=visit.device_class,
            os=visit.os,
            browser=visit.browser,
            language=visit.language,
            is_bot=visit.is_bot,
            outcome=ScanOutcome.OK.value,
        )
        .returning(Scan.id)
    )
    workspace = db.session.get(Workspace, touchpoint.workspace_id)
    landing = ResolvedCode(resolved.code, touchpoint, resolved.campaign.slug, workspace.name, workspace.timezone)
    version = respond.current_version(touchpoint)
    if version is None or not version.questions:
        html = render_template("qr/landing.html", resolved=landing, touchpoint=touchpoint, language=current_language())
        return _no_store(make_response(html))
    if respond.already_answered(touchpoint, visit.visitor_key, now):
        html = render_template("surveys/already.html", resolved=landing, language=current_language())
        return _no_store(make_response(html))
    state = respond.FormState(
        respond.new_token(), version.id, scan_id, resolved.code.id, now.timestamp(), invite.id if attributed else None
    )
    notice = _("A friend invited you. Thank you for taking 30 seconds!") if attributed else None
    return render_survey_page(landing, version, state, 0, {}, notice=notice)


@bp.route("/t/<raw>/invite", methods=["POST"])
@limiter.limit(INVITE_LIMIT, key_func=_visitor_limit_key)
def take_invite(raw: str) -> Response:
    """The respondent takes a personal invite on the thank-you page (the same one when asked again)."""
    resolved = qr_services.resolve_code(raw)
    response = respond.response_by_token(request.form.get("r", "")[:64])
    if resolved is None or response is None or response.touchpoint_id != resolved.touchpoint.id:
        return redirect(url_for("qr.scan", raw=raw.upper()), 303)
    campaign = resolved.touchpoint.campaign
    if services.offers_invite(response, campaign):
        services.issue_invite(response, campaign, utcnow())
        db.session.commit()
    return redirect(url_for("surveys.thanks", raw=resolved.code.code, r=response.token) + "#invite", 303)


def invite_panel(resolved: ResolvedCode, response_token: str) -> dict[str, object] | None:
    """What the thank-you page shows about invites: an offer, the invite itself, or nothing."""
    response = respond.response_by_token(response_token)
    campaign = resolved.touchpoint.campaign
    if response is None or not services.offers_invite(response, campaign):
        return None
    invite = services.invite_of(response)
    panel: dict[str, object] = {"incentive": campaign.incentive_text, "token": response.token, "invite": invite}
    if invite is not None:
        url = invite_url(invite.code)
        text = _("Have a look – I answered a 30-second survey for %(brand)s: %(url)s", brand=resolved.brand, url=url)
        panel.update(
            url=url,
            code=group(invite.code),
            qr=Markup(render_svg(invite_qr_url(invite.code), QrOptions(size_mm=35))),  # noqa: S704 - our own SVG
            whatsapp=f"https://wa.me/?text={quote(text)}",
            mail=f"mailto:?subject={quote(resolved.brand)}&body={quote(text)}",
            sms=f"sms:?&body={quote(text)}",
            share_text=text,
        )
    return panel


# --- dashboard -----------------------------------------------------------------------------------------------


@dashboard_bp.route("/campaigns/<int:campaign_id>/referrals")
def overview(campaign_id: int) -> str:
    """The campaign's referral numbers per touchpoint, top invite codes and the chain by generation."""
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    per_touchpoint, total = services.referral_numbers(campaign)
    touchpoints = {t.id: t for t in touchpoint_services.touchpoints_of(campaign, include_archived=True)}
    return render_template(
        "referrals/overview.html",
        campaign=campaign,
        rows=[(touchpoints[tp], numbers) for tp, numbers in per_touchpoint.items() if tp in touchpoints],
        total=total,
        top=services.top_invites(campaign),
        generations=services.generations(campaign),
        confirm_form=ConfirmForm(),
        can_edit=current_role().allows(Role.EDITOR),
        now=utcnow(),
    )


@dashboard_bp.route("/invites/<int:invite_id>/revoke", methods=["POST"])
def revoke_invite(invite_id: int) -> Response:
    """Revoke an invite: its link still opens the survey, but nothing more is attributed to it."""
    require_role(Role.EDITOR)
    if ConfirmForm().validate_on_submit():
        invite = services.revoke(current_workspace().id, invite_id, utcnow())
        db.session.commit()
        flash(_("Invite revoked."), "success")
        return redirect(url_for("referral_admin.overview", campaign_id=invite.campaign_id))
    return redirect(url_for("touchpoints.list_campaigns"))
