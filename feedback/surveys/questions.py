"""Question types and answer parsing, pure: raw form values in, a typed value or a clear error out."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from slugify import slugify

from feedback.texts import Texts

MAX_TEXT = 2000
#: Plain ASCII digits only: no signs, spaces, fractions, other scripts or a trailing newline (fullmatch, not $).
_DIGITS = re.compile(r"[0-9]{1,2}")


class QuestionType(enum.StrEnum):
    """The kinds of question a survey can ask."""

    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    RATING = "rating"
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    TEXT = "text"


#: Inclusive answer range of the scale questions.
SCALES: dict[QuestionType, tuple[int, int]] = {
    QuestionType.NPS: (0, 10),
    QuestionType.CSAT: (1, 5),
    QuestionType.CES: (1, 7),
    QuestionType.RATING: (1, 5),
}

#: The NPS groups of a 0–10 answer (inclusive), the one definition the statistics, the filters, lead scoring and
#: the wording for promoters and detractors all use.
NPS_GROUPS: dict[str, tuple[int, int]] = {"detractors": (0, 6), "passives": (7, 8), "promoters": (9, 10)}
PROMOTER_MIN = NPS_GROUPS["promoters"][0]
DETRACTOR_MAX = NPS_GROUPS["detractors"][1]
CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE})
#: Scales whose good end a survey may put at the low end (the NPS is defined with 10 = best).
REVERSIBLE = frozenset({QuestionType.CSAT, QuestionType.CES, QuestionType.RATING})
QUESTION_TYPE_VALUES = tuple(t.value for t in QuestionType)


def key_from_text(text: str, taken: Iterable[str] = (), limit: int = 40, fallback: str = "question") -> str:
    """A key made from a question's (or option's) text: ASCII, lower case, `_` between words, starting with a
    letter, at most `limit` characters, and not one of `taken` (a `_2`, `_3` … suffix makes it unique)."""
    base = slugify(text or "", separator="_", max_length=limit, word_boundary=True, save_order=True) or fallback
    if not base[0].isalpha():
        base = f"q_{base}"[:limit].rstrip("_")
    used = set(taken)
    key, number = base, 1
    while key in used:
        number += 1
        suffix = f"_{number}"
        key = base[: limit - len(suffix)].rstrip("_") + suffix
    return key


class AnswerError(ValueError):
    """An answer that cannot be accepted; `code` selects the message shown to the respondent."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Option:
    """One choice of a choice question: its stored value and its label in each language."""

    value: str
    labels: Texts = Texts()

    def label(self, language: str, fallback: str = "de") -> str:
        """The label in the visitor's language, else the survey's default language, else any, else the value."""
        return self.labels.pick(language, fallback) or self.value


@dataclass(frozen=True)
class Condition:
    """Show a question only when an earlier scale answer lies in [low, high]."""

    key: str
    low: int
    high: int

    def holds(self, answers: dict[str, object]) -> bool:
        """True when the referenced answer exists and lies in the range."""
        value = answers.get(self.key)
        return isinstance(value, int) and self.low <= value <= self.high


@dataclass(frozen=True)
class QuestionSpec:
    """A question as the respondent flow needs it (independent of the database)."""

    key: str
    type: QuestionType
    required: bool
    #: The question in each language.
    text: Texts = Texts()
    #: What the ends of a scale mean ("not at all likely" … "extremely likely").
    low_label: Texts = Texts()
    high_label: Texts = Texts()
    options: tuple[Option, ...] = ()
    condition: Condition | None = None
    #: Other wording when the answer to the NPS question `wording_key` is a detractor (0–6) or a promoter (9–10),
    #: e.g. "What should we improve?" versus "What did you like most?".
    wording_key: str = ""
    detractor_text: Texts = Texts()
    promoter_text: Texts = Texts()
    #: False for a scale whose low end is the good one (e.g. CES 1.0, 1 = little effort): analysis reverses its
    #: answers (r' = max + min − r) before pooling them with the others (STATS.md §1). NPS is always True.
    higher_is_better: bool = True
    #: A 1–5 rating question that measures loyalty (repurchase, recommendation intent …); only these count as the
    #: loyalty metric, other ratings are reported one by one.
    loyalty: bool = False

    @property
    def scale(self) -> tuple[int, int] | None:
        """Inclusive range for scale questions, else None."""
        return SCALES.get(self.type)

    def wording(self, language: str, answers: dict[str, object] | None = None, fallback: str = "de") -> str:
        """The question in the visitor's language (else the survey's default), worded for the respondent's earlier
        NPS answer."""
        value = (answers or {}).get(self.wording_key) if self.wording_key else None
        if isinstance(value, int):
            variant = self.detractor_text if value <= DETRACTOR_MAX else Texts()
            if value >= PROMOTER_MIN:
                variant = self.promoter_text
            if variant:
                return variant.pick(language, fallback)
        return self.text.pick(language, fallback)

    def oriented(self, value: int) -> int:
        """A scale answer turned so that higher is better, the way analysis pools it."""
        if self.higher_is_better or self.scale is None:
            return value
        low, high = self.scale
        return low + high - value

    def low_end(self, language: str, fallback: str = "de") -> str:
        """Label of the scale's low end."""
        return self.low_label.pick(language, fallback)

    def high_end(self, language: str, fallback: str = "de") -> str:
        """Label of the scale's high end."""
        return self.high_label.pick(language, fallback)

    def depends_on(self) -> set[str]:
        """Keys of earlier answers this question's visibility or wording depends on."""
        keys = {self.condition.key} if self.condition else set()
        if self.wording_key:
            keys.add(self.wording_key)
        return keys

    def visible(self, answers: dict[str, object]) -> bool:
        """Whether the respondent sees this question, given the answers so far."""
        return self.condition is None or self.condition.holds(answers)


def parse_answer(question: QuestionSpec, raw: list[str]) -> int | str | tuple[str, ...] | None:
    """Turn submitted form values into a typed answer; None when unanswered. Raises AnswerError."""
    values = [v for v in raw if v != ""]
    if question.type is QuestionType.MULTI_CHOICE:
        allowed = {o.value for o in question.options}
        chosen = tuple(dict.fromkeys(values))  # keep order, drop repeats
        if any(v not in allowed for v in chosen):
            raise AnswerError("invalid_choice")
        return chosen or None
    if len(values) > 1:
        raise AnswerError("one_value")
    if not values:
        return None
    value = values[0]
    if question.scale is not None:
        low, high = question.scale
        if not _DIGITS.fullmatch(value) or not low <= int(value) <= high:
            raise AnswerError("out_of_range", low=low, high=high)
        return int(value)
    if question.type is QuestionType.SINGLE_CHOICE:
        if value not in {o.value for o in question.options}:
            raise AnswerError("invalid_choice")
        return value
    text = value.replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise AnswerError("invalid_text")
    if len(text) > MAX_TEXT:
        raise AnswerError("too_long", limit=MAX_TEXT)
    return text or None


def missing_required(questions: list[QuestionSpec], answers: dict[str, object]) -> list[str]:
    """Keys of visible required questions without an answer."""
    return [q.key for q in questions if q.required and q.visible(answers) and answers.get(q.key) in (None, (), "")]


def pages(questions: list[QuestionSpec]) -> list[list[QuestionSpec]]:
    """Split questions into pages: a question whose visibility or wording depends on an answer on the current
    page starts a new page, so the flow works without JavaScript."""
    result: list[list[QuestionSpec]] = [[]]
    on_page: set[str] = set()
    for question in questions:
        if question.depends_on() & on_page:
            result.append([])
            on_page = set()
        result[-1].append(question)
        on_page.add(question.key)
    return [page for page in result if page]
