"""German and English: catalogue complete, respondents by Accept-Language with a switch, dashboard by user."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "feedback/translations/de/LC_MESSAGES/messages.po"
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
    method_map = [("feedback/**.py", "python"), ("templates/**.html", "jinja2")]
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


def test_compiled_catalogue_matches_the_po_file() -> None:
    def plain(value: object) -> object:  # read_mo gives a plural's forms as lists, read_po as tuples
        return tuple(value) if isinstance(value, list | tuple) else value

    with PO.open("rb") as f:
        po = {plain(m.id): plain(m.string) for m in read_po(f, locale="de") if m.id}
    with PO.with_suffix(".mo").open("rb") as f:
        mo = {plain(m.id): plain(m.string) for m in read_mo(f) if m.id}
    assert po == mo, "run: pybabel compile -d feedback/translations"


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
