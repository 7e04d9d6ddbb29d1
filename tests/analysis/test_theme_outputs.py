"""The themes in every output: the fields of the theme catalogue, the same numbers on the comments page, through the
API, in the XLSX sheet "Themes" and in the ratings JSON (one campaign and all campaigns), the marketer's edits
applied in each, and user text that looks like a formula neutralised in the workbook."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from babel.numbers import format_percent
from openpyxl import load_workbook

from feedback.analysis import sentences, theme_edits
from feedback.analysis.comments import CommentFilters
from feedback.analysis.theme_catalogue import THEME_FIELDS, THEME_HEADER, theme_documents, theme_rows
from feedback.analysis.themes import Comment, themes
from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import db
from tests.helpers import WHEN

FORMULA = '=HYPERLINK("http://evil.example","parking")'
ANSWERS = [
    ("Espresso was cold", 2),
    ("Cold espresso again", 1),
    ("My espresso arrived cold", 3),
    ("The staff were friendly", 9),
    ("Friendly staff and espresso", 10),
    ("Very friendly staff", 9),
    ("Friendly staff, great music", 10),
    ("Nice music, good music", 10),
    ("Music too loud", 4),
    (f"{FORMULA} parking was terrible", 0),
    (f"{FORMULA} parking was terrible", 1),
    (f"{FORMULA} parking was terrible", 9),
]


@pytest.fixture
def seeded(make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_response):  # noqa: ANN201
    """Two campaigns of one workspace with English answers; the first one's themes renamed, hidden and merged."""
    owner = make_user()
    workspace = make_workspace("Rösterei", owner=owner, members={make_user(): Role.VIEWER})
    campaign = make_campaign(workspace, "Frühling")
    booth = with_survey(make_touchpoint(campaign, "Messestand"))
    for day, (text, nps) in enumerate(ANSWERS):
        make_response(booth, nps=nps, reason=text, language="en", when=WHEN + timedelta(days=day))
    second = make_campaign(workspace, "Herbst")
    stand = with_survey(make_touchpoint(second, "Stand"))
    for text in ("Long queue at the door", "Long queue again", "The queue was long", "Queue!"):
        make_response(stand, nps=3, reason=text, language="en", when=WHEN)
    known = theme_edits.campaign_themes(campaign, CommentFilters()).keys
    now = utcnow()
    theme_edits.rename_theme(campaign, "espresso", "=SUM(1+1)", known, owner.id, now)
    theme_edits.hide_theme(campaign, "friendly staff", known, owner.id, now)
    theme_edits.merge_theme(campaign, "cold", "espresso", known, owner.id, now)
    db.session.commit()
    return {"owner": owner, "workspace": workspace, "campaign": campaign, "second": second}


def _percent(value: float) -> str:
    return format_percent(value, locale="en")


def _page_row(page: str, label: str) -> str:
    row = page[page.index(f">{label}</a>") :]
    return row[: row.index("</tr>")]


def _sheet(data: bytes) -> list[dict[str, object]]:
    rows = list(load_workbook(io.BytesIO(data))["Themes"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _api(client, seeded: dict) -> list[dict[str, object]]:  # noqa: ANN001
    _token, secret = api_services.create_token(seeded["workspace"].id, "BI", Scope.READ, None, utcnow())
    db.session.commit()
    url = f"/api/v1/campaigns/{seeded['campaign'].id}/themes"
    response = client.get(url, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    return response.get_json()["items"]


def test_each_field_has_one_key_a_label_and_a_meaning() -> None:
    assert len(THEME_HEADER) == len(set(THEME_HEADER))
    assert all(str(f.label) and str(f.help) for f in THEME_FIELDS)


def test_the_rows_hold_what_themes_computes() -> None:
    """Count, share and its interval, the groups, the difference with its interval, p and Holm's p, the family."""
    comments = [Comment(i, text, "en", "detractors" if nps <= 6 else "promoters") for i, (text, nps) in
                enumerate(ANSWERS)]  # fmt: skip
    found = themes(comments)
    rows = theme_documents(theme_rows(found, len(comments)))
    assert [r["key"] for r in rows] == [t.key for t in found]
    for theme, row in zip(found, rows, strict=True):
        assert row["answers"] == len(ANSWERS) and row["count"] == theme.count
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((theme.share.ci.low, theme.share.ci.high), abs=1e-6)
        assert (row["detractors_count"], row["detractors_n"]) == (theme.detractors.k, theme.detractors.n)
        assert row["p_adjusted"] == pytest.approx(theme.p_adjusted, rel=1e-5)
        assert row["p"] == pytest.approx(theme.test.p, rel=1e-5) and row["test"] == theme.test.test
        assert row["difference"] == pytest.approx(theme.detractors.share - theme.promoters.share, abs=1e-6)
        assert row["difference_low"] <= row["difference"] <= row["difference_high"]
        assert row["family"] == sum(t.p_adjusted is not None for t in found)
        assert row["quote_1"] == theme.quotes[0]


def test_the_same_themes_on_the_page_through_the_api_in_the_xlsx_and_the_json(app, client, auth, seeded) -> None:
    """Count, share, interval ends and p are the same numbers everywhere, with the marketer's edits applied."""
    auth.login(seeded["owner"])
    campaign = seeded["campaign"]
    expected = theme_edits.campaign_themes(campaign, CommentFilters())
    keys = [t.key for t in expected.themes]
    assert "espresso" in keys and "cold" not in keys and "friendly staff" not in keys
    base = f"/w/{seeded['workspace'].slug}/campaigns/{campaign.id}"
    everyone = f"/w/{seeded['workspace'].slug}/ratings"
    outputs = {
        "xlsx": _sheet(client.get(base + "/ratings.xlsx").data),
        "json": json.loads(client.get(base + "/ratings.json").get_data(as_text=True))["themes"],
        "api": _api(client, seeded),
        "xlsx_all": [r for r in _sheet(client.get(everyone + ".xlsx").data) if r["campaign"] == campaign.slug],
        "json_all": next(
            part["themes"]
            for part in json.loads(client.get(everyone + ".json").get_data(as_text=True))["campaigns"]
            if part["campaign"]["id"] == campaign.id
        ),
    }
    for output, rows in outputs.items():
        assert [r["key"] for r in rows] == keys, output
        for theme, row in zip(expected.themes, rows, strict=True):
            assert row["count"] == theme.count and row["answers"] == expected.answers, output
            for field, value in (
                ("share", theme.share.share),
                ("ci_low", theme.share.ci.low),
                ("ci_high", theme.share.ci.high),
                ("p_adjusted", theme.p_adjusted),
                ("p", theme.test.p if theme.test and not theme.test.no_variation else None),
            ):
                assert row[field] == (None if value is None else pytest.approx(value, rel=1e-5, abs=1e-6)), (
                    output, theme.key, field)  # fmt: skip
        for field in ("count", "share", "ci_low", "ci_high", "p", "p_adjusted", "detractors_share", "difference"):
            assert [r[field] for r in rows] == [r[field] for r in outputs["json"]], (output, field)
    espresso = outputs["api"][keys.index("espresso")]
    assert espresso["label"] == outputs["json"][keys.index("espresso")]["label"] == "=SUM(1+1)"
    page = client.get(base + "/comments", headers={"Accept-Language": "en"}).get_data(as_text=True)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        for theme, row in zip(expected.themes, outputs["json"], strict=True):
            cells = _page_row(page, theme.label)
            assert f">{row['count']}<" in cells
            assert f"{_percent(row['share'])} <span class=\"ci\">({_percent(row['ci_low'])}–" in cells
            assert f"–{_percent(row['ci_high'])})</span>" in cells
            assert f">{sentences.p_value(row['p_adjusted'])}<" in cells


def test_user_text_that_looks_like_a_formula_is_neutralised_in_the_workbook(client, auth, seeded) -> None:
    auth.login(seeded["owner"])
    base = f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}"
    rows = {r["key"]: r for r in _sheet(client.get(base + "/ratings.xlsx").data)}
    assert rows["espresso"]["label"] == "'=SUM(1+1)"
    assert rows["terrible"]["quote_1"] == f"'{FORMULA} parking was terrible"
    assert isinstance(rows["terrible"]["count"], int) and rows["terrible"]["count"] == 3
    document = json.loads(client.get(base + "/ratings.json").get_data(as_text=True))
    terrible = next(t for t in document["themes"] if t["key"] == "terrible")
    assert terrible["quote_1"] == f"{FORMULA} parking was terrible"  # JSON is data: kept as written
    columns = [row[0].value for row in load_workbook(io.BytesIO(client.get(base + "/ratings.xlsx").data))["Columns"]]
    assert "Themes" in columns
