"""Dashboard pages for campaigns and touchpoints (thin: parse, call a service, render or redirect)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from feedback.analysis.charts import sparkline
from feedback.analysis.services import TREND_DAYS, Traffic, code_arrivals, code_traffic, empty_traffic, traffic
from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role, User
from feedback.bounds import parse_id
from feedback.confirm import check_undo, flash_with_undo
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
from feedback.surveys.catalog import TEMPLATES
from feedback.surveys.models import Survey
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.touchpoints import landing, queries, services
from feedback.touchpoints.forms import CampaignForm, LandingForm, NewTouchpointForm, TouchpointForm
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
        owner_id=parse_id(form.owner_id.data),
    )


#: Who gets the alerts when nobody is in charge.
CAMPAIGN_NOBODY = _l("— nobody: alerts go to the workspace's editors and owners")
TOUCHPOINT_NOBODY = _l("— nobody: alerts go to the campaign's person in charge")


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
        owner_id=parse_id(form.owner_id.data),
    )


def _person(user: User) -> str:
    """A member as the owner choices show them: name and e-mail, or the e-mail alone."""
    return f"{user.name} ({user.email})" if user.name else user.email


def _owner_choices(form: CampaignForm | TouchpointForm, nobody: str, owner_id: int | None) -> None:
    """Offer nobody (`nobody` says who gets the alerts then) and the workspace's editors and owners as the person in
    charge; a GET shows the one in charge now."""
    people = services.possible_owners(current_workspace().id)
    form.owner_id.choices = [SelectChoice("", nobody)] + [SelectChoice(str(u.id), _person(u)) for u in people]
    if request.method == "GET":
        form.owner_id.data = str(owner_id or "")
    if form.owner_id.data is None:  # WTForms leaves a missing value as None, not the empty choice
        form.owner_id.data = ""


@dataclass(frozen=True)
class NumbersRow:
    """One line of a list with numbers (a campaign or a touchpoint): what it is, its numbers and its trend line."""

    item: Campaign | Touchpoint
    traffic: Traffic
    trend: Markup


#: The columns a list with numbers sorts by: what to compare, and whether the largest comes first.
SORTS: dict[str, tuple[Callable[[NumbersRow], object], bool]] = {
    "name": (lambda r: r.item.name.lower(), False),
    "scans7": (lambda r: r.traffic.recent.scans, True),
    "visitors7": (lambda r: r.traffic.recent.visitors, True),
    "scans": (lambda r: r.traffic.summary.counts.scans, True),
    "visitors": (lambda r: r.traffic.summary.counts.visitors, True),
    "completions": (lambda r: r.traffic.summary.counts.completions, True),
    "nps": (lambda r: r.traffic.summary.nps.nps if r.traffic.summary.nps.nps is not None else -1000.0, True),
}


def _trend(numbers: Traffic) -> Markup:
    """The trend line of a row, with its text alternative."""
    scans = sum(numbers.daily_scans)
    label = _(
        "Scans per day over the last %(days)s days: %(scans)s in all", days=TREND_DAYS, scans=format_decimal(scans)
    )
    return sparkline(numbers.daily_scans, label)


def _rows(items: list, numbers: dict[int, Traffic]) -> list[NumbersRow]:
    """Rows of campaigns or touchpoints with their numbers (none where nothing was counted)."""
    return [
        NumbersRow(i, numbers.get(i.id, empty_traffic()), _trend(numbers.get(i.id, empty_traffic()))) for i in items
    ]


def _sorted(rows: list[NumbersRow], default: str | None) -> tuple[list[NumbersRow], str | None, bool]:
    """Rows in the order the request asks for (`sort`, `dir`), else in the order given or by `default`; unknown
    values fall back quietly. Returns the rows, the sort key in use and whether it runs largest first."""
    key = request.args.get("sort") or default
    if key not in SORTS:
        return rows, None, False
    read, descending = SORTS[key]
    if request.args.get("dir") in ("asc", "desc"):
        descending = request.args["dir"] == "desc"
    return sorted(rows, key=read, reverse=descending), key, descending  # type: ignore[arg-type]


def _matches(name: str, query: str) -> bool:
    """The filter's text is part of the name (case-insensitively)."""
    return query.casefold() in name.casefold()


@bp.route("/")
def list_campaigns():
    """The workspace's campaigns with their numbers: scans and visitors of the last 7 days and of all days,
    completions, NPS with its interval and a trend line; sortable and filterable by name."""
    workspace = current_workspace()
    show_archived = request.args.get("archived") == "1"
    query = (request.args.get("q") or "").strip()[:120]
    listed = services.list_campaigns(workspace.id, include_archived=show_archived)
    counts = {campaign.id: count for campaign, count in listed}
    owners = queries.touchpoint_campaigns(workspace.id, list(counts))
    per_touchpoint = traffic(workspace.id, workspace.timezone, owners)
    per_campaign: dict[int, Traffic] = {}
    for touchpoint_id, numbers in per_touchpoint.items():
        campaign_id = owners[touchpoint_id]
        per_campaign[campaign_id] = per_campaign.get(campaign_id, empty_traffic()) + numbers
    campaigns = [c for c, _count in listed if not query or _matches(c.name, query)]
    rows, sort, descending = _sorted(_rows(campaigns, per_campaign), None)
    steps = queries.first_steps(workspace.id)
    return render_template(
        "touchpoints/campaigns.html",
        rows=rows,
        counts=counts,
        any_campaign=bool(listed),
        query=query,
        sort=sort,
        descending=descending,
        trend_days=TREND_DAYS,
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


def _survey_options(current_id: int | None) -> list[tuple[Survey, str]]:
    """The workspace's surveys to choose from, with the one in use now even when it is archived (so that saving a
    form unchanged keeps it)."""
    surveys = [s for s, _used, _answered in survey_services.list_surveys(current_workspace().id)]
    options = [(s, s.name) for s in surveys]
    if current_id is not None and current_id not in {s.id for s in surveys}:
        current = survey_services.get_survey(current_workspace().id, current_id)
        options.append((current, f"{current.name} ({_('archived')})"))
    return options


def _survey_choices(form: CampaignForm, campaign: Campaign | None) -> None:
    """Offer a new survey from each template and the workspace's surveys as the survey of the campaign's
    touchpoints; a new campaign starts with the NPS template, an existing one shows its survey."""
    german = str(get_locale()) == "de"
    form.survey.choices = {  # type: ignore[assignment]
        str(_l("New survey from a template")): [
            (f"template:{t.slug}", t.name("de" if german else "en")) for t in TEMPLATES
        ],
        str(_l("Surveys of this workspace")): [
            (f"survey:{s.id}", label) for s, label in _survey_options(campaign.survey_id if campaign else None)
        ],
        str(_l("None")): [("", str(_l("No survey: scans show the landing page only")))],
    }
    if request.method == "GET":
        if campaign is None:
            form.survey.data = f"template:{TEMPLATES[0].slug}"
        else:
            form.survey.data = f"survey:{campaign.survey_id}" if campaign.survey_id else ""
    if form.survey.data is None:
        form.survey.data = ""


def _apply_survey(campaign: Campaign, choice: str) -> Survey | None:
    """Set the campaign's survey from the form's choice: a new one from a template (named after the campaign and the
    template), one of the workspace's, or none."""
    kind, _sep, value = choice.partition(":")
    if kind == "template":
        chosen = next(t for t in TEMPLATES if t.slug == value)
        name = f"{campaign.name} – {chosen.name(str(get_locale()))}"
        return services.survey_from_template(campaign, value, name)
    services.set_campaign_survey(campaign, int(value) if kind == "survey" else None)
    return db.session.get(Survey, campaign.survey_id) if campaign.survey_id else None


@bp.route("/campaigns/new", methods=["GET", "POST"])
def create_campaign():
    """Create a campaign with the survey its touchpoints will show, then go straight to adding touchpoints."""
    require_role(Role.EDITOR)
    form = CampaignForm()
    _referral_choices(form, None)
    _survey_choices(form, None)
    _owner_choices(form, str(CAMPAIGN_NOBODY), None)
    if form.validate_on_submit():
        try:
            campaign = services.create_campaign(current_workspace().id, _campaign_data(form))
        except services.DuplicateCampaign as error:
            form.name.errors.append(str(error.message))
        except services.OwnerNotAllowed as error:
            form.owner_id.errors.append(str(error.message))
        else:
            survey = _apply_survey(campaign, form.survey.data or "")
            commit()
            if survey is None:
                flash(_("Campaign created. Now add its touchpoints."), "success")
            else:
                flash(
                    _(
                        "Campaign created with the survey “%(survey)s”. Now add its touchpoints: each gets the survey "
                        "and a code at once.",
                        survey=survey.name,
                    ),
                    "success",
                )
            return redirect(url_for("touchpoints.create_touchpoint", campaign_id=campaign.id))
    return render_template("touchpoints/campaign_form.html", form=form, campaign=None)


def _shown(touchpoints: list[Touchpoint]) -> list[Touchpoint]:
    """The touchpoints the request's filter keeps: name contains `q`, and the `channel` and `phase` asked for."""
    query = (request.args.get("q") or "").strip()
    channel, phase = request.args.get("channel") or "", request.args.get("phase") or ""
    return [
        t
        for t in touchpoints
        if (not query or _matches(t.name, query)) and channel in ("", t.channel) and phase in ("", t.phase)
    ]


@bp.route("/campaigns/<int:campaign_id>")
def show_campaign(campaign_id: int):
    """A campaign: whether it is ready to print and what to do next, its numbers per touchpoint (sortable and
    filterable), and its touchpoints along the journey."""
    workspace = current_workspace()
    campaign = services.get_campaign(workspace.id, campaign_id)
    show_archived = request.args.get("archived") == "1"
    touchpoints = services.touchpoints_of(campaign, include_archived=show_archived)
    everyone = services.touchpoints_of(campaign, include_archived=True)
    numbers = traffic(workspace.id, workspace.timezone, [t.id for t in everyone])
    rows, sort, descending = _sorted(_rows(_shown(touchpoints), numbers), None)
    total = empty_traffic()
    for numbers_of_one in numbers.values():  # archived touchpoints too: their answers count, as in the ratings
        total = total + numbers_of_one
    return render_template(
        "touchpoints/campaign.html",
        campaign=campaign,
        touchpoints=touchpoints,
        rows=rows,
        total=total,
        total_trend=_trend(total),
        sort=sort,
        descending=descending,
        query=(request.args.get("q") or "").strip(),
        channel=request.args.get("channel") or "",
        phase=request.args.get("phase") or "",
        trend_days=TREND_DAYS,
        ready=queries.readiness(touchpoints, utcnow()),
        survey=db.session.get(Survey, campaign.survey_id) if campaign.survey_id else None,
        personalised=personal.personalised_touchpoints(campaign.workspace_id, [t.id for t in touchpoints]),
        phases=list(Phase),
        show_archived=show_archived,
        can_edit=current_role().allows(Role.EDITOR),
        confirm_form=ConfirmForm(),
    )


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit_campaign(campaign_id: int):
    """Edit a campaign's details and the survey its new touchpoints start with."""
    require_role(Role.EDITOR)
    campaign = services.get_campaign(current_workspace().id, campaign_id)
    form = CampaignForm(obj=campaign)
    _referral_choices(form, campaign)
    _survey_choices(form, campaign)
    _owner_choices(form, str(CAMPAIGN_NOBODY), campaign.owner_id)
    if form.validate_on_submit():
        try:
            services.update_campaign(campaign, _campaign_data(form))
        except services.DuplicateCampaign as error:
            db.session.rollback()
            form.name.errors.append(str(error.message))
        except services.OwnerNotAllowed as error:
            db.session.rollback()
            form.owner_id.errors.append(str(error.message))
        else:
            _apply_survey(campaign, form.survey.data or "")
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
        restore, now = request.form.get("restore") == "1", utcnow()
        check_undo("campaign.archive", campaign.id, now)
        services.set_campaign_archived(campaign, not restore, now)
        commit()
        if restore:
            flash(_("Campaign restored."), "success")
        else:
            undo = {"restore": "1"}
            flash_with_undo(_("Campaign archived."), "campaign.archive", campaign.id, request.path, undo, now)
    return redirect(url_for("touchpoints.show_campaign", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/touchpoints/new", methods=["GET", "POST"])
def create_touchpoint(campaign_id: int):
    """Add a touchpoint to a campaign: it gets the chosen survey (the campaign's by default) and a code at once;
    "save and add another" opens the form again for the next one."""
    require_role(Role.EDITOR)
    campaign = services.get_campaign(current_workspace().id, campaign_id)
    form = NewTouchpointForm()
    form.survey_id.choices = [SelectChoice("", str(_l("No survey: scans show the landing page only")))] + [
        SelectChoice(str(s.id), label) for s, label in _survey_options(campaign.survey_id)
    ]
    if request.method == "GET" or "survey_id" not in request.form:  # not chosen: the campaign's survey
        form.survey_id.data = str(campaign.survey_id or "")
    if request.method == "GET":
        if request.args.get("phase") in {p.value for p in Phase}:
            form.phase.data = request.args["phase"]
    if form.survey_id.data is None:
        form.survey_id.data = ""
    _owner_choices(form, str(TOUCHPOINT_NOBODY), None)
    if form.validate_on_submit():
        try:
            touchpoint, _code = services.add_touchpoint(
                campaign, _touchpoint_data(form), int(form.survey_id.data) if form.survey_id.data else None
            )
        except services.DuplicateTouchpoint as error:
            form.name.errors.append(str(error.message))
        except services.OwnerNotAllowed as error:
            form.owner_id.errors.append(str(error.message))
        else:
            commit()
            if form.submit_another.data:
                flash(
                    _("“%(name)s” saved with its survey and code. Add the next touchpoint.", name=touchpoint.name),
                    "success",
                )
                return redirect(
                    url_for("touchpoints.create_touchpoint", campaign_id=campaign.id, phase=touchpoint.phase)
                )
            flash(_("“%(name)s” saved with its survey and code.", name=touchpoint.name), "success")
            return redirect(url_for("touchpoints.show_campaign", campaign_id=campaign.id))
    return render_template(
        "touchpoints/touchpoint_form.html",
        form=form,
        campaign=campaign,
        touchpoint=None,
        added=len(services.touchpoints_of(campaign)),
    )


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
    resolved = ResolvedCode(
        code, touchpoint, touchpoint.campaign.slug, workspace.name, workspace.timezone,
        main_language=workspace.language_list[0],
    )  # fmt: skip
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
            headline=form.headline_texts.data,
            body=form.body_texts.data,
            destination_url=form.destination_url.data or "",
            cta_url=form.cta_url.data or "",
            cta_label=form.cta_label.data,
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
    _owner_choices(form, str(TOUCHPOINT_NOBODY), touchpoint.owner_id)
    if form.validate_on_submit():
        try:
            services.update_touchpoint(touchpoint, _touchpoint_data(form))
        except services.DuplicateTouchpoint as error:
            db.session.rollback()
            form.name.errors.append(str(error.message))
        except services.OwnerNotAllowed as error:
            db.session.rollback()
            form.owner_id.errors.append(str(error.message))
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
        restore, now = request.form.get("restore") == "1", utcnow()
        check_undo("touchpoint.archive", touchpoint.id, now)
        services.set_touchpoint_archived(touchpoint, not restore, now)
        commit()
        if restore:
            flash(_("Touchpoint restored."), "success")
        else:
            undo = {"restore": "1"}
            flash_with_undo(_("Touchpoint archived."), "touchpoint.archive", touchpoint.id, request.path, undo, now)
    return redirect(url_for("touchpoints.show_touchpoint", touchpoint_id=touchpoint.id))
