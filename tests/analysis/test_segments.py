"""Segments (analysis/segments.py): every condition narrows the ratings, roll-ups, choices, drivers, comments and
downloads; the numbers are recounted independently from the raw export (and the scans the test made) and must be
the same, intervals included; bad conditions are reported and ignored; saved segments belong to one workspace."""

from __future__ import annotations

import io
import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from feedback.analysis import summaries
from feedback.analysis.downloads import responses_download
from feedback.analysis.models import SavedSegment
from feedback.analysis.queries import Dimension
from feedback.analysis.segments import AnswerIs, Segment, read_segment
from feedback.analysis.services import campaign_ratings, choice_questions, rollup, weekly
from feedback.analysis.stats import nps_from_counts
from feedback.api import services as api_services
from feedback.api.models import Scope
from feedback.auth.models import Role
from feedback.db_types import utcnow
from feedback.extensions import db
from feedback.qr import services as qr_services
from feedback.qr.models import Scan
from feedback.referrals.models import Invite
from feedback.surveys import services as survey_services
from feedback.surveys.models import Answer, Response, Survey
from feedback.surveys.questions import Option, QuestionSpec, QuestionType
from feedback.texts import Texts
from tests.helpers import first_code

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEVICES = ("mobile", "mobile", "mobile", "tablet", "desktop")
ARRIVALS = ("symbol", "symbol", "typed_url", "typed_code", "invite", "kiosk")


@dataclass
class Visit:
    """What the test made: one scan and perhaps its response."""

    touchpoint: int
    scan_id: int
    device: str
    language: str
    arrival: str
    cookie: bool
    returning: bool
    referred: bool
    response_id: int | None = None
    kiosk: bool = False
    completed: bool = False
    flagged: bool = False
    nps: int | None = None
    contact: str | None = None
    started: datetime | None = None


@pytest.fixture
def made(app, make_user, make_workspace, make_campaign, make_touchpoint, with_survey):  # noqa: ANN001
    """Two touchpoints asking the NPS, a reason and "May we contact you?" (yes/no); 240 visits with random devices,
    languages, arrivals, cookies and earlier visits, two thirds answered (some not completed, some flagged), over
    three weeks."""
    owner, viewer = make_user(locale="en"), make_user(locale="en")
    workspace = make_workspace(owner=owner, members={viewer: Role.VIEWER})
    other_workspace = make_workspace(owner=make_user())
    campaign = make_campaign(workspace=workspace)
    touchpoints = [with_survey(make_touchpoint(campaign, name), "nps-reason") for name in ("Flyer", "Messestand")]
    yes_no = (Option("yes", Texts.of(en="Yes")), Option("no", Texts.of(en="No")))
    for tp in touchpoints:
        survey = db.session.get(Survey, tp.survey_id)
        survey_services.add_question(
            survey, QuestionSpec("contact", QuestionType.SINGLE_CHOICE, False, Texts.of(en="Contact?"), options=yes_no)
        )
    db.session.commit()
    rng = random.Random(24)
    visits: list[Visit] = []
    referrer: Invite | None = None
    for i in range(240):
        tp = touchpoints[i % 2]
        when = START + timedelta(hours=2 * i)
        cookie = rng.random() < 0.6
        returning = cookie and rng.random() < 0.4
        arrival = rng.choice(ARRIVALS)
        if arrival == "invite" and referrer is None:
            arrival = "symbol"  # no invite yet to arrive through
        key = f"c{i:031d}" if cookie else f"h{i:031d}"
        code = first_code(tp) or qr_services.create_code(tp, "")
        if returning:  # an earlier visit of the same cookie, a day before (itself a new visit)
            earlier = Scan(
                workspace_id=workspace.id, touchpoint_id=tp.id, code_id=code.id, scanned_at=when - timedelta(days=1),
                visitor_key=key, visitor_from_cookie=True, device_class="mobile", language="de", arrival="symbol",
            )  # fmt: skip
            db.session.add(earlier)
            db.session.flush()
            visits.append(Visit(tp.id, earlier.id, "mobile", "de", "symbol", True, False, False))
        referred = arrival == "invite" and referrer is not None
        scan = Scan(
            workspace_id=workspace.id, touchpoint_id=tp.id, code_id=code.id, scanned_at=when, visitor_key=key,
            visitor_from_cookie=cookie, device_class=rng.choice(DEVICES), language=rng.choice(("de", "de", "en")),
            arrival=arrival, invite_id=referrer.id if referred else None,
        )  # fmt: skip
        db.session.add(scan)
        db.session.flush()
        visit = Visit(tp.id, scan.id, scan.device_class, scan.language, arrival, cookie, returning, referred)
        visits.append(visit)
        if rng.random() < 0.34:
            continue
        version = db.session.get(Survey, tp.survey_id).current
        visit.kiosk = arrival == "kiosk"
        visit.completed = rng.random() < 0.9
        visit.flagged = visit.completed and rng.random() < 0.08
        visit.nps = rng.choice(range(11))
        visit.contact = rng.choice(("yes", "no", None))
        visit.started = when + timedelta(seconds=5)
        response = Response(
            workspace_id=workspace.id, touchpoint_id=tp.id, code_id=code.id, scan_id=scan.id, version_id=version.id,
            invite_id=referrer.id if referred else None, token=f"seg-{i}", visitor_key=key, language=scan.language,
            started_at=visit.started, completed_at=when + timedelta(seconds=60) if visit.completed else None,
            flagged=visit.flagged, flag_reason="too_fast" if visit.flagged else "", kiosk=visit.kiosk,
        )  # fmt: skip
        answers = {"nps": (visit.nps, None), **({"contact": (None, visit.contact)} if visit.contact else {})}
        for question_key, (number, text) in answers.items():
            kind = "nps" if question_key == "nps" else "single_choice"
            response.answers.append(
                Answer(
                    workspace_id=workspace.id, touchpoint_id=tp.id, question_key=question_key, question_type=kind,
                    value_number=number, value_text=text, answered_at=visit.started,
                )  # fmt: skip
            )
        db.session.add(response)
        db.session.flush()
        visit.response_id = response.id
        if referrer is None and visit.completed and not visit.flagged:
            referrer = Invite(
                workspace_id=workspace.id, campaign_id=campaign.id, touchpoint_id=tp.id, response_id=response.id,
                code=f"SEG{i:05d}", referrer_visitor_key=key,
            )  # fmt: skip
            db.session.add(referrer)
            db.session.flush()
    db.session.commit()
    return {
        "owner": owner,
        "viewer": viewer,
        "workspace": workspace,
        "other_workspace": other_workspace,
        "campaign": campaign,
        "touchpoints": touchpoints,
        "visits": visits,
    }


def _exported(campaign, segment: Segment | None = None) -> dict[int, dict]:  # noqa: ANN001
    """The raw JSON export by response id."""
    body = "".join(responses_download(campaign, _all(), "json", segment=segment).body)  # type: ignore[arg-type]
    return {row["response_id"]: row for row in json.loads(body)}


def _all():  # noqa: ANN202
    from feedback.analysis.services import DateRange

    return DateRange()


SEGMENTS = {
    "detractors": (Segment(nps="detractors"), lambda v: v.nps is not None and v.nps <= 6),
    "contact yes": (Segment(answers=(AnswerIs("contact", values=("yes",)),)), lambda v: v.contact == "yes"),
    "nps 9-10 and english": (
        Segment(answers=(AnswerIs("nps", low=9, high=10),), language="en"),
        lambda v: v.nps is not None and v.nps >= 9 and v.language == "en",
    ),
    "mobile": (Segment(device="mobile"), lambda v: v.device == "mobile"),
    "returning": (Segment(visitor="returning"), lambda v: v.returning),
    "new on a tablet": (Segment(visitor="new", device="tablet"), lambda v: not v.returning and v.device == "tablet"),
    "referred": (Segment(referred=True), lambda v: v.referred),
    "not referred, typed": (
        Segment(referred=False, arrival="typed_url"),
        lambda v: not v.referred and v.arrival == "typed_url",
    ),
    "kiosk": (Segment(kiosk=True), lambda v: v.kiosk if v.response_id else v.arrival == "kiosk"),
    "own phone in german": (
        Segment(kiosk=False, language="de"),
        lambda v: (not v.kiosk if v.response_id else v.arrival != "kiosk") and v.language == "de",
    ),
}


@pytest.mark.parametrize("name", list(SEGMENTS))
def test_segmented_ratings_match_a_recount_from_the_raw_export(made, name: str) -> None:
    """Per touchpoint: scans, visitors, starts, completions and the NPS answers of the segment, recounted from the
    raw JSON export (responses: language, kiosk, device, arrival, referred, answers) and the scans the test made;
    the NPS and its interval are those of the recount."""
    segment, wanted = SEGMENTS[name]
    exported = _exported(made["campaign"])
    found = {row.touchpoint.id: row for row in campaign_ratings(made["campaign"], segment=segment).rows}
    for tp in made["touchpoints"]:
        visits = [v for v in made["visits"] if v.touchpoint == tp.id]
        responses = [v for v in visits if v.response_id and wanted(v)]
        for v in responses:  # the export agrees with what the test made
            row = exported[v.response_id]
            assert (row["language"], row["kiosk"], row["device"], row["arrival"], row["referred"]) == (
                v.language, v.kiosk, v.device, v.arrival, v.referred,
            )  # fmt: skip
        counted = [v for v in responses if not v.flagged]
        nps = Counter(exported[v.response_id]["answers"]["nps"] for v in counted)
        counts = found[tp.id].touchpoint.counts
        assert counts.starts == len(counted)
        assert counts.completions == sum(1 for v in counted if v.completed)
        assert dict(counts.answers.get(QuestionType.NPS, {})) == dict(nps)
        if segment.splits_scans:
            scans = [v for v in visits if wanted(v)]
            assert counts.scans == len(scans)
            assert counts.visitors == len(scans)  # every visit has its own key on its day
        else:
            assert counts.scans == 0 and counts.visitors == 0
        expected = nps_from_counts(dict(nps))
        summary = found[tp.id].summary
        assert summary.nps.n == expected.n
        if expected.n:
            assert summary.nps.nps == pytest.approx(expected.nps)
            assert summary.nps.ci.low == pytest.approx(expected.ci.low)
            assert summary.nps.ci.high == pytest.approx(expected.ci.high)


def test_the_raw_export_of_a_segment_holds_exactly_its_responses(made) -> None:
    """Flagged ones included, as in every raw export."""
    for segment, wanted in SEGMENTS.values():
        ids = set(_exported(made["campaign"], segment))
        assert ids == {v.response_id for v in made["visits"] if v.response_id and wanted(v)}


def test_without_a_segment_the_roll_ups_give_the_same_numbers_as_an_empty_segment(made) -> None:
    """The roll-ups (days closed) and the live path agree: an inactive segment changes nothing."""
    plain = campaign_ratings(made["campaign"])
    empty = campaign_ratings(made["campaign"], segment=Segment())
    assert [r.touchpoint.counts for r in plain.rows] == [r.touchpoint.counts for r in empty.rows]


def test_roll_ups_by_device_language_and_week_and_the_choices_are_narrowed(made) -> None:
    """The segment of mobile visitors: every device row is mobile; the weekly completions add up to the ratings';
    the choice question counts only the segment's respondents."""
    segment = Segment(device="mobile")
    devices = rollup(made["campaign"], Dimension.DEVICE, segment=segment)
    assert [row.key for row in devices] == ["mobile"]
    total = summaries.total(r.touchpoint.counts for r in campaign_ratings(made["campaign"], segment=segment).rows)
    assert devices[0].summary.counts.scans == total.scans
    weeks = weekly(made["campaign"], segment=segment)
    assert sum(w.summary.counts.completions for w in weeks) == total.completions
    (contact,) = choice_questions(made["campaign"], segment=segment)
    counted = [v for v in made["visits"] if v.response_id and not v.flagged and v.device == "mobile" and v.contact]
    assert contact.analysis.total.respondents == len(counted)


def test_bad_conditions_are_reported_and_ignored() -> None:
    """Unknown question, option, range, language, device, group, flag: each says why; nothing of it is applied."""
    yes_no = (Option("yes", Texts.of(en="Yes")), Option("no", Texts.of(en="No")))
    questions = [
        QuestionSpec("contact", QuestionType.SINGLE_CHOICE, False, Texts.of(en="?"), options=yes_no),
        QuestionSpec("nps", QuestionType.NPS, True, Texts.of(en="?")),
        QuestionSpec("why", QuestionType.TEXT, False, Texts.of(en="?")),
    ]
    args = {
        "answer": ["contact:maybe", "nps:5-12", "why:x", "nope:1", "<script>:1", "nps:7-8"],
        "language": "xx",
        "device": "bot",
        "nps": "haters",
        "visitor": "old",
        "referred": "perhaps",
        "arrival": "teleport",
        "kiosk": "1",
    }
    segment, problems = read_segment(args, questions)
    assert segment == Segment(answers=(AnswerIs("nps", low=7, high=8),))
    assert len(problems) == 12
    assert any("maybe" in p for p in problems) and any("0 to 10" in p for p in problems)


def test_a_saved_segment_of_another_workspace_is_refused() -> None:
    """`segment=<id>` is looked up in the workspace only; a miss is reported and nothing is narrowed."""
    segment, problems = read_segment({"segment": "7", "device": "mobile"}, [], lambda _id: None)
    assert segment == Segment() and len(problems) == 1
    saved = Segment(device="tablet", saved_id=7, name="Tablets")
    segment, problems = read_segment({"segment": "7", "device": "mobile"}, [], lambda _id: saved)
    assert segment.device == "tablet" and segment.name == "Tablets" and not problems


# --- pages, downloads and the API ------------------------------------------------------------------------------------


def _api(client, made) -> dict[str, str]:  # noqa: ANN001
    _token, secret = api_services.create_token(made["workspace"].id, "BI", Scope.READ, made["owner"].id, utcnow())
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_the_same_segmented_numbers_on_the_page_in_the_downloads_and_the_api(client, auth, made) -> None:
    """Mobile visitors who are new: scans, completions, NPS and its interval per touchpoint are the service's in
    the ratings JSON, the XLSX and the API; the page names the conditions."""
    campaign = made["campaign"]
    segment = Segment(device="mobile", visitor="new")
    expected = {r.touchpoint.id: r for r in campaign_ratings(campaign, segment=segment).rows}
    auth.login(made["owner"])
    base = f"/w/{made['workspace'].slug}/campaigns/{campaign.id}/ratings"
    query = "?device=mobile&visitor=new"
    page = client.get(base + query, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Device: Phone" in page
    assert "Visitor: New visitors" in page
    documents = {"json": json.loads(client.get(base + ".json" + query).get_data(as_text=True))}
    api = client.get(f"/api/v1/campaigns/{campaign.id}/ratings" + query, headers=_api(client, made))
    assert api.status_code == 200
    documents["api"] = api.get_json()
    assert documents["json"]["segment"]["conditions"] == {"device": "mobile", "visitor": "new"}
    book = load_workbook(io.BytesIO(client.get(base + ".xlsx" + query).data))
    sheet = list(book["Ratings"].iter_rows(values_only=True))
    documents["xlsx"] = {"touchpoints": [dict(zip(sheet[0], row, strict=True)) for row in sheet[1:]]}
    for output, document in documents.items():
        rows = {r["touchpoint_id"]: r for r in document["touchpoints"]}
        for tp_id, row in expected.items():
            found = rows[tp_id]
            assert found["scans"] == row.summary.counts.scans, output
            assert found["completions"] == row.summary.counts.completions, output
            assert found["nps"] == pytest.approx(row.summary.nps.nps), output
            assert found["nps_low"] == pytest.approx(row.summary.nps.ci.low), output


def test_a_segment_that_names_nothing_is_refused_by_downloads_and_the_api_and_reported_on_the_page(
    client, auth, made  # noqa: ANN001
) -> None:
    """An option the question does not offer: 422 for the download and the API, a notice on the page (which then
    shows everyone); another workspace's saved segment likewise."""
    campaign = made["campaign"]
    auth.login(made["owner"])
    base = f"/w/{made['workspace'].slug}/campaigns/{campaign.id}/ratings"
    assert client.get(base + ".json?answer=contact:maybe").status_code == 422
    api = client.get(f"/api/v1/campaigns/{campaign.id}/ratings?answer=contact:maybe", headers=_api(client, made))
    assert api.status_code == 422 and "maybe" in api.get_data(as_text=True)
    page = client.get(base + "?answer=contact:maybe", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "is not an option of" in page.get_data(as_text=True)
    foreign = SavedSegment(workspace_id=made["other_workspace"].id, name="x", conditions={"device": "mobile"})
    db.session.add(foreign)
    db.session.commit()
    assert client.get(base + f".json?segment={foreign.id}").status_code == 422
    page = client.get(base + f"?segment={foreign.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "There is no such saved segment" in page


def test_an_answer_segment_says_that_scans_are_not_counted(client, auth, made) -> None:
    """NPS detractors: the page explains why scans and visitors are not counted for it."""
    auth.login(made["owner"])
    base = f"/w/{made['workspace'].slug}/campaigns/{made['campaign'].id}/ratings"
    page = client.get(base + "?nps=detractors", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "An answer belongs to a response, not to a scan" in page
    assert "NPS group: Detractors (0–6)" in page


def test_saving_using_and_deleting_a_segment(client, auth, made) -> None:
    """An editor saves the page's conditions under a name and lands on the page with it; the same name again is
    refused; a viewer may not save or delete; the saved one narrows downloads by id; deleting it removes it."""
    campaign, workspace = made["campaign"], made["workspace"]
    auth.login(made["owner"])
    save = f"/w/{workspace.slug}/campaigns/{campaign.id}/segments?page=ratings&tab=touchpoints&nps=detractors"
    answer = client.post(save, data={"name": "  Detractors   "})
    assert answer.status_code == 302
    row = db.session.scalar(sa.select(SavedSegment))
    assert row.name == "Detractors" and row.conditions == {"nps": "detractors"}
    assert answer.location.endswith(f"/campaigns/{campaign.id}/ratings?tab=touchpoints&segment={row.id}")
    again = client.post(save, data={"name": "detractors"}, follow_redirects=True, headers={"Accept-Language": "en"})
    assert "exists already" in again.get_data(as_text=True)
    empty = f"/w/{workspace.slug}/campaigns/{campaign.id}/segments?page=https://evil.example/"
    client.post(empty, data={"name": "Nothing"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSegment)) == 1
    base = f"/w/{workspace.slug}/campaigns/{campaign.id}"
    by_id = json.loads(client.get(f"{base}/responses.json?segment={row.id}").get_data(as_text=True))
    by_conditions = json.loads(client.get(f"{base}/responses.json?nps=detractors").get_data(as_text=True))
    assert [r["response_id"] for r in by_id] == [r["response_id"] for r in by_conditions] and by_id
    listing = client.get(f"/w/{workspace.slug}/segments", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Detractors" in listing and "NPS group: Detractors (0–6)" in listing
    auth.logout()
    auth.login(made["viewer"])
    assert client.post(save, data={"name": "Mine"}).status_code == 403
    assert client.post(f"/w/{workspace.slug}/segments/{row.id}/delete").status_code == 403
    auth.logout()
    auth.login(made["owner"])
    assert client.post(f"/w/{workspace.slug}/segments/{row.id + 1000}/delete").status_code == 404
    assert client.post(f"/w/{workspace.slug}/segments/{row.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSegment)) == 0


def test_the_open_text_answers_and_their_api_take_the_segment(client, auth, made, make_response) -> None:
    """Text answers of English respondents only, on the page and through the API."""
    campaign = made["campaign"]
    flyer = made["touchpoints"][0]
    make_response(flyer, nps=3, reason="Zu teuer", language="de")
    make_response(flyer, nps=3, reason="Too expensive", language="en")
    auth.login(made["owner"])
    page = client.get(f"/w/{made['workspace'].slug}/campaigns/{campaign.id}/comments?language=en&nps=detractors")
    text = page.get_data(as_text=True)
    assert "Too expensive" in text and "Zu teuer" not in text
    api = client.get(f"/api/v1/campaigns/{campaign.id}/comments?nps=detractors&language=de", headers=_api(client, made))
    assert [c["answer"] for c in api.get_json()["items"]] == ["Zu teuer"]


def test_scans_the_retention_job_summarised_count_only_where_the_summaries_hold_the_segment(made) -> None:
    """After retention: phone visitors keep their scans (the summaries are per device class), German phone visitors
    count no scans (no summary holds both), never a partial count; the same completions either way."""
    from feedback.analysis.retention import retain_workspace
    from feedback.analysis.rollups import scans_counted

    workspace, campaign = made["workspace"], made["campaign"]
    phones = Segment(device="mobile")
    both = Segment(device="mobile", language="de")
    before = {name: campaign_ratings(campaign, segment=s).total.counts for name, s in (("p", phones), ("b", both))}
    retain_workspace(workspace.id, workspace.slug, workspace.timezone, 30, datetime(2026, 5, 1, tzinfo=UTC))
    db.session.expire_all()
    after = {name: campaign_ratings(campaign, segment=s).total.counts for name, s in (("p", phones), ("b", both))}
    assert before["p"].scans > 0 and after["p"].scans == before["p"].scans
    assert after["p"].visitors == before["p"].visitors
    assert after["b"].scans == 0 and after["b"].completions == before["b"].completions
    assert scans_counted(workspace.id, None, None, phones) and not scans_counted(workspace.id, None, None, both)


def test_a_visitor_segment_has_no_return_cohorts(made) -> None:
    """New or returning visitors: the weekly return cohorts would be cut off by the condition itself, so none."""
    from feedback.analysis.services import retention

    assert retention(made["campaign"])
    assert retention(made["campaign"], segment=Segment(visitor="new")) == []
    assert retention(made["campaign"], segment=Segment(device="mobile"))


def test_odd_segment_ids_are_reported_not_failed(client, auth, made) -> None:
    """A superscript digit, a huge number, letters: a notice on the page, 422 for a download."""
    auth.login(made["owner"])
    base = f"/w/{made['workspace'].slug}/campaigns/{made['campaign'].id}/ratings"
    for value in ("²", "①", "99999999999999", "abc", "-1"):
        page = client.get(base, query_string={"segment": value}, headers={"Accept-Language": "en"})
        assert page.status_code == 200 and "There is no such saved segment" in page.get_data(as_text=True)
        assert client.get(base + ".json", query_string={"segment": value}).status_code == 422


def test_saving_keeps_the_page_it_came_from(client, auth, made) -> None:
    """From the compare page with its choices, from a touchpoint page: the redirect rebuilds that page."""
    campaign, workspace = made["campaign"], made["workspace"]
    tp = made["touchpoints"][0]
    auth.login(made["owner"])
    save = f"/w/{workspace.slug}/campaigns/{campaign.id}/segments"
    answer = client.post(save + "?page=compare&kind=touchpoint&a=1&device=tablet", data={"name": "Tab\x07lets\n"})
    row = db.session.scalar(sa.select(SavedSegment))
    assert row.name == "Tablets"
    assert answer.location.endswith(f"/campaigns/{campaign.id}/compare?kind=touchpoint&a=1&segment={row.id}")
    answer = client.post(save + f"?page=touchpoint&touchpoint_id={tp.id}&group=detractors&kiosk=no", data={"name": "K"})
    assert f"/campaigns/{campaign.id}/ratings/{tp.id}?group=detractors&segment=" in answer.location
    answer = client.post(save + "?page=touchpoint&touchpoint_id=x&kiosk=yes", data={"name": "K2"})
    assert f"/campaigns/{campaign.id}/ratings?segment=" in answer.location


def test_without_counted_visitors_no_sentence_speaks_of_reach(made) -> None:
    """Detractors: no quadrant, no median of visitors, and advice that names the position only."""
    from feedback.analysis import sentences
    from feedback.analysis.ratings import Advice
    from feedback.templating import money

    result = campaign_ratings(made["campaign"], segment=Segment(nps="detractors"))
    assert result.median_visitors is None
    assert all(row.quadrant is None and row.wide_reach is None for row in result.rows)
    assert {row.advice for row in result.rows} <= {Advice.NO_REACH, Advice.MEASURE}
    for row in result.rows:
        text = sentences.advice(row, result, money)
        assert "visitors than the median" not in text and "median of the ranked" not in text
    phones = campaign_ratings(made["campaign"], segment=Segment(device="mobile"))
    assert phones.median_visitors is not None


def test_an_nps_answer_dated_before_its_response_still_puts_it_in_its_group(made) -> None:
    """The roll-ups' NPS groups follow the response's start, as the live condition does, whatever the answer's
    time says."""
    from feedback.analysis.rollups import _count_narrowed

    visit = next(v for v in made["visits"] if v.nps is not None and v.nps <= 6 and v.completed and not v.flagged)
    answer = db.session.scalar(
        sa.select(Answer).where(Answer.response_id == visit.response_id, Answer.question_key == "nps")
    )
    answer.answered_at = visit.started - timedelta(days=30)
    db.session.commit()
    segment = Segment(nps="detractors")
    held = {r.touchpoint.id: r.touchpoint.counts for r in campaign_ratings(made["campaign"], segment=segment).rows}
    zone = ZoneInfo(made["workspace"].timezone)
    ids = {tp.id for tp in made["touchpoints"]}
    live = _count_narrowed(made["workspace"].id, ids, zone, date(2026, 2, 1), date(2026, 4, 30), "touchpoint", segment)
    for tp in ids:
        assert held[tp].completions == sum(c.n for c in live if c.touchpoint_id == tp and c.measure == "completions")


def test_invites_belong_to_the_segment_of_the_response_that_took_them(made) -> None:
    """The one invite was taken by a response: it counts in a segment holding that response, not in one without;
    the respondents of each segment are its completions."""
    invite = db.session.scalar(sa.select(Invite))
    owner = next(v for v in made["visits"] if v.response_id == invite.response_id)
    inside = Segment(device=owner.device, language=owner.language)
    outside = Segment(device=next(d for d in ("mobile", "tablet", "desktop") if d != owner.device))
    for segment, invites in ((inside, 1), (outside, 0)):
        result = campaign_ratings(made["campaign"], segment=segment)
        row = next(r for r in result.rows if r.touchpoint.id == invite.touchpoint_id)
        referrals = row.touchpoint.referrals
        assert referrals.invites == invites
        assert referrals.completed == row.touchpoint.counts.completions


def test_period_comparisons_and_the_trend_take_the_segment(client, auth, made) -> None:
    """The API's comparison of the previous period and its trend, for phone visitors: each side's NPS n is the
    segment's, counted by the service for those days."""
    from feedback.analysis.services import DateRange, touchpoint_counts

    campaign = made["campaign"]
    segment = Segment(device="mobile")
    headers = _api(client, made)
    query = "?against=previous&from=2026-03-12&to=2026-03-21&device=mobile"
    found = client.get(f"/api/v1/campaigns/{campaign.id}/comparison" + query, headers=headers)
    assert found.status_code == 200
    a = touchpoint_counts(campaign, DateRange(date(2026, 3, 12), date(2026, 3, 21)), segment)
    b = touchpoint_counts(campaign, DateRange(date(2026, 3, 2), date(2026, 3, 11)), segment)
    rows = {r["row"]: r for r in found.get_json()["rows"] if r["metric"] == "nps"}
    for tp in made["touchpoints"]:
        row = rows[str(tp.id)]
        assert row["n_a"] == sum(a[tp.id].answers[QuestionType.NPS].values())
        assert row["n_b"] == sum(b[tp.id].answers[QuestionType.NPS].values())
    trend = client.get(f"/api/v1/campaigns/{campaign.id}/trend?device=mobile", headers=headers).get_json()
    everyone = client.get(f"/api/v1/campaigns/{campaign.id}/trend", headers=headers).get_json()
    assert sum(w["nps_n"] for w in trend["weeks"]) < sum(w["nps_n"] for w in everyone["weeks"])
