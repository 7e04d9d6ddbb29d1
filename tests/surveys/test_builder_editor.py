"""The visual question editor: keys made from the text, option rows, conditions from earlier scale questions,
fields per type, and a preview that can be clicked through without recording anything."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from feedback.auth.models import Role
from feedback.extensions import db
from feedback.qr.models import Scan
from feedback.surveys import preview, services
from feedback.surveys.forms import OptionRow, apply_option_action, read_option_rows
from feedback.surveys.models import Answer, Question, Response, Survey
from feedback.surveys.questions import Condition, QuestionSpec, QuestionType, key_from_text
from feedback.texts import Texts
from tests.helpers import count


@pytest.fixture
def workspace(client, auth, make_user, make_workspace):  # noqa: ANN201
    """A workspace (German and English) whose editor is logged in."""
    editor = make_user()
    ws = make_workspace(members={editor: Role.EDITOR})
    auth.login(editor)
    return ws


def _empty_survey(workspace) -> Survey:  # noqa: ANN001
    survey = services.create_survey(workspace.id, "Baukasten")
    db.session.commit()
    return survey


def _with_nps(workspace) -> Survey:  # noqa: ANN001
    survey = _empty_survey(workspace)
    services.add_question(survey, QuestionSpec("nps", QuestionType.NPS, True, Texts.of(de="Empfehlen?")))
    services.add_question(survey, QuestionSpec("why", QuestionType.TEXT, False, Texts.of(de="Warum?")))
    db.session.commit()
    return survey


def _keys(survey: Survey) -> list[str]:
    db.session.expire_all()
    return [q.key for q in db.session.get(Survey, survey.id).current.questions]


def test_keys_are_made_from_the_text_in_ascii_and_unique() -> None:
    assert key_from_text("Größe") == "grosse"
    assert key_from_text("Größe", ["grosse"]) == "grosse_2"
    assert key_from_text("Größe", ["grosse", "grosse_2"]) == "grosse_3"
    assert (
        key_from_text("Wie zufrieden waren Sie mit der Beratung heute im Laden?")
        == "wie_zufrieden_waren_sie_mit_der_beratung"
    )
    assert key_from_text("10 Punkte?") == "q_10_punkte"
    assert key_from_text("¿?") == "question"
    assert len(key_from_text("x" * 80, ["x" * 40])) == 40


def test_option_rows_are_read_in_order_and_changed_without_javascript() -> None:
    form = {
        "new-option-1-label-de": "Rot",
        "new-option-0-label-de": "Blau",
        "new-option-0-value": "blue",
        "new-option-2-label-de": "",
        "new-option-99-label-de": "too many",
        "other": "x",
    }
    rows = read_option_rows(form, "new-")
    assert [(r.value, r.labels.get("de")) for r in rows] == [("blue", "Blau"), ("", "Rot"), ("", "")]
    assert [r.labels["de"] for r in apply_option_action(rows, "up-1")] == ["Rot", "Blau", ""]
    assert [r.labels["de"] for r in apply_option_action(rows, "down-0")] == ["Rot", "Blau", ""]
    assert [r.labels["de"] for r in apply_option_action(rows, "remove-0")] == ["Rot", ""]
    assert apply_option_action(rows, "add")[-1] == OptionRow() and len(apply_option_action(rows, "add")) == 4
    assert len(apply_option_action(rows, "remove-7")) == 3 and len(apply_option_action(rows, "evil")) == 3
    # a row typed below an empty one moves by the number it was shown with
    gap = [OptionRow("", {"de": "A"}), OptionRow(), OptionRow("", {"de": "B"})]
    assert [r.labels.get("de") for r in apply_option_action(gap, "up-2")] == ["A", "B", None]


def test_a_question_without_key_gets_one_from_its_text(client, workspace) -> None:
    survey = _empty_survey(workspace)
    url = f"/w/{workspace.slug}/surveys/{survey.id}/questions"
    assert client.post(url, data={"new-type": "text", "new-text-de": "Größe"}).status_code == 302
    assert client.post(url, data={"new-type": "text", "new-text-de": "Größe!"}).status_code == 302
    assert client.post(url, data={"new-type": "text", "new-text-de": "x", "new-key": "own"}).status_code == 302
    assert _keys(survey) == ["grosse", "grosse_2", "own"]


def test_option_buttons_show_the_form_again_and_save_nothing(client, workspace) -> None:
    survey = _empty_survey(workspace)
    url = f"/w/{workspace.slug}/surveys/{survey.id}/questions"
    data = {"new-type": "single_choice", "new-text-de": "Wie?", "new-option-0-label-de": "Bus",
            "new-option-1-label-de": "Bahn"}  # fmt: skip
    page = client.post(url, data={**data, "option_action": "up-1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and count(Question) == 0
    assert html.index('value="Bahn"') < html.index('value="Bus"')
    assert 'name="new-option-3-label-de"' in html  # the two rows plus two empty ones
    shown = {**data, "new-option-2-label-de": "", "new-option-3-label-de": "", "option_action": "add"}
    assert 'name="new-option-4-label-de"' in client.post(url, data=shown).get_data(as_text=True)
    assert client.post(url, data=data).status_code == 302
    question = db.session.scalar(sa.select(Question))
    assert [o.value for o in question.spec().options] == ["bus", "bahn"]


def test_the_editor_shows_only_the_fields_of_the_type(client, workspace) -> None:
    survey = _with_nps(workspace)
    url = f"/w/{workspace.slug}/surveys/{survey.id}/questions?type="
    nps = client.get(url + "nps").get_data(as_text=True)
    assert "new-low_label-de" in nps and "option-0-label" not in nps and "reversed_scale" not in nps
    rating = client.get(url + "rating").get_data(as_text=True)
    assert "new-reversed_scale" in rating and "new-loyalty" in rating
    choice = client.get(url + "multi_choice").get_data(as_text=True)
    assert "new-option-0-label-de" in choice and "low_label" not in choice and "detractor_text" not in choice
    text = client.get(url + "text").get_data(as_text=True)
    assert "new-detractor_text-de" in text and "loyalty" not in text
    assert client.get(url + "rocket").status_code == 302


def test_conditions_offer_only_earlier_scale_questions_and_their_range(client, workspace) -> None:
    survey = _with_nps(workspace)
    url = f"/w/{workspace.slug}/surveys/{survey.id}/questions"
    page = client.get(url + "?type=csat").get_data(as_text=True)
    choices = re.findall(
        r'<option[^>]*value="([^"]*)"', page.split('name="new-condition_key"')[1].split("</select>")[0]
    )
    assert choices == ["", "nps"]  # the text question "why" cannot be a condition
    base = {"new-type": "csat", "new-text-de": "Zufrieden?"}
    refused = [
        ({"new-condition_key": "why", "new-condition_low": "0", "new-condition_high": "6"}, "Not a valid choice"),
        ({"new-condition_key": "nps", "new-condition_low": "7", "new-condition_high": "3"}, "must not be above"),
        ({"new-condition_key": "nps", "new-condition_low": "0"}, "both ends"),
    ]
    for extra, message in refused:
        response = client.post(url, data={**base, **extra})
        assert response.status_code == 422 and message in response.get_data(as_text=True), extra
    ok = {**base, "new-condition_key": "nps", "new-condition_low": "0", "new-condition_high": "6"}
    assert client.post(url, data=ok).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Question).where(Question.key == "zufrieden")).spec().condition.high == 6
    services.add_question(survey, QuestionSpec("sat", QuestionType.CSAT, True, Texts.of(de="Wie?")))
    later = {**base, "new-condition_key": "sat", "new-condition_low": "0", "new-condition_high": "9"}
    assert "within the scale" in client.post(url, data=later).get_data(as_text=True) and count(Question) == 4


def test_a_key_with_answers_keeps_its_key(client, workspace, make_campaign, make_touchpoint) -> None:
    survey = _with_nps(workspace)
    touchpoint = make_touchpoint(campaign=make_campaign(workspace=workspace))
    response = Response(workspace_id=workspace.id, touchpoint_id=touchpoint.id, version_id=survey.current.id,
                        token="t1", visitor_key="v" * 32, language="de", started_at=db.func.now())  # fmt: skip
    db.session.add(response)
    db.session.flush()
    answer = {"question_key": "nps", "question_type": "nps", "value_number": 9, "answered_at": db.func.now()}
    db.session.add(Answer(response_id=response.id, workspace_id=workspace.id, touchpoint_id=touchpoint.id, **answer))
    db.session.commit()
    url = f"/w/{workspace.slug}/surveys/{survey.id}/questions/nps/edit"
    page = client.post(url, data={"type": "nps", "key": "renamed", "text-de": "Neu?"})
    assert page.status_code == 422 and "its key stays" in page.get_data(as_text=True)
    assert client.post(url, data={"type": "nps", "key": "", "text-de": "Neu?"}).status_code == 302
    assert _keys(survey) == ["nps", "why"]


def test_the_preview_is_clicked_through_page_by_page_and_records_nothing(client, workspace) -> None:
    survey = _empty_survey(workspace)
    empty = client.get(f"/w/{workspace.slug}/surveys/{survey.id}/preview/frame?lang=en")
    assert empty.status_code == 200 and "once the survey has its first question" in empty.get_data(as_text=True)
    for spec in (
        QuestionSpec("nps", QuestionType.NPS, True, Texts.of(de="Empfehlen?", en="Recommend?")),
        QuestionSpec(
            "improve", QuestionType.TEXT, False, Texts.of(en="What went wrong?"), condition=Condition("nps", 0, 6)
        ),  # fmt: skip
        QuestionSpec("sat", QuestionType.CSAT, True, Texts.of(en="Satisfied?")),
    ):
        services.add_question(survey, spec)
    db.session.commit()
    scans, responses = count(Scan), count(Response)
    frame = f"/w/{workspace.slug}/surveys/{survey.id}/preview/frame"
    first = client.get(frame + "?lang=en").get_data(as_text=True)
    assert "Recommend?" in first and 'method="get"' in first and "respond.js" not in first
    low = client.get(frame, query_string={"lang": "en", "page": "0", "sent": "1", "q_nps": "3"}).get_data(as_text=True)
    assert "What went wrong?" in low and 'name="q_nps" value="3"' in low
    high = client.get(frame, query_string={"lang": "en", "page": "0", "sent": "1", "q_nps": "9"}).get_data(as_text=True)
    assert "What went wrong?" not in high and "Satisfied?" in high
    end = client.get(frame, query_string={"lang": "en", "page": "2", "sent": "1", "q_nps": "9", "q_sat": "4"})
    assert (
        "End of the preview" in end.get_data(as_text=True)
        and "frame-ancestors 'self'" in end.headers["Content-Security-Policy"]
    )
    assert (count(Scan), count(Response)) == (scans, responses)


def test_the_preview_carries_the_answers_of_other_pages_and_skips_hidden_ones() -> None:
    nps = QuestionSpec("nps", QuestionType.NPS, True, Texts.of(de="?"))
    why = QuestionSpec("why", QuestionType.TEXT, False, Texts.of(de="?"), condition=Condition("nps", 0, 6))
    sat = QuestionSpec("sat", QuestionType.CSAT, True, Texts.of(de="?"))
    pages = [[nps], [why], [sat]]
    values = {"q_nps": ["9"], "q_sat": ["12"], "page": ["0"], "q_other": ["x"]}
    answers = preview.given_answers([nps, why, sat], values)
    assert answers == {"nps": 9}  # 12 is off the scale, "other" is no question
    assert preview.next_page(pages, 0, answers) == 2 and preview.next_page(pages, 0, {"nps": 3}) == 1
    assert preview.next_page(pages, 2, answers) is None
    assert preview.carried(values, {"sat"}) == [("q_nps", "9"), ("q_other", "x")]


def test_viewers_see_the_cards_and_the_preview_but_no_editor(client, auth, make_user, make_workspace) -> None:
    viewer = make_user()
    ws = make_workspace(members={viewer: Role.VIEWER})
    survey = _with_nps(ws)
    auth.login(viewer)
    page = client.get(f"/w/{ws.slug}/surveys/{survey.id}").get_data(as_text=True)
    assert "Empfehlen?" in page and "preview/frame" in page and "type=nps" not in page and "/edit" not in page
    assert client.get(f"/w/{ws.slug}/surveys/{survey.id}/questions?type=nps").status_code == 403
    assert client.get(f"/w/{ws.slug}/surveys/{survey.id}/preview/frame").status_code == 200
