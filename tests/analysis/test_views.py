"""Ratings pages, downloads and commands on a seeded campaign: numbers as SciPy computes them, files that open."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader
from scipy import stats as sps

from feedback.analysis.services import DateRange, campaign_ratings
from feedback.extensions import db
from feedback.touchpoints.models import Channel, Phase
from tests.helpers import WHEN

BOOTH_NPS = [10] * 12 + [9] * 6 + [8] * 5 + [5] * 4
FLYER_NPS = [9] * 3 + [7] * 6 + [4] * 8 + [2] * 5
HOSTILE = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def seeded(make_user, make_workspace, make_campaign, make_touchpoint, with_survey, make_scans, make_response):
    """A campaign with a well-rated booth, a poorly rated flyer with a hostile name, and an empty poster."""
    owner = make_user(locale="en")
    workspace = make_workspace(owner=owner, name="Rösterei")
    campaign = make_campaign(workspace=workspace, name="Frühjahr")
    booth = with_survey(
        make_touchpoint(campaign, "Messestand", Channel.TRADE_FAIR, Phase.AWARENESS, Decimal("900"), 2000)
    )
    flyer = with_survey(make_touchpoint(campaign, HOSTILE, Channel.FLYER, Phase.CONSIDERATION, Decimal("300"), 5000))
    poster = with_survey(make_touchpoint(campaign, "Plakat", Channel.POSTER, Phase.AWARENESS))
    make_scans(booth, 40, visitors=30)
    make_scans(booth, 5, bot=True)
    make_scans(flyer, 25)
    for i, value in enumerate(BOOTH_NPS):
        extra = {"reason": f"Booth reason {i} <b>bold</b>"} if i in (0, 25) else {}
        make_response(booth, when=WHEN + timedelta(hours=i), nps=value, **extra)
    make_response(booth, flagged=True, nps=0)
    make_response(booth, completed=False, nps=10)
    for value in FLYER_NPS:
        make_response(flyer, nps=value)
    make_response(flyer, nps=3, reason="<script>alert(1)</script>")
    return {
        "owner": owner,
        "workspace": workspace,
        "campaign": campaign,
        "booth": booth,
        "flyer": flyer,
        "poster": poster,
    }


def _nps(values: list[int]) -> float:
    s = np.where(np.array(values) >= 9, 1, np.where(np.array(values) <= 6, -1, 0))
    return 100 * s.mean()


def test_ratings_count_people_not_bots_or_flagged_responses(seeded) -> None:
    """Scans exclude bots; NPS includes the partial response's answer and excludes the flagged one."""
    result = campaign_ratings(seeded["campaign"])
    rows = {row.touchpoint.id: row for row in result.rows}
    booth = rows[seeded["booth"].id]
    assert booth.touchpoint.counts.scans == 40 and booth.touchpoint.counts.visitors == 30
    assert booth.summary.counts.starts == len(BOOTH_NPS) + 1 and booth.summary.counts.completions == len(BOOTH_NPS)
    assert booth.summary.nps.nps == pytest.approx(_nps(BOOTH_NPS + [10]))
    flyer = rows[seeded["flyer"].id]
    assert flyer.summary.nps.nps == pytest.approx(_nps(FLYER_NPS + [3]))
    assert booth.rank == 1 and flyer.rank == 2
    assert rows[seeded["poster"].id].summary.nps.n == 0 and rows[seeded["poster"].id].rank is None
    assert booth.cost_per_scan == Decimal("22.50")


def test_the_ratings_page_shows_ranking_charts_and_sentences(client, auth, seeded) -> None:
    """The tabs render every section with escaped names and the n = 0 touchpoint as 'no data'."""
    auth.login(seeded["owner"])
    base = f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}/ratings"
    pages = [client.get(base + tab) for tab in ("", "?tab=touchpoints", "?tab=journey")]
    assert [page.status_code for page in pages] == [200, 200, 200]
    html = "".join(page.get_data(as_text=True) for page in pages)
    for heading in (
        "Ranking",
        "NPS answers per touchpoint",
        "Customer journey",
        "Funnel",
        "Touchpoint matrix",
        "Weekly trend",
        "By channel",
        "Where the budget should go",
    ):
        assert heading in html
    assert f"<strong>{round(_nps(BOOTH_NPS + [10]))}</strong>" in html
    assert "<title>Touchpoint ranking</title>" in html and "<desc>" in html
    assert HOSTILE not in html and "=HYPERLINK(&#34;http://evil.example&#34;" in html
    assert "no data" in html
    assert "Plakat: measure longer" in html


def test_a_period_limits_every_number(client, auth, seeded) -> None:
    """A range after all activity shows empty numbers; a reversed range is explained and ignored."""
    auth.login(seeded["owner"])
    base = f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}/ratings"
    later = client.get(base + "?from=2026-06-01&to=2026-06-30").get_data(as_text=True)
    assert "No answers in this period yet" in later
    reversed_ = client.get(base + "?from=2026-06-30&to=2026-06-01")
    assert reversed_.status_code == 200
    assert "The start date lies after the end date." in reversed_.get_data(as_text=True)
    assert "Showing all time instead." in reversed_.get_data(as_text=True)
    assert client.get(base + ".csv?from=2026-06-30&to=2026-06-01").status_code == 400
    assert client.get(base + ".csv?from=banana").status_code == 400
    result = campaign_ratings(seeded["campaign"], DateRange(WHEN.date(), WHEN.date()))
    booth = next(r for r in result.rows if r.touchpoint.id == seeded["booth"].id)
    assert booth.summary.nps.n == 11 + 1  # hours 0–10 end before midnight in Berlin (23:00 UTC), plus the partial


def test_xlsx_has_typed_numbers_formats_and_six_sheets(client, auth, seeded) -> None:
    """openpyxl reads numbers back as numbers, with % formats, a frozen header and neutralised formulas."""
    auth.login(seeded["owner"])
    response = client.get(f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}/ratings.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "Ratings", "Comparisons", "Choice questions", "Drivers", "Themes", "Periods", "Trend", "Columns"
    ]
    sheet = book["Ratings"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, [c for c in row], strict=True)) for row in sheet.iter_rows(min_row=2)]
    booth = next(r for r in rows if r["touchpoint"].value == "Messestand")
    assert isinstance(booth["scans"].value, int) and booth["scans"].value == 40
    assert booth["nps"].value == pytest.approx(_nps(BOOTH_NPS + [10]), abs=1e-6)
    assert booth["promoters_share"].number_format == "0.0%"
    assert booth["cost_per_scan"].value == 22.5 and "€" in booth["cost_per_scan"].number_format
    flyer = next(r for r in rows if r["touchpoint"].value.endswith('"click")'))
    assert flyer["touchpoint"].value == "'" + HOSTILE and flyer["touchpoint"].data_type == "s"
    comparisons = list(book["Comparisons"].iter_rows(min_row=2, values_only=True))
    assert any(row[2] == "nps" and row[9] is not None for row in comparisons)
    assert [c.value for c in book["Columns"]["A"]][1:4] == ["rank", "touchpoint_id", "touchpoint"]


def test_csv_and_json_match_the_ratings(client, auth, seeded) -> None:
    """CSV with BOM and the contract's header; JSON with the same numbers and no NaN."""
    auth.login(seeded["owner"])
    base = f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}/ratings"
    text = client.get(base + ".csv").get_data(as_text=True)
    assert text.startswith("\ufeffrank,touchpoint_id,touchpoint,channel,phase,rating,")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {r["touchpoint"] for r in rows} == {"Messestand", "'" + HOSTILE, "Plakat"}
    document = json.loads(client.get(base + ".json").get_data(as_text=True))
    booth = next(t for t in document["touchpoints"] if t["touchpoint"] == "Messestand")
    assert booth["nps"] == pytest.approx(_nps(BOOTH_NPS + [10]), abs=1e-5)
    assert booth["nps_n"] == len(BOOTH_NPS) + 1
    poster = next(t for t in document["touchpoints"] if t["touchpoint"] == "Plakat")
    assert poster["nps"] is None and poster["sample_flag"] == "no_data"
    assert document["period"] == {"from": None, "to": None, "timezone": "Europe/Berlin"}
    assert client.get(base + ".exe").status_code == 404


def test_raw_responses_have_one_column_per_question_key(client, auth, seeded) -> None:
    """Flagged responses are included and marked; free text is neutralised and kept."""
    auth.login(seeded["owner"])
    base = f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}/responses"
    rows = list(csv.DictReader(io.StringIO(client.get(base + ".csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == len(BOOTH_NPS) + 2 + len(FLYER_NPS) + 1
    assert set(rows[0]) >= {"response_id", "touchpoint", "code", "completed", "flags", "nps", "reason"}
    assert sum(1 for r in rows if r["flags"] == "too_fast") == 1
    assert any(r["reason"] == "<script>alert(1)</script>" for r in rows)
    book = load_workbook(io.BytesIO(client.get(base + ".xlsx").data))
    values = list(book.active.iter_rows(values_only=True))
    header = values[0]
    assert isinstance(values[1][header.index("nps")], int)


def test_summary_pdf_is_one_page(client, auth, seeded) -> None:
    """The management summary fits on one A4 page and names the campaign and its best touchpoint."""
    auth.login(seeded["owner"])
    response = client.get(f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}/summary.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Frühjahr" in text and "Messestand" in text and "keep" in text


def test_touchpoint_page_lists_free_text_escaped_and_filtered(client, auth, seeded) -> None:
    """Newest first; the detractor filter shows only detractors' answers; text is escaped."""
    auth.login(seeded["owner"])
    ws, campaign = seeded["workspace"].slug, seeded["campaign"].id
    html = client.get(f"/w/{ws}/campaigns/{campaign}/ratings/{seeded['booth'].id}").get_data(as_text=True)
    assert html.index("Booth reason 25") < html.index("Booth reason 0")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert "Compared with the rest of the campaign" in html and "higher NPS" in html
    detractors = client.get(f"/w/{ws}/campaigns/{campaign}/ratings/{seeded['booth'].id}?group=detractors")
    text = detractors.get_data(as_text=True)
    assert "Booth reason 25" in text and "Booth reason 0" not in text  # 25th answer is a 5, the first a 10
    flyer = client.get(f"/w/{ws}/campaigns/{campaign}/ratings/{seeded['flyer'].id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in flyer and "<script>alert(1)" not in flyer


def test_compare_page_states_results_and_refuses_nonsense(client, auth, seeded, make_campaign, make_touchpoint) -> None:
    """A vs B in a sentence with Holm; the same touchpoint twice, foreign ids and bad benchmarks are refused."""
    auth.login(seeded["owner"])
    base = f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}/compare"
    booth, flyer = seeded["booth"].id, seeded["flyer"].id
    html = client.get(f"{base}?a={booth}&b={flyer}&benchmark=20").get_data(as_text=True)
    assert "Messestand has a higher NPS than" in html
    assert "Holm-adjusted" in html and "the benchmark (20)" in html
    same = client.get(f"{base}?a={booth}&b={booth}").get_data(as_text=True)
    assert "same touchpoint twice" in same
    other = make_touchpoint(make_campaign(workspace=seeded["workspace"]), "Elsewhere")
    assert "Choose two of the listed groups of this campaign." in client.get(f"{base}?a={booth}&b={other.id}").get_data(
        as_text=True
    )
    assert "benchmark NPS between" in client.get(f"{base}?a={booth}&benchmark=500").get_data(as_text=True)
    assert "Choose two of the listed groups" in client.get(f"{base}?a=abc").get_data(as_text=True)
    channels = client.get(f"{base}?kind=channel&a=trade_fair&b=flyer").get_data(as_text=True)
    assert "has a higher NPS than" in channels
    codes = client.get(f"{base}?kind=code").get_data(as_text=True)
    assert "Messestand" in codes and 'name="kind" value="code"' in codes
    for odd in ("side=sideways", "kind=planets"):
        refused = client.get(f"{base}?a={booth}&b={flyer}&benchmark=20&{odd}").get_data(as_text=True)
        assert "does not exist. Choose one from the lists." in refused and "has a higher NPS than" not in refused


def test_other_workspaces_campaigns_are_invisible(client, auth, seeded, make_user, make_workspace) -> None:
    """A member of another workspace gets 404 for every analysis URL of this campaign."""
    stranger = make_user()
    make_workspace(owner=stranger)
    auth.login(stranger)
    ws, campaign = seeded["workspace"].slug, seeded["campaign"].id
    for path in (
        "ratings",
        "ratings.csv",
        "ratings.xlsx",
        "summary.pdf",
        "responses.csv",
        f"ratings/{seeded['booth'].id}",
    ):
        assert client.get(f"/w/{ws}/campaigns/{campaign}/{path}").status_code == 404


def test_commands_write_the_same_downloads(runner, seeded, tmp_path) -> None:
    """feedback ratings / responses with --campaign, --from/--to, --format and -o."""
    slug = seeded["campaign"].slug
    out = tmp_path / "r.json"
    result = runner.invoke(args=["ratings", "--campaign", slug, "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert next(t for t in document["touchpoints"] if t["touchpoint"] == "Messestand")["scans"] == 40
    xlsx = tmp_path / "r.xlsx"
    assert runner.invoke(args=["ratings", "--campaign", slug, "--format", "xlsx", "-o", str(xlsx)]).exit_code == 0
    assert load_workbook(xlsx)["Ratings"]["M2"].value is not None
    responses = runner.invoke(args=["responses", "--campaign", slug, "--from", "2026-03-10", "--to", "2026-03-10"])
    assert responses.exit_code == 0
    assert responses.output.startswith("\ufeffresponse_id,touchpoint,code,language,started_at")
    bad = runner.invoke(args=["ratings", "--campaign", slug, "--from", "2026-05-01", "--to", "2026-01-01"])
    assert bad.exit_code == 2 and "start date lies after the end date" in bad.output
    assert runner.invoke(args=["ratings", "--campaign", "nope"]).exit_code == 2


def test_mann_whitney_on_the_page_matches_scipy(seeded) -> None:
    """The booth-vs-flyer NPS answers as SciPy's Mann–Whitney would see them (sanity check of the counts path)."""
    from feedback.analysis import stats

    booth = np.array(BOOTH_NPS + [10])
    flyer = np.array(FLYER_NPS + [3])
    expected = sps.mannwhitneyu(booth, flyer, alternative="two-sided")
    result = campaign_ratings(seeded["campaign"])
    rows = {r.touchpoint.id: r for r in result.rows}
    from feedback.analysis.ratings import Metric

    found = stats.mann_whitney(
        rows[seeded["booth"].id].summary.counts.of(Metric.NPS), rows[seeded["flyer"].id].summary.counts.of(Metric.NPS)
    )
    assert found.p == pytest.approx(expected.pvalue)


def test_referral_numbers_follow_the_period(seeded, make_response) -> None:
    """Referral numbers of a period are about its respondents (STATS.md §1): the invite a respondent of WHEN took
    the next day counts with WHEN, where its issuer is in the denominator, not in the day it was issued."""
    from feedback.extensions import db
    from feedback.referrals import services as referrals

    response = make_response(seeded["booth"], nps=10)
    referrals.issue_invite(response, seeded["campaign"], WHEN + timedelta(days=1))
    db.session.commit()
    day = (WHEN + timedelta(days=1)).date()
    inside = campaign_ratings(seeded["campaign"], DateRange(day, day))
    before = campaign_ratings(seeded["campaign"], DateRange(WHEN.date() - timedelta(days=5), WHEN.date()))
    everything = campaign_ratings(seeded["campaign"])

    def invites(result) -> int:  # noqa: ANN001
        return next(r for r in result.rows if r.touchpoint.id == seeded["booth"].id).referrals.invites

    assert (invites(inside), invites(before), invites(everything)) == (0, 1, 1)


def test_rollup_command_builds_every_closed_day(runner, seeded) -> None:
    """feedback rollup rolls up the seeded day so the first dashboard visit has nothing left to build."""
    from feedback.analysis.models import RolledUpDay
    from feedback.extensions import db

    result = runner.invoke(args=["rollup", "--workspace", seeded["workspace"].slug])
    assert result.exit_code == 0, result.output
    assert f"{seeded['workspace'].slug}: days rolled up: 2" in result.output  # answers run into the next day
    db.session.commit()  # written on the command's own connection: start a new read
    assert db.session.scalars(sa.select(RolledUpDay.day).order_by(RolledUpDay.day)).all() == [
        WHEN.date(),
        WHEN.date() + timedelta(days=1),
    ]
    assert runner.invoke(args=["rollup", "--workspace", "nope"]).exit_code == 2


@pytest.fixture
def second(seeded, make_campaign, make_touchpoint, with_survey, make_scans, make_response):
    """A second campaign of the same workspace: a mailing with four answers, one with two chosen options."""
    from feedback.extensions import db
    from feedback.surveys.models import Answer

    campaign = make_campaign(workspace=seeded["workspace"], name="Herbst-Mailing")
    mailing = with_survey(make_touchpoint(campaign, "Mailing", Channel.POSTAL_MAIL, Phase.DECISION))
    make_scans(mailing, 6)
    responses = [make_response(mailing, nps=value, reason=f"Mailing {value}") for value in (10, 9, 6, 8)]
    for option in ("beans", "courses"):
        responses[0].answers.append(
            Answer(
                workspace_id=mailing.workspace_id,
                touchpoint_id=mailing.id,
                question_key="interests",
                question_type="multi_choice",
                value_text=option,
                answered_at=WHEN,
            )  # fmt: skip
        )
    db.session.commit()
    return {"campaign": campaign, "mailing": mailing, "responses": responses}


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_commands_without_campaign_write_every_campaign_of_the_workspace(runner, seeded, second, tmp_path) -> None:
    """One file, a first `campaign` column, each campaign's rows as its own download has them."""
    first_slug, second_slug = seeded["campaign"].slug, second["campaign"].slug
    ratings = runner.invoke(args=["ratings"])
    assert ratings.exit_code == 0, ratings.output
    assert ratings.output.startswith("\ufeffcampaign,rank,touchpoint_id,touchpoint,")
    rows = _csv(ratings.output)
    assert [(r["campaign"], r["touchpoint"]) for r in rows if r["touchpoint"] in ("Messestand", "Mailing")] == [
        (first_slug, "Messestand"),
        (second_slug, "Mailing"),
    ]
    alone = _csv(runner.invoke(args=["ratings", "--campaign", first_slug]).output)
    assert [{k: v for k, v in r.items() if k != "campaign"} for r in rows if r["campaign"] == first_slug] == alone

    out = tmp_path / "all.json"
    assert runner.invoke(args=["ratings", "--format", "json", "-o", str(out)]).exit_code == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["workspace"]["slug"] == seeded["workspace"].slug
    assert [c["campaign"]["slug"] for c in document["campaigns"]] == [first_slug, second_slug]
    assert document["campaigns"][1]["touchpoints"][0]["nps_n"] == 4

    xlsx = tmp_path / "all.xlsx"
    assert runner.invoke(args=["ratings", "--format", "xlsx", "-o", str(xlsx)]).exit_code == 0
    book = load_workbook(xlsx)
    assert book["Ratings"]["A1"].value == "campaign" and book["Ratings"]["B1"].value == "rank"
    assert {c.value for c in book["Ratings"]["A"][1:]} == {first_slug, second_slug}
    assert book["Comparisons"]["A1"].value == "campaign"
    assert book["Columns"]["A2"].value == "campaign"

    responses = runner.invoke(args=["responses"])
    assert responses.exit_code == 0
    rows = _csv(responses.output)
    assert list(rows[0])[:3] == ["campaign", "response_id", "touchpoint"]
    assert len(rows) == len(BOOTH_NPS) + 2 + len(FLYER_NPS) + 1 + 4
    mailing = [r for r in rows if r["campaign"] == second_slug]
    assert [r["nps"] for r in mailing] == ["10", "9", "6", "8"]


def test_responses_as_json_keep_numbers_and_key_answers_by_question(runner, seeded, second) -> None:
    result = runner.invoke(args=["responses", "--campaign", second["campaign"].slug, "--format", "json"])
    assert result.exit_code == 0, result.output
    documents = json.loads(result.output)
    assert [d["response_id"] for d in documents] == [r.id for r in second["responses"]]
    first = documents[0]
    assert first["answers"] == {"nps": 10, "reason": "Mailing 10", "interests": ["beans", "courses"]}
    assert first["campaign"] == second["campaign"].slug and first["touchpoint"] == "Mailing"
    assert first["completed"] is True and first["flags"] is None and first["reference"] is None
    assert isinstance(first["answers"]["nps"], int)
    every = json.loads(runner.invoke(args=["responses", "--format", "json"]).output)
    assert sum(d["flags"] == "too_fast" for d in every) == 1
    assert {d["campaign"] for d in every} == {seeded["campaign"].slug, second["campaign"].slug}


def test_one_campaign_gives_the_campaigns_own_file_and_several_workspaces_need_a_choice(
    runner, seeded, make_workspace, make_campaign
) -> None:
    from feedback.extensions import db

    alone = runner.invoke(args=["ratings"])
    assert alone.exit_code == 0 and alone.output.startswith("\ufeffrank,touchpoint_id,")
    db.session.rollback()  # the command shares the test's session: end its read before writing again
    other = make_workspace(name="Zweite GmbH")
    empty = runner.invoke(args=["ratings"])
    assert empty.exit_code == 2 and "several workspaces match" in empty.output
    assert seeded["workspace"].slug in empty.output and other.slug in empty.output
    assert runner.invoke(args=["ratings", "--workspace", seeded["workspace"].slug]).exit_code == 0
    none = runner.invoke(args=["responses", "--workspace", other.slug])
    assert none.exit_code == 2 and "has no campaigns yet" in none.output
    db.session.rollback()
    make_campaign(workspace=other, name=seeded["campaign"].name)  # the same slug in two workspaces
    same = runner.invoke(args=["ratings", "--campaign", seeded["campaign"].slug])
    assert same.exit_code == 2 and "choose one with --workspace" in same.output
    assert runner.invoke(args=["responses", "--format", "pdf"]).exit_code == 2


def test_the_dashboard_downloads_every_campaign_of_the_workspace(client, auth, seeded, second, make_user) -> None:
    auth.login(seeded["owner"])
    ws = seeded["workspace"].slug
    page = client.get(f"/w/{ws}/").get_data(as_text=True)
    assert f'href="/w/{ws}/ratings.xlsx"' in page and f'href="/w/{ws}/responses.json"' in page
    ratings = client.get(f"/w/{ws}/ratings.csv")
    assert ratings.status_code == 200
    assert f'filename="{ws}-ratings.csv"' in ratings.headers["Content-Disposition"]
    assert {r["campaign"] for r in _csv(ratings.get_data(as_text=True))} == {
        seeded["campaign"].slug,
        second["campaign"].slug,
    }
    documents = client.get(f"/w/{ws}/responses.json?from=2026-03-10&to=2026-03-10").get_json()
    assert documents and all(d["started_at"].startswith("2026-03-10") for d in documents)
    assert client.get(f"/w/{ws}/responses.exe").status_code == 404
    backwards = client.get(f"/w/{ws}/ratings.csv?from=2026-05-01&to=2026-01-01")
    assert backwards.status_code == 400 and "start date lies after the end date" in backwards.get_data(as_text=True)
    auth.logout()
    auth.login(make_user())  # not a member
    assert client.get(f"/w/{ws}/ratings.csv").status_code == 404
    assert client.get(f"/w/{ws}/responses.json").status_code == 404


def test_a_workspace_without_campaigns_is_told_so(client, auth, make_user, make_workspace) -> None:
    owner = make_user(locale="en")
    workspace = make_workspace(owner=owner)
    auth.login(owner)
    reply = client.get(f"/w/{workspace.slug}/responses.csv")
    assert reply.status_code == 404 and "This workspace has no campaigns yet." in reply.get_data(as_text=True)
    assert f'href="/w/{workspace.slug}/ratings.xlsx"' not in client.get(f"/w/{workspace.slug}/").get_data(as_text=True)


def test_visitors_are_counted_per_day_in_every_list_of_codes(client, auth, runner, seeded, make_scans) -> None:
    """The same two visitors scan the poster on two days: 4 visitors counted per day (not 2 distinct keys over the
    period) on the ratings, the touchpoint page's code list, the code page and in `feedback codes`."""
    from feedback.qr.models import Code

    poster = seeded["poster"]
    make_scans(poster, 4, visitors=2)
    make_scans(poster, 4, when=WHEN + timedelta(days=1), visitors=2)
    row = next(r for r in campaign_ratings(seeded["campaign"]).rows if r.touchpoint.id == poster.id)
    assert (row.touchpoint.counts.scans, row.touchpoint.counts.visitors) == (8, 4)
    listed = json.loads(runner.invoke(args=["codes", "--format", "json"]).output)
    code = db.session.scalar(sa.select(Code).where(Code.touchpoint_id == poster.id))
    entry = next(r for r in listed if r["code"] == code.code)
    assert (entry["scans"], entry["unique_visitors"]) == (8, 4)
    auth.login(seeded["owner"])
    slug = seeded["workspace"].slug
    page = client.get(f"/w/{slug}/touchpoints/{poster.id}").get_data(as_text=True)
    cells = re.findall(r"<td class=\"num\">(\d+)</td>", page)
    assert cells[:2] == ["8", "4"]
    code_page = client.get(f"/w/{slug}/codes/{code.id}").get_data(as_text=True)
    assert re.search(r"Visitors \(per day\)</dt><dd>4</dd>", code_page)


def test_choice_questions_are_analysed_on_the_page_in_the_downloads_and_the_api(
    client, auth, seeded, make_touchpoint, with_survey, make_response
) -> None:
    """The trade-fair survey's "Möchten Sie, dass wir uns melden?": shares per option with Wilson intervals per
    touchpoint, the χ² test across the touchpoints, on the ratings page, in the XLSX and JSON and the API."""
    fair = with_survey(
        make_touchpoint(seeded["campaign"], "Stand B", Channel.TRADE_FAIR, Phase.AWARENESS), "trade-fair"
    )
    hall = with_survey(
        make_touchpoint(seeded["campaign"], "Stand C", Channel.TRADE_FAIR, Phase.AWARENESS), "trade-fair"
    )
    for touchpoint, answers in (
        (fair, ["offer"] * 12 + ["no"] * 3),
        (hall, ["offer"] * 2 + ["info"] * 3 + ["no"] * 10),
    ):
        for value in answers:
            make_response(touchpoint, nps=9, follow_up=value)
    auth.login(seeded["owner"])
    base = f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}/ratings"
    page = client.get(base + "?tab=touchpoints", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Would you like us to get in touch?" in page and "Yes, with an offer" in page
    assert "80.0%" in page  # 12 of 15 at Stand B
    expected = sps.chi2_contingency([[12, 0, 3], [2, 3, 10]], correction=False)
    assert expected.expected_freq.min() < 5  # small expected counts: Fisher's test by permutation
    assert "The touchpoints&#39; answers differ (Fisher&#39;s exact test (permutation)" in page
    document = json.loads(client.get(base + ".json").get_data(as_text=True))
    rows = [r for r in document["choices"] if r["question_key"] == "follow_up"]
    offer_b = next(r for r in rows if r["option"] == "offer" and r["touchpoint"] == "Stand B")
    wilson = sps.binomtest(12, 15).proportion_ci(confidence_level=0.95, method="wilson")
    assert (offer_b["respondents"], offer_b["chosen"]) == (15, 12)
    assert offer_b["share_low"] == pytest.approx(wilson.low, abs=1e-6) and offer_b["p_holm"] < 0.05
    total = next(r for r in rows if r["option"] == "no" and r["touchpoint_id"] is None)
    assert (total["respondents"], total["chosen"]) == (30, 13)
    book = load_workbook(io.BytesIO(client.get(base + ".xlsx").data))
    sheet = list(book["Choice questions"].iter_rows(min_row=2, values_only=True))
    assert ("follow_up", "offer", "Stand B", 15, 12) in [(r[0], r[3], r[6], r[7], r[8]) for r in sheet]


def test_a_period_without_answers_shows_no_ratings_not_zeros(client, auth, seeded) -> None:
    """A day before any scan: the journey cards say "no answers yet", no "Rating 0 0 … 0", no advice but measuring."""
    auth.login(seeded["owner"])
    url = f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}/ratings?from=2026-01-05&to=2026-01-05"
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    page += client.get(url + "&tab=journey", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert page.count('class="tpcard__nums">no answers yet') == 3
    assert not re.search(r"Rating\s+0\s", page)  # "Rating 0–100" explains the scale; no rating of 0
    assert "measure longer – no answers yet." in page and "keep –" not in page


def test_the_pdf_and_the_compare_page_give_the_same_comparison_the_same_adjusted_p(
    client, auth, seeded, make_touchpoint, with_survey, make_response
) -> None:
    """Best against worst ranked touchpoint: one fixed family, so the PDF's key comparison quotes the p-value the
    compare page shows for the same pair. A stand with 12 NPS answers but 3 CSAT answers is not ranked, yet its NPS
    is in the family of NPS comparisons (all pairs with at least 10 NPS answers) on both."""
    stand = with_survey(make_touchpoint(seeded["campaign"], "Stand", Channel.TRADE_FAIR, Phase.AWARENESS), "trade-fair")
    for i in range(12):
        make_response(stand, nps=9 - i % 3, **({"csat": 4} if i < 3 else {}))
    auth.login(seeded["owner"])
    ws, cid = seeded["workspace"].slug, seeded["campaign"].id
    booth, flyer = seeded["booth"].id, seeded["flyer"].id
    page = client.get(f"/w/{ws}/campaigns/{cid}/compare?a={booth}&b={flyer}").get_data(as_text=True)
    sentence = re.search(r"<p>(Messestand has a (?:higher|lower) NPS than [^<]*)</p>", page).group(1)
    assert "after adjustment" in sentence  # a family of three pairs
    wanted = " ".join(html.unescape(sentence).replace("−", "-").split())
    text = PdfReader(io.BytesIO(client.get(f"/w/{ws}/campaigns/{cid}/summary.pdf").data)).pages[0].extract_text()
    key = " ".join(text[text.index("Key comparison") :].split())
    assert wanted in key, (wanted, key[:400])


def test_the_touchpoint_page_states_its_advice_and_the_loyalty_top_two_box(
    client, auth, seeded, make_touchpoint, with_survey, make_response
) -> None:
    """The advice sentence of the ratings page, and loyalty as a mean and as the share of 4–5 with its interval."""
    shop = with_survey(make_touchpoint(seeded["campaign"], "Laden", Channel.STORE, Phase.RETENTION), "loyalty")
    for value in [5, 5, 4, 4, 4, 3, 2, 5, 4, 1, 5, 4]:
        make_response(shop, nps=9, repurchase=value)
    auth.login(seeded["owner"])
    base = f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}/ratings"
    overview = client.get(base, headers={"Accept-Language": "en"}).get_data(as_text=True)
    page = client.get(f"{base}/{shop.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    advice = re.search(r"<li>(Laden: [^<]*)</li>", overview).group(1)
    assert f"<p>{advice}</p>" in page
    assert re.search(r"Loyalty top-2-box</dt><dd>75.0%", page)  # 9 of 12 answered 4 or 5


def test_the_median_time_to_accept_follows_the_periods_respondents(seeded, make_response) -> None:
    """The invite of a respondent of WHEN, issued an hour later and accepted two hours after that: 2 h in WHEN's
    period, nothing in the next day's, even though nothing else of this invite happened on WHEN's day alone."""
    from feedback.referrals import services as referrals

    referrer = make_response(seeded["booth"], nps=10)
    invite = referrals.issue_invite(referrer, seeded["campaign"], WHEN + timedelta(hours=1))
    friend = make_response(seeded["booth"], when=WHEN + timedelta(hours=3), nps=9)
    friend.invite_id = invite.id
    assert referrals.accept(friend, WHEN + timedelta(hours=3))
    db.session.commit()
    day = timedelta(days=1)
    _, same_day = referrals.referral_numbers(
        seeded["campaign"], (WHEN - timedelta(hours=1), WHEN + timedelta(minutes=30))
    )
    _, next_day = referrals.referral_numbers(seeded["campaign"], (WHEN + day, WHEN + 2 * day))
    assert same_day.median_hours_to_accept == pytest.approx(2.0)
    assert next_day.median_hours_to_accept is None


def test_more_visitors_than_the_reach_entered_is_said_not_hidden(client, auth, seeded) -> None:
    """A reach below the visitors gives no scan rate; the touchpoint page names both numbers instead of a dash."""
    booth = seeded["booth"]
    booth.reach = 12
    db.session.commit()
    auth.login(seeded["owner"])
    url = f"/w/{seeded['workspace'].slug}/campaigns/{seeded['campaign'].id}/ratings/{booth.id}"
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "not computed: 30 visitors but a reach of 12. Check the reach entered" in page
    booth.reach = 2000
    db.session.commit()
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "not computed" not in page and "1.5" in page
