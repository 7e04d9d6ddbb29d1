"""Builder forms: shape only; the services check what needs the survey's other questions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from feedback.forms import TextsField, WholeNumberField, workspace_languages
from feedback.surveys.catalog import TEMPLATES
from feedback.surveys.questions import REVERSIBLE, Condition, Option, QuestionSpec, QuestionType
from feedback.texts import LANGUAGES, Texts

TYPE_LABELS = {
    QuestionType.NPS: _l("NPS (0–10, would you recommend us?)"),
    QuestionType.CSAT: _l("Satisfaction, CSAT (1–5)"),
    QuestionType.CES: _l("Effort, CES (1–7, agreement)"),
    QuestionType.RATING: _l("Rating (1–5), e.g. repurchase intent"),
    QuestionType.SINGLE_CHOICE: _l("Single choice"),
    QuestionType.MULTI_CHOICE: _l("Multiple choice"),
    QuestionType.TEXT: _l("Free text"),
}


def type_choices() -> list[SelectChoice]:
    """Question types with explanations."""
    return [SelectChoice(t.value, str(TYPE_LABELS[t])) for t in QuestionType]


def template_choices() -> list[SelectChoice]:
    """An empty survey or one of the templates."""
    from flask_babel import get_locale

    german = str(get_locale()) == "de"
    return [SelectChoice("", str(_l("Empty survey")))] + [
        SelectChoice(t.slug, t.name_de if german else t.name_en) for t in TEMPLATES
    ]


class NewSurveyForm(FlaskForm):
    """A survey's name and the template it starts from."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    template = SelectField(_l("Start from"), choices=template_choices, validate_choice=True)
    submit = SubmitField(_l("Create survey"))


class SurveySettingsForm(FlaskForm):
    """Name and the repeat rule."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    repeat_days = WholeNumberField(
        _l("One answer per person and touchpoint within (days)"),
        description=_l("0 allows answering again at any time."),
        validators=[Optional(), NumberRange(0, 3650)],
    )
    language = SelectField(
        _l("Default language"),
        description=_l("Respondents whose language a text lacks read it in this one."),
        choices=lambda: [SelectChoice(code, LANGUAGES[code]) for code in workspace_languages()],
        validate_choice=True,
    )
    submit = SubmitField(_l("Save settings"))


class LanguagesForm(FlaskForm):
    """The languages the workspace writes its surveys, landing pages, offers and consent texts in."""

    main = SelectField(
        _l("Main language"),
        description=_l("New surveys start in it; landing pages fall back to it."),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        validate_choice=True,
    )
    others = SelectMultipleField(
        _l("Also written in"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )
    submit = SubmitField(_l("Save languages"))

    def languages(self) -> list[str]:
        """The chosen languages, the main one first."""
        return [self.main.data or "de", *(code for code in self.others.data or [] if code != self.main.data)]


class QuestionForm(FlaskForm):
    """Everything about one question."""

    key = StringField(
        _l("Key"),
        description=_l("Stable name used in exports and to compare versions, e.g. nps or reason."),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Use lower-case letters, digits and _; start with a letter.")),
        ],
    )
    type = SelectField(_l("Type"), choices=type_choices)
    required = BooleanField(_l("Answer required"), default=True)
    text = TextsField(_l("Question"), max_length=300)
    low_label = TextsField(_l("Low end"), max_length=60)
    high_label = TextsField(_l("High end"), max_length=60)
    options = TextAreaField(
        _l("Options"),
        description=_l(
            "One per line: the value, then the label in each of the workspace's languages in their order, e.g. "
            "offer | Ja, mit Angebot | Yes, with an offer"
        ),
        validators=[Optional(), Length(max=4000)],
    )
    condition_key = StringField(_l("Show only if the answer to"), validators=[Optional(), Length(max=40)])
    condition_low = WholeNumberField(_l("is at least"), validators=[Optional(), NumberRange(0, 10)])
    condition_high = WholeNumberField(_l("and at most"), validators=[Optional(), NumberRange(0, 10)])
    wording_key = StringField(
        _l("Other wording depending on the NPS question"), validators=[Optional(), Length(max=40)]
    )
    detractor_text = TextsField(_l("For detractors, 0–6"), max_length=300)
    promoter_text = TextsField(_l("For promoters, 9–10"), max_length=300)
    reversed_scale = BooleanField(
        _l("The low end is the good one"),
        description=_l(
            "For a scale asked the other way round, e.g. “How much effort did it take?” with 1 = very little. "
            "Analysis turns these answers around before it pools them with the others."
        ),
    )
    loyalty = BooleanField(
        _l("Counts as loyalty"),
        description=_l(
            "For a rating such as repurchase or recommendation intent: it goes into the loyalty score of the "
            "ratings. Other ratings are shown one by one."
        ),
    )
    submit = SubmitField(_l("Save question"))

    def validate_reversed_scale(self, field: BooleanField) -> None:
        """Only satisfaction, effort and rating scales can be turned around."""
        if field.data and self.type.data not in {t.value for t in REVERSIBLE}:
            raise ValidationError(
                _l("Only satisfaction, effort and rating scales can have their low end as the good one.")
            )

    def validate_loyalty(self, field: BooleanField) -> None:
        """Only rating questions measure loyalty."""
        if field.data and self.type.data != QuestionType.RATING.value:
            raise ValidationError(_l("Only a rating question (1–5) can measure loyalty."))

    def validate_options(self, field: TextAreaField) -> None:
        """Each line must have a value."""
        for line in (field.data or "").splitlines():
            if line.strip() and not line.split("|")[0].strip():
                raise ValidationError(_l("Each option line starts with its value."))

    def validate_condition_high(self, field: WholeNumberField) -> None:
        """A condition needs a key and a range in order."""
        key, low, high = self.condition_key.data, self.condition_low.data, field.data
        if any(v not in (None, "") for v in (key, low, high)):
            if not key or low is None or high is None:
                raise ValidationError(_l("A condition needs the question key and both limits."))
            if low > high:
                raise ValidationError(_l("The lower limit must not be above the upper limit."))

    def spec(self) -> QuestionSpec:
        """The validated form as a question value."""
        options = []
        languages = workspace_languages()
        for line in (self.options.data or "").splitlines():
            parts = [p.strip() for p in line.split("|")]
            if parts and parts[0]:
                labels = dict(zip(languages, (label[:120] for label in parts[1:]), strict=False))
                options.append(Option(parts[0][:60], Texts.of(labels)))
        condition = None
        if self.condition_key.data:
            condition = Condition(self.condition_key.data.strip(), self.condition_low.data, self.condition_high.data)
        return QuestionSpec(
            key=(self.key.data or "").strip(),
            type=QuestionType(self.type.data),
            required=bool(self.required.data),
            text=self.text.data,
            low_label=self.low_label.data,
            high_label=self.high_label.data,
            options=tuple(options),
            condition=condition,
            wording_key=(self.wording_key.data or "").strip(),
            detractor_text=self.detractor_text.data,
            promoter_text=self.promoter_text.data,
            higher_is_better=not self.reversed_scale.data,
            loyalty=bool(self.loyalty.data),
        )

    def fill(self, spec: QuestionSpec) -> None:
        """Show an existing question in the form."""
        for name in (
            "key",
            "text",
            "low_label",
            "high_label",
            "wording_key",
            "detractor_text",
            "promoter_text",
        ):
            getattr(self, name).data = getattr(spec, name)
        self.type.data = spec.type.value
        self.required.data = spec.required
        self.reversed_scale.data = not spec.higher_is_better
        self.loyalty.data = spec.loyalty
        languages = workspace_languages()
        self.options.data = "\n".join(
            " | ".join([o.value, *(o.labels.get(language) for language in languages)]).rstrip(" |")
            for o in spec.options
        )
        if spec.condition:
            self.condition_key.data = spec.condition.key
            self.condition_low.data, self.condition_high.data = spec.condition.low, spec.condition.high


class AttachSurveyForm(FlaskForm):
    """Which survey a touchpoint shows."""

    survey_id = SelectField(_l("Survey"), coerce=str, validate_choice=False)
    submit = SubmitField(_l("Save"))
