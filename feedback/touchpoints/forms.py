"""Campaign and touchpoint forms: shape and ranges; uniqueness is checked by the services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from feedback.bounds import parse_id
from feedback.forms import AmountField, CountField, DayInRange, LocalisedForm, TextsField, WholeNumberField
from feedback.touchpoints.models import Channel, KioskCoupon, Phase

MAX_MONEY = 10**10 - 1
#: What <input type="datetime-local"> sends and accepts (the first format is used to render).
HTML_DATETIME = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def channel_choices() -> list[SelectChoice]:
    """Channels with translated labels."""
    return [SelectChoice(c.value, str(CHANNEL_LABELS[c])) for c in Channel]


def phase_choices() -> list[SelectChoice]:
    """Journey phases with translated labels, in journey order."""
    return [SelectChoice(p.value, str(PHASE_LABELS[p])) for p in Phase]


def _a_person_or_nobody(_form: LocalisedForm, field: SelectField) -> None:
    """The person in charge is a user id or empty; whether that user may be in charge the services decide."""
    if field.data and parse_id(field.data) is None:
        raise ValidationError(_l("Choose a person from the list."))


def owner_field(description: str) -> SelectField:
    """Who is in charge (gets the alerts); the view offers the workspace's editors and owners. Not checked against
    the choices, so that the services' check answers a stale or foreign choice with its own message."""
    return SelectField(
        _l("Person in charge"),
        description=description,
        choices=[SelectChoice("", "")],
        default="",
        validate_choice=False,
        validators=[_a_person_or_nobody],
    )


CHANNEL_LABELS = {
    Channel.PRINT_AD: _l("Print ad"),
    Channel.FLYER: _l("Flyer"),
    Channel.POSTER: _l("Poster"),
    Channel.TRADE_FAIR: _l("Trade fair"),
    Channel.EVENT: _l("Event"),
    Channel.POSTAL_MAIL: _l("Postal mailing"),
    Channel.PACKAGING: _l("Packaging"),
    Channel.RECEIPT: _l("Receipt"),
    Channel.STORE: _l("Store"),
    Channel.TV_RADIO: _l("TV / radio"),
    Channel.ONLINE: _l("Online"),
    Channel.OTHER: _l("Other"),
}

PHASE_LABELS = {
    Phase.AWARENESS: _l("Awareness"),
    Phase.CONSIDERATION: _l("Consideration"),
    Phase.DECISION: _l("Decision"),
    Phase.RETENTION: _l("Retention"),
    Phase.ADVOCACY: _l("Advocacy"),
}


class CampaignForm(LocalisedForm):
    """Name, description, time window and budget of a campaign."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    starts_on = DateField(_l("Starts on"), validators=[Optional(), DayInRange()])
    ends_on = DateField(_l("Ends on"), validators=[Optional(), DayInRange()])
    budget = AmountField(
        _l("Budget"),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_MONEY, message=_l("Enter an amount of 0 or more.")),
        ],
    )
    incentive_text = StringField(
        _l("Incentive for invites"),
        description=_l("Shown with the personal invite, e.g. “10 % for you and your friend”."),
        validators=[Optional(), Length(max=200)],
    )
    invite_policy = SelectField(
        _l("Offer personal invites to"),
        choices=lambda: [
            SelectChoice("everyone", str(_l("everyone who answers"))),
            SelectChoice("promoters", str(_l("promoters only (NPS 9–10)"))),
            SelectChoice("off", str(_l("nobody"))),
        ],
        default="everyone",
    )
    referral_touchpoint_id = SelectField(
        _l("Invited friends land on"),
        description=_l("Only touchpoints with a code can receive invited friends."),
        choices=[SelectChoice("", "")],
        default="",
        validate_choice=True,
    )
    ask_contact = BooleanField(
        _l("Ask respondents for their contact details"),
        description=_l(
            "After the survey, an optional step with an unticked consent box; only consented details are kept."
        ),
    )
    repeat_window_minutes = WholeNumberField(
        _l("Possible repeat within (minutes)"),
        description=_l(
            "A second answer from the same network and device at the same code within this time is kept but not "
            "counted and gets no coupon or invite (a private browser tab does not help). 0 switches it off."
        ),
        default=30,
        validators=[Optional(), NumberRange(0, 1440)],
    )
    coupon_cap_per_hour = WholeNumberField(
        _l("Coupons per network and device per hour"),
        description=_l(
            "At most this many coupons per hour for one network and device at one code; distinct phones on a shared "
            "Wi-Fi each get theirs. 0: no cap."
        ),
        default=3,
        validators=[Optional(), NumberRange(0, 100)],
    )
    survey = SelectField(
        _l("Survey"),
        description=_l(
            "Every touchpoint you add gets this survey and a code at once. A template becomes a survey of its own "
            "that you can change in the survey builder."
        ),
        choices=[SelectChoice("", "")],
        default="",
        validate_choice=True,
    )
    owner_id = owner_field(
        _l(
            "Gets the e-mail alerts of the campaign and of its touchpoints that have no person in charge of their "
            "own. Only editors and owners of the workspace can be in charge."
        )
    )
    submit = SubmitField(_l("Save campaign"))

    def validate_ends_on(self, field: DateField) -> None:
        """The end cannot lie before the start."""
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date must not be before the start date."))


class TouchpointForm(LocalisedForm):
    """What a touchpoint is, where it sits in the journey, what it costs and how many it reaches."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    channel = SelectField(_l("Channel"), choices=channel_choices, validators=[DataRequired()])
    phase = SelectField(_l("Journey phase"), choices=phase_choices, validators=[DataRequired()])
    cost = AmountField(
        _l("Cost"),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_MONEY, message=_l("Enter an amount of 0 or more.")),
        ],
    )
    reach = CountField(
        _l("Reach"),
        description=_l("Copies printed, visitors or recipients."),
        validators=[
            Optional(),
            NumberRange(min=0, max=2_000_000_000, message=_l("Enter a number of 0 or more.")),
        ],
    )
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    kiosk = BooleanField(
        _l("Kiosk: a shared screen (trade-fair tablet, point of sale)"),
        description=_l(
            "One person answers after another on the same device: after each answer the survey starts afresh for "
            "the next person, “already answered” does not apply, and no invite or contact step is shown. Answers "
            "are marked as kiosk answers."
        ),
    )
    kiosk_coupon = SelectField(
        _l("Coupons on the kiosk"),
        choices=lambda: [
            SelectChoice(KioskCoupon.QR.value, str(_l("as a QR code to scan with one's own phone"))),
            SelectChoice(KioskCoupon.OFF.value, str(_l("none (no coupon is issued on the kiosk)"))),
        ],
        default=KioskCoupon.QR.value,
    )
    owner_id = owner_field(
        _l("Gets the touchpoint's e-mail alerts. Only editors and owners of the workspace can be in charge.")
    )
    submit = SubmitField(_l("Save touchpoint"))


class NewTouchpointForm(TouchpointForm):
    """A touchpoint being added: also which survey it shows (its code is made at once), and a second button that
    saves and opens the form again for the next touchpoint."""

    survey_id = SelectField(_l("Survey"), choices=[SelectChoice("", "")], default="", validate_choice=True)
    submit = SubmitField(_l("Save touchpoint"))
    submit_another = SubmitField(_l("Save and add another"))


class LandingForm(LocalisedForm):
    """The page a scan leads to: texts in the workspace's languages, calls to action, or a redirect."""

    # named like the touchpoint's attributes, so that the form shows what is stored
    headline_texts = TextsField(_l("Headline"), max_length=160)
    body_texts = TextsField(_l("Text"), max_length=4000, multiline=True)
    destination_url = URLField(
        _l("Redirect to"),
        description=_l(
            "Optional. Scans go straight to this https:// address (with UTM parameters) instead of the page."
        ),
        validators=[Optional(), Length(max=2000)],
    )
    cta_url = URLField(_l("Button link"), validators=[Optional(), Length(max=2000)])
    cta_label = TextsField(_l("Button text"), max_length=60)
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=40)])
    social_url = URLField(_l("Social media profile"), validators=[Optional(), Length(max=2000)])
    event_starts_at = DateTimeLocalField(
        _l("Event starts"),
        format=HTML_DATETIME,
        description=_l("Trade fairs and events only: visitors can add the date to their calendar."),
        validators=[Optional(), DayInRange()],
    )
    event_ends_at = DateTimeLocalField(_l("Event ends"), format=HTML_DATETIME, validators=[Optional(), DayInRange()])
    submit = SubmitField(_l("Save landing page"))
