"""Drivers of the NPS (docs/STATISTICS.md §1): ρ, its interval and p against SciPy on the raw pairs, option groups
against the rest, Holm, the order, too few answers, the turned CES scale, which responses count, and the same numbers
on the page, in the XLSX sheet, the ratings JSON and the API."""

from __future__ import annotations

import io
import json
import math

import pytest
from openpyxl import load_workbook
from scipy import stats as sps

from feedback.analysis import drivers as d
from feedback.analysis.driver_queries import campaign_drivers
from feedback.analysis.stats import Z95, compare_nps, holm, nps_from_counts
from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.surveys import services as survey_services
from feedback.surveys.models import Survey
from feedback.surveys.questions import Option, QuestionSpec, QuestionType
from feedback.texts import Texts

NPS = [0, 2, 3, 4, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 10, 3, 9, 5, 8]
COFFEE = [1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 5, 2, 4, 3, 4]  # rises with the NPS
EFFORT = [7, 6, 6, 5, 6, 5, 4, 4, 3, 3, 2, 2, 1, 1, 2, 1, 6, 2, 5, 3]  # CES 1.0: 1 = least effort, turned
PARKING = ["yes"] * 8 + ["no"] * 12


def _pairs(xs: list[int], ys: list[int]) -> dict[tuple[int, int], int]:
    pairs: dict[tuple[int, int], int] = {}
    for x, y in zip(xs, ys, strict=True):
        pairs[(x, y)] = pairs.get((x, y), 0) + 1
    return pairs


def test_rho_its_interval_and_p_match_scipy_on_the_raw_pairs() -> None:
    """ρ and p as spearmanr gives them; the interval is Fisher z with the Bonett–Wright SE."""
    found = d.correlate(d.ScaleQuestion("coffee", _pairs(COFFEE, NPS)))
    expected = sps.spearmanr(COFFEE, NPS)
    n = len(NPS)
    z, se = math.atanh(expected.statistic), math.sqrt((1 + expected.statistic**2 / 2) / (n - 3))
    assert found.n == n
    assert found.effect == pytest.approx(expected.statistic)
    assert found.p == pytest.approx(expected.pvalue)
    assert found.ci.low == pytest.approx(math.tanh(z - Z95 * se))
    assert found.ci.high == pytest.approx(math.tanh(z + Z95 * se))


def test_an_option_group_is_compared_with_the_rest_by_the_adjusted_wald_test() -> None:
    """A two-option question is tested once: its first option's group against the others."""
    pairs: dict[tuple[str, int], int] = {}
    for option, score in zip(PARKING * 2, NPS * 2, strict=True):
        pairs[(option, score)] = pairs.get((option, score), 0) + 1
    (found,) = d.differences(d.ChoiceQuestion("parking", ("yes", "no"), pairs))
    group = nps_from_counts({s: (NPS[:8] * 2).count(s) for s in set(NPS)})
    rest = nps_from_counts({s: (NPS[8:] * 2).count(s) for s in set(NPS)})
    expected = compare_nps(group, rest)
    assert (found.option, found.n, found.n_rest) == ("yes", 16, 24)
    assert found.effect == pytest.approx(group.nps - rest.nps)
    assert found.ci.low == pytest.approx(expected.ci.low) and found.p == pytest.approx(expected.p)


def test_every_test_of_the_campaign_is_one_holm_family_and_significant_ones_rank_first() -> None:
    """Holm over all tests; the strong correlation first, the unrelated one after it, too few not ranked."""
    noise = [3, 1, 4, 1, 5, 2, 2, 3, 5, 3, 5, 4, 1, 2, 4, 3, 1, 5, 2, 4]
    pairs: dict[tuple[str, int], int] = {}
    for option, score in zip(["yes"] * 10 + ["no"] * 10, NPS, strict=True):
        pairs[(option, score)] = pairs.get((option, score), 0) + 1
    found = d.drivers(
        [
            d.ScaleQuestion("noise", _pairs(noise, NPS)),
            d.ScaleQuestion("coffee", _pairs(COFFEE, NPS)),
            d.ScaleQuestion("few", _pairs(COFFEE[:9], NPS[:9])),
        ],
        [d.ChoiceQuestion("parking", ("yes", "no"), pairs)],
    )
    tested = [f for f in found if f.tested]
    raw = [sps.spearmanr(noise, NPS).pvalue, sps.spearmanr(COFFEE, NPS).pvalue]
    parking = compare_nps(
        nps_from_counts({s: NPS[:10].count(s) for s in set(NPS)}),
        nps_from_counts({s: NPS[10:].count(s) for s in set(NPS)}),
    )
    adjusted = dict(zip(["noise", "coffee", "parking"], holm([*raw, parking.p]), strict=True))
    assert {f.key: f.p_adjusted for f in tested} == pytest.approx(adjusted)
    # strength is how far each interval surely stays from 0 (an NPS difference in hundreds of points): coffee's ρ
    # interval stays further from 0 than the parking groups' wide difference does
    by_key = {f.key: f for f in tested}
    assert by_key["parking"].strength == pytest.approx(min(abs(parking.ci.low), abs(parking.ci.high)) / 100)
    assert by_key["coffee"].strength == pytest.approx(by_key["coffee"].ci.low)
    assert by_key["coffee"].strength > by_key["parking"].strength
    assert [f.key for f in tested] == ["coffee", "parking", "noise"]
    assert tested[0].verdict is d.Verdict.HIGHER and tested[1].verdict is d.Verdict.LOWER
    assert [f.rank for f in tested] == [1, 2, 3] and all(f.family == 3 for f in tested)
    noise_driver = next(f for f in found if f.key == "noise")
    assert noise_driver.verdict is d.Verdict.NO_CLEAR_RELATION
    assert found[-1].key == "few" and found[-1].verdict is d.Verdict.TOO_FEW and found[-1].rank is None


def test_too_few_answers_in_a_group_and_no_variation_are_not_tested() -> None:
    """9 in a group: too few; every scale answer the same: nothing to test."""
    pairs = {("a", 9): 9, ("b", 9): 20}
    (few,) = d.differences(d.ChoiceQuestion("q", ("a", "b"), pairs))
    flat = d.correlate(d.ScaleQuestion("flat", {(3, s): 2 for s in range(10)}))
    assert few.verdict is d.Verdict.TOO_FEW and few.p is None
    assert flat.verdict is d.Verdict.NO_VARIATION and flat.p is None


# --- from the database -------------------------------------------------------------------------------------------


@pytest.fixture
def surveyed(make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_response):
    """A café touchpoint asking NPS, a coffee rating, CES 1.0 (low = little effort) and a hostile yes/no question;
    20 counted responses, plus a flagged and an incomplete one that would reverse the relation."""
    owner = make_user(locale="en")
    campaign = make_campaign(workspace=make_workspace(owner=owner))
    cafe = with_survey(make_touchpoint(campaign, "Café"), "nps-reason")
    survey = db.session.get(Survey, cafe.survey_id)
    survey_services.add_question(survey, QuestionSpec("coffee", QuestionType.RATING, False, Texts.of(en="Coffee")))
    survey_services.add_question(
        survey, QuestionSpec("effort", QuestionType.CES, False, Texts.of(en="Effort"), higher_is_better=False)
    )
    yes_no = (Option("yes", Texts.of(en="Yes")), Option("no", Texts.of(en="No")))
    hostile = Texts.of(en='<script>alert("x")</script> Parking?')
    survey_services.add_question(
        survey, QuestionSpec("parking", QuestionType.SINGLE_CHOICE, False, hostile, options=yes_no)
    )
    db.session.commit()
    for score, coffee, effort, parking in zip(NPS, COFFEE, EFFORT, PARKING, strict=True):
        make_response(cafe, nps=score, coffee=coffee, effort=effort, parking=parking)
    for extra in ({"flagged": True}, {"completed": False}):
        for _ in range(5):
            make_response(cafe, nps=10, coffee=1, effort=7, parking="yes", **extra)
    return {"owner": owner, "campaign": campaign}


def test_the_service_counts_completed_unflagged_pairs_and_turns_a_low_is_good_scale(surveyed) -> None:
    """The same ρ as SciPy on the 20 counted pairs; effort turned (8 − r) so that less effort reads higher."""
    report = campaign_drivers(surveyed["campaign"])
    by_key = {f.key: f for f in report.drivers}
    assert report.has_nps
    assert by_key["coffee"].n == 20 and by_key["coffee"].effect == pytest.approx(sps.spearmanr(COFFEE, NPS).statistic)
    turned = [8 - e for e in EFFORT]
    assert by_key["effort"].effect == pytest.approx(sps.spearmanr(turned, NPS).statistic)
    assert by_key["effort"].effect > 0
    assert (by_key["parking"].n, by_key["parking"].n_rest) == (8, 12)
    assert by_key["parking"].verdict is d.Verdict.TOO_FEW


def test_a_second_nps_question_does_not_count_pairs_twice(
    make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_response  # noqa: ANN001
) -> None:
    """A survey that asks NPS twice: each response pairs with its first NPS answer, once."""
    campaign = make_campaign(workspace=make_workspace(owner=make_user()))
    cafe = with_survey(make_touchpoint(campaign, "Café"), "nps-reason")
    survey = db.session.get(Survey, cafe.survey_id)
    survey_services.add_question(survey, QuestionSpec("coffee", QuestionType.RATING, False, Texts.of(en="Coffee")))
    survey_services.add_question(survey, QuestionSpec("nps_again", QuestionType.NPS, False, Texts.of(en="Again?")))
    db.session.commit()
    for score, coffee in zip(NPS, COFFEE, strict=True):
        make_response(cafe, nps=score, coffee=coffee, nps_again=10 - score)
    coffee = {f.key: f for f in campaign_drivers(campaign).drivers}["coffee"]
    assert coffee.n == 20 and coffee.effect == pytest.approx(sps.spearmanr(COFFEE, NPS).statistic)


def test_the_same_drivers_on_the_page_in_the_xlsx_sheet_the_json_and_the_api(client, auth, surveyed) -> None:
    """Rank, ρ and p_holm the same everywhere; the page escapes the hostile question and shows the caveat."""
    auth.login(surveyed["owner"])
    campaign = surveyed["campaign"]
    base = f"/w/{campaign.workspace.slug}/campaigns/{campaign.id}/ratings"
    expected = {f.key: f for f in campaign_drivers(campaign).drivers}
    page = client.get(base + "?tab=drivers", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "association" in page and "not proof of cause" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert f"ρ = {expected['coffee'].effect:.2f}" in page
    book = load_workbook(io.BytesIO(client.get(base + ".xlsx").data))
    sheet = list(book["Drivers"].iter_rows(values_only=True))
    found = {"xlsx": [dict(zip(sheet[0], row, strict=True)) for row in sheet[1:]]}
    found["json"] = json.loads(client.get(base + ".json").get_data(as_text=True))["drivers"]
    _token, secret = api_services.create_token(campaign.workspace_id, "BI", Scope.READ, surveyed["owner"].id, utcnow())
    db.session.commit()
    api = client.get(f"/api/v1/campaigns/{campaign.id}/drivers", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    found["api"] = api.get_json()["drivers"]
    for output, rows in found.items():
        by_key = {(r["question_key"], r["option"]): r for r in rows}
        for key, driver in expected.items():
            row = by_key[(key, driver.option)]
            assert row["rank"] == driver.rank, output
            assert row["verdict"] == driver.verdict.value, output
            for field, value in (("effect", driver.effect), ("p_holm", driver.p_adjusted)):
                assert row[field] == (None if value is None else pytest.approx(value, rel=1e-5)), (output, key, field)
