"""The win-back page of a touchpoint: who is lapsed, creating a batch of personal codes for them, and what each
batch brought back."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange

from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.exports import dialect_named
from feedback.extensions import commit, db
from feedback.forms import LocalisedForm, WholeNumberField
from feedback.qr import personal
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.touchpoints import services as touchpoint_services
from feedback.winback import services

bp = Blueprint("winback", __name__, url_prefix="/w/<ws>")
scope_blueprint(bp)


class WinbackForm(LocalisedForm):
    """Lapsed since how many days, whether detractors get the mailing too, and the batch's name."""

    days = WholeNumberField(
        _l("No purchase for more than (days)"),
        default=services.DEFAULT_LAPSED_DAYS,
        validators=[InputRequired(), NumberRange(1, services.MAX_LAPSED_DAYS)],
    )
    include_detractors = BooleanField(_l("Include lapsed detractors (latest NPS answer 0–6)"))
    name = StringField(_l("Name of the mailing"), validators=[Length(max=personal.MAX_BATCH_NAME)])
    submit = SubmitField(_l("Create win-back batch"))


def _page(touchpoint_id: int, form: WinbackForm, status: int = 200) -> Response:
    workspace = current_workspace()
    touchpoint = touchpoint_services.get_touchpoint(workspace.id, touchpoint_id)
    days = form.days.data if not form.days.errors and form.days.data else services.DEFAULT_LAPSED_DAYS
    lapsed = services.lapsed_customers(workspace.id, days, bool(form.include_detractors.data), utcnow())
    batches = [(w, services.reactivation(w)) for w in services.winbacks_of(touchpoint)]
    html = render_template(
        "winback/touchpoint.html",
        touchpoint=touchpoint,
        campaign=touchpoint.campaign,
        form=form,
        days=days,
        lapsed=lapsed,
        batches=batches,
        labels=services.reason_labels(str(get_locale() or "en")),
        min_answers=services.MIN_THEME_ANSWERS,
        can_edit=current_role().allows(Role.EDITOR),
    )
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/touchpoints/<int:touchpoint_id>/win-back")
def show_winback(touchpoint_id: int) -> Response:
    """Lapsed customers for the chosen number of days (and who is left out, why), and the touchpoint's win-back
    batches with their response and redemption rates, reasons and themes."""
    form = WinbackForm(request.args or None, meta={"csrf": False})  # no query: the default days in the field
    if request.args:
        form.validate()
    return _page(touchpoint_id, form)


@bp.route("/touchpoints/<int:touchpoint_id>/win-back", methods=["POST"])
def create_winback(touchpoint_id: int) -> Response:
    """A batch of personal codes of this touchpoint, one per lapsed customer (editors and owners)."""
    require_role(Role.EDITOR)
    touchpoint = touchpoint_services.get_touchpoint(current_workspace().id, touchpoint_id)
    form = WinbackForm()
    if not form.validate_on_submit():
        return _page(touchpoint_id, form, 422)
    try:
        winback = services.create_winback(
            touchpoint, form.name.data or "", form.days.data, bool(form.include_detractors.data), utcnow()
        )
    except (services.NobodyLapsed, personal.BatchError) as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return _page(touchpoint_id, form, 422)
    commit()
    flash(_("%(n)s personal codes created for lapsed customers.", n=f"{winback.batch.size:,}"), "success")
    return redirect(url_for("winback.show_winback", touchpoint_id=touchpoint.id))


@bp.route("/touchpoints/<int:touchpoint_id>/win-back/<int:winback_id>/recipients.csv")
def winback_recipients(touchpoint_id: int, winback_id: int) -> Response:
    """reference, code, code_display, url, email, name, language: whom to send each code to (editors and owners:
    viewers see the batch's numbers, not its addresses); `?dialect=excel-de` for German Excel."""
    require_role(Role.EDITOR)
    workspace = current_workspace()
    touchpoint = touchpoint_services.get_touchpoint(workspace.id, touchpoint_id)
    winback = services.get_winback(workspace.id, winback_id)
    if winback.batch.touchpoint_id != touchpoint.id:
        abort(404)
    dialect = dialect_named(request.args.get("dialect"))
    body = services.recipients_csv(winback, current_app.config["PUBLIC_BASE_URL"], dialect)
    response = Response(stream_with_context(body), mimetype="text/csv")
    filename = f"{personal.file_stem(winback.batch)}-recipients.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
