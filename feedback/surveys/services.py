"""Use cases of the survey builder: create from templates, edit with versions, attach to touchpoints."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from feedback import events
from feedback.auth.models import Workspace
from feedback.db_types import utcnow
from feedback.errors import DomainError
from feedback.events import ResponseErased
from feedback.extensions import db
from feedback.surveys.catalog import template
from feedback.surveys.models import Answer, CompletionClaim, Question, Response, Survey, SurveyVersion
from feedback.surveys.questions import CHOICE_TYPES, REVERSIBLE, Option, QuestionSpec, QuestionType, key_from_text
from feedback.tenancy import get_owned, owned
from feedback.texts import Texts
from feedback.touchpoints.models import Campaign, Touchpoint

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class DuplicateSurvey(DomainError):
    """Survey names are unique within a workspace."""

    status = 409
    message = _l("A survey with this name already exists.")


class DuplicateKey(DomainError):
    """Question keys are unique within a survey; analysis matches questions by key across versions."""

    status = 409
    message = _l("Another question of this survey already uses this key.")


class InvalidQuestion(DomainError):
    """A question the respondent flow could not show."""

    message = _l("This question is incomplete.")

    def __init__(self, message: object | None = None) -> None:
        super().__init__(str(message) if message else None)


class KeyInUse(DomainError):
    """A key that answers were given under stays: analysis and downloads match answers by it."""

    status = 409
    message = _l("This question has answers, so its key stays as it is.")


class SurveyInUse(DomainError):
    """Surveys with answers or touchpoints cannot be deleted, only archived."""

    status = 409
    message = _l("This survey has answers or is used by touchpoints. Archive it instead.")


def create_survey(workspace_id: int, name: str, template_slug: str | None = None) -> Survey:
    """A new survey with version 1, filled from a template when one is named; the caller commits.

    :raises DuplicateSurvey: the name is in use in this workspace.
    """
    name = name.strip()
    if db.session.scalar(owned(Survey, workspace_id, sa.func.lower(Survey.name) == name.lower())):
        raise DuplicateSurvey()
    workspace = db.session.get(Workspace, workspace_id)
    survey = Survey(workspace_id=workspace_id, name=name, language=workspace.language_list[0] if workspace else "de")
    version = SurveyVersion(workspace_id=workspace_id, survey=survey, number=1)
    chosen = template(template_slug) if template_slug else None
    for position, spec in enumerate(chosen.questions if chosen else ()):
        version.questions.append(Question.from_spec(spec, position))
    db.session.add_all([survey, version])
    db.session.flush()
    return survey


def response_count(version: SurveyVersion) -> int:
    """How many responses (complete or partial) use a version."""
    return db.session.scalar(sa.select(sa.func.count()).where(Response.version_id == version.id)) or 0


def editable_version(survey: Survey) -> SurveyVersion:
    """The version to change: the current one while unanswered, otherwise a new copy (old answers keep theirs)."""
    current = survey.current
    if response_count(current) == 0:
        return current
    copies = [Question.from_spec(question.spec(), question.position) for question in current.questions]
    version = SurveyVersion(workspace_id=survey.workspace_id, survey_id=survey.id, number=current.number + 1)
    db.session.add(version)
    version.questions.extend(copies)
    db.session.flush()
    db.session.expire(survey, ["versions"])
    return version


def _check(spec: QuestionSpec, others: list[QuestionSpec]) -> None:
    """Rules a question must follow to be shown."""
    if not KEY.fullmatch(spec.key):
        raise InvalidQuestion(_l("Keys use lower-case letters, digits and _ and start with a letter."))
    if not spec.text.stripped():
        raise InvalidQuestion(_l("Write the question in at least one language."))
    if spec.type in CHOICE_TYPES and len(spec.options) < 2:
        raise InvalidQuestion(_l("A choice question needs at least two options."))
    if spec.type in CHOICE_TYPES and len({o.value for o in spec.options}) != len(spec.options):
        raise InvalidQuestion(_l("Each option must be different."))
    if not spec.higher_is_better and spec.type not in REVERSIBLE:
        raise InvalidQuestion(_l("Only satisfaction, effort and rating scales can have their low end as the good one."))
    if spec.loyalty and spec.type is not QuestionType.RATING:
        raise InvalidQuestion(_l("Only a rating question (1–5) can measure loyalty."))
    if any(o.key == spec.key for o in others):
        raise DuplicateKey()
    earlier = {o.key: o for o in others}
    for reference in spec.depends_on():
        if reference not in earlier or earlier[reference].scale is None:
            raise InvalidQuestion(_l("Conditions and wordings can only refer to an earlier scale question."))
    if spec.condition:
        low, high = earlier[spec.condition.key].scale or (0, 0)
        if not low <= spec.condition.low <= spec.condition.high <= high:
            raise InvalidQuestion(_l("Choose a range within the scale of that question, from %(low)s to %(high)s.",
                                     low=low, high=high))  # fmt: skip
    if spec.wording_key and earlier[spec.wording_key].type is not QuestionType.NPS:
        raise InvalidQuestion(_l("Wordings for detractors and promoters refer to an NPS question."))


def earlier_questions(survey: Survey, key: str | None = None) -> list[QuestionSpec]:
    """The current version's questions before the one with `key` (all of them for a new question): the ones a
    condition or a wording may refer to."""
    specs = survey.current.specs()
    keys = [spec.key for spec in specs]
    return specs[: keys.index(key)] if key in keys else specs


def _with_key(spec: QuestionSpec, taken: list[str], language: str) -> QuestionSpec:
    """The spec with a key generated from its text in the survey's main language when it has none."""
    return spec if spec.key else replace(spec, key=key_from_text(spec.text.pick(language, language), taken))


def key_answered(survey: Survey, key: str) -> bool:
    """Whether any version of the survey has answers under this question key."""
    query = (
        sa.select(Answer.id)
        .join(Response, Response.id == Answer.response_id)
        .join(SurveyVersion, SurveyVersion.id == Response.version_id)
        .where(SurveyVersion.survey_id == survey.id, Answer.question_key == key)
        .limit(1)
    )
    return db.session.scalar(query) is not None


def add_question(survey: Survey, spec: QuestionSpec) -> Question:
    """Append a question (to a new version if the current one has answers); the caller commits."""
    version = editable_version(survey)
    # keys of earlier versions are taken too: their answers would otherwise share a column with the new question's
    spec = _with_key(spec, [*{q.key for q in version.questions}, *question_keys(survey)], survey.language)
    _check(spec, version.specs())
    question = Question.from_spec(spec, len(version.questions))
    version.questions.append(question)
    db.session.flush()
    return question


def _find(version: SurveyVersion, key: str) -> Question:
    """A question of the version by key."""
    for question in version.questions:
        if question.key == key:
            return question
    raise InvalidQuestion(_l("This question does not exist (any more)."))


def find_question(survey: Survey, key: str) -> QuestionSpec | None:
    """The current version's question with this key, or None."""
    return next((spec for spec in survey.current.specs() if spec.key == key), None)


def _languages(survey: Survey) -> tuple[str, ...]:
    """The languages the survey's workspace writes in now."""
    workspace = db.session.get(Workspace, survey.workspace_id)
    return workspace.language_list if workspace else ()


def _keep_other_languages(old: QuestionSpec, new: QuestionSpec, languages: tuple[str, ...]) -> QuestionSpec:
    """The changed question with the texts it had in languages the workspace does not write in now (the forms show
    only those it does): a language dropped and chosen again finds its texts again."""

    def merged(before: Texts, after: Texts) -> Texts:
        return Texts.of({**{k: v for k, v in before.items if k not in languages}, **after.as_dict()})

    labels = {o.value: o.labels for o in old.options}
    return replace(
        new,
        text=merged(old.text, new.text),
        low_label=merged(old.low_label, new.low_label),
        high_label=merged(old.high_label, new.high_label),
        detractor_text=merged(old.detractor_text, new.detractor_text),
        promoter_text=merged(old.promoter_text, new.promoter_text),
        options=tuple(Option(o.value, merged(labels.get(o.value, Texts()), o.labels)) for o in new.options),
    )


def update_question(survey: Survey, key: str, spec: QuestionSpec) -> Question:
    """Replace a question's content (in a new version if needed); its key may change only while unanswered, and an
    empty key keeps the old one.

    :raises KeyInUse: the key would change although answers were given under it.
    """
    spec = spec if spec.key else replace(spec, key=key)
    if spec.key != key and key_answered(survey, key):
        raise KeyInUse()
    version = editable_version(survey)
    question = _find(version, key)
    earlier = [q.spec() for q in version.questions if q.position < question.position]
    later = [q.spec() for q in version.questions if q.position > question.position]
    if spec.key != key and spec.key in {q.key for q in later}:
        raise DuplicateKey()
    if spec.key != key and any(key in q.depends_on() for q in later):
        raise InvalidQuestion(_l("Later questions refer to this key in their condition or wording; change them first."))
    spec = _keep_other_languages(question.spec(), spec, _languages(survey))
    _check(spec, earlier)
    replacement = Question.from_spec(spec, question.position)
    for column in (
        "key",
        "type",
        "required",
        "text",
        "low_label",
        "high_label",
        "options",
        "condition",
        "wording_key",
        "detractor_text",
        "promoter_text",
        "higher_is_better",
        "loyalty",
    ):
        setattr(question, column, getattr(replacement, column))
    db.session.flush()
    return question


def remove_question(survey: Survey, key: str) -> None:
    """Remove a question (from a new version if needed) and close the gap in the order."""
    version = editable_version(survey)
    question = _find(version, key)
    if any(key in q.spec().depends_on() for q in version.questions if q.key != key):
        raise InvalidQuestion(_l("Another question depends on this one. Change that question first."))
    version.questions.remove(question)
    db.session.flush()
    for position, remaining in enumerate(version.questions):
        remaining.position = position


def move_question(survey: Survey, key: str, step: int) -> None:
    """Move a question up (-1) or down (+1), keeping conditions after the questions they refer to."""
    version = editable_version(survey)
    ordered = list(version.questions)
    keys = [q.key for q in ordered]
    if key not in keys:
        raise InvalidQuestion(_l("This question does not exist (any more)."))
    index = keys.index(key)
    target = index + step
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    seen: set[str] = set()
    for question in ordered:
        if not question.spec().depends_on() <= seen:
            raise InvalidQuestion(_l("A question must stay after the question its condition or wording refers to."))
        seen.add(question.key)
    for position, question in enumerate(ordered):
        question.position = position
    db.session.flush()


def list_surveys(workspace_id: int, include_archived: bool = False) -> list[tuple[Survey, int, int]]:
    """Surveys with their number of touchpoints and of completed responses."""
    touchpoints = (
        sa.select(Touchpoint.survey_id, sa.func.count().label("n"))
        .where(Touchpoint.workspace_id == workspace_id)
        .group_by(Touchpoint.survey_id)
        .subquery()
    )
    responses = (
        sa.select(SurveyVersion.survey_id, sa.func.count(Response.id).label("n"))
        .join(Response, Response.version_id == SurveyVersion.id)
        .where(SurveyVersion.workspace_id == workspace_id, Response.completed_at.is_not(None))
        .group_by(SurveyVersion.survey_id)
        .subquery()
    )
    query = (
        owned(Survey, workspace_id)
        .add_columns(sa.func.coalesce(touchpoints.c.n, 0), sa.func.coalesce(responses.c.n, 0))
        .outerjoin(touchpoints, touchpoints.c.survey_id == Survey.id)
        .outerjoin(responses, responses.c.survey_id == Survey.id)
        .order_by(Survey.archived_at.is_not(None), Survey.name)
    )
    if not include_archived:
        query = query.where(Survey.archived_at.is_(None))
    return [(survey, used, answered) for survey, used, answered in db.session.execute(query)]


def get_survey(workspace_id: int, survey_id: int) -> Survey:
    """One survey of the workspace or NotFound."""
    return get_owned(Survey, workspace_id, survey_id)


def attach(touchpoint: Touchpoint, survey: Survey | None) -> None:
    """Show `survey` (or none) on the touchpoint's landing page."""
    touchpoint.survey_id = survey.id if survey else None


def set_archived(survey: Survey, archived: bool, now: datetime) -> None:
    """Archive or restore a survey; archived surveys keep answering on touchpoints that use them."""
    survey.archived_at = now if archived else None


def may_delete(survey: Survey) -> bool:
    """A survey may be deleted while no version was ever answered and no touchpoint shows it."""
    used = db.session.scalar(sa.select(sa.func.count()).where(Touchpoint.survey_id == survey.id)) or 0
    return not used and not any(response_count(v) for v in survey.versions)


def delete_survey(survey: Survey) -> None:
    """Delete a survey that was never answered and is on no touchpoint.

    :raises SurveyInUse: it has responses or touchpoints.
    """
    if not may_delete(survey):
        raise SurveyInUse()
    for campaign in db.session.scalars(owned(Campaign, survey.workspace_id, Campaign.survey_id == survey.id)):
        campaign.survey_id = None  # new touchpoints of these campaigns start without a survey
    db.session.flush()
    for version in survey.versions:
        db.session.delete(version)
    db.session.delete(survey)


def question_keys(survey: Survey) -> list[str]:
    """Every question key of every version, in the order of the newest version, then older extras."""
    keys: list[str] = []
    for version in reversed(survey.versions):
        for question in version.questions:
            if question.key not in keys:
                keys.append(question.key)
    return keys


#: The filters of the responses list: every response, the counted ones, or the ones kept apart (possible repeats,
#: own invites, team devices, likely bots).
RESPONSE_FILTERS = ("", "counted", "kept")


def responses_page(survey: Survey, before_id: int | None, limit: int = 50, shown: str = "") -> list[Response]:
    """Responses to any version of the survey, newest first, `limit` at a time (keyset pagination); `shown` one of
    RESPONSE_FILTERS."""
    query = (
        sa.select(Response)
        .join(SurveyVersion, SurveyVersion.id == Response.version_id)
        .where(SurveyVersion.survey_id == survey.id, Response.workspace_id == survey.workspace_id)
        .order_by(Response.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(Response.id < before_id)
    if shown in ("counted", "kept"):
        query = query.where(Response.flagged.is_(shown == "kept"))
    return list(db.session.scalars(query))


def get_response(workspace_id: int, response_id: int) -> Response:
    """One response of the workspace or NotFound."""
    return get_owned(Response, workspace_id, response_id)


def delete_response(workspace_id: int, response_id: int, now: datetime | None = None) -> None:
    """Erase one response and its answers (a respondent's right to deletion), and the repeat rules' claims it holds,
    so the person may answer again; subscribers erase what they keep of it (webhook bodies). The caller commits."""
    response = get_owned(Response, workspace_id, response_id)
    db.session.execute(
        sa.delete(CompletionClaim).where(
            CompletionClaim.workspace_id == workspace_id, CompletionClaim.token == response.token
        )
    )
    db.session.delete(response)
    events.publish(ResponseErased(workspace_id, response_id, now or utcnow()))


#: The leading columns of every raw response export (then one column per question key).
#: Fixed columns of the raw export (a contract: only ever append); one column per question key follows.
RESPONSE_COLUMNS = [
    "response_id",
    "touchpoint",
    "code",
    "language",
    "started_at",
    "completed_at",
    "completed",
    "flags",
    "reference",
    "kiosk",
]


def _joined(values: list[object] | None) -> object:
    """A single answer keeps its type (numbers stay numbers); several choices are joined with '; '."""
    if not values:
        return ""
    return values[0] if len(values) == 1 else "; ".join(str(v) for v in values)


@dataclass
class ResponseRecord:
    """One response as the raw exports show it: its facts and its answers by question key (in answer order)."""

    id: int
    campaign: str
    touchpoint: str
    code: str
    language: str
    started_at: datetime
    completed_at: datetime | None
    flags: str
    reference: str
    values: dict[str, list[object]] = field(default_factory=dict)
    multiple: set[str] = field(default_factory=set)
    #: Answered on a kiosk touchpoint's shared screen.
    kiosk: bool = False
    #: The device class and arrival of the scan it started from ("" when the scan is gone), and whether it came
    #: through a respondent's invite (JSON only: the CSV's columns are a contract).
    device: str = ""
    arrival: str = ""
    referred: bool = False

    def row(self, keys: list[str]) -> list[object]:
        """RESPONSE_COLUMNS, then one column per key (several choices joined with '; '); typed values (times as
        aware datetimes, numbers as numbers) for the file's dialect to write."""
        return [
            self.id,
            self.touchpoint,
            self.code,
            self.language,
            self.started_at,
            self.completed_at,
            "yes" if self.completed_at else "no",
            self.flags,
            self.reference,
            "yes" if self.kiosk else "no",
        ] + [_joined(self.values.get(k)) for k in keys]

    def document(self) -> dict[str, object]:
        """The JSON form: numbers stay numbers, a multiple-choice answer is a list, missing facts are null."""
        answers = {
            key: values if key in self.multiple or len(values) > 1 else values[0] for key, values in self.values.items()
        }
        return {
            "response_id": self.id,
            "campaign": self.campaign,
            "touchpoint": self.touchpoint,
            "code": self.code or None,
            "language": self.language,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "completed_at": self.completed_at.isoformat(timespec="seconds") if self.completed_at else None,
            "completed": self.completed_at is not None,
            "flags": self.flags or None,
            "reference": self.reference or None,
            "kiosk": self.kiosk,
            "device": self.device or None,
            "arrival": self.arrival or None,
            "referred": self.referred,
            "answers": answers,
        }


def response_records(
    workspace_id: int, *criteria: sa.ColumnElement[bool], survey_id: int | None = None
) -> Iterator[ResponseRecord]:
    """Every response of the workspace matching `criteria` (or one survey), in id order. Flagged responses are
    included and say why.

    Streams from one ordered query over answers, so memory stays flat however many responses there are.
    """
    from feedback.qr.models import Code, Scan
    from feedback.touchpoints.models import Campaign

    query = (
        sa.select(
            Response.id,
            Campaign.slug,
            Touchpoint.name,
            Code.code,
            Code.reference,
            Response.language,
            Response.started_at,
            Response.completed_at,
            Response.flag_reason,
            Response.flagged,
            Response.kiosk,
            Scan.device_class,
            Scan.arrival,
            Response.invite_id,
            Answer.question_key,
            Answer.question_type,
            Answer.value_number,
            Answer.value_text,
        )
        .join(Touchpoint, Touchpoint.id == Response.touchpoint_id)
        .join(Campaign, Campaign.id == Touchpoint.campaign_id)
        .outerjoin(Code, Code.id == Response.code_id)
        .outerjoin(Scan, Scan.id == Response.scan_id)
        .outerjoin(Answer, Answer.response_id == Response.id)
        .where(Response.workspace_id == workspace_id, *criteria)
        .order_by(Response.id, Answer.id)
        .execution_options(yield_per=2000)
    )
    if survey_id is not None:
        query = query.join(SurveyVersion, SurveyVersion.id == Response.version_id).where(
            SurveyVersion.survey_id == survey_id
        )
    current: ResponseRecord | None = None
    for (rid, campaign, touchpoint, code, reference, language, started, completed, reason, flagged, kiosk, device,
         arrival, invite, key, kind, number, text) in db.session.execute(query):  # fmt: skip
        if current is None or current.id != rid:
            if current is not None:
                yield current
            flags = (reason or "likely_bot") if flagged else ""
            current = ResponseRecord(
                rid, campaign, touchpoint, code or "", language, started, completed, flags, reference or "",
                kiosk=kiosk, device=device or "", arrival=arrival or "", referred=invite is not None,
            )
        if key is not None:
            current.values.setdefault(key, []).append(number if number is not None else (text or ""))
            if kind == "multi_choice":
                current.multiple.add(key)
    if current is not None:
        yield current


def response_rows(workspace_id: int, keys: list[str], *criteria: sa.ColumnElement[bool], survey_id: int | None = None):  # noqa: ANN201 - a generator of lists
    """One row per response of the workspace matching `criteria` (or one survey): RESPONSE_COLUMNS, then one
    column per key."""
    for record in response_records(workspace_id, *criteria, survey_id=survey_id):
        yield record.row(keys)


def answers_by_key(response: Response) -> dict[str, object]:
    """A response's answers by question key: a number, a text, or (multiple choice) a list of chosen options."""
    values: dict[str, list[object]] = {}
    multi = {a.question_key for a in response.answers if a.question_type == "multi_choice"}
    for answer in sorted(response.answers, key=lambda a: a.id):
        values.setdefault(answer.question_key, []).append(
            answer.value_number if answer.value_number is not None else answer.value_text
        )
    return {key: v if key in multi or len(v) > 1 else v[0] for key, v in values.items()}


def references_of(workspace_id: int, responses: list[Response]) -> dict[int, str]:
    """The recipient reference of each response that came through a personal code (one query)."""
    from feedback.qr.models import Code

    code_ids = {r.code_id for r in responses if r.code_id}
    if not code_ids:
        return {}
    rows = db.session.execute(
        owned(Code, workspace_id, Code.id.in_(code_ids), Code.reference.is_not(None)).with_only_columns(
            Code.id, Code.reference
        )
    )
    by_code = dict(rows.all())
    return {r.id: by_code[r.code_id] for r in responses if r.code_id in by_code}
