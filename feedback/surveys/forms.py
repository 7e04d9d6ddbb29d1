"""Builder forms: shape only; the services check what needs the survey's other questions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from feedback.forms import TextsField, WholeNumberField, workspace_languages
from feedback.surveys.catalog import TEMPLATES
from feedback.surveys.questions import (
    CHOICE_TYPES,
    QUESTION_TYPE_VALUES,
    REVERSIBLE,
    Condition,
    Option,
    QuestionSpec,
    QuestionType,
    key_from_text,
)
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

#: Short names on the buttons that add a question of a type.
SHORT_TYPE_LABELS = {
    QuestionType.NPS: _l("NPS 0–10"),
    QuestionType.CSAT: _l("Satisfaction 1–5"),
    QuestionType.CES: _l("Effort 1–7"),
    QuestionType.RATING: _l("Rating 1–5"),
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


#: The parts of the question editor each type uses (the editor shows only these).
PARTS: dict[QuestionType, frozenset[str]] = {
    QuestionType.NPS: frozenset({"scale"}),
    QuestionType.CSAT: frozenset({"scale", "reversed"}),
    QuestionType.CES: frozenset({"scale", "reversed"}),
    QuestionType.RATING: frozenset({"scale", "reversed", "loyalty"}),
    QuestionType.SINGLE_CHOICE: frozenset({"options"}),
    QuestionType.MULTI_CHOICE: frozenset({"options"}),
    QuestionType.TEXT: frozenset({"wording"}),
}
MAX_OPTIONS = 30
_ROW = re.compile(r"option-([0-9]{1,2})-(value|label-[a-z]{2})")


@dataclass
class OptionRow:
    """One answer option as typed into the editor: its value (may be empty: made from the label) and its labels."""

    value: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Nothing typed in this row."""
        return not self.value and not any(self.labels.values())


def read_option_rows(formdata: Mapping[str, str], prefix: str = "") -> list[OptionRow]:
    """Option rows from fields named `<prefix>option-<n>-value` and `<prefix>option-<n>-label-<language>`, in the
    order of n (rows left empty are kept, so the editor can show them again)."""
    rows: dict[int, OptionRow] = {}
    for name in formdata:
        match = _ROW.fullmatch(name[len(prefix) :]) if name.startswith(prefix) else None
        if not match or int(match[1]) >= MAX_OPTIONS:
            continue
        row = rows.setdefault(int(match[1]), OptionRow())
        value = (formdata.get(name) or "").replace("\r", " ").replace("\n", " ").strip()
        if match[2] == "value":
            row.value = value
        else:
            row.labels[match[2][len("label-") :]] = value
    return [rows[index] for index in sorted(rows)]


def apply_option_action(rows: list[OptionRow], action: str) -> list[OptionRow]:
    """The rows after an editor button without JavaScript: `add` (one more empty row), or `remove-<n>`, `up-<n>`,
    `down-<n>` on the rows as they were shown (empty ones included, so the numbers match)."""
    rows = list(rows)
    verb, _sep, number = action.partition("-")
    index = int(number) if number.isascii() and number.isdecimal() else -1
    if verb == "add":
        return [*rows, OptionRow()][:MAX_OPTIONS]
    if not 0 <= index < len(rows):
        return rows
    if verb == "remove":
        return rows[:index] + rows[index + 1 :]
    target = index - 1 if verb == "up" else index + 1 if verb == "down" else index
    if 0 <= target < len(rows):
        rows[index], rows[target] = rows[target], rows[index]
    return rows


def scale_choices() -> list[SelectChoice]:
    """The numbers a condition's range may use (the chosen question's scale narrows them)."""
    return [SelectChoice("", "–")] + [SelectChoice(str(n), str(n)) for n in range(0, 11)]


class QuestionForm(FlaskForm):
    """Everything about one question; the view fills the choices that depend on the earlier questions."""

    key = StringField(
        _l("Key"),
        description=_l(
            "Stable name used in exports and to compare versions. Left empty, it is made from the question text."
        ),
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Use lower-case letters, digits and _; start with a letter.")),
        ],
    )
    type = SelectField(_l("Type"), choices=type_choices)
    required = BooleanField(_l("Answer required"), default=True)
    text = TextsField(_l("Question"), max_length=300)
    low_label = TextsField(_l("Low end"), max_length=60)
    high_label = TextsField(_l("High end"), max_length=60)
    condition_key = SelectField(
        _l("Show this question"), choices=[SelectChoice("", "")], validate_choice=True, default=""
    )
    condition_low = SelectField(
        _l("when the answer is at least"), choices=scale_choices, validate_choice=True, default=""
    )
    condition_high = SelectField(_l("and at most"), choices=scale_choices, validate_choice=True, default="")
    wording_key = SelectField(
        _l("Other wording depending on the NPS question"),
        choices=[SelectChoice("", "")],
        validate_choice=True,
        default="",
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        submitted = kwargs.get("formdata", True) is not None and request.method == "POST"
        self.option_rows: list[OptionRow] = read_option_rows(request.form, self._prefix) if submitted else []
        self.option_errors: list[str] = []
        #: What the services refused (a duplicate key, a missing option …), shown above the form.
        self.problems: list[str] = []

    def set_earlier(self, earlier: list[QuestionSpec], language: str, fallback: str) -> None:
        """Offer the earlier scale questions for a condition and the earlier NPS questions for a wording."""
        scales = [q for q in earlier if q.scale is not None]
        self.condition_key.choices = [SelectChoice("", str(_l("always")))] + [
            SelectChoice(
                q.key,
                q.wording(language, fallback=fallback),
                render_kw={"data-low": q.scale[0], "data-high": q.scale[1]},
            )
            for q in scales
            if q.scale
        ]
        self.wording_key.choices = [SelectChoice("", str(_l("the same for everyone")))] + [
            SelectChoice(q.key, q.wording(language, fallback=fallback)) for q in scales if q.type is QuestionType.NPS
        ]

    @property
    def question_type(self) -> QuestionType:
        """The chosen type (NPS when none or an unknown one was sent)."""
        return QuestionType(self.type.data) if self.type.data in QUESTION_TYPE_VALUES else QuestionType.NPS

    def uses(self, part: str) -> bool:
        """Whether the editor shows a part (`scale`, `reversed`, `loyalty`, `options`, `wording`) for this type."""
        if part == "wording" and len(self.wording_key.choices or []) < 2:
            return False
        if part == "condition":
            return len(self.condition_key.choices or []) > 1
        return part in PARTS[self.question_type]

    def unshown_errors(self) -> list[str]:
        """Errors of fields the editor does not show for this type (a forged or outdated form sent them)."""
        shown = {"reversed_scale": self.uses("reversed"), "loyalty": self.uses("loyalty")}
        shown |= {"condition_key": self.uses("condition"), "condition_low": self.uses("condition")}
        shown |= {"condition_high": self.uses("condition"), "wording_key": self.uses("wording")}
        return [str(error) for name, show in shown.items() if not show for error in getattr(self, name).errors]

    def shown_rows(self) -> list[OptionRow]:
        """The rows to show: the typed ones, then empty ones to fill (two, or more after "add")."""
        filled = [row for row in self.option_rows if not row.empty]
        empty = len(self.option_rows) - len(filled)
        return filled + [OptionRow() for _ in range(min(max(2, empty), MAX_OPTIONS - len(filled)))]

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

    def validate_condition_high(self, field: SelectField) -> None:
        """A condition needs a range in order."""
        if not self.condition_key.data:
            return
        low, high = self.condition_low.data or "", field.data or ""
        if not (low.isascii() and low.isdecimal() and high.isascii() and high.isdecimal()):
            raise ValidationError(_l("Choose both ends of the range."))
        if int(low) > int(high):
            raise ValidationError(_l("The lower limit must not be above the upper limit."))

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields, and the option rows of a choice question."""
        valid = super().validate(extra_validators)
        if self.question_type in CHOICE_TYPES:
            for row in self.option_rows:
                if any(len(label) > 120 for label in row.labels.values()) or len(row.value) > 60:
                    self.option_errors.append(str(_l("An option's label has at most 120 characters, its value 60.")))
                    return False
        return valid

    def options(self) -> tuple[Option, ...]:
        """The filled option rows as options; a row without a value gets one made from its first label."""
        languages = workspace_languages()
        options: list[Option] = []
        for row in self.option_rows:
            if row.empty:
                continue
            labels = {language: row.labels.get(language, "") for language in languages}
            label = next((text for text in labels.values() if text), "")
            value = row.value or key_from_text(label, [o.value for o in options], limit=60, fallback="option")
            options.append(Option(value, Texts.of(labels)))
        return tuple(options)

    def spec(self) -> QuestionSpec:
        """The validated form as a question value (parts the type does not use are left out)."""
        kind = self.question_type
        parts = PARTS[kind]
        condition = None
        if self.condition_key.data and self.condition_low.data and self.condition_high.data:
            condition = Condition(self.condition_key.data, int(self.condition_low.data), int(self.condition_high.data))
        wording = "wording" in parts and bool(self.wording_key.data)
        return QuestionSpec(
            key=(self.key.data or "").strip(),
            type=kind,
            required=bool(self.required.data),
            text=self.text.data,
            low_label=self.low_label.data if "scale" in parts else Texts(),
            high_label=self.high_label.data if "scale" in parts else Texts(),
            options=self.options() if "options" in parts else (),
            condition=condition,
            wording_key=(self.wording_key.data or "") if wording else "",
            detractor_text=self.detractor_text.data if wording else Texts(),
            promoter_text=self.promoter_text.data if wording else Texts(),
            higher_is_better=not self.reversed_scale.data,
            loyalty=bool(self.loyalty.data),
        )

    def fill(self, spec: QuestionSpec) -> None:
        """Show an existing question in the form."""
        for name in ("key", "text", "low_label", "high_label", "wording_key", "detractor_text", "promoter_text"):
            getattr(self, name).data = getattr(spec, name)
        self.type.data = spec.type.value
        self.required.data = spec.required
        self.reversed_scale.data = not spec.higher_is_better
        self.loyalty.data = spec.loyalty
        self.option_rows = [OptionRow(o.value, o.labels.as_dict()) for o in spec.options]
        if spec.condition:
            self.condition_key.data = spec.condition.key
            self.condition_low.data, self.condition_high.data = str(spec.condition.low), str(spec.condition.high)


class AttachSurveyForm(FlaskForm):
    """Which survey a touchpoint shows."""

    survey_id = SelectField(_l("Survey"), coerce=str, validate_choice=False)
    submit = SubmitField(_l("Save"))
