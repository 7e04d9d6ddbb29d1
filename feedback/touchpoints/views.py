"""Dashboard pages for campaigns and touchpoints (thin: parse, call a service, render or redirect)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.touchpoints import services
from feedback.touchpoints.forms import CampaignForm, TouchpointForm
from feedback.touchpoints.models import Channel, Phase

bp = Blueprint("touchpoints", __name__, url_prefix="/w/<ws>")
scope_blueprint(bp)


def _campaign_data(form: CampaignForm) -> services.CampaignData:
    """Typed input from a validated campaign form."""
    return services.CampaignData(
        name=form.name.data or "",
        description=form.description.data or "",
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        budget=form.budget.data,
    )


def _touchpoint_data(form: TouchpointForm) -> services.TouchpointData:
    """Typed input from a validated touchpoint form."""
    return services.TouchpointData(
        name=form.name.data or "",
        channel=Channel(form.channel.data),
        phase=Phase(form.phase.data),
        cost=form.cost.data,
        reach=form.reach.data,
        location=form.location.data or "",
        notes=form.notes.data or "",
    )


@bp.route("/")
def list_campaigns():
    """The workspace's campaigns with their touchpoint counts."""
    show_archived = request.args.get("archived") == "1"
    rows = services.list_campaigns(current_workspace().id, include_archived=show_archived)
    return render_template(
        "touchpoints/campaigns.html",
        rows=rows,
        show_archived=show_archived,
        can_edit=current_role().allows(Role.EDITOR),
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
def create_campaign():
    """Create a campaign."""
    require_role(Role.EDITOR)
    form = CampaignForm()
    if form.validate_on_submit():
        try:
            campaign = services.create_campaign(current_workspace().id, _campaign_data(form))
        except services.DuplicateCampaign as error:
            form.name.errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("Campaign created. Now add its touchpoints."), "success")
            return redirect(url_for("touchpoints.show_campaign", campaign_id=campaign.id))
    return render_template("touchpoints/campaign_form.html", form=form, campaign=None)


@bp.route("/campaigns/<int:campaign_id>")
def show_campaign(campaign_id: int):
    """A campaign with its touchpoints along the journey."""
    campaign = services.get_campaign(current_workspace().id, campaign_id)
    show_archived = request.args.get("archived") == "1"
    touchpoints = services.touchpoints_of(campaign, include_archived=show_archived)
    return render_template(
        "touchpoints/campaign.html",
        campaign=campaign,
        touchpoints=touchpoints,
        phases=list(Phase),
        show_archived=show_archived,
        can_edit=current_role().allows(Role.EDITOR),
        confirm_form=ConfirmForm(),
    )


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit_campaign(campaign_id: int):
    """Edit a campaign's details."""
    require_role(Role.EDITOR)
    campaign = services.get_campaign(current_workspace().id, campaign_id)
    form = CampaignForm(obj=campaign)
    if form.validate_on_submit():
        try:
            services.update_campaign(campaign, _campaign_data(form))
        except services.DuplicateCampaign as error:
            db.session.rollback()
            form.name.errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("Campaign saved."), "success")
            return redirect(url_for("touchpoints.show_campaign", campaign_id=campaign.id))
    return render_template("touchpoints/campaign_form.html", form=form, campaign=campaign)


@bp.route("/campaigns/<int:campaign_id>/archive", methods=["POST"])
def archive_campaign(campaign_id: int):
    """Archive (or, with restore=1, restore) a campaign."""
    require_role(Role.EDITOR)
    campaign = services.get_campaign(current_workspace().id, campaign_id)
    if ConfirmForm().validate_on_submit():
        restore = request.form.get("restore") == "1"
        services.set_campaign_archived(campaign, not restore, utcnow())
        db.session.commit()
        flash(_("Campaign restored.") if restore else _("Campaign archived."), "success")
    return redirect(url_for("touchpoints.show_campaign", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/touchpoints/new", methods=["GET", "POST"])
def create_touchpoint(campaign_id: int):
    """Add a touchpoint to a campaign."""
    require_role(Role.EDITOR)
    campaign = services.get_campaign(current_workspace().id, campaign_id)
    form = TouchpointForm()
    if request.method == "GET" and request.args.get("phase") in {p.value for p in Phase}:
        form.phase.data = request.args["phase"]
    if form.validate_on_submit():
        try:
            touchpoint = services.create_touchpoint(campaign, _touchpoint_data(form))
        except services.DuplicateTouchpoint as error:
            form.name.errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("Touchpoint created."), "success")
            return redirect(url_for("touchpoints.show_touchpoint", touchpoint_id=touchpoint.id))
    return render_template("touchpoints/touchpoint_form.html", form=form, campaign=campaign, touchpoint=None)


@bp.route("/touchpoints/<int:touchpoint_id>")
def show_touchpoint(touchpoint_id: int):
    """A touchpoint's details."""
    touchpoint = services.get_touchpoint(current_workspace().id, touchpoint_id)
    return render_template(
        "touchpoints/touchpoint.html",
        touchpoint=touchpoint,
        campaign=touchpoint.campaign,
        can_edit=current_role().allows(Role.EDITOR),
        confirm_form=ConfirmForm(),
    )


@bp.route("/touchpoints/<int:touchpoint_id>/edit", methods=["GET", "POST"])
def edit_touchpoint(touchpoint_id: int):
    """Edit a touchpoint's details."""
    require_role(Role.EDITOR)
    touchpoint = services.get_touchpoint(current_workspace().id, touchpoint_id)
    form = TouchpointForm(obj=touchpoint)
    if form.validate_on_submit():
        try:
            services.update_touchpoint(touchpoint, _touchpoint_data(form))
        except services.DuplicateTouchpoint as error:
            db.session.rollback()
            form.name.errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("Touchpoint saved."), "success")
            return redirect(url_for("touchpoints.show_touchpoint", touchpoint_id=touchpoint.id))
    return render_template(
        "touchpoints/touchpoint_form.html", form=form, campaign=touchpoint.campaign, touchpoint=touchpoint
    )


@bp.route("/touchpoints/<int:touchpoint_id>/archive", methods=["POST"])
def archive_touchpoint(touchpoint_id: int):
    """Archive (or, with restore=1, restore) a touchpoint."""
    require_role(Role.EDITOR)
    touchpoint = services.get_touchpoint(current_workspace().id, touchpoint_id)
    if ConfirmForm().validate_on_submit():
        restore = request.form.get("restore") == "1"
        services.set_touchpoint_archived(touchpoint, not restore, utcnow())
        db.session.commit()
        flash(_("Touchpoint restored.") if restore else _("Touchpoint archived."), "success")
    return redirect(url_for("touchpoints.show_touchpoint", touchpoint_id=touchpoint.id))
