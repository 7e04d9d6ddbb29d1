"""The dashboard analysis pages' forms: the edits of a theme of the open-text answers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

#: What the theme form can do (undo deletes a theme's edit).
THEME_FORM_ACTIONS = ("rename", "hide", "merge", "undo")


class ThemeEditForm(FlaskForm):
    """One edit of one theme; the action says which of the other fields counts (checked in theme_edits)."""

    action = HiddenField(validators=[AnyOf(THEME_FORM_ACTIONS)])
    key = HiddenField(validators=[DataRequired(), Length(max=120)])
    name = StringField(_l("New name"), validators=[Length(max=200)])
    into = SelectField(_l("Merge into"), choices=[], validate_choice=False, validators=[Length(max=120)])


class SegmentSaveForm(FlaskForm):
    """The name under which the page's segment is saved (its conditions come with the page's query string)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])


class SegmentDeleteForm(FlaskForm):
    """Deleting a saved segment (the CSRF token only)."""
