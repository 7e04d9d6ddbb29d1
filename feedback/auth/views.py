"""Login, logout, account settings, workspaces and members."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from feedback.auth import devices, services
from feedback.auth.forms import (
    AccountForm,
    ChangePasswordForm,
    ConfirmForm,
    InviteMemberForm,
    LoginForm,
    RoleForm,
    SetPasswordForm,
    WorkspaceForm,
)
from feedback.auth.models import Role
from feedback.confirm import Confirmation, confirmation_page, confirmed
from feedback.db_types import utcnow
from feedback.errors import DomainError
from feedback.extensions import commit, limiter
from feedback.tenancy import current_workspace, require_role, scope_blueprint

bp = Blueprint("auth", __name__)
members_bp = Blueprint("members", __name__, url_prefix="/w/<ws>/members")
scope_blueprint(members_bp)


def safe_next(target: str | None) -> str | None:
    """Accept only a local path as a post-login target (no scheme, host or protocol-relative URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _login_limit() -> str:
    """The configured login rate limit."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_key() -> str:
    """Rate-limit key for password guesses on one account, whatever address they come from: the e-mail typed into
    the login form, or the logged-in user's own when they confirm their current password."""
    email = request.form.get("email", "") if request.endpoint == "auth.login" else current_user.email
    return "login-email:" + services.normalise_email(email)[:254]


def _not_a_password_guess() -> bool:
    """The account page's other form (name, language) guesses nothing."""
    return request.endpoint == "auth.account" and not request.form.get("password-submit")


#: Login attempts and the account page's current-password check share one counter per account (LOGIN_RATE_LIMIT):
#: a stolen session cannot guess the password at full speed, nor add to what the login form allows.
password_guesses = limiter.shared_limit(
    _login_limit, scope="password-guesses", key_func=_account_key, methods=["POST"], exempt_when=_not_a_password_guess
)


@bp.route("/")
def index():
    """Send users to their first workspace, or to login."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    memberships = services.workspaces_of(current_user)
    if not memberships:
        return redirect(url_for("auth.create_workspace"))
    return redirect(url_for("touchpoints.list_campaigns", ws=memberships[0].workspace.slug))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@password_guesses
def login():
    """Log in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("auth.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data or "", form.password.data or "")
        except services.InvalidCredentials as error:
            form.password.errors.append(str(error.message))
            return render_template("auth/login.html", form=form), 401
        session.clear()
        login_user(user, remember=bool(form.remember.data))
        session.permanent = True
        return redirect(safe_next(request.args.get("next")) or url_for("auth.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session, server-side: the user's session generation moves on, so no copy of this session cookie or
    of a "stay logged in" cookie works any more (on any device)."""
    ConfirmForm().validate_on_submit()  # CSRF is checked globally; nothing else to read
    if current_user.is_authenticated:
        services.end_all_sessions(current_user._get_current_object())
        commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
@password_guesses
def account():
    """Name, dashboard language and password."""
    form = AccountForm(prefix="account", obj=current_user)
    password_form = ChangePasswordForm(prefix="password")
    if form.submit.data and form.validate_on_submit():
        current_user.name = (form.name.data or "").strip()
        current_user.locale = form.locale.data
        commit()
        flash(_("Saved."), "success")
        return redirect(url_for("auth.account"))
    if password_form.submit.data and password_form.validate_on_submit():
        try:
            services.authenticate(current_user.email, password_form.current.data or "")
        except services.InvalidCredentials:
            password_form.current.errors.append(_("The current password is wrong."))
        else:
            user = current_user._get_current_object()
            services.set_password(user, password_form.password.data or "")
            commit()
            login_user(user)  # keep this session with the new session version; all others end
            flash(_("Password changed. Other devices have been logged out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, password_form=password_form, logout_form=ConfirmForm())


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """End every session of the current user, on all devices."""
    services.end_all_sessions(current_user)
    commit()
    logout_user()
    session.clear()
    flash(_("You are logged out on all devices."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/workspaces/new", methods=["GET", "POST"])
@login_required
def create_workspace():
    """Create another workspace with the current user as owner."""
    form = WorkspaceForm()
    if form.validate_on_submit():
        workspace = services.create_workspace(form.name.data or "", current_user)
        commit()
        return redirect(url_for("touchpoints.list_campaigns", ws=workspace.slug))
    return render_template("auth/create_workspace.html", form=form)


@bp.route("/join/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute")
def join(token: str):
    """Accept an invitation: as the logged-in user, or by creating an account for the invited address."""
    now = utcnow()
    invitation = services.open_invitation(token[:100], now)
    existing = services.user_by_email(invitation.email)
    if current_user.is_authenticated:
        form = ConfirmForm()
        if form.validate_on_submit():
            services.accept_invitation(invitation, current_user, now)
            commit()
            flash(_("Welcome to %(name)s.", name=invitation.workspace.name), "success")
            return redirect(url_for("touchpoints.list_campaigns", ws=invitation.workspace.slug))
        return render_template("auth/join.html", invitation=invitation, form=form, mode="confirm")
    if existing is not None:
        return render_template("auth/join.html", invitation=invitation, mode="login")
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                invitation.email, form.password.data or "", form.name.data or "", g.get("locale", "en")
            )
        except DomainError as error:
            form.password.errors.append(str(error.message))
        else:
            services.accept_invitation(invitation, user, now)
            commit()
            session.clear()
            login_user(user)
            return redirect(url_for("touchpoints.list_campaigns", ws=invitation.workspace.slug))
    return render_template("auth/join.html", invitation=invitation, form=form, mode="signup")


@members_bp.route("/", methods=["GET", "POST"])
def list_members():
    """Members, their roles, and invitations; owners can invite."""
    workspace = current_workspace()
    form = InviteMemberForm()
    new_link = None
    if request.method == "POST":
        require_role(Role.OWNER)
        if form.validate_on_submit():
            try:
                _invitation, token = services.invite_member(
                    workspace,
                    form.email.data or "",
                    Role(form.role.data),
                    current_user,
                    utcnow(),
                    current_app.config["INVITATION_DAYS"],
                )
            except services.AlreadyMember as error:
                form.email.errors.append(str(error.message))
            else:
                commit()
                new_link = url_for("auth.join", token=token, _external=True)
                form = InviteMemberForm(formdata=None)
    return render_template(
        "auth/members.html",
        form=form,
        members=services.members(workspace),
        invitations=services.pending_invitations(workspace, utcnow()),
        new_link=new_link,
        role_form=RoleForm,
        confirm_form=ConfirmForm(),
        team_device=workspace.id in devices.marked_workspaces(),
    )


@members_bp.route("/team-device", methods=["POST"])
def team_device():
    """Mark this browser as a device of the workspace's team (on=1), or stop marking it; every member may."""
    workspace = current_workspace()
    response = redirect(url_for("members.list_members") + "#team-device")
    if ConfirmForm().validate_on_submit():
        on = request.form.get("on") == "1"
        devices.mark(response, workspace.id, on)
        if on:
            flash(_("This browser now counts as your team's device."), "success")
        else:
            flash(_("This browser counts as a customer's again."), "success")
    return response


@members_bp.route("/<int:membership_id>/role", methods=["POST"])
def change_role(membership_id: int):
    """Give a member another role (owners only)."""
    require_role(Role.OWNER)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            services.change_role(current_workspace(), membership_id, Role(form.role.data))
        except services.LastOwner as error:
            flash(str(error.message), "error")
        else:
            commit()
            flash(_("Role changed."), "success")
    return redirect(url_for("members.list_members"))


@members_bp.route("/<int:membership_id>/remove", methods=["POST"])
def remove_member(membership_id: int):
    """Remove a member from the workspace (owners only, after a confirmation step)."""
    require_role(Role.OWNER)
    form = ConfirmForm()
    if form.validate_on_submit():
        if not confirmed():
            workspace, member = current_workspace(), services.get_member(current_workspace(), membership_id)
            confirmation = Confirmation(
                question=_("Remove %(email)s from %(workspace)s?", email=member.user.email, workspace=workspace.name),
                consequence=_(
                    "They lose access at once, are logged out everywhere, and the API tokens they made here are "
                    "revoked. To let them back in, invite them again."
                ),
                yes=_("Yes, remove"),
                action=request.path,
                back=url_for("members.list_members"),
            )
            return confirmation_page(confirmation, form)
        try:
            services.remove_member(current_workspace(), membership_id)
        except services.LastOwner as error:
            flash(str(error.message), "error")
        else:
            commit()
            flash(_("Member removed."), "success")
    return redirect(url_for("members.list_members"))


@members_bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
def revoke_invitation(invitation_id: int):
    """Revoke an open invitation (owners only, after a confirmation step)."""
    require_role(Role.OWNER)
    form = ConfirmForm()
    if form.validate_on_submit():
        if not confirmed():
            invitation = services.get_invitation(current_workspace(), invitation_id)
            confirmation = Confirmation(
                question=_("Revoke the invitation to %(email)s?", email=invitation.email),
                consequence=_("The link in their e-mail stops working. To invite them later, send a new invitation."),
                yes=_("Yes, revoke"),
                action=request.path,
                back=url_for("members.list_members"),
            )
            return confirmation_page(confirmation, form)
        services.revoke_invitation(current_workspace(), invitation_id, utcnow())
        commit()
        flash(_("Invitation revoked."), "success")
    return redirect(url_for("members.list_members"))
