"""Language choice: respondents by Accept-Language with a switch; the dashboard by the user's setting.

Respondent pages (what a customer's phone shows, see `is_respondent_page`) come in every language of
RESPONDENT_LANGUAGES; the dashboard in DASHBOARD_LANGUAGES only. A language chosen with the switch (`?lang=`) is
remembered in a cookie; a choice the page does not have (French on the dashboard) is passed over, not forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Flask, Response, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from feedback.extensions import babel
from feedback.texts import LANGUAGES as TEXT_LANGUAGES

#: The languages of the respondent pages, each named in itself (what the switcher shows): the languages texts are
#: written in (feedback/texts.py).
RESPONDENT_LANGUAGES: dict[str, str] = TEXT_LANGUAGES
#: The languages of the dashboard (a user's setting is one of them).
DASHBOARD_LANGUAGES = ("de", "en")
#: Every language a page may have.
LANGUAGES = tuple(RESPONDENT_LANGUAGES)
#: What a page falls back to when the browser asks for none of its languages.
FALLBACK = "en"
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
#: The blueprints of the pages a customer's phone opens.
RESPONDENT_BLUEPRINTS = frozenset({"respondent"})
#: Their paths, for requests no route matched (a mistyped invite link's 404 speaks the visitor's language too).
RESPONDENT_PATHS = ("/t/", "/T/", "/i/", "/I/")


#: Dashboard pages that show what a phone sees (previews): in the respondent languages, never remembered.
PREVIEW_ENDPOINTS = frozenset({"survey_builder.preview_frame", "touchpoints.preview_touchpoint"})


def is_respondent_page() -> bool:
    """The request is one a customer's phone makes (a respondent page, or an error answering a respondent URL), or a
    preview of one."""
    if request.endpoint in PREVIEW_ENDPOINTS:
        return True
    if request.blueprint is not None:
        return request.blueprint in RESPONDENT_BLUEPRINTS
    return request.path in ("/t", "/T") or request.path.startswith(RESPONDENT_PATHS)


def page_languages() -> tuple[str, ...]:
    """The languages the current page can be shown in."""
    return LANGUAGES if is_respondent_page() else DASHBOARD_LANGUAGES


def _explicit_choice(languages: tuple[str, ...]) -> str | None:
    """A language chosen with ?lang=… (the switch), remembered in a cookie; None when the page lacks it."""
    chosen = request.args.get("lang")
    if chosen in languages:
        if request.endpoint not in PREVIEW_ENDPOINTS:  # a preview in French leaves the dashboard German
            g.set_lang_cookie = chosen
        return chosen
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in languages else None


def select_locale() -> str:
    """Pick the language of this request (English outside requests, e.g. on the command line)."""
    if not has_request_context():
        return FALLBACK
    languages = page_languages()
    explicit = _explicit_choice(languages)
    if explicit:
        locale = explicit
    elif "_user_id" in session and current_user.is_authenticated:  # respondents' sessions only hold a CSRF token
        locale = current_user.locale if current_user.locale in languages else FALLBACK
    else:
        locale = request.accept_languages.best_match(languages) or FALLBACK
    g.locale = locale
    return locale


def current_language() -> str:
    """The language of the current request (one of LANGUAGES)."""
    return str(get_locale() or FALLBACK)


@dataclass(frozen=True)
class LanguageLink:
    """One entry of the language switcher."""

    code: str
    name: str
    href: str
    current: bool


def language_links(base: str | None = None) -> list[LanguageLink]:
    """The switcher's links: this page with its query parameters (`r=`, `via=` …) and `lang` replaced.

    The links are relative ("?…"), so they cannot lead to another site whatever the request's path looks like.
    `base` is a URL of ours (from url_for) for pages answering a POST, whose own address cannot be opened again.
    """
    if base is not None:
        parts = urlsplit(base)
        path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") else ""
        pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    else:
        path, pairs = "", [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    current = current_language()
    return [
        LanguageLink(code, RESPONDENT_LANGUAGES[code], f"{path}?{urlencode([*pairs, ('lang', code)])}", code == current)
        for code in page_languages()
    ]


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
    app.add_template_global(language_links)
