"""Answer parsing and paging, without app or database."""

from __future__ import annotations

import pytest

from feedback.surveys.catalog import TEMPLATES, template
from feedback.surveys.questions import (
    AnswerError,
    Condition,
    Option,
    QuestionSpec,
    QuestionType,
    missing_required,
    pages,
    parse_answer,
)
from feedback.texts import LANGUAGES, Texts

NPS = QuestionSpec("nps", QuestionType.NPS, True, text=Texts.of(en="Recommend?"))
CHOICE = QuestionSpec(
    "pick", QuestionType.SINGLE_CHOICE, True, text=Texts.of(en="Pick"), options=(Option("a"), Option("b"))
)
MULTI = QuestionSpec(
    "many", QuestionType.MULTI_CHOICE, False, text=Texts.of(en="Many"), options=(Option("a"), Option("b"))
)
TEXT = QuestionSpec("why", QuestionType.TEXT, False, text=Texts.of(en="Why?"))


@pytest.mark.parametrize(("raw", "value"), [(["0"], 0), (["10"], 10), (["07"], 7), ([], None), ([""], None)])
def test_scale_answers_accept_plain_digits_in_range(raw: list[str], value: int | None) -> None:
    assert parse_answer(NPS, raw) == value


@pytest.mark.parametrize(
    "raw", ["11", "-1", "1.0", " 5", "5 ", "+5", "٥", "５", "1e1", "abc", "0x5", "999", "5\n", "0\n"]
)
def test_anything_but_plain_ascii_digits_in_range_is_refused(raw: str) -> None:
    with pytest.raises(AnswerError) as error:
        parse_answer(NPS, [raw])
    assert error.value.code == "out_of_range"


@pytest.mark.parametrize(("kind", "low", "high"), [("csat", 1, 5), ("ces", 1, 7), ("rating", 1, 5)])
def test_each_scale_has_its_own_range(kind: str, low: int, high: int) -> None:
    question = QuestionSpec("q", QuestionType(kind), True, text=Texts.of(en="?"))
    assert parse_answer(question, [str(low)]) == low and parse_answer(question, [str(high)]) == high
    for bad in (low - 1, high + 1):
        with pytest.raises(AnswerError):
            parse_answer(question, [str(bad)])


def test_two_values_for_one_answer_are_refused() -> None:
    with pytest.raises(AnswerError, match="one_value"):
        parse_answer(NPS, ["5", "6"])


def test_choices_must_be_among_the_options() -> None:
    assert parse_answer(CHOICE, ["b"]) == "b"
    with pytest.raises(AnswerError, match="invalid_choice"):
        parse_answer(CHOICE, ["c"])
    assert parse_answer(MULTI, ["b", "a", "b"]) == ("b", "a")
    with pytest.raises(AnswerError, match="invalid_choice"):
        parse_answer(MULTI, ["a", "<script>"])


def test_free_text_keeps_emoji_and_rtl_text_and_refuses_nul_and_overlength() -> None:
    text = "Sehr gut 👍🏽 – שלום עליכם – e\u0301"
    assert parse_answer(TEXT, [f"  {text}  "]) == text
    assert parse_answer(TEXT, ["<b>{{ 7*7 }}</b>"]) == "<b>{{ 7*7 }}</b>"
    with pytest.raises(AnswerError, match="invalid_text"):
        parse_answer(TEXT, ["a\x00b"])
    with pytest.raises(AnswerError, match="too_long"):
        parse_answer(TEXT, ["x" * 2001])


def test_conditions_and_wordings_follow_the_nps_answer() -> None:
    reason = template("nps-reason").questions[1]
    assert reason.wording("de", {"nps": 3}) == "Was sollten wir verbessern?"
    assert reason.wording("en", {"nps": 10}) == "What did you like most?"
    assert reason.wording("en", {"nps": 8}) == "What is the main reason for your score?"
    improve = template("csat-purchase").questions[1]
    assert improve.visible({"csat": 2}) and not improve.visible({"csat": 5}) and not improve.visible({})


def test_questions_depending_on_an_answer_start_a_new_page() -> None:
    assert [[q.key for q in page] for page in pages(list(template("nps-reason").questions))] == [["nps"], ["reason"]]
    assert [[q.key for q in page] for page in pages(list(template("loyalty").questions))] == [
        ["nps", "csat", "repurchase"]
    ]


def test_required_questions_hidden_by_their_condition_are_not_missing() -> None:
    hidden = QuestionSpec("x", QuestionType.TEXT, True, text=Texts.of(en="x"), condition=Condition("nps", 0, 6))
    assert missing_required([NPS, hidden], {"nps": 9}) == []
    assert missing_required([NPS, hidden], {"nps": 2}) == ["x"]


def test_every_template_speaks_every_language_of_the_respondent_pages() -> None:
    everyone = set(LANGUAGES)
    for survey in TEMPLATES:
        for question in survey.questions:
            texts = [question.text, *(t for t in (question.low_label, question.high_label) if t)]
            texts += [t for t in (question.detractor_text, question.promoter_text) if t]
            texts += [option.labels for option in question.options]
            for text in texts:
                assert set(text.languages()) == everyone, (survey.slug, question.key, text)


def test_a_text_falls_back_to_the_surveys_language_then_german_english_or_any() -> None:
    text = Texts.of(de="Hallo", en="Hello", pl="Cześć")
    assert [text.pick(lang, fallback) for lang, fallback in (("pl", "de"), ("tr", "en"), ("tr", "fr"))] == [
        "Cześć",
        "Hello",
        "Hallo",
    ]
    assert Texts.of(it="Ciao").pick("tr", "de") == "Ciao" and Texts().pick("de") == ""
    option = Option("yes", Texts.of(en="Yes"))
    assert (option.label("de"), Option("maybe").label("de")) == ("Yes", "maybe")
