"""The "May we contact you?" step after a survey, and leads in the dashboard (by stage, export, erase, settings)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SubmitField
from wtforms.validators import InputRequired, NumberRange

from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role, Workspace
from feedback.confirm import Confirmation, confirmation_page, confirmed
from feedback.exports import csv_stream, dialect_named
from feedback.extensions import commit, db
from feedback.forms import LocalisedForm, TextsField, WholeNumberField
from feedback.leads import services
from feedback.leads.models import ACTIVITY_LABELS, Activity, Stage
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.texts import LANGUAGES

dashboard_bp = Blueprint("leads", __name__, url_prefix="/w/<ws>")
scope_blueprint(dashboard_bp)

CONTACT_LIMIT = "10 per minute"
STAGE_LABELS = {
    Stage.NEW.value: _l("New"),
    Stage.MARKETING_QUALIFIED.value: _l("Marketing-qualified"),
    Stage.SALES_READY.value: _l("Sales-ready"),
}


# --- the dashboard ----------------------------------------------------------------------------------------------


@dashboard_bp.route("/leads/")
def list_leads() -> str:
    """Leads by stage, best score first, with the touchpoint they came from."""
    workspace = current_workspace()
    stage = request.args.get("stage") or None
    if stage not in {s.value for s in Stage}:
        stage = None
    reveal = services.may_identify_contacts(current_role())
    rows = services.leads(workspace.id, stage)
    return render_template(
        "leads/list.html",
        leads=[(c, services.identity(c, reveal), tp, campaign) for c, tp, campaign in rows],
        hidden=not reveal,
        counts=services.stage_counts(workspace.id),
        stage=stage,
        stage_labels=STAGE_LABELS,
        rules=services.rules_for(workspace.id),
    )


@dashboard_bp.route("/leads.csv")
def export_leads() -> Response:
    """Leads (of one stage or all) as CSV for a CRM import (`?dialect=excel-de` for German Excel); viewers get them
    without names, e-mails and phones."""
    workspace = current_workspace()
    stage = request.args.get("stage") if request.args.get("stage") in {s.value for s in Stage} else None
    reveal = services.may_identify_contacts(current_role())
    dialect = dialect_named(request.args.get("dialect")).in_zone(workspace.timezone)
    body = csv_stream(services.CSV_COLUMNS, services.csv_rows(workspace.id, stage, reveal), dialect)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="leads-{stage or "all"}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@dashboard_bp.route("/contacts/<int:contact_id>")
def show_contact(contact_id: int) -> Response:
    """A contact: details, what they agreed to and when, and how the score came about."""
    contact = services.get_contact(current_workspace().id, contact_id)
    html = render_template(
        "leads/contact.html",
        contact=contact,
        person=services.identity(contact, services.may_identify_contacts(current_role())),
        history=services.history(contact),
        same_address=services.same_address(contact),
        stage_labels=STAGE_LABELS,
        activity_labels=ACTIVITY_LABELS,
        confirm_form=ConfirmForm(),
        can_edit=current_role().allows(Role.EDITOR),
    )
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response


@dashboard_bp.route("/contacts/<int:contact_id>/export.json")
def export_contact(contact_id: int) -> Response:
    """Everything stored about the person, as JSON (GDPR Art. 15)."""
    contact = services.get_contact(current_workspace().id, contact_id)
    data = services.export(contact, services.may_identify_contacts(current_role()))
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="contact-{contact.id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@dashboard_bp.route("/contacts/<int:contact_id>/erase", methods=["POST"])
def erase_contact(contact_id: int) -> str | Response:
    """Delete the person and their consent and score (GDPR Art. 17), after a confirmation step; their answers stay
    anonymous."""
    require_role(Role.EDITOR)
    contact = services.get_contact(current_workspace().id, contact_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if not confirmed():
            confirmation = Confirmation(
                question=_("Erase contact #%(id)s?", id=contact.id),
                consequence=_(
                    "Their name, e-mail address, phone number, consent and score are deleted, and webhook deliveries "
                    "that name them are erased; their answers stay, without any link to them. This cannot be undone."
                ),
                yes=_("Yes, erase"),
                action=request.path,
                back=url_for("leads.show_contact", contact_id=contact.id),
            )
            return confirmation_page(confirmation, form)
        services.erase(contact)
        commit()
        flash(_("Contact erased. Their answers remain, without any link to them."), "success")
        return redirect(url_for("leads.list_leads"))
    return redirect(url_for("leads.show_contact", contact_id=contact.id))


class SettingsForm(LocalisedForm):
    """Points per activity, stage thresholds and the consent wording."""

    scan = WholeNumberField(ACTIVITY_LABELS[Activity.SCAN.value], validators=[InputRequired(), NumberRange(-100, 1000)])
    completed = WholeNumberField(
        ACTIVITY_LABELS[Activity.COMPLETED.value], validators=[InputRequired(), NumberRange(-100, 1000)]
    )
    promoter = WholeNumberField(
        ACTIVITY_LABELS[Activity.PROMOTER.value], validators=[InputRequired(), NumberRange(-100, 1000)]
    )
    follow_up = WholeNumberField(
        ACTIVITY_LABELS[Activity.FOLLOW_UP.value], validators=[InputRequired(), NumberRange(-100, 1000)]
    )
    invite_accepted = WholeNumberField(
        ACTIVITY_LABELS[Activity.INVITE_ACCEPTED.value], validators=[InputRequired(), NumberRange(-100, 1000)]
    )
    coupon_redeemed = WholeNumberField(
        ACTIVITY_LABELS[Activity.COUPON_REDEEMED.value], validators=[InputRequired(), NumberRange(-100, 1000)]
    )
    mql_at = WholeNumberField(
        _l("Marketing-qualified from (points)"), validators=[InputRequired(), NumberRange(1, 10_000)]
    )
    sales_ready_at = WholeNumberField(
        _l("Sales-ready from (points)"), validators=[InputRequired(), NumberRange(1, 10_000)]
    )
    purpose = TextsField(
        _l("Consent text"),
        description=_l("Empty: the standard wording of that language (below)."),
        max_length=2000,
        multiline=True,
    )
    submit = SubmitField(_l("Save scoring"))


@dashboard_bp.route("/leads/settings", methods=["GET", "POST"])
def lead_settings() -> Response | str:
    """Owners set the points, thresholds and consent wording."""
    workspace: Workspace = current_workspace()
    rules = services.rules_for(workspace.id)
    form = (
        SettingsForm(
            data={
                **{a.value: p for a, p in rules.points.items()},
                "mql_at": rules.mql_at,
                "sales_ready_at": rules.sales_ready_at,
                "purpose": rules.own_purpose,
            }
        )
        if request.method == "GET"
        else SettingsForm()
    )
    if request.method == "POST":
        require_role(Role.OWNER)
        if form.validate_on_submit():
            try:
                services.save_rules(
                    workspace.id,
                    {a.value: getattr(form, a.value).data for a in Activity},
                    form.mql_at.data,
                    form.sales_ready_at.data,
                    form.purpose.data,
                )
            except services.SettingsInvalid as error:
                db.session.rollback()
                form.sales_ready_at.errors = [str(error.message)]
            else:
                commit()
                flash(_("Scoring saved."), "success")
                return redirect(url_for("leads.list_leads"))
    html = render_template(
        "leads/settings.html",
        form=form,
        defaults=[
            (LANGUAGES[language], services.DEFAULT_PURPOSE[language].format(brand=workspace.name))
            for language in workspace.language_list
        ],
        is_owner=current_role().allows(Role.OWNER),
    )
    return make_response(html, 422 if form.errors else 200)
