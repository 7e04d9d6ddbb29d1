"""Dashboard pages of the API: owners create and revoke tokens; everyone can read the API documentation."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from feedback.api import services
from feedback.api.models import Scope
from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role
from feedback.confirm import Confirmation, confirmation_page, confirmed
from feedback.db_types import utcnow
from feedback.extensions import commit
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint

bp = Blueprint("api_tokens", __name__, url_prefix="/w/<ws>/api-tokens")
scope_blueprint(bp)
docs_bp = Blueprint("api_docs", __name__)


class TokenForm(FlaskForm):
    """A new API token."""

    name = StringField(_l("What is it for?"), validators=[DataRequired(), Length(max=80)])
    scope = SelectField(
        _l("Access"),
        choices=[
            SelectChoice(Scope.READ.value, _l("Read only")),
            SelectChoice(Scope.WRITE.value, _l("Read and write")),
        ],
        default=Scope.READ.value,
    )
    valid_days = SelectField(
        _l("Valid for"),
        choices=[
            SelectChoice("30", _l("30 days")),
            SelectChoice("90", _l("90 days")),
            SelectChoice("365", _l("1 year")),
            SelectChoice("0", _l("until revoked")),
        ],
        default="365",
    )
    submit = SubmitField(_l("Create token"))


@bp.route("/", methods=["GET", "POST"])
def list_tokens() -> Response | str:
    """The workspace's tokens; owners create one (shown once, right here) or revoke one."""
    workspace = current_workspace()
    form = TokenForm()
    new_token = None
    if request.method == "POST":
        require_role(Role.OWNER)
        if form.validate_on_submit():
            try:
                _token, new_token = services.create_token(
                    workspace.id,
                    form.name.data or "",
                    Scope(form.scope.data),
                    current_user.id,
                    utcnow(),
                    int(form.valid_days.data or 0) or None,
                )
            except services.InvalidTokenName as error:
                form.name.errors = [str(error.message)]
            else:
                commit()
                form = TokenForm(formdata=None)
    html = render_template(
        "api/tokens.html",
        tokens=services.list_tokens(workspace.id),
        form=form,
        new_token=new_token,
        confirm_form=ConfirmForm(),
        is_owner=current_role().allows(Role.OWNER),
        now=utcnow(),
        base_url=current_app.config["PUBLIC_BASE_URL"],
    )
    response = make_response(html, 200 if not form.errors else 400)
    response.headers["Cache-Control"] = "no-store"  # a new token is on this page once
    return response


@bp.route("/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int) -> str | Response:
    """Revoke a token (after a confirmation step): requests with it get 401 from now on."""
    require_role(Role.OWNER)
    form = ConfirmForm()
    if form.validate_on_submit():
        if not confirmed():
            token = services.get_token(current_workspace().id, token_id)
            confirmation = Confirmation(
                question=_("Revoke the token “%(name)s”?", name=token.name),
                consequence=_(
                    "Every request with it gets 401 from now on; integrations that use it stop working until they get "
                    "a new token. This cannot be undone."
                ),
                yes=_("Yes, revoke"),
                action=request.path,
                back=url_for("api_tokens.list_tokens"),
            )
            return confirmation_page(confirmation, form)
        token = services.revoke_token(current_workspace().id, token_id, utcnow())
        commit()
        flash(_("Token “%(name)s” revoked.", name=token.name), "success")
    return redirect(url_for("api_tokens.list_tokens"))


@docs_bp.route("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document, generated from the validated routes."""
    from feedback.api.base import published_spec

    response = jsonify(published_spec())
    response.headers["Access-Control-Allow-Origin"] = "*"  # a public contract: API tools may fetch it
    return response


@docs_bp.route("/api/docs")
def docs() -> str:
    """A readable page of the OpenAPI document (no external scripts)."""
    from feedback.api.base import published_spec

    document: dict[str, Any] = published_spec()
    operations = [
        {"method": method.upper(), "path": path, **operation}
        for path, methods in document.get("paths", {}).items()
        for method, operation in methods.items()
        if isinstance(operation, dict)
    ]
    return render_template("api/docs.html", document=document, operations=operations)
