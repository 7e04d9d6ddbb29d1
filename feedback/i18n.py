"""Language choice: respondents by Accept-Language with a switch; the dashboard by the user's setting."""

from __future__ import annotations

from flask import Flask, Response, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from feedback.extensions import babel

LANGUAGES = ("de", "en")
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600


def _explicit_choice() -> str | None:
    """A language chosen with ?lang=… (the switch), remembered in a cookie."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        g.set_lang_cookie = chosen
        return chosen
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in LANGUAGES else None


def select_locale() -> str:
    """Pick the language of this request (English outside requests, e.g. on the command line)."""
    if not has_request_context():
        return "en"
    explicit = _explicit_choice()
    if explicit:
        locale = explicit
    elif "_user_id" in session and current_user.is_authenticated:  # respondents' sessions only hold a CSRF token
        locale = current_user.locale
    else:
        locale = request.accept_languages.best_match(LANGUAGES) or "en"
    g.locale = locale
    return locale


def current_language() -> str:
    """The language of the current request ('de' or 'en')."""
    return str(get_locale() or "en")


def _remember_choice(response: Response) -> Response:
    """Store the language picked with the switch so the next pages keep it."""
    chosen = g.get("set_lang_cookie")
    if chosen:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=LANG_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our locale selector."""
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    app.after_request(_remember_choice)
    app.add_template_global(current_language)
