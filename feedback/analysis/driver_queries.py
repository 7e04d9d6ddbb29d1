"""The drivers of a campaign's NPS from the database: one GROUP BY query of answer pairs within a response, handed
to the pure `drivers` module (docs/STATISTICS.md §1)."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from feedback.analysis import drivers
from feedback.analysis.queries import Scope
from feedback.analysis.segments import Segment
from feedback.analysis.services import DateRange, _scope
from feedback.extensions import db
from feedback.surveys.models import Answer, Question, Response, Survey
from feedback.surveys.questions import SCALES, QuestionSpec, QuestionType
from feedback.tenancy import owned
from feedback.texts import Texts
from feedback.touchpoints.models import Campaign
from feedback.touchpoints.services import touchpoints_of

#: Questions whose answers are correlated with the NPS, and those whose options are compared.
SCALE_TYPES = (QuestionType.CSAT, QuestionType.CES, QuestionType.RATING)
CHOICE_TYPES = (QuestionType.SINGLE_CHOICE,)


@dataclass(frozen=True)
class DriverReport:
    """A campaign's drivers of the NPS, with the questions they are about (text and options in every language)."""

    has_nps: bool
    drivers: list[drivers.Driver] = field(default_factory=list)
    questions: dict[str, QuestionSpec] = field(default_factory=dict)

    def text(self, key: str, language: str) -> str:
        """A question's wording in a language (its key when the survey no longer has it)."""
        spec = self.questions.get(key)
        return (spec.wording(language) if spec else "") or key

    def option_label(self, key: str, option: str | None, language: str) -> str:
        """An option's label in a language (the stored value when the survey no longer offers it)."""
        if option is None:
            return ""
        spec = self.questions.get(key)
        return next((o.label(language) for o in spec.options if o.value == option), option) if spec else option


#: {(question key, question type, oriented number or None, chosen option or None, NPS answer): responses}
PairCounts = dict[tuple[str, str, int | None, str | None, int], int]


def pair_counts(scope: Scope) -> PairCounts:
    """Pairs of the NPS answer with every scale and single-choice answer of the same response, counted by the
    database; only completed, unflagged responses of the scope's touchpoints started in its period. Scales whose
    low end is the good one are turned (r' = min + max − r, STATS.md §1) by their version's question."""
    nps, other, earlier = aliased(Answer), aliased(Answer), aliased(Answer)
    # a survey may ask NPS twice: each response pairs with its first NPS answer only, so no pair counts twice
    first_nps = ~sa.exists().where(
        earlier.response_id == nps.response_id,
        earlier.question_type == QuestionType.NPS.value,
        earlier.id < nps.id,
    )
    turned = sa.case(
        *((other.question_type == t.value, low + high - other.value_number) for t, (low, high) in SCALES.items()),
        else_=other.value_number,
    )
    oriented = sa.case((Question.higher_is_better, other.value_number), else_=turned)
    types = [t.value for t in (*SCALE_TYPES, *CHOICE_TYPES)]
    query = (
        sa.select(
            other.question_key, other.question_type, oriented, other.value_text, nps.value_number, sa.func.count()
        )
        .select_from(Response)
        .join(nps, sa.and_(nps.response_id == Response.id, nps.question_type == QuestionType.NPS.value, first_nps))
        .join(other, sa.and_(other.response_id == Response.id, other.question_type.in_(types)))
        .join(Question, sa.and_(Question.version_id == Response.version_id, Question.key == other.question_key))
        .where(
            Response.workspace_id == scope.workspace_id,
            Response.touchpoint_id.in_(scope.touchpoint_ids),
            Response.flagged.is_(False),
            Response.completed_at.is_not(None),
            *scope.period.where(Response.started_at),
            *scope.response_conditions(),
            nps.value_number.is_not(None),
            sa.or_(other.value_number.is_not(None), other.value_text.is_not(None)),
        )
        .group_by(other.question_key, other.question_type, oriented, other.value_text, nps.value_number)
    )
    return {(key, kind, value, text, score): n for key, kind, value, text, score, n in db.session.execute(query)}


def _specs(campaign: Campaign, survey_ids: set[int]) -> tuple[bool, dict[str, QuestionSpec]]:
    """Whether the campaign's current surveys ask an NPS question, and their scale and choice questions by key."""
    has_nps, specs = False, {}
    for survey in db.session.scalars(
        owned(Survey, campaign.workspace_id, Survey.id.in_(survey_ids)).order_by(Survey.id)
    ):
        for spec in survey.current.specs() if survey.versions else []:
            has_nps = has_nps or spec.type is QuestionType.NPS
            if spec.type in (*SCALE_TYPES, *CHOICE_TYPES):
                specs.setdefault(spec.key, spec)
    return has_nps, specs


def campaign_drivers(
    campaign: Campaign, dates: DateRange | None = None, segment: Segment | None = None
) -> DriverReport:
    """The campaign's questions ranked by how they relate to the NPS of the same response (all its touchpoints,
    archived ones too, in the local days of `dates`, the respondents of `segment`)."""
    touchpoints = touchpoints_of(campaign, include_archived=True)
    has_nps, specs = _specs(campaign, {tp.survey_id for tp in touchpoints if tp.survey_id})
    counted = pair_counts(_scope(campaign, touchpoints, dates or DateRange(), segment))
    if not has_nps and not counted:
        return DriverReport(False)
    scales: dict[str, dict[tuple[int, int], int]] = {}
    choices: dict[str, dict[tuple[str, int], int]] = {}
    for (key, kind, value, text, score), n in counted.items():
        if QuestionType(kind) in SCALE_TYPES and value is not None:
            pairs = scales.setdefault(key, {})
            pairs[(int(value), score)] = pairs.get((int(value), score), 0) + n
        elif text is not None:
            chosen = choices.setdefault(key, {})
            chosen[(text, score)] = chosen.get((text, score), 0) + n
    for key, kind in ((k, s.type) for k, s in specs.items()):
        (scales if kind in SCALE_TYPES else choices).setdefault(key, {})
    for key in set(scales) | set(choices):
        kind = QuestionType.RATING if key in scales else QuestionType.SINGLE_CHOICE
        specs.setdefault(key, QuestionSpec(key, kind, False, text=Texts.of(en=key)))
    found = drivers.drivers(
        [drivers.ScaleQuestion(key, pairs) for key, pairs in scales.items()],
        [
            drivers.ChoiceQuestion(key, tuple(o.value for o in specs[key].options), pairs)
            for key, pairs in choices.items()
        ],
    )
    return DriverReport(True, found, specs)
