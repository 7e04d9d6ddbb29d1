"""Form helpers shared by the dashboard features."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_wtf import FlaskForm


class LocalisedForm(FlaskForm):
    """A form whose number fields read and write numbers as the user's language does (1.234,50)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        meta = dict(kwargs.pop("meta", {}) or {})
        meta["locales"] = [str(get_locale() or "en")]
        super().__init__(*args, meta=meta, **kwargs)
