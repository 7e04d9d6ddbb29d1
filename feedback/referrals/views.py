"""The campaign's referral overview and revoking invites (the invite links themselves: feedback.respondent)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug import Response

from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role
from feedback.confirm import Confirmation, confirmation_page, confirmed
from feedback.db_types import utcnow
from feedback.extensions import commit
from feedback.referrals import services
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.touchpoints import services as touchpoint_services

dashboard_bp = Blueprint("referral_admin", __name__, url_prefix="/w/<ws>")
scope_blueprint(dashboard_bp)


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
        own_invites=services.own_invites_answered(campaign),
        rows=[(touchpoints[tp], numbers) for tp, numbers in per_touchpoint.items() if tp in touchpoints],
        total=total,
        top=services.top_invites(campaign),
        generations=services.generations(campaign),
        confirm_form=ConfirmForm(),
        can_edit=current_role().allows(Role.EDITOR),
        now=utcnow(),
    )


@dashboard_bp.route("/invites/<int:invite_id>/revoke", methods=["POST"])
def revoke_invite(invite_id: int) -> str | Response:
    """Revoke an invite (after a confirmation step): its link still opens the survey, but nothing more is
    attributed to it."""
    require_role(Role.EDITOR)
    form = ConfirmForm()
    if form.validate_on_submit():
        if not confirmed():
            invite = services.get_invite(current_workspace().id, invite_id)
            confirmation = Confirmation(
                question=_("Revoke the invite %(code)s?", code=invite.code),
                consequence=_(
                    "Its link still opens the survey, but nothing more is attributed to it: no accepted invites, no "
                    "referral numbers. This cannot be undone."
                ),
                yes=_("Yes, revoke"),
                action=request.path,
                back=url_for("referral_admin.overview", campaign_id=invite.campaign_id),
            )
            return confirmation_page(confirmation, form)
        invite = services.revoke(current_workspace().id, invite_id, utcnow())
        commit()
        flash(_("Invite revoked."), "success")
        return redirect(url_for("referral_admin.overview", campaign_id=invite.campaign_id))
    return redirect(url_for("touchpoints.list_campaigns"))
