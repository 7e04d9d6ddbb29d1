"""Forms for codes: shape only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, StringField, SubmitField
from wtforms.validators import Length, NumberRange, Optional

from feedback.forms import DayInRange, WholeNumberField


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

    expires_on = DateField(_l("Valid until"), validators=[Optional(), DayInRange()])
    submit = SubmitField(_l("Save"))


class BatchForm(FlaskForm):
    """Personalised codes for a mailing: a CSV of recipient references, or a number of numbered codes."""

    name = StringField(
        _l("Name of the mailing"),
        description=_l("E.g. “Customer mailing March”."),
        validators=[Optional(), Length(max=80)],
    )
    references = FileField(
        _l("CSV of recipient references"),
        description=_l(
            "One reference per line (customer number, CRM id), or a column headed “reference”. "
            "Comma, semicolon or tab separated; UTF-8 or Excel's Windows encoding."
        ),
    )
    count = WholeNumberField(
        _l("… or this many numbered codes"),
        description=_l("References 00001, 00002, … for a mail house that matches codes to its list by row."),
        validators=[Optional(), NumberRange(min=1, max=10_000)],
    )
    submit = SubmitField(_l("Create personalised codes"))
