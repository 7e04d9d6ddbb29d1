"""Forms for codes: shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField
from wtforms.validators import Length, Optional


class CodeForm(FlaskForm):
    """A new code for a touchpoint, with an optional label for its placement or variant."""

    label = StringField(
        _l("Label"),
        description=_l("Placement or variant, e.g. “Hall B, counter” or “Variant A”."),
        validators=[Optional(), Length(max=80)],
    )
    submit = SubmitField(_l("Create code"))


class ExpiryForm(FlaskForm):
    """The last day a code leads to the landing page (empty: never expires)."""

    expires_on = DateField(_l("Valid until"), validators=[Optional()])
    submit = SubmitField(_l("Save"))
