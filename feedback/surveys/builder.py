"""The survey builder in the dashboard (thin views over surveys.services)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from werkzeug import Response

from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role
from feedback.bounds import MAX_BIG_ID, page_number, parse_id
from feedback.confirm import Confirmation, check_undo, confirmation_page, confirmed, flash_with_undo
from feedback.db_types import utcnow
from feedback.errors import DomainError
from feedback.exports import csv_stream, dialect_named
from feedback.extensions import commit, db
from feedback.headers import policy
from feedback.i18n import current_language
from feedback.qr.codes import generate_code
from feedback.qr.models import Code
from feedback.qr.services import ResolvedCode
from feedback.respondent import pages, respond
from feedback.surveys import preview as preview_flow
from feedback.surveys import services
from feedback.surveys.forms import (
    SHORT_TYPE_LABELS,
    AttachSurveyForm,
    LanguagesForm,
    NewSurveyForm,
    QuestionForm,
    SurveySettingsForm,
    apply_option_action,
)
from feedback.surveys.questions import QUESTION_TYPE_VALUES
from feedback.templating import local_time
from feedback.tenancy import current_role, current_workspace, owned, require_role, scope_blueprint
from feedback.texts import stored_languages
from feedback.touchpoints import services as touchpoint_services
from feedback.touchpoints.models import Touchpoint

bp = Blueprint("survey_builder", __name__, url_prefix="/w/<ws>")
scope_blueprint(bp)


@bp.route("/surveys/", methods=["GET", "POST"])
def list_surveys() -> str | Response:
    """Surveys of the workspace; editors create new ones from templates."""
    form = NewSurveyForm()
    if request.method == "POST":
        require_role(Role.EDITOR)
        if form.validate_on_submit():
            try:
                survey = services.create_survey(current_workspace().id, form.name.data or "", form.template.data)
            except services.DuplicateSurvey as error:
                form.name.errors.append(str(error.message))
            else:
                commit()
                flash(_("Survey created. Attach it to touchpoints on their pages."), "success")
                return redirect(url_for("survey_builder.show_survey", survey_id=survey.id))
    show_archived = request.args.get("archived") == "1"
    return render_template(
        "surveys/list.html",
        rows=services.list_surveys(current_workspace().id, include_archived=show_archived),
        form=form,
        languages_form=LanguagesForm(
            formdata=None,
            data={"main": current_workspace().language_list[0], "others": current_workspace().language_list[1:]},
        ),
        show_archived=show_archived,
        can_edit=current_role().allows(Role.EDITOR),
    )


def _survey(survey_id: int):  # noqa: ANN202
    return services.get_survey(current_workspace().id, survey_id)


@bp.route("/surveys/languages", methods=["POST"])
def save_languages() -> Response:
    """Owners and editors choose the languages the workspace writes its texts in; texts already written in a
    language that is dropped stay stored (and come back when the language is chosen again)."""
    require_role(Role.EDITOR)
    form = LanguagesForm()
    if form.validate_on_submit():
        current_workspace().languages = stored_languages(form.languages())
        commit()
        flash(_("Languages saved."), "success")
    else:
        flash(_("Choose languages from the list."), "error")
    return redirect(url_for("survey_builder.list_surveys"))


@bp.route("/surveys/<int:survey_id>", methods=["GET", "POST"])
def show_survey(survey_id: int) -> str | Response:
    """A survey's questions, settings, versions and where it is used."""
    survey = _survey(survey_id)
    settings = SurveySettingsForm(obj=survey, prefix="settings")
    if request.method == "POST":
        require_role(Role.EDITOR)
        if settings.validate_on_submit():
            survey.name = (settings.name.data or "").strip()
            survey.repeat_days = settings.repeat_days.data or 0
            survey.language = settings.language.data or survey.language
            commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("survey_builder.show_survey", survey_id=survey.id))
    touchpoints = list(db.session.scalars(owned(Touchpoint, survey.workspace_id, Touchpoint.survey_id == survey.id)))
    version = survey.current
    return render_template(
        "surveys/survey.html",
        survey=survey,
        version=version,
        answered=services.response_count(version),
        settings=settings,
        types=SHORT_TYPE_LABELS,
        touchpoints=touchpoints,
        deletable=services.may_delete(survey),
        confirm_form=ConfirmForm(),
        can_edit=current_role().allows(Role.EDITOR),
    )


def _changed(survey_id: int, version_before: int) -> None:
    """Tell the editor when their change published a new version."""
    survey = _survey(survey_id)
    if survey.current.number != version_before:
        flash(
            _(
                "Answers exist, so this change published version %(n)s. Earlier answers keep their version.",
                n=survey.current.number,
            ),
            "info",
        )


def _editor(survey, form: QuestionForm, key: str | None, status: int = 200) -> tuple[str, int]:  # noqa: ANN001
    """The question editor page."""
    return render_template("surveys/question_form.html", survey=survey, form=form, key=key), status


def _prepared(survey, form: QuestionForm, key: str | None) -> QuestionForm:  # noqa: ANN001
    """The form with the earlier questions to choose a condition or a wording from."""
    form.set_earlier(services.earlier_questions(survey, key), current_language(), survey.language)
    return form


def _save_question(survey, form: QuestionForm, key: str | None) -> str | Response | tuple[str, int]:  # noqa: ANN001
    """Re-show the editor after a button for the option rows, else validate and save through the services."""
    action = request.form.get("option_action", "")
    if action:
        form.option_rows = apply_option_action(form.option_rows, action)
        return _editor(survey, form, key)
    before = survey.current.number
    if form.validate_on_submit():
        try:
            if key is None:
                services.add_question(survey, form.spec())
            else:
                services.update_question(survey, key, form.spec())
        except DomainError as error:
            db.session.rollback()
            form.problems.append(str(error.message))
        else:
            commit()
            _changed(survey.id, before)
            flash(_("Question saved."), "success")
            return redirect(url_for("survey_builder.show_survey", survey_id=survey.id) + "#questions")
    return _editor(survey, form, key, 422)


@bp.route("/surveys/<int:survey_id>/questions", methods=["GET", "POST"])
def add_question(survey_id: int) -> str | Response | tuple[str, int]:
    """The editor for a new question of the type in `?type=` (GET), and adding it (POST)."""
    require_role(Role.EDITOR)
    survey = _survey(survey_id)
    if request.method == "GET":
        kind = request.args.get("type", "")
        if kind not in QUESTION_TYPE_VALUES:
            return redirect(url_for("survey_builder.show_survey", survey_id=survey.id) + "#add")
        form = _prepared(survey, QuestionForm(formdata=None, prefix="new", data={"type": kind}), None)
        return _editor(survey, form, None)
    return _save_question(survey, _prepared(survey, QuestionForm(prefix="new"), None), None)


@bp.route("/surveys/<int:survey_id>/questions/<key>/edit", methods=["GET", "POST"])
def edit_question(survey_id: int, key: str) -> str | Response | tuple[str, int]:
    """Change a question (a new version when the current one has answers)."""
    require_role(Role.EDITOR)
    survey = _survey(survey_id)
    current = services.find_question(survey, key)
    if current is None:
        flash(_("This question does not exist (any more)."), "error")
        return redirect(url_for("survey_builder.show_survey", survey_id=survey.id))
    if request.method == "GET":
        form = _prepared(survey, QuestionForm(formdata=None), key)
        form.fill(current)
        return _editor(survey, form, key)
    return _save_question(survey, _prepared(survey, QuestionForm(), key), key)


@bp.route("/surveys/<int:survey_id>/questions/<key>/<any(up, down, remove):action>", methods=["POST"])
def change_question(survey_id: int, key: str, action: str) -> str | Response:
    """Move a question up or down, or remove it (after a confirmation step)."""
    require_role(Role.EDITOR)
    survey = _survey(survey_id)
    before = survey.current.number
    form = ConfirmForm()
    if form.validate_on_submit():
        if action == "remove" and not confirmed():
            return _confirm_removal(survey, key, form)
        try:
            if action == "remove":
                services.remove_question(survey, key)
            else:
                services.move_question(survey, key, -1 if action == "up" else 1)
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            commit()
            _changed(survey.id, before)
    return redirect(url_for("survey_builder.show_survey", survey_id=survey.id) + "#questions")


def _confirm_removal(survey, key: str, form: ConfirmForm) -> str | Response:  # noqa: ANN001
    """Ask before removing a question; a question that is gone already leads back to the survey."""
    question = services.find_question(survey, key)
    if question is None:
        flash(_("This question does not exist (any more)."), "error")
        return redirect(url_for("survey_builder.show_survey", survey_id=survey.id) + "#questions")
    consequence = (
        _("New answers no longer include it; the answers given so far stay in the responses and downloads.")
        if services.response_count(survey.current)
        else _("Nobody has answered this version yet, so it goes without a trace; you can add it again later.")
    )
    text = question.wording(current_language(), fallback=survey.language)
    return confirmation_page(
        Confirmation(
            question=_("Remove the question “%(text)s” from “%(survey)s”?", text=text, survey=survey.name),
            consequence=consequence,
            yes=_("Yes, remove"),
            action=request.path,
            back=url_for("survey_builder.show_survey", survey_id=survey.id) + "#questions",
        ),
        form,
    )


@bp.route("/surveys/<int:survey_id>/preview")
def preview(survey_id: int) -> str:
    """The survey as a respondent sees it, at phone size (nothing is saved from here)."""
    survey = _survey(survey_id)
    return render_template("surveys/preview.html", survey=survey)


@bp.route("/surveys/<int:survey_id>/preview/frame")
def preview_frame(survey_id: int) -> Response:
    """The respondent page itself, rendered for the preview frame: its button sends the answers so far back here
    (GET, `sent=1`) and gets the next page; nothing is recorded, no scan and no response."""
    survey = _survey(survey_id)
    version = survey.current
    all_pages = respond.survey_pages(version)
    page = page_number(request.args.get("page"), 0, max(len(all_pages) - 1, 0))
    values = request.args.to_dict(flat=False)
    answers = preview_flow.given_answers(version.specs(), values)
    if not all_pages:
        return _preview_response(render_template("surveys/preview_end.html", survey=survey, empty=True))
    if request.args.get("sent") == "1":
        following = preview_flow.next_page(all_pages, page, answers)
        if following is None:
            return _preview_response(render_template("surveys/preview_end.html", survey=survey))
        page = following
    touchpoint = Touchpoint(name=survey.name, workspace_id=survey.workspace_id, headline_texts={}, body_texts={})
    code = Code(code=generate_code(), workspace_id=survey.workspace_id)
    workspace = current_workspace()
    resolved = ResolvedCode(
        code, touchpoint, "preview", workspace.name, workspace.timezone, main_language=workspace.language_list[0]
    )
    state = respond.FormState(respond.new_token(), version.id, None, 0, utcnow().timestamp())
    hidden = preview_flow.carried(values, {q.key for q in all_pages[page]})
    if request.args.get("lang"):  # the language chosen for the preview stays on the next page
        hidden.append(("lang", request.args["lang"][:5]))
    form = {"action": request.base_url, "carried": hidden}
    return _preview_response(pages.survey_page(resolved, version, state, page, answers, preview=form))


def _preview_response(page: str | Response) -> Response:
    """A preview page: its forms only lead back to the preview, and only our own builder pages may frame it."""
    response = page if isinstance(page, Response) else Response(page, mimetype="text/html")
    target = url_for("survey_builder.preview_frame", survey_id=int(request.view_args["survey_id"]), _external=True)
    response.headers["Content-Security-Policy"] = policy(**{"form-action": target, "frame-ancestors": "'self'"})
    return response


@bp.route("/surveys/<int:survey_id>/archive", methods=["POST"])
def archive_survey(survey_id: int) -> Response:
    """Archive or restore (restore=1) a survey."""
    require_role(Role.EDITOR)
    survey = _survey(survey_id)
    if ConfirmForm().validate_on_submit():
        restore, now = request.form.get("restore") == "1", utcnow()
        check_undo("survey.archive", survey.id, now)
        services.set_archived(survey, not restore, now)
        commit()
        if restore:
            flash(_("Survey restored."), "success")
        else:
            flash_with_undo(_("Survey archived."), "survey.archive", survey.id, request.path, {"restore": "1"}, now)
    return redirect(url_for("survey_builder.show_survey", survey_id=survey.id))


@bp.route("/surveys/<int:survey_id>/delete", methods=["POST"])
def delete_survey(survey_id: int) -> str | Response:
    """Delete a survey that was never answered and is on no touchpoint (after a confirmation step)."""
    require_role(Role.EDITOR)
    survey = _survey(survey_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if not confirmed():
            confirmation = Confirmation(
                question=_("Delete the survey “%(name)s”?", name=survey.name),
                consequence=_(
                    "Its questions and all its versions are deleted; it was never answered. This cannot be undone."
                ),
                yes=_("Yes, delete"),
                action=request.path,
                back=url_for("survey_builder.show_survey", survey_id=survey.id),
            )
            return confirmation_page(confirmation, form)
        try:
            services.delete_survey(survey)
        except services.SurveyInUse as error:
            flash(str(error.message), "error")
            return redirect(url_for("survey_builder.show_survey", survey_id=survey.id))
        commit()
        flash(_("Survey deleted."), "success")
    return redirect(url_for("survey_builder.list_surveys"))


@bp.route("/surveys/<int:survey_id>/responses")
def list_responses(survey_id: int) -> str:
    """Raw responses, newest first, with their answers; editors can delete one."""
    survey = _survey(survey_id)
    before = parse_id(request.args.get("before"), MAX_BIG_ID)  # a response id
    shown = request.args.get("flag", "")
    shown = shown if shown in services.RESPONSE_FILTERS else ""
    responses = services.responses_page(survey, before, shown=shown)
    return render_template(
        "surveys/responses.html",
        survey=survey,
        responses=responses,
        keys=services.question_keys(survey),
        references=services.references_of(survey.workspace_id, responses),
        next_before=responses[-1].id if len(responses) == 50 else None,
        shown=shown,
        confirm_form=ConfirmForm(),
        can_edit=current_role().allows(Role.EDITOR),
    )


@bp.route("/surveys/<int:survey_id>/responses.csv")
def export_responses(survey_id: int) -> Response:
    """All raw responses as CSV (`?dialect=excel-de` for German Excel): one row per response, one column per
    question key."""
    survey = _survey(survey_id)
    dialect = dialect_named(request.args.get("dialect")).in_zone(current_workspace().timezone)
    keys = services.question_keys(survey)
    body = csv_stream(
        services.RESPONSE_COLUMNS + keys,
        services.response_rows(survey.workspace_id, keys, survey_id=survey.id),
        dialect,
    )
    response = Response(stream_with_context(body), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="responses-{survey.id}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/responses/<int(max=9223372036854775807):response_id>/delete", methods=["POST"])
def delete_response(response_id: int) -> str | Response:
    """Erase one response with all its answers (after a confirmation step)."""
    require_role(Role.EDITOR)
    target = parse_id(request.form.get("survey_id"))
    back = url_for("survey_builder.list_responses", survey_id=_survey(target).id) if target else None
    form = ConfirmForm()
    if form.validate_on_submit():
        if not confirmed():
            response = services.get_response(current_workspace().id, response_id)
            confirmation = Confirmation(
                question=_(
                    "Delete the response #%(id)s of %(when)s?",
                    id=response.id,
                    when=local_time(response.completed_at or response.started_at, style="short"),
                ),
                consequence=_(
                    "Its answers leave every rating, list and download, and webhook deliveries that name it are "
                    "erased. This cannot be undone."
                ),
                yes=_("Yes, delete"),
                action=request.path,
                back=back or url_for("survey_builder.list_surveys"),
                fields={"survey_id": str(target)} if target else {},
            )
            return confirmation_page(confirmation, form)
        services.delete_response(current_workspace().id, response_id)
        commit()
        flash(_("Response deleted."), "success")
    return redirect(back or url_for("survey_builder.list_surveys"))


@bp.route("/touchpoints/<int:touchpoint_id>/survey", methods=["POST"])
def attach_survey(touchpoint_id: int) -> Response:
    """Choose the survey a touchpoint shows (or none)."""
    require_role(Role.EDITOR)
    touchpoint = touchpoint_services.get_touchpoint(current_workspace().id, touchpoint_id)
    form = AttachSurveyForm()
    if form.validate_on_submit():
        chosen = form.survey_id.data
        chosen_id = parse_id(chosen)
        survey = _survey(chosen_id) if chosen_id is not None else None  # another workspace's id: 404
        if chosen and survey is None:
            flash(_("Please choose one of the surveys shown."), "error")
        else:
            services.attach(touchpoint, survey)
            commit()
            flash(_("Survey saved for this touchpoint."), "success")
    return redirect(url_for("touchpoints.show_touchpoint", touchpoint_id=touchpoint.id))
