"""Form helpers shared by the dashboard features."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal
from flask import g
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import DecimalField, Field, Form, IntegerField
from wtforms.utils import unset_value
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput

from feedback.bounds import FIRST_DAY, LAST_DAY
from feedback.texts import DEFAULT_LANGUAGES, LANGUAGES, Texts, texts

WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+", re.ASCII)


class LocalisedForm(FlaskForm):
    """A form whose number fields read and write numbers as the user's language does (1.234,50)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        meta = dict(kwargs.pop("meta", {}) or {})
        meta["locales"] = [str(get_locale() or "en")]
        super().__init__(*args, meta=meta, **kwargs)


class AmountField(DecimalField):
    """A money amount typed as text in the user's number format (type=number would refuse "1.234,50")."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(*args, use_locale=True, **kwargs)

    def _parse_decimal(self, value: str) -> Decimal:
        """Strict parsing, so "1.234,50" typed in English is refused instead of read as 1.2345."""
        return parse_decimal(value.strip(), self.locale, strict=True)


#: Whole numbers typed into a form stay below this (a quadrillion): larger ones are typos or attacks, and range
#: checks that compare through floats would fail on them.
LARGEST_NUMBER = 10**15


class WholeNumberField(IntegerField):
    """A small whole number (days, minutes, points): ASCII digits with an optional sign, below LARGEST_NUMBER.

    WTForms' IntegerField takes what Python's int() takes ("٣", "1_000", 40 digits) and its NumberRange then fails
    on numbers too large for a float; this field refuses them with a message instead.
    """

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].strip()
        if not WHOLE_NUMBER.fullmatch(raw):
            self.data = None
            raise ValueError(str(_l("Enter a whole number.")))
        if len(raw.lstrip("+-")) > 15:
            self.data = None
            raise ValueError(str(_l("This number is too large.")))
        self.data = int(raw)


class CountField(IntegerField):
    """A whole number typed as text in the user's number format ("40.000" in German, "40,000" in English)."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse with the grouping of the user's language; refuse fractions."""
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            value = parse_decimal(valuelist[0].strip(), locale=str(get_locale() or "en"), strict=True)
        except NumberFormatError:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value.")) from None
        if not value.is_finite() or value != value.to_integral_value():
            self.data = None
            raise ValueError(str(_l("Enter a whole number.")))
        if abs(value) >= LARGEST_NUMBER:
            self.data = None
            raise ValueError(str(_l("This number is too large.")))
        self.data = int(value)

    def _value(self) -> str:
        """Show the stored number with the language's grouping."""
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        from flask_babel import format_decimal

        return format_decimal(Decimal(self.data))


class DayInRange:
    """A date (or date and time) field's validator: the day lies between bounds.FIRST_DAY and bounds.LAST_DAY, so
    that converting it to another time zone or adding a day stays within the calendar."""

    def __call__(self, form: Form, field: Field) -> None:
        day = field.data.date() if isinstance(field.data, datetime) else field.data
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise ValidationError(
                str(_l("Enter a day between %(first)s and %(last)s.", first=FIRST_DAY.year, last=LAST_DAY.year))
            )


def workspace_languages() -> tuple[str, ...]:
    """The languages the current workspace writes its texts in (its main language first)."""
    workspace = g.get("workspace")
    return workspace.language_list if workspace is not None else DEFAULT_LANGUAGES


class TextsWidget:
    """One input per language of the workspace, side by side (a column per language), each labelled with its
    language; the first input carries the field's id, so the field's own label names it."""

    def __call__(self, field: TextsField, **kwargs: Any) -> Markup:
        cells = []
        for index, language in enumerate(field.languages):
            input_id = field.id if index == 0 else f"{field.id}-{language}"
            attrs = {k: v for k, v in kwargs.items() if index == 0 or k != "autofocus"}
            attrs.update(id=input_id, name=f"{field.name}-{language}", lang=language, maxlength=field.max_length)
            rendered = " ".join(
                escape(k) if v is True else f'{escape(k)}="{escape(v)}"' for k, v in attrs.items() if v is not False
            )
            value = field.data.get(language) if isinstance(field.data, Texts) else ""
            if field.multiline:
                control = f"<textarea {rendered}>{escape(value)}</textarea>"
            else:
                control = f'<input type="text" {rendered} value="{escape(value)}">'
            cells.append(
                f'<div class="texts__cell"><label class="texts__lang" for="{input_id}">{escape(LANGUAGES[language])}'
                f"</label>{control}</div>"
            )
        return Markup(f'<div class="texts texts--{len(cells)}">{"".join(cells)}</div>')


class TextsField(Field):
    """A text written in each of the workspace's languages; `data` is `Texts` (empty languages left out).

    Languages the workspace no longer writes in keep their stored text when the form is saved.
    """

    widget = TextsWidget()

    def __init__(self, label: Any = None, validators: Any = None, max_length: int = 300, multiline: bool = False,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(label, validators, **kwargs)
        self.max_length = max_length
        self.multiline = multiline

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages shown, the workspace's main language first."""
        return workspace_languages()

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.process_errors = []
        stored = self.default if data is unset_value else data
        stored = stored() if callable(stored) else stored
        merged = stored.as_dict() if isinstance(stored, Texts) else texts(stored).as_dict()
        self.object_data = Texts.of(merged)
        self.raw_data = []
        if formdata is not None:
            for language in self.languages:
                key = f"{self.name}-{language}"
                if key in formdata:
                    value = formdata.get(key) or ""
                    self.raw_data.append(value)
                    merged[language] = value.replace("\r\n", "\n").strip()
        self.data = Texts.of(merged)

    def pre_validate(self, form: Form) -> None:
        for language in self.languages:
            if len(self.data.get(language)) > self.max_length:
                raise ValidationError(
                    _l(
                        "At most %(limit)s characters (%(language)s).",
                        limit=self.max_length,
                        language=LANGUAGES[language],
                    )
                )
