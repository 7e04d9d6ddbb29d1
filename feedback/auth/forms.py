"""Forms of the account and workspace pages (shape only; rules live in services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length

from feedback.auth.models import Role
from feedback.auth.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


def role_choices() -> list[SelectChoice]:
    """Role options with translated labels."""
    return [
        SelectChoice(Role.VIEWER.value, str(_l("Viewer – can look and download"))),
        SelectChoice(Role.EDITOR.value, str(_l("Editor – can change campaigns and touchpoints"))),
        SelectChoice(Role.OWNER.value, str(_l("Owner – can also manage members"))),
    ]


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    remember = BooleanField(_l("Stay logged in on this device"))
    submit = SubmitField(_l("Log in"))


class SetPasswordForm(FlaskForm):
    """A new password, typed twice (used when accepting an invitation as a new user)."""

    name = StringField(_l("Your name"), validators=[Length(max=120)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Create account and join"))


class AccountForm(FlaskForm):
    """Name and dashboard language."""

    name = StringField(_l("Name"), validators=[Length(max=120)])
    locale = SelectField(_l("Language"), choices=[SelectChoice("de", "Deutsch"), SelectChoice("en", "English")])
    submit = SubmitField(_l("Save"))


class ChangePasswordForm(FlaskForm):
    """Current password and a new one, typed twice."""

    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class WorkspaceForm(FlaskForm):
    """A new workspace."""

    name = StringField(_l("Company or brand"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Create workspace"))


class InviteMemberForm(FlaskForm):
    """Invite a colleague by e-mail with a role."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=role_choices, default=Role.EDITOR.value)
    submit = SubmitField(_l("Create invitation link"))


class RoleForm(FlaskForm):
    """Change a member's role."""

    role = SelectField(_l("Role"), choices=role_choices)
    submit = SubmitField(_l("Change"))


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token (for POST actions such as logout, archive, remove)."""

    submit = SubmitField(_l("Confirm"))
