"""Catalogues complete (German for everything, the other respondent languages for the respondent pages);
respondents by Accept-Language with a switch, the dashboard in German or English by the user's setting."""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from feedback.i18n import DASHBOARD_LANGUAGES, RESPONDENT_LANGUAGES
from tests.phone import IPHONE, LOYALTY, Respondent

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "feedback/translations/de/LC_MESSAGES/messages.po"
_SPEC = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts/i18n.py")
assert _SPEC is not None and _SPEC.loader is not None
catalogues = importlib.util.module_from_spec(_SPEC)  # scripts/i18n.py, which keeps the catalogues
_SPEC.loader.exec_module(catalogues)

#: Every language with a catalogue (English is the language of the msgids).
TRANSLATED = [language for language in RESPONDENT_LANGUAGES if language != "en"]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
}


def _source_messages() -> set[str]:
    """Every translatable string in the code and templates."""
    found: set[str] = set()
    method_map = [("feedback/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_in_code_and_templates_has_a_german_translation() -> None:
    with PO.open("rb") as f:
        catalog = read_po(f, locale="de")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id and m.string and "fuzzy" not in m.flags
    }
    missing = sorted(_source_messages() - translated)
    assert not missing, f"add German translations (pybabel update, then edit messages.po): {missing}"


def _catalogue(language: str):  # noqa: ANN202
    with catalogues.po_path(language).open("rb") as f:
        return read_po(f, locale=language)


def test_every_respondent_language_has_a_catalogue_and_the_dashboard_speaks_german_and_english() -> None:
    assert set(catalogues.CATALOGUES) == set(TRANSLATED)
    assert all(catalogues.po_path(language).with_suffix(".mo").exists() for language in TRANSLATED)
    assert DASHBOARD_LANGUAGES == ("de", "en") and set(DASHBOARD_LANGUAGES) <= set(RESPONDENT_LANGUAGES)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_respondent_string_has_a_translation_in_every_respondent_language(language: str) -> None:
    needed = catalogues.respondent_messages()
    assert "Thank you!" in needed and "Please answer this question." in needed and "Bad request" in needed
    translated = {catalogues.key(m.id) for m in _catalogue(language) if m.id and catalogues.translated(m)}
    missing = sorted(needed - translated)
    assert not missing, f"texts without {language}: scripts/i18n.py --lang {language} {language}.json {missing}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders_and_have_the_languages_plural_forms(language: str) -> None:
    catalog = _catalogue(language)
    problems = [
        (message.id, [str(e) for e in errors])
        for message, errors in catalog.check()
        if "%(" in catalogues.key(message.id)  # "95 % interval" has no placeholder, though Babel reads "% i" as one
    ]
    assert not problems
    assert language != "pl" or catalog.num_plurals == 3  # one, few, many: Babel's plural rules for Polish
    for message in catalog:
        if isinstance(message.id, tuple) and catalogues.translated(message):
            assert len(message.string) == catalog.num_plurals, message.id


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalogue_matches_the_po_file(language: str) -> None:
    def plain(value: object) -> object:  # read_mo gives a plural's forms as lists, read_po as tuples
        return tuple(value) if isinstance(value, list | tuple) else value

    po = {plain(m.id): plain(m.string) for m in _catalogue(language) if m.id and catalogues.translated(m)}
    with catalogues.po_path(language).with_suffix(".mo").open("rb") as f:
        mo = {plain(m.id): plain(m.string) for m in read_mo(f) if m.id}
    # an untranslated plural is compiled with the English forms, which is what gettext would show anyway
    english = {k: v for k, v in mo.items() if isinstance(k, tuple) and set(v) <= set(k)}
    assert po == {k: v for k, v in mo.items() if k not in english or k in po}, "run: scripts/i18n.py"


def test_pages_follow_accept_language(client) -> None:
    assert "Anmelden" in client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}).get_data(
        as_text=True
    )
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="de"' in client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)


def test_unsupported_or_hostile_accept_language_falls_back_to_english(client) -> None:
    for header in ("fr-FR", "", "x" * 5000, "de;q=abc,,,;;", "<script>"):
        response = client.get("/login", headers={"Accept-Language": header})
        assert response.status_code == 200
        assert "Log in" in response.get_data(as_text=True) or "Anmelden" in response.get_data(as_text=True)


def test_the_language_switch_overrides_the_browser_and_is_remembered(client) -> None:
    response = client.get("/login?lang=de", headers={"Accept-Language": "en"})
    assert "Anmelden" in response.get_data(as_text=True)
    assert "lang=de" in response.headers["Set-Cookie"]
    assert "Anmelden" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Log in" in client.get("/login?lang=en").get_data(as_text=True)


def test_unknown_language_in_the_switch_is_ignored(client) -> None:
    response = client.get("/login?lang=xx", headers={"Accept-Language": "de"})
    assert "Anmelden" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]


def test_dashboard_follows_the_users_language(client, auth, make_user, make_workspace) -> None:
    user = make_user(locale="de")
    workspace = make_workspace(owner=user)
    auth.login(user)
    html = client.get(f"/w/{workspace.slug}/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Noch keine Kampagnen" in html


def test_ratios_and_percentages_are_written_the_way_each_language_writes_them(app) -> None:
    from flask_babel import refresh

    from feedback.templating import decimal2, percent, percent1

    with app.test_request_context("/?lang=de"):
        assert (decimal2(0.1449), percent(0.5), decimal2(None)) == ("0,14", "50\u00a0%", "–")
        assert (percent1(0.0091), percent1(None)) == ("0,9\u00a0%", "–")
    with app.test_request_context("/?lang=en"):
        refresh()  # the test's app context outlives one request; production gets a fresh one per request
        assert (decimal2(0.1449), percent(0.5), percent1(0.0091)) == ("0.14", "50%", "0.9%")


# --- respondent pages: eight languages -----------------------------------------------------------------------------


def _switcher(page: str) -> dict[str, tuple[str, bool]]:
    """The language switcher's links: language -> (href, is the current one)."""
    nav = re.search(r'<nav class="langs".*?</nav>', page, re.S)
    assert nav, "the page has a language switcher"
    links = re.findall(r'<a href="([^"]*)" lang="(\w+)" hreflang="\2"( aria-current="true")?>', nav.group(0))
    return {language: (html.unescape(href), bool(current)) for href, language, current in links}


def test_a_polish_phone_gets_the_survey_in_polish(client, make_code) -> None:
    code = make_code()
    page = client.get(f"/t/{code.code}", headers={"User-Agent": IPHONE, "Accept-Language": "pl-PL,pl;q=0.9"})
    text = page.get_data(as_text=True)
    assert '<html lang="pl">' in text and "Wyślij" in text and "Send" not in text
    assert _switcher(text)["pl"] == ("?lang=pl", True)


def test_turkish_chosen_with_the_switch_is_remembered_by_a_cookie(client, make_code) -> None:
    code = make_code()
    headers = {"User-Agent": IPHONE, "Accept-Language": "de-DE,de;q=0.9"}
    chosen = client.get(f"/t/{code.code}?lang=tr", headers=headers)
    assert '<html lang="tr">' in chosen.get_data(as_text=True) and "Gönder" in chosen.get_data(as_text=True)
    cookie = chosen.headers["Set-Cookie"]
    assert cookie.startswith("lang=tr;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    later = client.get("/t", headers=headers).get_data(as_text=True)  # another respondent page, no ?lang=
    assert '<html lang="tr">' in later and "Kodunuzu girin" in later


def test_an_unknown_language_in_the_switch_is_ignored_on_respondent_pages(client, make_code) -> None:
    code = make_code()
    reply = client.get(f"/t/{code.code}?lang=xx", headers={"User-Agent": IPHONE, "Accept-Language": "nl"})
    assert '<html lang="nl">' in reply.get_data(as_text=True)
    assert "lang=" not in reply.headers.get("Set-Cookie", "")


def test_a_respondent_language_does_not_reach_the_dashboard(client, auth, make_user, make_workspace) -> None:
    user = make_user(locale="de")
    workspace = make_workspace(owner=user)
    auth.login(user)
    client.set_cookie("lang", "fr")  # chosen on a survey page earlier
    page = client.get(f"/w/{workspace.slug}/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="de"' in page and "Noch keine Kampagnen" in page
    reply = client.get(f"/w/{workspace.slug}/?lang=fr")
    assert "Noch keine Kampagnen" in reply.get_data(as_text=True) and "lang=" not in reply.headers.get("Set-Cookie", "")
    auth.logout()
    login = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,de;q=0.5"})  # de is the best it has
    assert 'lang="de"' in login.get_data(as_text=True)


@pytest.mark.app_config(SURVEY_MIN_FILL_SECONDS=0)  # the test answers at once
def test_the_switcher_offers_every_language_and_keeps_the_pages_query(client, make_code) -> None:
    code = make_code()
    phone = Respondent(client, {"Accept-Language": "es"})
    thanks = phone.answer(f"/t/{code.code}", **LOYALTY)
    links = _switcher(phone.open(thanks).get_data(as_text=True))
    assert set(links) == set(RESPONDENT_LANGUAGES) and [k for k, (_, current) in links.items() if current] == ["es"]
    for language, (href, _current) in links.items():
        parts = urlsplit(href)
        assert (parts.scheme, parts.netloc, parts.path) == ("", "", f"/t/{code.code}/thanks")
        assert dict(parse_qsl(parts.query)) == {"r": thanks.split("r=")[1], "lang": language}
        assert phone.open(href).status_code == 200  # the thank-you page again, in that language
    typed = _switcher(phone.open(f"/t/{code.code}?via=code&lang=it").get_data(as_text=True))
    assert typed["it"] == ("?via=code&lang=it", True) and typed["pl"] == ("?via=code&lang=pl", False)


def test_the_switcher_never_leads_to_another_site(client) -> None:
    for path in ("//evil.example/t/x", "/t/ABCD/go/x?next=https://evil.example", "/I/x/y?lang=//evil.example"):
        page = client.get(path, headers={"Accept-Language": "pl"}).get_data(as_text=True)
        links = _switcher(page)
        assert len(links) == len(RESPONDENT_LANGUAGES) and links["pl"][1]
        for href, _current in links.values():
            assert href.startswith("?") and "//evil" not in href.split("=", 1)[0], href


def test_a_survey_page_answering_a_post_offers_no_switch_that_would_start_afresh(client, make_code) -> None:
    code = make_code()
    phone = Respondent(client, {"Accept-Language": "pl"})
    held = phone.submit(f"/t/{code.code}", **LOYALTY)  # sent at once: the "take a moment" page, answering a POST
    page = held.get_data(as_text=True)
    assert held.status_code == 200 and '<html lang="pl">' in page and 'class="langs"' not in page
    assert 'class="langs"' in phone.open(f"/t/{code.code}").get_data(as_text=True)  # a GET page keeps it


def test_the_builders_preview_speaks_every_respondent_language_and_leaves_the_dashboard_alone(
    client, auth, make_user, make_workspace
) -> None:
    from feedback.extensions import db
    from feedback.surveys.services import create_survey

    owner = make_user(locale="de")
    workspace = make_workspace(owner=owner)
    survey = create_survey(workspace.id, "Vorschau", "nps-reason")
    db.session.commit()
    auth.login(owner)
    frame = client.get(f"/w/{workspace.slug}/surveys/{survey.id}/preview/frame?lang=fr")
    page = frame.get_data(as_text=True)
    assert frame.status_code == 200 and '<html lang="fr">' in page and "Quelle est la probabilité" in page
    assert "lang=" not in frame.headers.get("Set-Cookie", "")  # the dashboard stays German
    assert '<html lang="de">' in client.get(f"/w/{workspace.slug}/surveys/").get_data(as_text=True)


def test_a_landing_page_falls_back_to_the_workspaces_main_language(client, make_code) -> None:
    from feedback.extensions import db

    code = make_code(survey=None)
    touchpoint = code.touchpoint
    touchpoint.campaign.workspace.languages = "fr,en"
    touchpoint.headline_texts = {"de": "Hallo", "fr": "Bonjour"}
    touchpoint.cta_url, touchpoint.cta_label = "https://shop.example.com/", {"de": "Zum Laden", "fr": "Au magasin"}
    db.session.commit()
    page = client.get(f"/t/{code.code}", headers={"User-Agent": IPHONE, "Accept-Language": "pl"}).get_data(as_text=True)
    assert "Bonjour" in page and "Au magasin" in page and "Hallo" not in page
