"""The builder's preview, pure: which page comes next and which answers travel along, from the query string the
preview's own form sends (nothing is stored anywhere)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from feedback.surveys.questions import AnswerError, QuestionSpec, parse_answer

#: At most this many values travel from page to page (a survey has far fewer).
MAX_CARRIED = 200


def given_answers(questions: Sequence[QuestionSpec], values: Mapping[str, list[str]]) -> dict[str, object]:
    """The answers in `values` ({"q_<key>": [raw, …]}) as a respondent's would be parsed; ones that do not fit are
    left out."""
    answers: dict[str, object] = {}
    for question in questions:
        try:
            value = parse_answer(question, values.get(f"q_{question.key}", [])[:30])
        except AnswerError:
            continue
        if value is not None:
            answers[question.key] = value
    return answers


def next_page(pages: Sequence[Sequence[QuestionSpec]], page: int, answers: dict[str, object]) -> int | None:
    """The next page with a question these answers show, or None at the end."""
    return next((i for i in range(page + 1, len(pages)) if any(q.visible(answers) for q in pages[i])), None)


def carried(values: Mapping[str, list[str]], on_page: set[str]) -> list[tuple[str, str]]:
    """The (name, value) pairs the next page's form carries as hidden fields: the answers given on other pages."""
    pairs = [
        (name, value)
        for name, given in values.items()
        if name.startswith("q_") and name[2:] not in on_page
        for value in given
    ]
    return pairs[:MAX_CARRIED]
