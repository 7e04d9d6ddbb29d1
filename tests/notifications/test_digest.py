"""The weekly digest: two weeks of scans, answers and leads counted by hand, the numbers and verdicts the digest
draws from them, and the mail that shows them in German and English, on phones and desktops."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from scipy import stats as sps

from feedback.analysis.comparisons import Verdict
from feedback.analysis.ratings import Advice, Position
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.leads.models import Contact, Stage
from feedback.notifications.digest import DigestData, digest_data, render_digest, week_before, week_label
from tests.conftest import PUBLIC_BASE_URL

WEEK = date(2026, 3, 9)  # Monday; the week runs to Sunday 15 March (Berlin: UTC+1)
THIS = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
BEFORE = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script>"
UNSUBSCRIBE = f"{PUBLIC_BASE_URL}/notifications/unsubscribe/tok"

BOOTH_NOW = [10] * 14 + [8] * 4 + [3] * 2
FLYER_NOW = [9] * 2 + [7] * 3 + [2] * 10
POSTER_NOW = [9, 9, 5]
BOOTH_BEFORE = [10] * 4 + [8] * 2 + [4] * 2
FLYER_BEFORE = [9, 7, 1, 1, 1, 1]


def _nps(values: list[int]) -> float:
    promoters = sum(v >= 9 for v in values)
    detractors = sum(v <= 6 for v in values)
    return 100 * (promoters - detractors) / len(values)


def _adjusted_wald_p(a: list[int], b: list[int]) -> tuple[float, float]:
    """STATS.md §3 by hand: the adjusted-Wald difference in points and its two-sided p."""

    def adjusted(values: list[int]) -> tuple[float, float]:
        n = len(values) + 3
        p = (sum(v >= 9 for v in values) + 0.75) / n
        d = (sum(v <= 6 for v in values) + 0.75) / n
        return p - d, (p + d - (p - d) ** 2) / n

    (nps_a, var_a), (nps_b, var_b) = adjusted(a), adjusted(b)
    z = (nps_a - nps_b) / math.sqrt(var_a + var_b)
    return 100 * (nps_a - nps_b), 2 * sps.norm.sf(abs(z))


def _contact(touchpoint, created: datetime, stage: Stage = Stage.NEW, unconfirmed: bool = False) -> None:
    db.session.add(
        Contact(
            workspace_id=touchpoint.workspace_id,
            touchpoint_id=touchpoint.id,
            email=f"c{created.timestamp()}{stage}{unconfirmed}@example.com",
            consent_text="ok",
            consent_language="de",
            consented_at=utcnow(),
            created_at=created,
            stage=stage.value,
            unconfirmed=unconfirmed,
        )
    )
    db.session.commit()


@pytest.fixture
def seeded(make_workspace, make_campaign, make_touchpoint, with_survey, make_scans, make_response):
    """A campaign with a good booth, a poor flyer (hostile name), a poster with three answers and an empty page."""
    workspace = make_workspace(name="Rösterei")
    campaign = make_campaign(workspace=workspace, name=f"Frühjahr {HOSTILE}")
    booth = with_survey(make_touchpoint(campaign, "Messestand"))
    flyer = with_survey(make_touchpoint(campaign, f"Flyer {HOSTILE}"))
    poster = with_survey(make_touchpoint(campaign, "Plakat"))
    with_survey(make_touchpoint(campaign, "Website"))
    make_scans(booth, 30, when=THIS)
    make_scans(booth, 5, when=THIS, bot=True)
    make_scans(flyer, 25, when=THIS)
    make_scans(poster, 10, when=THIS)
    make_scans(booth, 20, when=BEFORE)
    make_scans(flyer, 15, when=BEFORE)
    # the week's edges in Berlin: Monday 00:30 and Sunday 23:30 are in, the next Monday 00:30 is not
    make_scans(booth, 1, when=datetime(2026, 3, 8, 23, 30, tzinfo=UTC))
    make_scans(booth, 1, when=datetime(2026, 3, 15, 22, 30, tzinfo=UTC))
    make_scans(booth, 1, when=datetime(2026, 3, 15, 23, 30, tzinfo=UTC))
    make_scans(booth, 1, when=datetime(2026, 3, 8, 22, 30, tzinfo=UTC))  # Sunday 23:30 of the week before
    for values, touchpoint, when in (
        (BOOTH_NOW, booth, THIS),
        (FLYER_NOW, flyer, THIS),
        (POSTER_NOW, poster, THIS),
        (BOOTH_BEFORE, booth, BEFORE),
        (FLYER_BEFORE, flyer, BEFORE),
    ):
        for i, value in enumerate(values):
            make_response(touchpoint, when=when + timedelta(minutes=i), nps=value)
    make_response(booth, when=THIS, completed=False)  # started, not completed
    for stage in (Stage.NEW, Stage.MARKETING_QUALIFIED, Stage.SALES_READY):
        _contact(booth, THIS, stage)
    _contact(flyer, THIS, unconfirmed=True)  # an address already held: not a new lead
    _contact(booth, BEFORE, Stage.SALES_READY)
    other = with_survey(make_touchpoint(make_campaign(workspace=workspace), "Elsewhere"))
    _contact(other, THIS)
    return {"campaign": campaign, "booth": booth, "flyer": flyer, "poster": poster}


@pytest.fixture
def data(seeded) -> DigestData:
    """The digest of the seeded week."""
    return digest_data(seeded["campaign"], WEEK)


def test_week_before_is_the_monday_of_the_last_complete_week() -> None:
    """Any day of a week points to the Monday of the week before it."""
    assert week_before(date(2026, 12, 7)) == date(2026, 11, 30)  # a Monday
    assert week_before(date(2026, 12, 13)) == date(2026, 11, 30)  # a Sunday
    assert week_before(date(2026, 1, 2)) == date(2025, 12, 22)


def test_counts_of_the_two_weeks_match_a_hand_count(data) -> None:
    """Scans without bots, local week edges, completions without the unfinished response, NPS with its n."""
    assert (data.first, data.last) == (date(2026, 3, 9), date(2026, 3, 15))
    assert data.scans == 30 + 25 + 10 + 2 and data.scans_before == 20 + 15 + 1
    assert data.completions == 38 and data.completions_before == 14
    now, before = BOOTH_NOW + FLYER_NOW + POSTER_NOW, BOOTH_BEFORE + FLYER_BEFORE
    assert data.nps.n == 38 and data.nps.nps == pytest.approx(_nps(now))  # 100 · (18 − 13) / 38
    assert data.nps_before.n == 14 and data.nps_before.nps == pytest.approx(_nps(before))
    assert data.nps.ci is not None and data.nps.ci.low < data.nps.nps < data.nps.ci.high


def test_the_week_over_week_test_is_the_adjusted_wald_z_test(data) -> None:
    """+20 points on 38 and 14 answers is not enough evidence (p ≈ 0.47)."""
    diff, p = _adjusted_wald_p(BOOTH_NOW + FLYER_NOW + POSTER_NOW, BOOTH_BEFORE + FLYER_BEFORE)
    change = data.change
    assert change is not None and (change.n_a, change.n_b) == (38, 14)
    assert change.effect == pytest.approx(data.nps.nps - data.nps_before.nps)
    assert change.centre == pytest.approx(diff) and change.p == pytest.approx(p) and p > 0.05
    assert change.verdict is Verdict.NOT_ENOUGH_EVIDENCE and change.family == 1


def test_top_and_bottom_are_ranked_touchpoints_never_both(data, seeded) -> None:
    """Two ranked touchpoints: one on top, one at the bottom; the poster (3 answers) is only counted as unranked."""
    assert [row.touchpoint.id for row in data.top] == [seeded["booth"].id]
    assert [row.touchpoint.id for row in data.bottom] == [seeded["flyer"].id]
    booth, flyer = data.top[0], data.bottom[0]
    assert (booth.rank, booth.summary.nps.n, booth.position) == (1, 20, Position.ABOVE)
    assert booth.summary.nps.nps == pytest.approx(_nps(BOOTH_NOW))
    assert (flyer.rank, flyer.summary.nps.n, flyer.position) == (2, 15, Position.BELOW)
    assert flyer.summary.nps.nps == pytest.approx(_nps(FLYER_NOW))
    assert data.unranked == 1


def test_new_leads_are_the_weeks_confirmed_contacts_of_the_campaign(data) -> None:
    """Three new contacts at the booth, one sales-ready; the unconfirmed one, last week's and another campaign's
    are left out."""
    assert (data.leads, data.leads_sales_ready) == (3, 1)


def test_advice_changes_when_its_kind_changes(data, seeded) -> None:
    """Booth and flyer are ranked now and were not a week ago; the poster still needs answers: no change."""
    changes = {change.touchpoint_id: change for change in data.advice_changes}
    assert set(changes) == {seeded["booth"].id, seeded["flyer"].id}
    booth, flyer = changes[seeded["booth"].id], changes[seeded["flyer"].id]
    assert booth.before.advice is Advice.MEASURE and booth.before.min_n == 8
    assert booth.after.advice is Advice.KEEP and booth.after.min_n == 28  # above, more visitors than the median
    assert flyer.before.advice is Advice.MEASURE and flyer.before.min_n == 6
    assert flyer.after.advice is Advice.CUT and flyer.after.min_n == 21  # below, fewer visitors


def test_a_week_without_nps_answers_has_no_comparison(seeded) -> None:
    """The week after the seeded one is empty: zeros, no test, no ranking, and the mail says so."""
    empty = digest_data(seeded["campaign"], WEEK + timedelta(days=14))
    assert (empty.scans, empty.completions, empty.nps.n, empty.change) == (0, 0, 0, None)
    assert empty.top == () and empty.bottom == () and empty.advice_changes == ()
    text = render_digest(empty, locale="en", unsubscribe_url=UNSUBSCRIBE).text
    assert "nothing to compare" in text and "enough answers this week to be ranked" in " ".join(text.split())


def test_too_few_answers_in_a_week_give_no_test(
    make_campaign, make_touchpoint, with_survey, make_scans, make_response
) -> None:
    """12 answers this week and 4 the week before: no test, and the mail says there are too few answers."""
    campaign = make_campaign()
    booth = with_survey(make_touchpoint(campaign, "Stand"))
    for value in [10] * 12:
        make_response(booth, when=THIS, nps=value)
    for value in [0] * 4:
        make_response(booth, when=BEFORE, nps=value)
    data = digest_data(campaign, WEEK)
    assert data.change is not None and data.change.verdict is Verdict.TOO_FEW and data.change.p_adjusted is None
    assert (data.nps.n, data.nps_before.n, data.nps.nps, data.nps_before.nps) == (12, 4, 100, -100)
    text = " ".join(render_digest(data, locale="en", unsubscribe_url=UNSUBSCRIBE).text.split())
    assert "too few answers for a test (12 and 4; at least 10 each needed)" in text
    assert "significant" not in text and "p =" not in text
    german = " ".join(render_digest(data, locale="de", unsubscribe_url=UNSUBSCRIBE).text.split())
    assert "zu wenige Antworten für einen Test (12 und 4; je mindestens 10 nötig)" in german


def test_a_week_starts_on_a_monday(seeded) -> None:
    """Another day is refused."""
    with pytest.raises(ValueError):
        digest_data(seeded["campaign"], WEEK + timedelta(days=1))


def test_week_labels_in_both_languages(app) -> None:
    """The subject's dates: abbreviated months, the year once, both years across New Year."""
    with force_locale("en"):
        assert week_label(date(2026, 11, 30), date(2026, 12, 6)) == "30 Nov to 6 Dec 2026"
    with force_locale("de"):
        assert week_label(date(2026, 11, 30), date(2026, 12, 6)) == "30. Nov. bis 6. Dez. 2026"
        assert week_label(date(2025, 12, 29), date(2026, 1, 4)) == "29. Dez. 2025 bis 4. Jan. 2026"


def _p_shown(p: float, comma: bool) -> str:
    shown = f"{math.floor(p * 1000) / 1000:.3f}"
    return shown.replace(".", ",") if comma else shown


def test_the_english_mail_shows_the_numbers(data, seeded) -> None:
    """Subject, counts, NPS with n and interval, the test's sentence, the lists, leads and advice; links absolute."""
    mail = render_digest(data, locale="en", unsubscribe_url=UNSUBSCRIBE, settings_url=f"{PUBLIC_BASE_URL}/settings")
    assert mail.subject == f"Weekly report: Frühjahr {HOSTILE} – 9 Mar to 15 Mar 2026"
    _, p = _adjusted_wald_p(BOOTH_NOW + FLYER_NOW + POSTER_NOW, BOOTH_BEFORE + FLYER_BEFORE)
    ws, campaign_id = seeded["campaign"].workspace.slug, seeded["campaign"].id
    ratings = f"{PUBLIC_BASE_URL}/w/{ws}/campaigns/{campaign_id}/ratings"
    for part in (" ".join(mail.text.split()), " ".join(mail.html.replace("&nbsp;", " ").split())):
        assert "Scans: 67" in part or ">67<" in part
        assert "n = 38" in part and "n = 14" in part
        assert "not enough evidence for a difference" in part and f"p = {_p_shown(p, False)}" in part
        assert "1 new lead" not in part and "3 new leads this week, 1 of them sales-ready now." in part
        assert "Messestand: keep" in part and "Messestand: measure longer – 8 answers so far" in part
        assert ratings in part and f"{ratings}/{seeded['booth'].id}" in part and UNSUBSCRIBE in part
        assert "Unsubscribe from these mails" in part
    assert "Scans: 67 (week before: 36)" in mail.text
    assert "Completed responses: 38 (week before: 14)" in mail.text
    assert "NPS of the week: 13 (95 % CI" in mail.text


def test_the_german_mail_uses_german_words_dates_and_decimal_commas(data) -> None:
    """German subject and labels; the p-value with a decimal comma."""
    mail = render_digest(data, locale="de", unsubscribe_url=UNSUBSCRIBE)
    assert mail.subject == f"Wochenbericht: Frühjahr {HOSTILE} – 9. März bis 15. März 2026"
    _, p = _adjusted_wald_p(BOOTH_NOW + FLYER_NOW + POSTER_NOW, BOOTH_BEFORE + FLYER_BEFORE)
    for part in (" ".join(mail.text.split()), " ".join(mail.html.replace("&nbsp;", " ").split())):
        assert f"p = {_p_shown(p, True)}" in part and "Diese E-Mails abbestellen" in part
        assert "3 neue Leads" in part
    assert "Scans: 67 (Vorwoche: 36)" in mail.text


def test_the_text_part_is_plain_and_short_lined(data) -> None:
    """No HTML escaping in the text part, and no line over 78 characters except links."""
    text = render_digest(data, locale="en", unsubscribe_url=UNSUBSCRIBE).text
    assert f"Flyer {HOSTILE}" in text and "&lt;" not in text
    long = [line for line in text.splitlines() if len(line) > 78 and "://" not in line]
    assert long == []


def test_the_html_part_escapes_names_and_loads_nothing(data) -> None:
    """Hostile names are escaped; no image, script, style sheet or foreign URL."""
    html = render_digest(data, locale="en", unsubscribe_url=UNSUBSCRIBE).html
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<(img|script|link|style|iframe|object)\b", html, re.IGNORECASE)
    assert "url(" not in html and "@import" not in html
    urls = re.findall(r"""(?:href|src)\s*=\s*["']([^"']*)""", html) + re.findall(r"https?://[^\s\"'<>]+", html)
    assert urls and all(url.startswith(PUBLIC_BASE_URL + "/") for url in urls)
