"""Surveys, their versions and questions; responses and answers."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.db_types import UTCDateTime, utcnow
from feedback.extensions import db
from feedback.qr.models import BigId
from feedback.surveys.questions import QUESTION_TYPE_VALUES, Condition, Option, QuestionSpec, QuestionType
from feedback.texts import Texts, texts


class Survey(db.Model):
    """A named survey; what respondents answer is always one of its versions."""

    __tablename__ = "survey"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "name"),
        sa.UniqueConstraint("id", "workspace_id"),
        sa.CheckConstraint("repeat_days >= 0", name="repeat_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    #: A visitor who completed it at a touchpoint sees "already answered" there for this many days (0: may answer
    #: again at any time).
    repeat_days: Mapped[int] = mapped_column(default=30)
    #: The language respondents read where a text is missing in their own (feedback/texts.py).
    language: Mapped[str] = mapped_column(sa.String(5), default="de", server_default="de")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    versions: Mapped[list[SurveyVersion]] = relationship(
        back_populates="survey", order_by="SurveyVersion.number", overlaps="workspace"
    )

    @property
    def current(self) -> SurveyVersion:
        """The newest version: what respondents get now."""
        return self.versions[-1]

    @property
    def is_archived(self) -> bool:
        """Archived surveys keep their answers but cannot be attached to touchpoints."""
        return self.archived_at is not None


class SurveyVersion(db.Model):
    """A frozen set of questions once it has answers; editing then publishes the next version."""

    __tablename__ = "survey_version"
    __table_args__ = (sa.UniqueConstraint("survey_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"))
    number: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    survey: Mapped[Survey] = relationship(back_populates="versions")
    questions: Mapped[list[Question]] = relationship(
        back_populates="version", order_by="Question.position", cascade="all, delete-orphan"
    )

    def specs(self) -> list[QuestionSpec]:
        """The questions as the respondent flow uses them."""
        return [q.spec() for q in self.questions]


class Question(db.Model):
    """One question of a survey version; `key` is stable across versions so analysis can match them."""

    __tablename__ = "question"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "key"),
        sa.CheckConstraint(f"type IN {QUESTION_TYPE_VALUES!r}", name="type"),
        sa.CheckConstraint("higher_is_better OR type IN ('csat', 'ces', 'rating')", name="reversible"),
        sa.CheckConstraint("NOT loyalty OR type = 'rating'", name="loyalty_rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_version.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    key: Mapped[str] = mapped_column(sa.String(40))
    type: Mapped[str] = mapped_column(sa.String(20))
    required: Mapped[bool] = mapped_column(default=True)
    #: The question, its scale's ends: {language: text} (feedback/texts.py); the service requires some text.
    text: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    low_label: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    high_label: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    #: Choice options: [{"value": "offer", "de": "…", "en": "…", "fr": "…"}, …] (a label per language)
    options: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)
    #: Show only when an earlier scale answer lies in a range: {"key": "nps", "low": 0, "high": 6}
    condition: Mapped[dict[str, object] | None] = mapped_column(sa.JSON)
    #: Other wordings for detractors / promoters of the NPS question with this key.
    wording_key: Mapped[str] = mapped_column(sa.String(40), default="")
    detractor_text: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    promoter_text: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    #: See QuestionSpec: False reverses the scale in analysis; `loyalty` makes a rating question count as loyalty.
    higher_is_better: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    loyalty: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    version: Mapped[SurveyVersion] = relationship(back_populates="questions")

    def spec(self) -> QuestionSpec:
        """This question as a pure value."""
        condition = self.condition
        return QuestionSpec(
            key=self.key,
            type=QuestionType(self.type),
            required=self.required,
            text=texts(self.text),
            low_label=texts(self.low_label),
            high_label=texts(self.high_label),
            options=tuple(
                Option(o["value"], Texts.of({k: v for k, v in o.items() if k != "value"})) for o in self.options or []
            ),
            condition=Condition(str(condition["key"]), int(condition["low"]), int(condition["high"]))
            if condition
            else None,
            wording_key=self.wording_key,
            detractor_text=texts(self.detractor_text),
            promoter_text=texts(self.promoter_text),
            higher_is_better=self.higher_is_better,
            loyalty=self.loyalty,
        )

    @classmethod
    def from_spec(cls, spec: QuestionSpec, position: int) -> Question:
        """A new question row from a pure value."""
        return cls(
            position=position,
            key=spec.key,
            type=spec.type.value,
            required=spec.required,
            text=spec.text.as_dict(),
            low_label=spec.low_label.as_dict(),
            high_label=spec.high_label.as_dict(),
            options=[{**o.labels.as_dict(), "value": o.value} for o in spec.options],
            condition={"key": spec.condition.key, "low": spec.condition.low, "high": spec.condition.high}
            if spec.condition
            else None,
            wording_key=spec.wording_key,
            detractor_text=spec.detractor_text.as_dict(),
            promoter_text=spec.promoter_text.as_dict(),
            higher_is_better=spec.higher_is_better,
            loyalty=spec.loyalty,
        )


class Response(db.Model):
    """One respondent's answers at one touchpoint; partial until completed."""

    __tablename__ = "response"
    __table_args__ = (
        sa.Index("ix_response_touchpoint_time", "touchpoint_id", "started_at"),
        sa.Index("ix_response_visitor", "touchpoint_id", "visitor_key"),
        sa.Index("ix_response_workspace_time", "workspace_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    touchpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("touchpoint.id", ondelete="CASCADE"))
    code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("code.id", ondelete="SET NULL"))
    scan_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("scan.id", ondelete="SET NULL"))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_version.id", ondelete="RESTRICT"), index=True)
    #: The invite the respondent came through, if any.
    invite_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invite.id", ondelete="SET NULL", use_alter=True), index=True
    )
    #: Random token carried by the form: a double submit or a resend finds the same response.
    token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    visitor_key: Mapped[str] = mapped_column(sa.String(32))
    language: Mapped[str] = mapped_column(sa.String(8))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Likely a bot (honeypot filled, answered too fast): kept, but excluded from ratings.
    flagged: Mapped[bool] = mapped_column(default=False)
    flag_reason: Mapped[str] = mapped_column(sa.String(40), default="")
    #: Answered on a kiosk touchpoint's shared screen (one person after another on one device).
    kiosk: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The contact who left their details after this response (with consent); None: anonymous.
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contact.id", ondelete="SET NULL", use_alter=True), index=True
    )

    #: The offer's coupon was withheld: the network and device reached the campaign's coupon cap at this code.
    coupon_withheld: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")


class CompletionClaim(db.Model):
    """Who completed where, for as long as the repeat rules look back: one row per (kind, scope, key), claimed by
    the completion (form token) that came first in the window, and taken over by the first one after it.

    Kinds: `visitor` (scope: touchpoint, key: visitor key, window: the survey's repeat days), `device` (scope:
    code, key: network + device signature, window: the campaign's repeat window) and `coupons` (scope: code, key:
    the signature, window: one hour, `n`: coupons issued in it). The claim is one atomic INSERT … ON CONFLICT, so
    simultaneous completions of one person cannot all pass. `device` and `coupons` rows are deleted after a day.
    """

    __tablename__ = "completion_claim"
    __table_args__ = (
        sa.UniqueConstraint("kind", "scope_id", "key"),
        sa.CheckConstraint("kind IN ('visitor', 'device', 'coupons')", name="kind"),
        sa.Index("ix_completion_claim_time", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    scope_id: Mapped[int]
    key: Mapped[str] = mapped_column(sa.String(32))
    #: The form token of the completion holding the claim (the same form may claim again).
    token: Mapped[str] = mapped_column(sa.String(43))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    n: Mapped[int] = mapped_column(default=1)


class Answer(db.Model):
    """One answer value; a multiple-choice answer has one row per chosen option."""

    __tablename__ = "answer"
    __table_args__ = (
        sa.Index("ix_answer_response", "response_id"),
        sa.Index("ix_answer_touchpoint_key", "touchpoint_id", "question_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    response_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("response.id", ondelete="CASCADE"))
    workspace_id: Mapped[int] = mapped_column(sa.ForeignKey("workspace.id", ondelete="CASCADE"))
    touchpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("touchpoint.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(sa.String(40))
    question_type: Mapped[str] = mapped_column(sa.String(20))
    #: Scale answers (NPS 0–10, CSAT 1–5, …).
    value_number: Mapped[int | None]
    #: Choices and free text (stored as typed, always escaped when shown).
    value_text: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    response: Mapped[Response] = relationship(back_populates="answers")
