"""Lead scoring in the dashboard: points and thresholds saved as versions (with the history), the consent wording,
and the suggested weights (how each activity relates to winning)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SubmitField
from wtforms.validators import InputRequired, NumberRange

from feedback.analysis import lead_weight_sentences, sentences
from feedback.auth.models import Role, Workspace
from feedback.db_types import utcnow
from feedback.extensions import commit, db
from feedback.forms import LocalisedForm, TextsField, WholeNumberField
from feedback.leads import scoring, services
from feedback.leads.models import ACTIVITY_LABELS, MAX_POINTS, MAX_THRESHOLD, Activity
from feedback.leads.weights import weight_evidence
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.texts import LANGUAGES

bp = Blueprint("scoring", __name__, url_prefix="/w/<ws>")
scope_blueprint(bp)


def _points_field(activity: Activity) -> WholeNumberField:
    return WholeNumberField(ACTIVITY_LABELS[activity.value], validators=[InputRequired(), NumberRange(0, MAX_POINTS)])


class ScoringForm(LocalisedForm):
    """Points per activity (0 or more) and the two thresholds."""

    scan = _points_field(Activity.SCAN)
    completed = _points_field(Activity.COMPLETED)
    promoter = _points_field(Activity.PROMOTER)
    follow_up = _points_field(Activity.FOLLOW_UP)
    invite_accepted = _points_field(Activity.INVITE_ACCEPTED)
    coupon_redeemed = _points_field(Activity.COUPON_REDEEMED)
    nurture_reaction = _points_field(Activity.NURTURE_REACTION)
    mql_at = WholeNumberField(
        _l("Marketing-qualified from (points)"), validators=[InputRequired(), NumberRange(1, MAX_THRESHOLD)]
    )
    sales_ready_at = WholeNumberField(
        _l("Sales-ready from (points)"), validators=[InputRequired(), NumberRange(1, MAX_THRESHOLD)]
    )
    submit = SubmitField(_l("Save scoring and rescore every lead"))


class ConsentForm(LocalisedForm):
    """The consent wording in the workspace's languages."""

    purpose = TextsField(
        _l("Consent text"),
        description=_l("Empty: the standard wording of that language (below)."),
        max_length=2000,
        multiline=True,
    )
    submit = SubmitField(_l("Save consent text"))


def _page(scoring_form: ScoringForm, consent_form: ConsentForm, status: int = 200) -> Response:
    workspace: Workspace = current_workspace()
    html = render_template(
        "leads/settings.html",
        form=scoring_form,
        consent_form=consent_form,
        activities=list(Activity),
        activity_labels=ACTIVITY_LABELS,
        versions=scoring.history(workspace.id),
        defaults=[
            (LANGUAGES[language], services.DEFAULT_PURPOSE[language].format(brand=workspace.name))
            for language in workspace.language_list
        ],
        can_edit=current_role().allows(Role.EDITOR),
        is_owner=current_role().allows(Role.OWNER),
    )
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _scoring_form(rules: services.Rules) -> ScoringForm:
    return ScoringForm(
        data={
            **{a.value: p for a, p in rules.points.items()},
            "mql_at": rules.mql_at,
            "sales_ready_at": rules.sales_ready_at,
        }
    )


@bp.route("/leads/settings", methods=["GET", "POST"])
def settings() -> Response:
    """The points and thresholds in force with their history; editors and owners save a new version, which rescores
    every lead at once (in one transaction). Bad input changes nothing and says what is wrong."""
    workspace = current_workspace()
    rules = services.rules_for(workspace.id)
    consent = ConsentForm(formdata=None, data={"purpose": rules.own_purpose})
    if request.method == "GET":
        return _page(_scoring_form(rules), consent)
    require_role(Role.EDITOR)
    form = ScoringForm()
    if not form.validate_on_submit():
        return _page(form, consent, 422)
    try:
        version = scoring.save_version(
            workspace.id,
            {a.value: getattr(form, a.value).data for a in Activity},
            form.mql_at.data,
            form.sales_ready_at.data,
            current_user.id,
            utcnow(),
        )
    except scoring.RulesRefused as error:
        db.session.rollback()
        for field, message in error.errors.items():
            getattr(form, field).errors = [message]
        return _page(form, consent, 422)
    number, rescored, restaged = version.number, version.rescored, version.restaged
    commit()
    flash(
        _(
            "Scoring version %(number)s saved: %(rescored)s leads got another score, %(restaged)s moved to another "
            "stage.",
            number=number,
            rescored=rescored,
            restaged=restaged,
        ),
        "success",
    )
    return redirect(url_for("scoring.settings"))


@bp.route("/leads/settings/consent", methods=["POST"])
def save_consent() -> Response:
    """Owners set the consent wording the contact step shows and stores."""
    require_role(Role.OWNER)
    workspace = current_workspace()
    form = ConsentForm()
    if not form.validate_on_submit():
        return _page(_scoring_form(services.rules_for(workspace.id)), form, 422)
    services.save_purpose(workspace.id, form.purpose.data)
    commit()
    flash(_("Consent text saved."), "success")
    return redirect(url_for("scoring.settings"))


@bp.route("/leads/weights")
def suggested_weights() -> Response:
    """How each activity relates to reaching "won": won shares with and without it (Wilson intervals), the
    difference with its Holm-adjusted test, a suggested relative weight where that is significant, and caveats."""
    workspace = current_workspace()
    evidence = weight_evidence(workspace.id)
    rules = services.rules_for(workspace.id)
    rows = [
        (item, ACTIVITY_LABELS[item.activity], rules.points.get(Activity(item.activity), 0))
        for item in evidence.activities
    ]
    html = render_template(
        "leads/weights.html",
        evidence=evidence,
        rows=rows,
        sentences=[lead_weight_sentences.activity(item, str(label)) for item, label, _points in rows],
        caveats=lead_weight_sentences.caveats(evidence),
        p_value=sentences.p_value,
    )
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response
