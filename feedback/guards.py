"""Request guards that apply to every page and the API."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

from feedback.errors import DomainError


class ControlCharacters(DomainError):
    """Text with NUL bytes: PostgreSQL cannot store it and no person types it."""

    message = _l("The text contains invisible control characters. Please type it again.")


def _has_nul() -> bool:
    if any("\x00" in value for values in request.form.listvalues() for value in values):
        return True
    if request.is_json:
        body = request.get_data(cache=True)
        return b"\\u0000" in body or b"\x00" in body
    return False


class IdConverter(IntegerConverter):
    """`<int:…>` in every URL: ids beyond a 32-bit column are no ids at all (404, not a database error)."""

    def __init__(
        self, url_map, fixed_digits: int = 0, min: int | None = None, max: int | None = 2**31 - 1, signed: bool = False
    ) -> None:  # noqa: A002, ANN001 - werkzeug's names
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def install_converters(app: Flask) -> None:
    """Replace the int converter; must run before any blueprint adds its rules."""
    app.url_map.converters["int"] = IdConverter


def init_app(app: Flask) -> None:
    """Refuse NUL characters in submitted text before any view runs (400 / problem+json 422)."""

    @app.before_request
    def _refuse_nul() -> None:
        if request.method in ("POST", "PUT", "PATCH") and _has_nul():
            raise ControlCharacters()
