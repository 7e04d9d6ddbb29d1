"""Form helpers shared by the dashboard features."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import NumberFormatError, parse_decimal
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField
from wtforms.widgets import TextInput


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
        if value != value.to_integral_value() or not value.is_finite():
            self.data = None
            raise ValueError(str(_l("Enter a whole number.")))
        self.data = int(value)

    def _value(self) -> str:
        """Show the stored number with the language's grouping."""
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        from flask_babel import format_decimal

        return format_decimal(Decimal(self.data))
