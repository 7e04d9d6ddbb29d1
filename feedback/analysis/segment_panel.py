"""What the segment panel of the analysis pages shows: the choices of each condition with translated labels, the
active conditions as removable chips, and the saved segments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from flask_babel import lazy_gettext as _l

from feedback.analysis.segments import SEGMENT_DEVICES, AnswerIs, Segment, Visitor
from feedback.qr.models import ARRIVAL_VALUES
from feedback.surveys.questions import CHOICE_TYPES, NPS_GROUPS, SCALES, QuestionSpec, QuestionType
from feedback.texts import LANGUAGES

NPS_GROUP_LABELS = {
    "detractors": _l("Detractors (0–6)"),
    "passives": _l("Passives (7–8)"),
    "promoters": _l("Promoters (9–10)"),
}
VISITOR_LABELS = {Visitor.NEW.value: _l("New visitors"), Visitor.RETURNING.value: _l("Returning visitors")}
ARRIVAL_LABELS = {
    "symbol": _l("Scanned the symbol"),
    "typed_url": _l("Typed the address"),
    "typed_code": _l("Typed the code"),
    "invite": _l("Came through an invite"),
    "personal_mailing": _l("Personal mailing code"),
    "kiosk": _l("Kiosk screen"),
}
YES_NO = {"yes": _l("yes"), "no": _l("no")}
CONDITION_NAMES = {
    "answer": _l("Answer"),
    "nps": _l("NPS group"),
    "language": _l("Language"),
    "device": _l("Device"),
    "visitor": _l("Visitor"),
    "referred": _l("Referred by an invite"),
    "arrival": _l("Arrival"),
    "kiosk": _l("On a kiosk"),
}
#: The ends of a scale offered as answer conditions: the bottom and top boxes (CES: 1–3 and 5–7).
_BOXES = {
    QuestionType.CSAT: ((1, 2), (4, 5)),
    QuestionType.CES: ((1, 3), (5, 7)),
    QuestionType.RATING: ((1, 2), (4, 5)),
}


@dataclass(frozen=True)
class Chip:
    """One active condition: what it is, its value, and the page without it."""

    name: str
    value: str
    remove: str


@dataclass(frozen=True)
class SegmentPanel:
    """Everything the panel renders."""

    segment: Segment
    answers: list[tuple[str, str]]
    nps: list[tuple[str, str]]
    languages: list[tuple[str, str]]
    devices: list[tuple[str, str]]
    visitors: list[tuple[str, str]]
    arrivals: list[tuple[str, str]]
    yes_no: list[tuple[str, str]]
    chips: list[Chip] = field(default_factory=list)
    saved: list[tuple[int, str]] = field(default_factory=list)


def answer_label(condition: AnswerIs, specs: dict[str, QuestionSpec], language: str) -> str:
    """“Contact? = Yes”, “Satisfaction 4–5”: the question in the reader's language and the chosen values."""
    spec = specs.get(condition.key)
    question = (spec.text.pick(language) if spec else "") or condition.key
    if condition.values:
        options = {o.value: o for o in spec.options} if spec else {}
        chosen = [options[v].label(language) if v in options else v for v in condition.values]
        return f"{question} = {' / '.join(chosen)}"
    values = str(condition.low) if condition.low == condition.high else f"{condition.low}–{condition.high}"
    return f"{question}: {values}"


def _answer_choices(questions: list[QuestionSpec], language: str) -> list[tuple[str, str]]:
    specs = {q.key: q for q in questions}
    found: list[tuple[str, str]] = []
    for spec in questions:
        if spec.type in CHOICE_TYPES:
            conditions = [AnswerIs(spec.key, values=(o.value,)) for o in spec.options]
        elif spec.type is QuestionType.NPS:
            conditions = [AnswerIs(spec.key, low=low, high=high) for low, high in NPS_GROUPS.values()]
        elif spec.type in SCALES:
            boxes = _BOXES.get(spec.type, ())
            conditions = [AnswerIs(spec.key, low=low, high=high) for low, high in boxes]
        else:
            continue
        found += [(c.token, answer_label(c, specs, language)) for c in conditions]
    return found


def _label(value: str, labels: dict[str, object]) -> str:
    return str(labels.get(value, value))


def panel(
    segment: Segment,
    questions: list[QuestionSpec],
    saved: list[tuple[int, str]],
    language: str,
    url_without: Callable[[Segment], str],
    device_label: Callable[[str], str],
) -> SegmentPanel:
    """The panel for the active segment; `url_without(segment)` is the page with another segment."""
    specs = {q.key: q for q in questions}
    chips: list[Chip] = []
    if segment.saved_id is not None:
        chips.append(Chip(str(_l("Saved segment")), segment.name, url_without(Segment())))
    else:
        bare = replace(segment, saved_id=None, name="")
        for condition in segment.answers:
            rest = replace(bare, answers=tuple(a for a in segment.answers if a != condition))
            label = answer_label(condition, specs, language)
            chips.append(Chip(str(CONDITION_NAMES["answer"]), label, url_without(rest)))
        single = {
            "nps": (segment.nps, NPS_GROUP_LABELS),
            "language": (segment.language, LANGUAGES),
            "device": (segment.device, None),
            "visitor": (segment.visitor, VISITOR_LABELS),
            "referred": (None if segment.referred is None else ("yes" if segment.referred else "no"), YES_NO),
            "arrival": (segment.arrival, ARRIVAL_LABELS),
            "kiosk": (None if segment.kiosk is None else ("yes" if segment.kiosk else "no"), YES_NO),
        }
        for key, (value, labels) in single.items():
            if value is None:
                continue
            shown = device_label(value) if labels is None else _label(value, labels)
            chips.append(Chip(str(CONDITION_NAMES[key]), shown, url_without(replace(bare, **{key: None}))))
    return SegmentPanel(
        segment=segment,
        answers=_answer_choices(questions, language),
        nps=[(k, str(v)) for k, v in NPS_GROUP_LABELS.items()],
        languages=list(LANGUAGES.items()),
        devices=[(d, device_label(d)) for d in SEGMENT_DEVICES],
        visitors=[(k, str(v)) for k, v in VISITOR_LABELS.items()],
        arrivals=[(a, _label(a, ARRIVAL_LABELS)) for a in ARRIVAL_VALUES],
        yes_no=[(k, str(v)) for k, v in YES_NO.items()],
        chips=chips,
        saved=saved,
    )
