"""Periods and campaigns side by side (docs/STATISTICS.md §3): the days each side covers, every difference, interval
and p against an independent computation on the raw answers (the formulas of STATS.md and SciPy), Holm over the
rows, the sentences in English and German, the weekly trend, bad input, and the same numbers on the page, in the
XLSX sheets and through the API."""

from __future__ import annotations

import io
import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import refresh
from markupsafe import escape
from openpyxl import load_workbook
from scipy import stats as sps

from feedback.analysis import periods, sentences
from feedback.analysis.comparisons import Comparison, Verdict
from feedback.analysis.period_catalogue import PERIOD_HEADER, TREND_HEADER, period_rows
from feedback.analysis.period_queries import campaign_comparison, campaign_trend, comparison, period_comparison
from feedback.analysis.periods import Against, Days, Group
from feedback.analysis.services import DateRange
from feedback.analysis.summaries import GroupCounts
from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.surveys import services as survey_services
from feedback.surveys.models import Survey
from feedback.surveys.questions import QuestionSpec, QuestionType
from feedback.texts import Texts
from feedback.touchpoints.models import Channel, Phase

Z = sps.norm.ppf(0.975)

# --- hand-built histories: raw answers of two periods ------------------------------------------------------------

BOOTH_NOW = [10] * 22 + [8] * 10 + [3] * 8  # 40 answers, NPS 35
BOOTH_BEFORE = [9] * 12 + [7] * 12 + [5] * 16  # 40 answers, NPS −10
FLYER_NOW = [10] * 9 + [8] * 6 + [2] * 5  # 20 answers, NPS 20
FLYER_BEFORE = [9] * 8 + [7] * 7 + [4] * 7  # 22 answers, NPS ≈ 4.5
POSTER_NOW = [10, 9, 3, 8, 10]  # too few
POSTER_BEFORE = [6, 7, 9, 10, 10, 9, 2, 8, 9, 10, 10]
SAT_NOW = [5] * 14 + [4] * 10 + [2] * 6 + [1] * 4  # CSAT top-2-box 24/34
SAT_BEFORE = [5] * 6 + [4] * 8 + [3] * 10 + [2] * 8  # 14/32
EASE_NOW = [7, 7, 6, 6, 6, 5, 5, 5, 4, 7, 6, 6, 3, 7]  # CES 1–7, 7 = easiest
EASE_BEFORE = [4, 5, 3, 4, 6, 2, 5, 4, 3, 4, 5, 6]


def _counts(nps: list[int], sat: list[int] = (), ease: list[int] = (), scans: int = 0) -> GroupCounts:
    answers = {QuestionType.NPS: dict(Counter(nps))}
    if sat:
        answers[QuestionType.CSAT] = dict(Counter(sat))
    if ease:
        answers[QuestionType.CES] = dict(Counter(ease))
    return GroupCounts(scans=scans, visitors=scans, starts=len(nps), completions=len(nps), answers=answers)


def adjusted_wald(a: list[int], b: list[int]) -> tuple[float, float, float, float, float]:
    """STATS.md §3 written out on the raw answers: (raw difference, adjusted centre, low, high, p)."""

    def parts(xs: list[int]) -> tuple[float, float]:
        n = len(xs) + 3
        p = (sum(x >= 9 for x in xs) + 0.75) / n
        d = (sum(x <= 6 for x in xs) + 0.75) / n
        return p - d, (p + d - (p - d) ** 2) / n

    def raw(xs: list[int]) -> float:
        return 100 * (sum(x >= 9 for x in xs) - sum(x <= 6 for x in xs)) / len(xs)

    (ca, va), (cb, vb) = parts(a), parts(b)
    se = math.sqrt(va + vb)
    centre = ca - cb
    p = 2 * sps.norm.sf(abs(centre / se))
    return raw(a) - raw(b), 100 * centre, 100 * (centre - Z * se), 100 * (centre + Z * se), p


def holm(ps: list[float]) -> list[float]:
    """Holm by its definition (STATS.md §7), in input order."""
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    adjusted, running = [0.0] * len(ps), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        adjusted[i] = running
    return adjusted


def _found() -> periods.PeriodComparison:
    groups = [
        Group("1", "Booth", _counts(BOOTH_NOW, SAT_NOW, EASE_NOW), _counts(BOOTH_BEFORE, SAT_BEFORE, EASE_BEFORE)),
        Group("2", "Flyer", _counts(FLYER_NOW), _counts(FLYER_BEFORE)),
        Group("3", "Poster", _counts(POSTER_NOW), _counts(POSTER_BEFORE)),
    ]
    now = _counts(BOOTH_NOW + FLYER_NOW + POSTER_NOW, SAT_NOW, EASE_NOW)
    before = _counts(BOOTH_BEFORE + FLYER_BEFORE + POSTER_BEFORE, SAT_BEFORE, EASE_BEFORE)
    return periods.compare(Against.PREVIOUS, Group(periods.TOTAL, "Spring", now, before), groups)


# --- days ---------------------------------------------------------------------------------------------------------


def test_the_previous_period_is_as_long_and_ends_the_day_before() -> None:
    assert periods.previous(Days(date(2026, 3, 1), date(2026, 3, 28))) == Days(date(2026, 2, 1), date(2026, 2, 28))
    assert periods.previous(Days(date(2026, 3, 5), date(2026, 3, 5))) == Days(date(2026, 3, 4), date(2026, 3, 4))


def test_last_year_keeps_the_dates_and_29_february_becomes_the_28th() -> None:
    assert periods.last_year(Days(date(2026, 3, 1), date(2026, 3, 28))) == Days(date(2025, 3, 1), date(2025, 3, 28))
    assert periods.last_year(Days(date(2024, 2, 1), date(2024, 2, 29))) == Days(date(2023, 2, 1), date(2023, 2, 28))
    assert periods.year_earlier(date(2028, 2, 29)) == date(2027, 2, 28)


def test_without_chosen_days_the_last_28_complete_days_count_and_reversed_days_are_refused() -> None:
    assert periods.default_days(date(2026, 3, 29)) == Days(date(2026, 3, 1), date(2026, 3, 28))
    with pytest.raises(ValueError):
        Days(date(2026, 3, 2), date(2026, 3, 1))


# --- tests against the raw answers ------------------------------------------------------------------------------


def test_every_nps_difference_interval_and_p_matches_the_formula_on_the_raw_answers() -> None:
    """The total is a single test; the touchpoints with 10 answers a side are one Holm family; fewer: too few."""
    found = _found()
    total, booth, flyer, poster = found.lines
    expected_total = adjusted_wald(BOOTH_NOW + FLYER_NOW + POSTER_NOW, BOOTH_BEFORE + FLYER_BEFORE + POSTER_BEFORE)
    result = total.result(Comparison.NPS)
    assert (result.effect, result.centre, result.ci.low, result.ci.high, result.p) == pytest.approx(expected_total)
    assert result.p_adjusted == pytest.approx(result.p) and result.family == 1
    rows = [adjusted_wald(BOOTH_NOW, BOOTH_BEFORE), adjusted_wald(FLYER_NOW, FLYER_BEFORE)]
    adjusted = holm([rows[0][4], rows[1][4]])
    for line, expected, p_holm in zip((booth, flyer), rows, adjusted, strict=True):
        result = line.result(Comparison.NPS)
        assert (result.effect, result.centre, result.ci.low, result.ci.high, result.p) == pytest.approx(expected)
        assert result.p_adjusted == pytest.approx(p_holm) and result.family == 2
    assert booth.result(Comparison.NPS).verdict is Verdict.HIGHER
    assert flyer.result(Comparison.NPS).verdict is Verdict.NOT_ENOUGH_EVIDENCE
    too_few = poster.result(Comparison.NPS)
    assert too_few.verdict is Verdict.TOO_FEW and (too_few.n_a, too_few.n_b) == (5, 11) and too_few.p is None


def test_the_csat_share_is_tested_by_chi2_and_the_effort_by_mann_whitney_on_the_raw_answers() -> None:
    booth = _found().lines[1]
    csat = booth.result(Comparison.CSAT)
    table = [[sum(x >= 4 for x in SAT_NOW), sum(x < 4 for x in SAT_NOW)]]
    table.append([sum(x >= 4 for x in SAT_BEFORE), sum(x < 4 for x in SAT_BEFORE)])
    chi2 = sps.chi2_contingency(table, correction=False)
    assert chi2.expected_freq.min() >= 5 and csat.method == "chi2"
    assert csat.p == pytest.approx(chi2.pvalue)
    assert csat.effect == pytest.approx(24 / 34 - 14 / 32)
    assert csat.ci.low < csat.effect < csat.ci.high
    ces = booth.result(Comparison.CES)
    mwu = sps.mannwhitneyu(EASE_NOW, EASE_BEFORE, alternative="two-sided", method="asymptotic")
    assert ces.p == pytest.approx(mwu.pvalue)
    assert ces.effect == pytest.approx(mwu.statistic / (len(EASE_NOW) * len(EASE_BEFORE)))
    assert booth.result(Comparison.LOYALTY) is None  # never asked


def test_a_metric_answered_on_one_side_only_is_too_few_not_missing() -> None:
    found = periods.compare(
        Against.PREVIOUS, Group(periods.TOTAL, "x", _counts(BOOTH_NOW, SAT_NOW), _counts(BOOTH_BEFORE)), []
    )
    result = found.lines[0].result(Comparison.CSAT)
    assert result.verdict is Verdict.TOO_FEW and (result.n_a, result.n_b) == (34, 0)


# --- sentences ----------------------------------------------------------------------------------------------------


def _sentences(app, language: str) -> list[str]:  # noqa: ANN001
    with app.test_request_context(f"/?lang={language}"):
        refresh()
        found = _found()
        say = sentences.period_sentence(found, "Spring")
        return [say(line.result(Comparison.NPS), line) for line in found.lines]


def test_sentences_say_rose_with_the_interval_or_not_enough_evidence_or_too_few(app) -> None:  # noqa: ANN001
    total, booth, flyer, poster = _sentences(app, "en")
    assert booth.startswith("NPS of Booth rose from −10 to 35: +45 points (95 % CI ")
    assert "significant after adjustment, p" in booth and "after adjustment" in booth
    assert total.startswith("NPS of Spring went from 3 to 31: +28 points (95 % CI ")
    assert "not enough evidence of a change (p = 0.050)" in total  # a single test: no "after adjustment"
    assert "not enough evidence of a change" in flyer and "rose" not in flyer
    assert poster == (
        "NPS of Poster: too few answers to compare (5 in this period, 11 in the previous period; at least 10 each "
        "needed)."
    )


def test_sentences_in_german(app) -> None:  # noqa: ANN001
    total, booth, flyer, poster = _sentences(app, "de")
    assert booth.startswith("NPS von Booth stieg von −10 auf 35: +45 Punkte (95-%-KI ")
    assert "nicht genug Belege für eine Veränderung" in flyer
    assert "zu wenige Antworten" in poster


def test_quoted_values_get_a_decimal_when_their_rounding_would_not_add_up_to_the_difference(app) -> None:  # noqa: ANN001
    now = [10] * 8 + [8] * 6 + [3]  # 15 answers: NPS 46.67 (47 whole)
    before = [10] * 6 + [8] * 8 + [3]  # 15 answers: NPS 33.33 (33 whole); the difference 13.33 reads "+13"
    found = periods.compare(Against.PREVIOUS, Group(periods.TOTAL, "x", _counts(now), _counts(before)), [])
    for language, quoted in (("en", "from 33.3 to 46.7: +13 points"), ("de", "von 33,3 auf 46,7: +13 Punkte")):
        with app.test_request_context(f"/?lang={language}"):
            refresh()
            text = sentences.period_sentence(found, "Spring")(found.lines[0].result(Comparison.NPS), found.lines[0])
        assert quoted in text, text
    # whole values stay whole where they add up
    total, booth, _flyer, _poster = _sentences(app, "en")
    assert "from −10 to 35: +45 points" in booth and "from 3 to 31: +28 points" in total


def test_a_campaign_comparison_says_higher_in_a_than_in_b(app) -> None:  # noqa: ANN001
    with app.test_request_context("/?lang=en"):
        refresh()
        found = periods.compare(
            Against.CAMPAIGN,
            Group(periods.TOTAL, "the whole campaign", _counts(BOOTH_NOW), _counts(BOOTH_BEFORE)),
            [],
            other=(7, "Spring 2025"),
        )
        text = sentences.period_sentence(found, "Spring 2026")(found.lines[0].result(Comparison.NPS), found.lines[0])
    assert text.startswith("NPS of the whole campaign is higher in Spring 2026 than in Spring 2025 (35 against −10)")


# --- from the database ---------------------------------------------------------------------------------------------


def _at(day: date, i: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC) + timedelta(minutes=i)


@pytest.fixture
def history(make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_response):  # noqa: ANN001,ANN201
    """Spring 2026 (booth and two flyers of one channel and phase, a poster) and Spring 2025 (booth, a flyer,
    a radio spot); answers in March 2026, February 2026 and March 2025."""
    owner = make_user(locale="en")
    workspace = make_workspace(owner=owner)
    spring = make_campaign(workspace=workspace, name="Spring 2026")
    last = make_campaign(workspace=workspace, name="Spring 2025")
    booth = with_survey(make_touchpoint(spring, "Booth", channel=Channel.TRADE_FAIR, phase=Phase.CONSIDERATION))
    survey = db.session.get(Survey, booth.survey_id)
    survey_services.add_question(survey, QuestionSpec("sat", QuestionType.CSAT, False, Texts.of(en="Satisfied?")))
    db.session.commit()
    flyer_a = with_survey(make_touchpoint(spring, "Flyer A"))
    flyer_b = with_survey(make_touchpoint(spring, "Flyer B"))
    poster = with_survey(make_touchpoint(spring, "<b>Poster</b>", channel=Channel.POSTER))
    old_booth = with_survey(make_touchpoint(last, "Booth 2025", channel=Channel.TRADE_FAIR, phase=Phase.CONSIDERATION))
    old_flyer = with_survey(make_touchpoint(last, "Flyer 2025"))
    with_survey(make_touchpoint(last, "Radio", channel=Channel.TV_RADIO))
    march, february, march_last = date(2026, 3, 3), date(2026, 2, 10), date(2025, 3, 12)
    for i, (score, sat) in enumerate(zip(BOOTH_NOW, SAT_NOW + [5] * 6, strict=True)):
        make_response(booth, nps=score, sat=sat, when=_at(march + timedelta(days=i % 20), i))
    for i, (score, sat) in enumerate(zip(BOOTH_BEFORE, SAT_BEFORE + [3] * 8, strict=True)):
        make_response(booth, nps=score, sat=sat, when=_at(february, i))
    for i, score in enumerate(FLYER_NOW):
        make_response(flyer_a if i % 2 else flyer_b, nps=score, when=_at(march, i))
    for i, score in enumerate(FLYER_BEFORE):
        make_response(flyer_a, nps=score, when=_at(march_last, i))
    for i, score in enumerate(POSTER_NOW):
        make_response(poster, nps=score, when=_at(march, i))
    for i, score in enumerate(BOOTH_BEFORE):
        make_response(old_booth, nps=score, when=_at(march_last, i))
    for i, score in enumerate(FLYER_BEFORE):
        make_response(old_flyer, nps=score, when=_at(march_last, i))
    return {"owner": owner, "spring": spring, "last": last, "booth": booth, "workspace": workspace}


MARCH = DateRange(date(2026, 3, 1), date(2026, 3, 28))


def test_the_previous_period_counts_what_the_database_holds_per_touchpoint(history) -> None:  # noqa: ANN001
    found = period_comparison(history["spring"], MARCH, Against.PREVIOUS)
    assert (found.a_days, found.b_days) == (
        (date(2026, 3, 1), date(2026, 3, 28)),
        (date(2026, 2, 1), date(2026, 2, 28)),
    )
    by_label = {line.label: line for line in found.lines}
    booth = by_label["Booth"].result(Comparison.NPS)
    assert (booth.n_a, booth.n_b) == (40, 40)
    assert (booth.effect, booth.centre, booth.ci.low, booth.ci.high) == pytest.approx(
        adjusted_wald(BOOTH_NOW, BOOTH_BEFORE)[:4]
    )
    assert by_label["Flyer A"].result(Comparison.NPS).n_b == 0
    total = by_label["Spring 2026"].result(Comparison.NPS)
    assert (total.n_a, total.n_b) == (65, 40)


def test_last_year_takes_the_same_dates_a_year_earlier(history) -> None:  # noqa: ANN001
    found = period_comparison(history["spring"], MARCH, Against.LAST_YEAR)
    assert found.b_days == (date(2025, 3, 1), date(2025, 3, 28))
    flyer = {line.label: line for line in found.lines}["Flyer A"].result(Comparison.NPS)
    assert (flyer.n_a, flyer.n_b) == (10, 22)


def test_campaigns_match_by_channel_and_phase_pool_shared_ones_and_list_the_rest(history) -> None:  # noqa: ANN001
    found = campaign_comparison(history["spring"], history["last"].id, MARCH)  # the other over all its days
    labels = [line.label for line in found.lines]
    assert len(labels) == 3  # the total, then in journey order: flyer · awareness, trade fair · consideration
    flyers = found.lines[1]
    assert flyers.names_a == ("Flyer A", "Flyer B") and flyers.names_b == ("Flyer 2025",) and flyers.pooled
    result = flyers.result(Comparison.NPS)
    assert (result.n_a, result.n_b) == (20, 22)
    assert (result.effect, result.centre, result.ci.low, result.ci.high, result.p) == pytest.approx(
        adjusted_wald(FLYER_NOW, FLYER_BEFORE)
    )
    booth = found.lines[2].result(Comparison.NPS)
    assert result.p_adjusted == pytest.approx(holm([result.p, booth.p])[0])
    assert found.only_a == ("<b>Poster</b>",) and found.only_b == ("Radio",)


def test_another_campaign_must_be_named_be_another_and_be_in_the_workspace(
    history,
    make_campaign,
    make_workspace,
    make_user,  # noqa: ANN001
) -> None:
    from feedback.errors import DomainError, NotFound

    foreign = make_campaign(workspace=make_workspace(owner=make_user()), name="Foreign")
    with pytest.raises(DomainError):
        comparison(history["spring"], Against.CAMPAIGN)
    with pytest.raises(DomainError):
        campaign_comparison(history["spring"], history["spring"].id)
    with pytest.raises(NotFound):
        campaign_comparison(history["spring"], foreign.id)


def test_the_trend_has_a_week_per_iso_week_with_intervals_and_marks_thin_weeks(history) -> None:  # noqa: ANN001
    weeks = campaign_trend(history["spring"], MARCH)
    assert [w.label for w in weeks] == ["2026-W10", "2026-W11", "2026-W12"]
    assert not any(w.partial for w in weeks) and weeks[0].start == date(2026, 3, 2)
    assert [w.nps.n for w in weeks] == [12 + 20 + 5, 14, 14]  # the booth: 2 a day from 3 March; flyers, poster
    cut = campaign_trend(history["spring"], DateRange(date(2026, 3, 4), date(2026, 3, 28)))
    assert cut[0].partial and cut[0].start == date(2026, 3, 2)
    for week in weeks:
        assert week.enough == (week.nps.n >= 10)
        if week.nps.n:
            assert week.nps.ci.low <= week.nps.nps_adj <= week.nps.ci.high


# --- outputs ------------------------------------------------------------------------------------------------------


def _api(client, history, path: str):  # noqa: ANN001,ANN202
    _token, secret = api_services.create_token(history["workspace"].id, "BI", Scope.READ, history["owner"].id, utcnow())
    db.session.commit()
    return client.get(path, headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})


def test_the_same_numbers_on_the_page_in_the_xlsx_sheets_and_through_the_api(client, auth, history) -> None:  # noqa: ANN001
    auth.login(history["owner"])
    spring = history["spring"]
    query = "from=2026-03-01&to=2026-03-28"
    base = f"/w/{spring.workspace.slug}/campaigns/{spring.id}"
    page = client.get(f"{base}/periods?{query}&against=previous", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "&lt;b&gt;Poster&lt;/b&gt;" in html and "<b>Poster</b>" not in html
    book = load_workbook(io.BytesIO(client.get(f"{base}/ratings.xlsx?{query}").data))
    sheet = list(book["Periods"].iter_rows(values_only=True))
    assert list(sheet[0]) == PERIOD_HEADER
    xlsx = [dict(zip(sheet[0], row, strict=True)) for row in sheet[1:] if row[0] == "previous"]
    api = _api(client, history, f"/api/v1/campaigns/{spring.id}/comparison?{query}&against=previous")
    assert api.status_code == 200
    rows = api.get_json()["rows"]
    with client.application.test_request_context("/?lang=en"):
        refresh()
        found = period_comparison(spring, MARCH, Against.PREVIOUS)
        expected = [
            dict(zip(PERIOD_HEADER, r, strict=True))
            for r in period_rows(found, sentences.period_sentence(found, spring.name))
        ]
    assert len(expected) == len(rows) == len(xlsx) > 5
    for want, got_api, got_xlsx in zip(expected, rows, xlsx, strict=True):
        for key in (
            "row",
            "metric",
            "value_a",
            "value_b",
            "n_a",
            "n_b",
            "effect",
            "effect_low",
            "effect_high",
            "p_holm",
            "verdict",
            "sentence",
        ):
            assert got_api[key] == want[key] == got_xlsx[key], key
        assert str(escape(want["sentence"])) in html
    trend = list(book["Trend"].iter_rows(values_only=True))
    assert list(trend[0]) == TREND_HEADER
    weeks = _api(client, history, f"/api/v1/campaigns/{spring.id}/trend?{query}").get_json()["weeks"]
    assert [w["nps"] for w in weeks] == [row[3] for row in trend[1:]]
    assert [w["nps_low"] for w in weeks] == [row[4] for row in trend[1:]]
    assert "Weekly NPS and completion rate" in html and "<svg" in html


def test_bad_input_is_refused_and_changes_nothing(
    client, auth, history, make_campaign, make_workspace, make_user
) -> None:  # noqa: ANN001
    auth.login(history["owner"])
    spring = history["spring"]
    foreign = make_campaign(workspace=make_workspace(owner=make_user()), name="Foreign secret")
    base = f"/w/{spring.workspace.slug}/campaigns/{spring.id}/periods"
    page = client.get(f"{base}?against=campaign&other={foreign.id}", headers={"Accept-Language": "en"})
    assert page.status_code == 404 and "Foreign secret" not in page.get_data(as_text=True)
    assert client.get(f"{base}?against=sideways").status_code == 400
    assert client.get(f"{base}?against=campaign").status_code == 400
    reversed_days = client.get(f"{base}?from=2026-03-10&to=2026-03-01", headers={"Accept-Language": "en"})
    assert "The start date lies after the end date." in reversed_days.get_data(as_text=True)
    api = f"/api/v1/campaigns/{spring.id}/comparison"
    assert _api(client, history, f"{api}?against=campaign&campaign_id={foreign.id}").status_code == 404
    assert _api(client, history, f"{api}?against=sideways").status_code == 422
    assert _api(client, history, f"{api}?from=2026-03-10&to=2026-03-01").status_code == 422  # the API's 400s
    assert _api(client, history, f"{api}?against=campaign").status_code == 422
    assert _api(client, history, f"/api/v1/campaigns/{foreign.id}/trend").status_code == 404
