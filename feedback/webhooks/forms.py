"""The webhook endpoint form: shape only (the URL rules live in services.check_url)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, SubmitField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from feedback.webhooks.models import Event


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class EndpointForm(FlaskForm):
    """Where events go and which."""

    url = StringField(
        _l("URL"),
        description=_l("Your system's HTTPS address that accepts POST requests with a JSON body."),
        validators=[DataRequired(), Length(max=2000)],
    )
    description = StringField(_l("Description"), validators=[Optional(), Length(max=120)])
    events = CheckboxesField(
        _l("Events"),
        choices=[
            SelectChoice(Event.RESPONSE_COMPLETED.value, _l("response.completed – a survey was answered")),
            SelectChoice(Event.INVITE_ACCEPTED.value, _l("invite.accepted – an invited friend answered")),
            SelectChoice(
                Event.LEAD_QUALIFIED.value, _l("lead.qualified – a contact became marketing-qualified or sales-ready")
            ),
            SelectChoice(
                Event.CONTACT_STAGE_CHANGED.value,
                _l("contact.stage_changed – a lead moved in the funnel (accepted, qualified, won, lost …)"),
            ),
            SelectChoice(Event.CODE_SCANNED.value, _l("code.scanned – every scan by a person (can be many)")),
        ],
        default=[Event.RESPONSE_COMPLETED.value, Event.INVITE_ACCEPTED.value],
    )
    submit = SubmitField(_l("Save webhook"))
