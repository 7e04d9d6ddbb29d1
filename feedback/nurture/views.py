"""Nurture mails in the dashboard (the sequence, its steps and what each did), and the public page that a contact's
stop link opens."""

from __future__ import annotations

from flask import Blueprint, Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role, Workspace
from feedback.db_types import utcnow
from feedback.extensions import commit, csrf, db
from feedback.forms import LocalisedForm, WholeNumberField
from feedback.nurture import services, steps
from feedback.nurture.models import StopAt, StopReason
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.texts import Texts

bp = Blueprint("nurture", __name__, url_prefix="/w/<ws>/leads/nurture")
scope_blueprint(bp)
#: The page a nurture mail's stop link opens, and where mail providers POST the one-click unsubscribe (RFC 8058):
#: no login and no CSRF token, the signed token in the URL is the proof.
stop_bp = Blueprint("nurture_stop", __name__)
csrf.exempt(stop_bp)

STOP_AT_LABELS = {
    StopAt.MARKETING_QUALIFIED.value: _l("Marketing-qualified (only new leads are nurtured)"),
    StopAt.SALES_READY.value: _l("Sales-ready (new and marketing-qualified leads are nurtured)"),
}
STOP_REASON_LABELS = {
    StopReason.UNSUBSCRIBED.value: _l("unsubscribed"),
    StopReason.REACHED_THRESHOLD.value: _l("reached the threshold"),
    StopReason.STAGE_CHANGED.value: _l("moved to another stage"),
}


class SequenceForm(LocalisedForm):
    """Whether the sequence runs, and the threshold that ends it."""

    active = BooleanField(_l("Send nurture mails"))
    stop_at = SelectField(
        _l("Stop when a lead reaches"), choices=[SelectChoice(k, v) for k, v in STOP_AT_LABELS.items()]
    )
    submit = SubmitField(_l("Save"))


class StepForm(LocalisedForm):
    """One step: the wait, the subject and text in German and English, the touchpoint of the personal code."""

    delay_days = WholeNumberField(
        _l("Days to wait"),
        description=_l("After the lead left their details (first step), or after the previous step's mail."),
        validators=[InputRequired()],
    )
    subject_de = StringField(_l("Subject (German)"), validators=[Length(max=steps.SUBJECT_LENGTH)])
    subject_en = StringField(_l("Subject (English)"), validators=[Length(max=steps.SUBJECT_LENGTH)])
    body_de = TextAreaField(
        _l("Text (German)"),
        description=_l("Plain text; an empty line starts a new paragraph. The personal link follows the text."),
        validators=[Length(max=steps.BODY_LENGTH)],
    )
    body_en = TextAreaField(_l("Text (English)"), validators=[Length(max=steps.BODY_LENGTH)])
    touchpoint_id = SelectField(_l("Personal code leads to"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Save step"))


def _step_form(workspace_id: int, form: StepForm | None = None) -> StepForm:
    form = form or StepForm()
    form.touchpoint_id.choices = [SelectChoice(0, "–")] + [
        SelectChoice(tp_id, label) for tp_id, label in steps.touchpoint_choices(workspace_id)
    ]
    return form


def _step_data(form: StepForm) -> steps.StepData:
    return steps.StepData(
        delay_days=form.delay_days.data,
        subject=Texts.of(de=form.subject_de.data or "", en=form.subject_en.data or ""),
        body=Texts.of(de=form.body_de.data or "", en=form.body_en.data or ""),
        touchpoint_id=form.touchpoint_id.data or None,
    )


def _no_store(html: str, status: int = 200) -> Response:
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _sequence_page(form: SequenceForm, status: int = 200) -> Response:
    workspace: Workspace = current_workspace()
    sequence = steps.sequence_of(workspace.id)
    html = render_template(
        "nurture/sequence.html",
        form=form,
        sequence=sequence,
        stats=steps.step_stats(workspace.id),
        reason_labels=STOP_REASON_LABELS,
        stop_at_labels=STOP_AT_LABELS,
        can_edit=current_role().allows(Role.EDITOR),
        confirm_form=ConfirmForm(),
    )
    return _no_store(html, status)


@bp.route("/", methods=["GET", "POST"])
def sequence() -> Response:
    """The sequence: on or off, its threshold, and per step the mails sent, reactions (Wilson interval) and the
    sequences that stopped before it, by reason. Editors and owners change it."""
    workspace = current_workspace()
    current = steps.sequence_of(workspace.id)
    if request.method == "GET":
        return _sequence_page(SequenceForm(data={"active": current.active, "stop_at": current.stop_at}))
    require_role(Role.EDITOR)
    form = SequenceForm()
    if not form.validate_on_submit():
        return _sequence_page(form, 422)
    try:
        steps.save_sequence(workspace.id, bool(form.active.data), form.stop_at.data, utcnow())
    except steps.StepRefused as error:
        db.session.rollback()
        form.active.errors = list(error.errors.values())
        return _sequence_page(form, 422)
    commit()
    flash(_("Nurture mails saved."), "success")
    return redirect(url_for("nurture.sequence"))


def _step_page(form: StepForm, step_id: int | None = None, status: int = 200) -> Response:
    html = render_template("nurture/step.html", form=form, step_id=step_id, can_edit=current_role().allows(Role.EDITOR))
    return _no_store(html, status)


def _save_step(form: StepForm, step_id: int | None) -> Response:
    workspace = current_workspace()
    if not form.validate_on_submit():
        return _step_page(form, step_id, 422)
    try:
        if step_id is None:
            steps.add_step(workspace.id, _step_data(form), utcnow())
        else:
            steps.change_step(steps.get_step(workspace.id, step_id), _step_data(form))
    except steps.StepRefused as error:
        db.session.rollback()
        for field, message in error.errors.items():
            target = {"subject": form.subject_de, "body": form.body_de}.get(field) or getattr(form, field)
            target.errors = [message]
        return _step_page(_step_form(workspace.id, form), step_id, 422)
    commit()
    flash(_("Step saved."), "success")
    return redirect(url_for("nurture.sequence"))


@bp.route("/steps/new", methods=["GET", "POST"])
def new_step() -> Response:
    """A new last step (editors and owners)."""
    require_role(Role.EDITOR)
    workspace = current_workspace()
    if request.method == "GET":
        return _step_page(_step_form(workspace.id, StepForm(data={"delay_days": 3})))
    return _save_step(_step_form(workspace.id), None)


@bp.route("/steps/<int:step_id>", methods=["GET", "POST"])
def edit_step(step_id: int) -> Response:
    """A step's wait, texts and touchpoint (editors and owners change them; mails sent keep what they said)."""
    workspace = current_workspace()
    step = steps.get_step(workspace.id, step_id)
    if request.method == "GET":
        subject, body = step.subject or {}, step.body or {}
        data = {
            "delay_days": step.delay_days,
            "subject_de": subject.get("de", ""),
            "subject_en": subject.get("en", ""),
            "body_de": body.get("de", ""),
            "body_en": body.get("en", ""),
            "touchpoint_id": step.touchpoint_id or 0,
        }
        return _step_page(_step_form(workspace.id, StepForm(data=data)), step.id)
    require_role(Role.EDITOR)
    return _save_step(_step_form(workspace.id), step.id)


@bp.route("/steps/<int:step_id>/remove", methods=["POST"])
def remove_step(step_id: int) -> Response:
    """Delete a step no mail was sent for (editors and owners)."""
    require_role(Role.EDITOR)
    workspace = current_workspace()
    step = steps.get_step(workspace.id, step_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("nurture.sequence"))
    try:
        steps.remove_step(step)
    except steps.StepRefused as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("nurture.sequence"))
    commit()
    flash(_("Step removed."), "success")
    return redirect(url_for("nurture.sequence"))


@stop_bp.route("/nurture/stop/<token>", methods=["GET", "POST"])
def page(token: str) -> Response:
    """GET: which mails the link stops, with a button; POST (the button, or a mail provider's one-click): stopped."""
    brand = services.brand_of_token(token)
    if brand is None:
        return _no_store(render_template("nurture/stop.html", invalid=True), 404)
    if request.method == "POST":
        services.unsubscribe(token, utcnow())
        commit()
        return _no_store(render_template("nurture/stop.html", done=True, brand=brand))
    return _no_store(render_template("nurture/stop.html", done=False, brand=brand))
