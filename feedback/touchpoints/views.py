"""Dashboard pages for campaigns and touchpoints (thin: parse, call a service, render or redirect)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from feedback.analysis.services import code_arrivals, code_traffic
from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import commit, db
from feedback.headers import policy
from feedback.qr import personal
from feedback.qr import services as qr_services
from feedback.qr.forms import BatchForm, CodeForm
from feedback.qr.models import Code
from feedback.qr.services import ResolvedCode
from feedback.respondent import pages, respond
from feedback.surveys import services as survey_services
from feedback.surveys.models import Survey
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.touchpoints import landing, queries, services
from feedback.touchpoints.forms import CampaignForm, LandingForm, TouchpointForm
from feedback.touchpoints.models import Campaign, Channel, KioskCoupon, Phase, Touchpoint

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
        incentive_text=form.incentive_text.data or "",
        invite_policy=form.invite_policy.data or "everyone",
        referral_touchpoint_id=int(form.referral_touchpoint_id.data) if form.referral_touchpoint_id.data else None,
        ask_contact=bool(form.ask_contact.data),
        repeat_window_minutes=form.repeat_window_minutes.data if form.repeat_window_minutes.data is not None else 30,
        coupon_cap_per_hour=form.coupon_cap_per_hour.data if form.coupon_cap_per_hour.data is not None else 3,
    )


def _referral_choices(form: CampaignForm, campaign: Campaign | None) -> None:
    """Offer the campaign's touchpoints with codes as the landing of invited friends."""
    choices = [SelectChoice("", str(_l("the referrer's own touchpoint")))]
    if campaign is not None:
        choices += [SelectChoice(str(t.id), t.name) for t in services.referral_targets(campaign)]
        if request.method == "GET":
            form.referral_touchpoint_id.data = str(campaign.referral_touchpoint_id or "")
    form.referral_touchpoint_id.choices = choices
    if form.referral_touchpoint_id.data is None:  # WTForms leaves a missing value as None, not the empty choice
        form.referral_touchpoint_id.data = ""


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
        kiosk=bool(form.kiosk.data),
        kiosk_coupon=KioskCoupon(form.kiosk_coupon.data or KioskCoupon.QR.value),
    )


@bp.route("/")
def list_campaigns():
    """The workspace's campaigns with their touchpoint counts."""
    show_archived = request.args.get("archived") == "1"
    rows = services.list_campaigns(current_workspace().id, include_archived=show_archived)
    steps = queries.first_steps(current_workspace().id)
    return render_template(
        "touchpoints/campaigns.html",
        rows=rows,
        show_archived=show_archived,
        can_edit=current_role().allows(Role.EDITOR),
        steps=None if steps.done else steps,
        confirm_form=ConfirmForm(),
    )


@bp.route("/demo", methods=["POST"])
def load_demo():
    """Fill an empty workspace with the demo campaigns, so a newcomer can look around with data first."""
    require_role(Role.EDITOR)
    form = ConfirmForm()
    workspace = current_workspace()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
    elif queries.first_steps(workspace.id).campaign_id is not None or services.list_campaigns(
        workspace.id, include_archived=True
    ):
        flash(_("Demo data goes into an empty workspace only; this one has campaigns already."), "error")
    else:
        from feedback.demo import fill_workspace

        fill_workspace(workspace)
        commit()
        flash(_("Demo campaigns loaded: months of scans, answers and referrals to look around in."), "success")
    return redirect(url_for("touchpoints.list_campaigns"))


@bp.route("/campaigns/new", methods=["GET", "POST"])
def create_campaign():
    """Create a campaign."""
    require_role(Role.EDITOR)
    form = CampaignForm()
    _referral_choices(form, None)
    if form.validate_on_submit():
        try:
            campaign = services.create_campaign(current_workspace().id, _campaign_data(form))
        except services.DuplicateCampaign as error:
            form.name.errors.append(str(error.message))
        else:
            commit()
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
        personalised=personal.personalised_touchpoints(campaign.workspace_id, [t.id for t in touchpoints]),
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
    _referral_choices(form, campaign)
    if form.validate_on_submit():
        try:
            services.update_campaign(campaign, _campaign_data(form))
        except services.DuplicateCampaign as error:
            db.session.rollback()
            form.name.errors.append(str(error.message))
        else:
            commit()
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
        commit()
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
            commit()
            flash(_("Touchpoint created."), "success")
            return redirect(url_for("touchpoints.show_touchpoint", touchpoint_id=touchpoint.id))
    return render_template("touchpoints/touchpoint_form.html", form=form, campaign=campaign, touchpoint=None)


@bp.route("/touchpoints/<int:touchpoint_id>")
def show_touchpoint(touchpoint_id: int):
    """A touchpoint's details, its printed codes with their scans, and the latest scans."""
    touchpoint = services.get_touchpoint(current_workspace().id, touchpoint_id)
    return render_template(
        "touchpoints/touchpoint.html",
        touchpoint=touchpoint,
        campaign=touchpoint.campaign,
        codes=qr_services.codes_of(touchpoint),
        code_stats=qr_services.code_stats(
            touchpoint, code_traffic(touchpoint.workspace_id, current_workspace().timezone, [touchpoint.id])
        ),
        code_arrivals=code_arrivals(touchpoint.workspace_id, current_workspace().timezone, [touchpoint.id]),
        recent_scans=qr_services.recent_scans(touchpoint),
        now=utcnow(),
        code_form=CodeForm(),
        batch_form=BatchForm(),
        batches=personal.batches_of(touchpoint),
        batch_stats=personal.batch_stats(touchpoint),
        survey=db.session.get(Survey, touchpoint.survey_id) if touchpoint.survey_id else None,
        surveys=[s for s, _used, _answered in survey_services.list_surveys(current_workspace().id)],
        can_edit=current_role().allows(Role.EDITOR),
        confirm_form=ConfirmForm(),
    )


@bp.route("/touchpoints/<int:touchpoint_id>/preview")
def preview_touchpoint(touchpoint_id: int) -> Response:
    """What a phone sees at this touchpoint (landing page and first survey page), for proofs and tests: nothing is
    recorded, no scan and no answer, and the page cannot be sent."""
    touchpoint = services.get_touchpoint(current_workspace().id, touchpoint_id)
    codes = qr_services.codes_of(touchpoint)
    code = codes[0] if codes else Code(code="PREVIEW0", workspace_id=touchpoint.workspace_id)
    workspace = current_workspace()
    resolved = ResolvedCode(code, touchpoint, touchpoint.campaign.slug, workspace.name, workspace.timezone)
    version = respond.current_version(touchpoint)
    if version is None or not version.questions:
        response = pages.landing_page(resolved)
    else:
        state = respond.FormState(respond.new_token(), version.id, None, code.id or 0, utcnow().timestamp())
        response = pages.survey_page(resolved, version, state, 0, {})
    response.headers["Content-Security-Policy"] = policy(**{"form-action": "'none'"})
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _local(value: datetime | None) -> datetime | None:
    """A datetime typed in the workspace's time zone, as aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(current_workspace().timezone)).astimezone(UTC)


def _landing_form(touchpoint: Touchpoint) -> LandingForm:
    """The landing form, showing stored event times in the workspace's time zone."""
    form = LandingForm(obj=touchpoint)
    if request.method == "GET":
        zone = ZoneInfo(current_workspace().timezone)
        for field in (form.event_starts_at, form.event_ends_at):
            if field.data is not None:
                field.data = field.data.astimezone(zone).replace(tzinfo=None)
    return form


@bp.route("/touchpoints/<int:touchpoint_id>/landing", methods=["GET", "POST"])
def edit_landing(touchpoint_id: int):
    """Edit the page a scan of this touchpoint's codes leads to."""
    require_role(Role.EDITOR)
    touchpoint = services.get_touchpoint(current_workspace().id, touchpoint_id)
    form = _landing_form(touchpoint)
    if form.validate_on_submit():
        data = landing.LandingData(
            headline_de=form.headline_de.data or "",
            headline_en=form.headline_en.data or "",
            body_de=form.body_de.data or "",
            body_en=form.body_en.data or "",
            destination_url=form.destination_url.data or "",
            cta_url=form.cta_url.data or "",
            cta_label=form.cta_label.data or "",
            phone=form.phone.data or "",
            social_url=form.social_url.data or "",
            event_starts_at=_local(form.event_starts_at.data),
            event_ends_at=_local(form.event_ends_at.data),
        )
        try:
            landing.update_landing(touchpoint, data)
        except landing.LandingError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(str(error.message))
        else:
            commit()
            flash(_("Landing page saved."), "success")
            return redirect(url_for("touchpoints.show_touchpoint", touchpoint_id=touchpoint.id))
    return render_template(
        "touchpoints/landing_form.html", form=form, touchpoint=touchpoint, campaign=touchpoint.campaign
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
            commit()
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
        commit()
        flash(_("Touchpoint restored.") if restore else _("Touchpoint archived."), "success")
    return redirect(url_for("touchpoints.show_touchpoint", touchpoint_id=touchpoint.id))
