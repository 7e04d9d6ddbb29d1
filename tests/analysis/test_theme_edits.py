"""The themes on the open-text answers page and through the API: counts and shares, filters, the marketer's
rename / hide / merge / undo through the page's forms, refused input, roles, workspaces and escaping."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback.analysis.models import ThemeEdit
from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import db
from tests.conftest import PASSWORD
from tests.helpers import WHEN, csrf_token_from

ANSWERS = [
    ("Espresso was cold", 2),
    ("Cold espresso again", 1),
    ("My espresso arrived cold", 3),
    ("The staff were friendly", 9),
    ("Friendly staff and espresso", 10),
    ("Very friendly staff", 9),
    ("Nice music", 10),
    ("Parking terrible", 0),
]


@pytest.fixture
def seeded(make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_response):  # noqa: ANN201
    """A campaign with eight English answers at a booth, one German answer at a flyer, and another workspace."""
    owner, viewer = make_user(), make_user()
    workspace = make_workspace("Rösterei", owner=owner, members={viewer: Role.VIEWER})
    campaign = make_campaign(workspace, "Frühling")
    booth = with_survey(make_touchpoint(campaign, "Messestand"))
    flyer = with_survey(make_touchpoint(campaign, "Flyer"))
    for day, (text, nps) in enumerate(ANSWERS):
        make_response(booth, nps=nps, reason=text, language="en", when=WHEN + timedelta(days=day))
    make_response(flyer, nps=5, reason="Espresso kalt", when=WHEN)
    other = with_survey(make_touchpoint(make_campaign(make_workspace("Andere"), "Fremd"), "Fremdstand"))
    return {"owner": owner, "viewer": viewer, "workspace": workspace, "campaign": campaign, "booth": booth,
            "flyer": flyer, "other": other}  # fmt: skip


def _url(seeded: dict, suffix: str = "comments") -> str:
    return f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}/{suffix}"


def _page(client, seeded: dict, **query: object) -> str:  # noqa: ANN001
    response = client.get(_url(seeded), query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _themes_section(page: str) -> str:
    return page[page.index('id="themes-heading"') : page.index('id="answers-heading"')]


def _row(section: str, label: str) -> str:
    """The table row of the theme with this label."""
    row = section[section.index(f">{label}</a>") :]
    return row[: row.index("</tr>")]


def _edit(client, seeded: dict, query: dict | None = None, **data: str):  # noqa: ANN001, ANN202
    return client.post(_url(seeded, "themes"), query_string=query or {}, data=data)


def _edits() -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return [(e.key, e.action, e.value) for e in db.session.scalars(sa.select(ThemeEdit).order_by(ThemeEdit.key))]


def test_the_themes_show_count_share_interval_and_groups(client, auth, seeded) -> None:
    auth.login(seeded["owner"])
    themes = _themes_section(_page(client, seeded, language="en"))
    assert "in 8 answers of this selection" in themes
    cells = _row(themes, "espresso")
    assert ">4<" in cells and "50% <span class=\"ci\">(22%–78%)</span>" in cells
    assert ">75%<" in cells and ">25%<" in cells  # detractors' share against promoters'
    assert "My espresso arrived cold" in cells and "more frequent among detractors" not in themes
    assert themes.index(">espresso</a>") < themes.index(">cold</a>") < themes.index(">friendly</a>")
    assert "music" not in themes  # named once only


def test_filters_narrow_the_themes(client, auth, seeded) -> None:
    auth.login(seeded["owner"])
    promoters = _themes_section(_page(client, seeded, group="promoters", language="en"))
    assert ">friendly</a>" in promoters and ">cold</a>" not in promoters
    flyer = _themes_section(_page(client, seeded, touchpoint=seeded["flyer"].id))
    assert "Too few answers" in flyer and "<table" not in flyer
    later = _themes_section(_page(client, seeded, **{"from": (WHEN + timedelta(days=3)).date().isoformat()}))
    assert ">cold</a>" not in later and ">friendly</a>" in later


def test_a_theme_named_mostly_by_detractors_gets_the_badge(client, auth, make_response, seeded) -> None:
    for _ in range(10):
        make_response(seeded["booth"], nps=1, reason="Queue far too slow", language="en")
        make_response(seeded["booth"], nps=10, reason="Lovely garden seats", language="en")
    auth.login(seeded["owner"])
    themes = _themes_section(_page(client, seeded))
    assert "more frequent among detractors" in _row(themes, "slow")
    assert "more frequent among detractors" not in _row(themes, "Lovely garden")


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_rename_hide_merge_and_undo_through_the_forms_with_csrf(client, seeded) -> None:
    login = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": csrf_token_from(login), "email": seeded["owner"].email,
                                "password": PASSWORD})  # fmt: skip
    keep = {"language": "en", "group": ""}
    token = csrf_token_from(_page(client, seeded, **keep))
    assert _edit(client, seeded, action="hide", key="cold").status_code == 400  # no token: refused
    assert _edits() == []
    renamed = _edit(client, seeded, keep, csrf_token=token, action="rename", key="espresso", name="  Espresso  ")
    assert renamed.status_code == 302 and renamed.location.endswith(_url(seeded) + "?language=en")
    _edit(client, seeded, csrf_token=token, action="hide", key="cold")
    _edit(client, seeded, csrf_token=token, action="merge", key="staff", into="friendly")
    assert _edits() == [("cold", "hide", ""), ("espresso", "rename", "Espresso"), ("staff", "merge", "friendly")]
    themes = _themes_section(_page(client, seeded, language="en"))
    table = themes[: themes.index("</table>")]
    assert ">Espresso</a>" in table and ">friendly</a>" in table
    assert ">cold</a>" not in table and ">staff</a>" not in table
    assert "“cold” is hidden" in themes and "“staff” is merged into “friendly”" in themes
    undone = _edit(client, seeded, {"language": "en"}, csrf_token=token, action="undo", key="cold")
    assert undone.status_code == 302 and "language=en" in undone.location
    assert [e[0] for e in _edits()] == ["espresso", "staff"]
    assert ">cold</a>" in _themes_section(_page(client, seeded, language="en"))


def test_merging_into_a_merged_theme_goes_to_its_target_and_never_into_itself(client, auth, seeded) -> None:
    auth.login(seeded["owner"])
    _edit(client, seeded, action="merge", key="staff", into="friendly")
    _edit(client, seeded, action="merge", key="cold", into="espresso")
    assert _edits() == [("cold", "merge", "espresso"), ("staff", "merge", "friendly")]
    refused = client.post(_url(seeded, "themes"), data={"action": "merge", "key": "espresso", "into": "espresso"},
                          follow_redirects=True)  # fmt: skip
    assert "cannot be merged into itself" in refused.get_data(as_text=True)
    assert _edits() == [("cold", "merge", "espresso"), ("staff", "merge", "friendly")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "rename", "key": "espresso", "name": "   "}, "name of 1 to 60 characters"),
        ({"action": "rename", "key": "espresso", "name": "x" * 61}, "name of 1 to 60 characters"),
        ({"action": "rename", "key": "nonsense", "name": "New"}, "no such theme"),
        ({"action": "hide", "key": "music"}, "no such theme"),
        ({"action": "merge", "key": "espresso", "into": "unknown"}, "no such theme"),
        ({"action": "merge", "key": "espresso", "into": "espresso"}, "merged into itself"),
        ({"action": "undo", "key": "espresso"}, "no such theme"),
        ({"action": "delete", "key": "espresso"}, "could not be changed"),
        ({"action": "hide", "key": ""}, "could not be changed"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_changes(client, auth, seeded, data, message) -> None:
    auth.login(seeded["owner"])
    refused = client.post(_url(seeded, "themes"), data=data, follow_redirects=True)
    assert refused.status_code == 200 and message in refused.get_data(as_text=True)
    assert _edits() == []


def test_the_error_is_in_the_users_language(client, auth, make_user, seeded) -> None:
    auth.login(seeded["owner"])
    seeded["owner"].locale = "de"
    db.session.commit()
    refused = client.post(_url(seeded, "themes"), data={"action": "hide", "key": "nonsense"}, follow_redirects=True)
    assert "Dieses Thema gibt es in diesen Antworten nicht" in refused.get_data(as_text=True)


def test_viewers_see_the_themes_without_forms_and_cannot_post(client, auth, seeded) -> None:
    auth.login(seeded["viewer"])
    themes = _themes_section(_page(client, seeded))
    assert ">espresso</a>" in themes and "<form" not in themes
    assert _edit(client, seeded, action="hide", key="espresso").status_code == 403
    assert _edits() == []


def test_another_workspace_cannot_see_or_edit_the_themes(client, auth, make_user, make_workspace, seeded) -> None:
    stranger = make_user()
    make_workspace("Eigene", owner=stranger)
    auth.login(stranger)
    assert _edit(client, seeded, action="hide", key="espresso").status_code == 404
    foreign = f"/w/{seeded['workspace'].slug}/campaigns/{seeded['other'].campaign_id}/themes"
    auth.login(seeded["owner"])
    assert client.post(foreign, data={"action": "hide", "key": "espresso"}).status_code == 404
    assert _edits() == []


def test_hostile_names_and_quotes_are_escaped(client, auth, make_response, seeded) -> None:
    for _ in range(3):
        make_response(seeded["booth"], nps=4, reason="<script>alert(1)</script> espresso", language="en")
    auth.login(seeded["owner"])
    _edit(client, seeded, action="rename", key="espresso", name='<img src=x onerror="alert(2)">')
    themes = _themes_section(_page(client, seeded))
    assert "<script>alert(1)" not in themes and "&lt;script&gt;alert(1)&lt;/script&gt;" in themes
    assert "<img src=x" not in themes and "&lt;img src=x onerror=" in themes


def test_long_quotes_are_cut_on_screen(client, auth, make_response, seeded) -> None:
    long = "espresso " + "wonderful " * 40
    for _ in range(3):
        make_response(seeded["booth"], nps=9, reason=long, language="en")
    auth.login(seeded["owner"])
    themes = _themes_section(_page(client, seeded))
    assert long.strip() not in themes and "wonderful wonderful…</q>" in themes


def test_the_api_returns_the_same_numbers_as_the_page(client, auth, seeded) -> None:
    auth.login(seeded["owner"])
    _edit(client, seeded, action="rename", key="espresso", name="Espresso drinks")
    _token, secret = api_services.create_token(seeded["workspace"].id, "BI", Scope.READ, None, utcnow())
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/campaigns/{seeded['campaign'].id}/themes"
    body = client.get(url, query_string={"language": "en"}, headers=headers).get_json()
    assert body["answers"] == 8 and body["capped"] is False
    first = body["items"][0]
    assert (first["key"], first["label"], first["count"], first["share"]) == ("espresso", "Espresso drinks", 4, 0.5)
    assert round(first["ci_low"], 2) == 0.22 and round(first["ci_high"], 2) == 0.78
    assert (first["detractors_share"], first["promoters_share"]) == (0.75, 0.25)
    assert first["more_among_detractors"] is False and "My espresso arrived cold" in first["quotes"]
    page = _themes_section(_page(client, seeded, language="en"))
    for theme in body["items"]:
        assert f">{theme['label']}</a>" in page and f">{theme['count']}<" in _row(page, theme['label'])
    promoters = client.get(url, query_string={"group": "promoters", "language": "en"}, headers=headers).get_json()
    assert {t["key"] for t in promoters["items"]} == {"friendly", "staff"} or "cold" not in {
        t["key"] for t in promoters["items"]
    }
    foreign = f"/api/v1/campaigns/{seeded['other'].campaign_id}/themes"
    assert client.get(foreign, headers=headers).status_code == 404
    assert client.get(url, query_string={"language": "xx"}, headers=headers).status_code == 422
