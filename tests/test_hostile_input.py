"""Property-based tests of everything that parses what strangers type: codes, invite codes and answers. Whatever
comes in, the result is a valid value or the parser's own validation error, never another exception."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.qr.codes import ALPHABET, CODE_LENGTH, InvalidCode, normalise_code
from feedback.referrals.services import INVITE_CODE_LENGTH
from feedback.surveys.questions import MAX_TEXT, AnswerError, Option, QuestionSpec, QuestionType, parse_answer
from feedback.texts import Texts

EXAMPLES = 3000
#: Everything a form field or a URL can carry, with the troublemakers made likely.
HOSTILE = st.one_of(
    st.text(),
    st.text(alphabet=ALPHABET + "-_ .olOLiI|\n\t\x00"),
    st.sampled_from(["٥", "５", "5\n", " 5", "+5", "05", "1e1", "0x5", "\u200b5", "5\u0301", "𝟓", "ⅴ", "\x00"]),
    st.binary().map(lambda b: b.decode("latin-1")),
)
QUESTIONS = [
    QuestionSpec("nps", QuestionType.NPS, True, text=Texts.of(en="?")),
    QuestionSpec("csat", QuestionType.CSAT, True, text=Texts.of(en="?")),
    QuestionSpec("ces", QuestionType.CES, True, text=Texts.of(en="?")),
    QuestionSpec("rating", QuestionType.RATING, True, text=Texts.of(en="?")),
    QuestionSpec("one", QuestionType.SINGLE_CHOICE, True, text=Texts.of(en="?"), options=(Option("a"), Option("b"))),
    QuestionSpec("many", QuestionType.MULTI_CHOICE, False, text=Texts.of(en="?"), options=(Option("a"), Option("b"))),
    QuestionSpec("why", QuestionType.TEXT, False, text=Texts.of(en="?")),
]


@settings(max_examples=EXAMPLES)
@given(HOSTILE)
def test_a_typed_code_is_a_valid_code_or_refused(typed: str) -> None:
    for length in (CODE_LENGTH, INVITE_CODE_LENGTH):
        try:
            code = normalise_code(typed, length)
        except InvalidCode:
            continue
        assert len(code) == length and set(code) <= set(ALPHABET)


@settings(max_examples=EXAMPLES)
@given(st.sampled_from(QUESTIONS), st.lists(HOSTILE, max_size=4))
def test_an_answer_is_a_valid_value_or_a_clear_error(question: QuestionSpec, raw: list[str]) -> None:
    try:
        value = parse_answer(question, raw)
    except AnswerError as error:
        assert error.code in {"out_of_range", "invalid_choice", "one_value", "invalid_text", "too_long"}
        return
    if value is None:
        return
    if question.scale is not None:
        low, high = question.scale
        assert isinstance(value, int) and low <= value <= high
        # only plain ASCII digits: the one value given, nothing else around it
        (given_value,) = [v for v in raw if v != ""]
        assert re.fullmatch(r"[0-9]{1,2}", given_value)
    elif question.type is QuestionType.SINGLE_CHOICE:
        assert value in {"a", "b"}
    elif question.type is QuestionType.MULTI_CHOICE:
        assert isinstance(value, tuple) and set(value) <= {"a", "b"}
    else:
        assert isinstance(value, str) and "\x00" not in value and 0 < len(value) <= MAX_TEXT


@settings(max_examples=EXAMPLES)
@given(HOSTILE)
def test_a_colour_is_a_hex_colour_or_refused(text: str) -> None:
    from feedback.qr.rendering import QrOptions, RenderError

    try:
        QrOptions(size_mm=30, foreground=text)
    except RenderError:
        return
    assert re.fullmatch(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})", text)
