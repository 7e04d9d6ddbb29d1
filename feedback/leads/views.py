"""The "May we contact you?" step after a survey, and leads in the dashboard (by stage, export, erase, settings)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from feedback.analysis import funnel_sentences
from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role
from feedback.confirm import Confirmation, confirmation_page, confirmed
from feedback.db_types import utcnow
from feedback.exports import csv_stream, dialect_named
from feedback.extensions import commit, db
from feedback.forms import AmountField, LocalisedForm
from feedback.leads import services, stages
from feedback.leads.funnel import campaign_funnel
from feedback.leads.models import ACTIVITY_LABELS, LOST_REASON_LABELS, ChangedBy, Stage
from feedback.templating import money
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.touchpoints import services as touchpoint_services

dashboard_bp = Blueprint("leads", __name__, url_prefix="/w/<ws>")
scope_blueprint(dashboard_bp)

CONTACT_LIMIT = "10 per minute"
STAGE_LABELS = {
    Stage.NEW.value: _l("New"),
    Stage.MARKETING_QUALIFIED.value: _l("Marketing-qualified"),
    Stage.SALES_READY.value: _l("Sales-ready"),
    Stage.SALES_ACCEPTED.value: _l("Sales-accepted"),
    Stage.SALES_QUALIFIED.value: _l("Sales-qualified"),
    Stage.WON.value: _l("Won"),
    Stage.LOST.value: _l("Lost"),
}
#: Who moved a lead, as the stage history names it.
CHANGED_BY_LABELS = {
    ChangedBy.SCORE.value: _l("by the score"),
    ChangedBy.DASHBOARD.value: _l("in the dashboard"),
    ChangedBy.API.value: _l("through the API"),
}


class StageForm(LocalisedForm):
    """Move a lead on: the stage, and a win's order value or a loss's reason and note."""

    stage = SelectField(_l("Move to"), validators=[DataRequired()])
    order_value = AmountField(_l("Order value (won)"), validators=[Optional()])
    reason = SelectField(
        _l("Reason (lost)"),
        choices=[SelectChoice("", "–"), *(SelectChoice(key, label) for key, label in LOST_REASON_LABELS.items())],
        validators=[Optional()],
    )
    note = StringField(_l("Note (lost)"), validators=[Optional(), Length(max=stages.NOTE_LENGTH)])
    submit = SubmitField(_l("Move lead"))


def _stage_form(contact, form: StageForm | None = None) -> StageForm:  # noqa: ANN001
    form = form or StageForm()
    form.stage.choices = [SelectChoice(s.value, STAGE_LABELS[s.value]) for s in stages.allowed_moves(contact)]
    return form


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
        campaigns=[c for c, _n in touchpoint_services.list_campaigns(workspace.id)],
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


def _contact_page(contact, stage_form: StageForm, status: int = 200) -> Response:  # noqa: ANN001
    reveal = services.may_identify_contacts(current_role())
    html = render_template(
        "leads/contact.html",
        contact=contact,
        person=services.identity(contact, reveal),
        history=services.history(contact),
        stage_history=stages.stage_history(contact),
        same_address=services.same_address(contact),
        stage_labels=STAGE_LABELS,
        activity_labels=ACTIVITY_LABELS,
        reason_labels=LOST_REASON_LABELS,
        changed_by_labels=CHANGED_BY_LABELS,
        lost_note=contact.lost_note if reveal else (services.HIDDEN_FOR_VIEWERS if contact.lost_note else ""),
        confirm_form=ConfirmForm(),
        stage_form=stage_form,
        can_edit=current_role().allows(Role.EDITOR),
    )
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@dashboard_bp.route("/contacts/<int:contact_id>")
def show_contact(contact_id: int) -> Response:
    """A contact: details, what they agreed to and when, how the score came about and the stages it went
    through; editors move it on."""
    contact = services.get_contact(current_workspace().id, contact_id)
    return _contact_page(contact, _stage_form(contact))


@dashboard_bp.route("/contacts/<int:contact_id>/stage", methods=["POST"])
def move_contact(contact_id: int) -> Response:
    """Move a lead on in the funnel (editors and owners): accepted, qualified, won with its order value, lost with
    a reason. A move the funnel refuses shows the page again with the reason and changes nothing."""
    require_role(Role.EDITOR)
    workspace = current_workspace()
    contact = services.get_contact(workspace.id, contact_id)
    form = _stage_form(contact)
    if not form.validate_on_submit():
        return _contact_page(contact, form, 422)
    move = stages.Move(form.stage.data, form.order_value.data, form.reason.data or None, form.note.data or "")
    try:
        stages.move_stage(workspace.id, contact.id, move, stages.Mover(ChangedBy.DASHBOARD, current_user.id), utcnow())
    except stages.StageRefused as error:
        db.session.rollback()
        contact = services.get_contact(workspace.id, contact_id)
        form = _stage_form(contact, form)
        getattr(form, error.field, form.stage).errors = [str(error.message)]
        return _contact_page(contact, form, error.status)
    commit()
    flash(_("Lead moved to “%(stage)s”.", stage=STAGE_LABELS[move.stage]), "success")
    return redirect(url_for("leads.show_contact", contact_id=contact_id))


@dashboard_bp.route("/campaigns/<int:campaign_id>/funnel")
def campaign_funnel_page(campaign_id: int) -> Response:
    """The campaign's lead funnel and each touchpoint's: leads per step, step conversion rates with Wilson
    intervals, median days per step, losses by reason, in plain sentences."""
    workspace = current_workspace()
    campaign = touchpoint_services.get_campaign(workspace.id, campaign_id)
    touchpoints = touchpoint_services.touchpoints_of(campaign, include_archived=True)
    found = campaign_funnel(campaign, touchpoints)
    html = render_template(
        "leads/funnel.html",
        found=found,
        sentences=funnel_sentences.sentences(found.total, money),
        caveat=funnel_sentences.caveat(),
        step_labels=funnel_sentences.STEP_LABELS,
        reason_labels=LOST_REASON_LABELS,
        campaigns=[c for c, _n in touchpoint_services.list_campaigns(workspace.id)],
    )
    return make_response(html)


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
