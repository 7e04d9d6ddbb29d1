"""The open-text answers page, its CSV and the API: filters alone and combined, counts, paging, highlighting that
keeps hostile text inert, workspace scoping."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from markupsafe import Markup

from feedback.analysis.comments import CSV_COLUMNS, highlighted, like_escaped
from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import db
from tests.helpers import WHEN


@pytest.fixture
def seeded(make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_response):  # noqa: ANN201
    """A campaign with a booth and a flyer, answers in German and English, a flagged and a text-less response, and
    another workspace's campaign."""
    owner, viewer = make_user(), make_user()
    workspace = make_workspace("Rösterei", owner=owner, members={viewer: Role.VIEWER})
    campaign = make_campaign(workspace, "Frühling")
    booth = with_survey(make_touchpoint(campaign, "Messestand"))
    flyer = with_survey(make_touchpoint(campaign, "Flyer"))
    make_response(booth, nps=2, reason="Kaffee war kalt", when=WHEN)
    make_response(booth, nps=9, reason="Great COFFEE, friendly staff", language="en", when=WHEN + timedelta(days=1))
    make_response(flyer, nps=7, reason="100% okay_ish", when=WHEN + timedelta(days=2))
    make_response(flyer, nps=10, reason="=HYPERLINK(1)", when=WHEN + timedelta(days=3))
    make_response(flyer, nps=0, reason="<script>alert(1)</script> & <b>bold</b>", when=WHEN + timedelta(days=4))
    make_response(flyer, nps=1, reason="flagged coffee", flagged=True, when=WHEN + timedelta(days=5))
    make_response(flyer, nps=8, when=WHEN + timedelta(days=6))
    other = with_survey(make_touchpoint(make_campaign(make_workspace("Andere"), "Fremd"), "Fremdstand"))
    make_response(other, nps=3, reason="foreign coffee", when=WHEN)
    return {"owner": owner, "viewer": viewer, "workspace": workspace, "campaign": campaign, "booth": booth,
            "flyer": flyer, "other": other}  # fmt: skip


def _url(seeded: dict, suffix: str = "") -> str:
    return f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}/comments{suffix}"


def _page(client, seeded: dict, **query: object) -> str:  # noqa: ANN001
    response = client.get(_url(seeded), query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _csv(client, seeded: dict, **query: object) -> list[dict[str, str]]:  # noqa: ANN001
    response = client.get(_url(seeded, ".csv"), query_string=query)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _answers(rows: list[dict[str, str]]) -> list[str]:
    return [row["answer"] for row in rows]


ALL = ["<script>alert(1)</script> & <b>bold</b>", "'=HYPERLINK(1)", "100% okay_ish", "Great COFFEE, friendly staff",
       "Kaffee war kalt"]  # fmt: skip


def test_the_page_lists_the_counted_text_answers_newest_first(client, auth, seeded) -> None:
    auth.login(seeded["owner"])
    page = _page(client, seeded)
    assert "5 answers" in page
    assert page.index("HYPERLINK") < page.index("okay_ish") < page.index("Great COFFEE") < page.index("Kaffee")
    assert "flagged coffee" not in page and "foreign coffee" not in page
    assert "NPS 2 · detractor" in page and "NPS 9 · promoter" in page and "NPS 7 · passive" in page
    assert "Messestand" in page and "EN" in page
    assert _answers(_csv(client, seeded)) == ALL


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "coffee"}, ["Great COFFEE, friendly staff"]),
        ({"q": "KAFFEE"}, ["Kaffee war kalt"]),
        ({"q": "0%"}, ["100% okay_ish"]),
        ({"q": "%"}, ["100% okay_ish"]),
        ({"q": "y_i"}, ["100% okay_ish"]),
        ({"q": "_"}, ["100% okay_ish"]),
        ({"q": "<b"}, ["<script>alert(1)</script> & <b>bold</b>"]),
        ({"q": "&amp"}, []),
        ({"group": "detractors"}, ["<script>alert(1)</script> & <b>bold</b>", "Kaffee war kalt"]),
        ({"group": "passives"}, ["100% okay_ish"]),
        ({"group": "promoters"}, ["'=HYPERLINK(1)", "Great COFFEE, friendly staff"]),
        ({"language": "en"}, ["Great COFFEE, friendly staff"]),
        ({"from": (WHEN + timedelta(days=1)).date().isoformat(), "to": (WHEN + timedelta(days=2)).date().isoformat()},
         ["100% okay_ish", "Great COFFEE, friendly staff"]),
        ({"group": "promoters", "language": "de"}, ["'=HYPERLINK(1)"]),
        ({"q": "a", "group": "detractors", "language": "de"}, ["<script>alert(1)</script> & <b>bold</b>",
                                                              "Kaffee war kalt"]),
    ],
)  # fmt: skip
def test_each_filter_alone_and_combined(client, auth, seeded, query, expected) -> None:
    auth.login(seeded["owner"])
    assert _answers(_csv(client, seeded, **query)) == expected
    page = _page(client, seeded, **query)
    assert f"{len(expected)} answer" in page and "of 5" in page


def test_the_touchpoint_filter_takes_the_campaigns_touchpoints_and_ignores_others(client, auth, seeded) -> None:
    auth.login(seeded["owner"])
    booth, flyer, other = seeded["booth"].id, seeded["flyer"].id, seeded["other"].id
    assert _answers(_csv(client, seeded, touchpoint=booth)) == ["Great COFFEE, friendly staff", "Kaffee war kalt"]
    assert len(_csv(client, seeded, touchpoint=[booth, flyer])) == 5
    assert _answers(_csv(client, seeded, touchpoint=[booth, "abc"])) == _answers(_csv(client, seeded, touchpoint=booth))
    page = _page(client, seeded, touchpoint=other)
    assert "no such touchpoint" in page and "5 answers" in page and "foreign coffee" not in page


def test_hostile_or_unknown_values_fall_back_quietly(client, auth, seeded) -> None:
    auth.login(seeded["owner"])
    page = _page(client, seeded, group="haters", language="xx", **{"from": "2026-13-01"}, page="-3")
    assert "5 answers" in page
    assert "no such NPS group" in page and "no such language" in page and "is not a date" in page
    long = "coffee" + "x" * 500
    assert _page(client, seeded, q=long).count("answer") >= 1
    assert _answers(_csv(client, seeded, q="coff\x00ee")) == []


def test_matches_are_highlighted_and_hostile_text_stays_inert(client, auth, seeded) -> None:
    auth.login(seeded["owner"])
    page = _page(client, seeded, q="<b")
    assert "<script>alert(1)</script>" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; <mark>&lt;b</mark>&gt;bold&lt;/b&gt;" in page
    page = _page(client, seeded, q="coffee")
    assert "Great <mark>COFFEE</mark>, friendly staff" in page


def test_highlighting_escapes_first_and_marks_what_was_typed() -> None:
    assert highlighted("a <b>b</b>", "B") == Markup("a &lt;<mark>b</mark>&gt;<mark>b</mark>&lt;/<mark>b</mark>&gt;")
    assert highlighted("fish &amp; chips & co", "&amp") == Markup("fish <mark>&amp;amp</mark>; chips &amp; co")
    assert highlighted("<i>", "") == Markup("&lt;i&gt;")
    assert like_escaped(r"5%_\x") == r"5\%\_\\x"


def test_paging_shows_fifty_per_page(client, auth, seeded, make_response) -> None:
    for i in range(50):
        make_response(seeded["booth"], nps=5, reason=f"filler {i:02d}", when=WHEN - timedelta(hours=i + 1))
    auth.login(seeded["owner"])
    first = _page(client, seeded)
    assert "55 answers" in first and "Page 1 of 2" in first and "filler 44" in first and "filler 45" not in first
    second = _page(client, seeded, page=2)
    assert "filler 45" in second and "filler 49" in second and "Kaffee" not in second
    assert len(_csv(client, seeded)) == 55


def test_the_csv_has_stable_columns_neutralised_formulas_and_a_german_dialect(client, auth, seeded) -> None:
    auth.login(seeded["owner"])
    rows = _csv(client, seeded, group="promoters")
    assert list(rows[0]) == CSV_COLUMNS
    assert rows[0]["answer"] == "'=HYPERLINK(1)" and rows[0]["nps_group"] == "promoters"
    assert rows[0]["touchpoint"] == "Flyer" and rows[0]["question_key"] == "reason" and rows[0]["question"]
    german = client.get(_url(seeded, ".csv"), query_string={"dialect": "excel-de", "group": "promoters"})
    assert ";" in german.get_data(as_text=True).splitlines()[0]
    assert client.get(_url(seeded, ".csv"), query_string={"dialect": "lotus"}).status_code == 400


def test_another_workspaces_campaign_is_not_found(client, auth, seeded) -> None:
    auth.login(seeded["owner"])
    foreign = seeded["other"].campaign_id
    slug = seeded["workspace"].slug
    assert client.get(f"/w/{slug}/campaigns/{foreign}/comments").status_code == 404
    assert client.get(f"/w/{slug}/campaigns/{foreign}/comments.csv").status_code == 404


def test_a_viewer_can_read_the_comments(client, auth, seeded) -> None:
    auth.login(seeded["viewer"])
    assert "5 answers" in _page(client, seeded)


def test_the_ratings_and_touchpoint_pages_link_to_the_comments(client, auth, seeded) -> None:
    auth.login(seeded["owner"])
    base = f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}"
    assert f"{base}/comments" in client.get(f"{base}/ratings").get_data(as_text=True)
    page = client.get(f"{base}/ratings/{seeded['booth'].id}").get_data(as_text=True)
    assert f"{base}/comments?touchpoint={seeded['booth'].id}" in page


def test_the_api_returns_the_same_answers(client, seeded) -> None:
    _token, secret = api_services.create_token(seeded["workspace"].id, "BI", Scope.READ, None, utcnow())
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/campaigns/{seeded['campaign'].id}/comments"
    body = client.get(url, headers=headers).get_json()
    assert [item["answer"] for item in body["items"]] == [a.removeprefix("'") for a in ALL]
    assert body["matching"] == body["total"] == 5 and body["pages"] == 1
    body = client.get(url, headers=headers, query_string={"q": "coffee", "touchpoint": seeded["booth"].id}).get_json()
    assert [(i["answer"], i["nps"], i["nps_group"], i["language"]) for i in body["items"]] == [
        ("Great COFFEE, friendly staff", 9, "promoters", "en")
    ]
    assert body["matching"] == 1 and body["total"] == 5
    paged = client.get(url, headers=headers, query_string={"limit": 2, "page": 3}).get_json()
    assert [i["answer"] for i in paged["items"]] == ["Kaffee war kalt"] and paged["pages"] == 3
    assert client.get(url, headers=headers, query_string={"touchpoint": seeded["other"].id}).status_code == 422
    assert client.get(url, headers=headers, query_string={"group": "haters"}).status_code == 422
    foreign = f"/api/v1/campaigns/{seeded['other'].campaign_id}/comments"
    assert client.get(foreign, headers=headers).status_code == 404


def test_a_search_finds_umlauts_whatever_their_case(
    app, client, auth, make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_response
) -> None:  # noqa: ANN001
    owner = make_user()
    workspace = make_workspace("Laden", owner=owner)
    campaign = make_campaign(workspace=workspace, name="Winter")
    touchpoint = with_survey(make_touchpoint(campaign=campaign, name="Kasse"), "nps-reason")
    make_response(touchpoint, nps=2, reason="Überhaupt nicht gut, ÄRGERLICH")
    make_response(touchpoint, nps=9, reason="Alles prima")
    auth.login(owner)
    for search in ("über", "ärgerlich", "Ärger", "ÜBERHAUPT"):
        page = client.get(f"/w/{workspace.slug}/campaigns/{campaign.id}/comments", query_string={"q": search})
        assert page.status_code == 200
        assert "<mark>" in page.get_data(as_text=True), search
        assert "Alles prima" not in page.get_data(as_text=True)
