"""Request and response bodies of the API (pydantic), shared with the webhook payloads that show the same objects;
the OpenAPI document is generated from these. Depends on models only: the API and the webhooks both import it."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from feedback.bounds import FIRST_DAY, LAST_DAY
from feedback.surveys.models import Response as ResponseRow
from feedback.surveys.services import answers_by_key
from feedback.touchpoints.models import Channel, KioskCoupon, Phase

Name = Annotated[str, Field(min_length=1, max_length=120, examples=["Frühjahr 2026"])]
#: A day a marketer sets (a campaign's start or end, a code's last day): 2000-01-01 … 2099-12-31.
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]


def _money(value: object) -> object:
    """Amounts travel as strings ("12500.00"), so no float ever rounds a cent away."""
    if not isinstance(value, str | Decimal) or not MONEY_PATTERN.fullmatch(str(value)):
        raise ValueError('an amount as a string with up to 10 digits and 2 decimals, e.g. "12500.00"')
    return Decimal(str(value))


MONEY_PATTERN = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")
Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$", "examples": ["12500.00"]}),
]


class Strict(BaseModel):
    """Bodies refuse unknown fields, so a typo is an error instead of being ignored."""

    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """An error (RFC 9457 problem details)."""

    type: str = Field(examples=["about:blank"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["This page does not exist or you have no access to it."])
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Field errors of a request that did not validate."
    )
    field: str | None = Field(
        default=None, description="The input a refused lead move was refused for (stage, order_value, reason)."
    )


class Person(BaseModel):
    """A member of the workspace."""

    id: int
    email: str
    name: str


OwnerId = Annotated[
    int | None,
    Field(
        ge=1,
        le=2**31 - 1,
        description="The user in charge, who gets the alerts: an editor or owner of the workspace; null: nobody.",
    ),
]


class Campaign(BaseModel):
    """A campaign of the token's workspace."""

    id: int
    name: str
    slug: str = Field(description="Stable, URL-safe name used in UTM parameters and on the command line.")
    description: str
    starts_on: date | None
    ends_on: date | None
    budget: Decimal | None
    incentive_text: str
    invite_policy: Literal["everyone", "promoters", "off"]
    ask_contact: bool = Field(description="Respondents are asked, with consent, whether they may be contacted.")
    repeat_window_minutes: int = Field(
        30,
        description="Minutes in which a completion from the same network and device at the same code is a possible "
        "repeat (0: off).",
    )
    coupon_cap_per_hour: int = Field(
        3, description="Coupons per hour for one network and device at one code (0: no cap)."
    )
    owner: Person | None = Field(
        None, description="Who is in charge and gets the alerts; null: the workspace's editors and owners."
    )
    archived: bool
    created_at: datetime


class CampaignCreate(Strict):
    """A new campaign."""

    name: Name
    description: str = Field(default="", max_length=5000)
    starts_on: Day | None = None
    ends_on: Day | None = None
    budget: Money | None = None
    incentive_text: str = Field(default="", max_length=200)
    invite_policy: Literal["everyone", "promoters", "off"] = "everyone"
    ask_contact: bool = False
    repeat_window_minutes: int = Field(default=30, ge=0, le=1440)
    coupon_cap_per_hour: int = Field(default=3, ge=0, le=100)
    owner_id: OwnerId = None


class CampaignUpdate(Strict):
    """Changed fields of a campaign (others stay as they are)."""

    name: Name | None = None
    description: str | None = Field(default=None, max_length=5000)
    starts_on: Day | None = None
    ends_on: Day | None = None
    budget: Money | None = None
    incentive_text: str | None = Field(default=None, max_length=200)
    invite_policy: Literal["everyone", "promoters", "off"] | None = None
    ask_contact: bool | None = None
    repeat_window_minutes: int | None = Field(default=None, ge=0, le=1440)
    coupon_cap_per_hour: int | None = Field(default=None, ge=0, le=100)
    owner_id: OwnerId = None
    archived: bool | None = None


class CampaignList(BaseModel):
    """Campaigns, oldest first."""

    items: list[Campaign]


class Touchpoint(BaseModel):
    """A touchpoint of a campaign."""

    id: int
    campaign_id: int
    name: str
    channel: Channel
    phase: Phase
    cost: Decimal | None
    reach: int | None
    location: str
    notes: str
    survey_id: int | None
    archived: bool
    created_at: datetime
    kiosk: bool = Field(description="A shared screen: one person answers after another (kiosk mode).")
    kiosk_coupon: KioskCoupon = Field(description="On a kiosk: coupons as a QR code of the coupon page, or none.")
    owner: Person | None = Field(
        None, description="Who is in charge and gets the alerts; null: the campaign's person in charge."
    )


class TouchpointCreate(Strict):
    """A new touchpoint."""

    name: Name
    channel: Channel
    phase: Phase
    cost: Money | None = None
    reach: int | None = Field(default=None, ge=0, le=2_000_000_000)
    location: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=5000)
    survey_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="The survey scans show.")
    kiosk: bool = Field(default=False, description="A shared screen: one person answers after another.")
    kiosk_coupon: KioskCoupon = Field(
        default=KioskCoupon.QR, description="On a kiosk: 'qr' (coupon page as a QR code) or 'off'."
    )
    owner_id: OwnerId = None


class TouchpointUpdate(Strict):
    """Changed fields of a touchpoint."""

    name: Name | None = None
    channel: Channel | None = None
    phase: Phase | None = None
    cost: Money | None = None
    reach: int | None = Field(default=None, ge=0, le=2_000_000_000)
    location: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=5000)
    survey_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="null: no survey.")
    archived: bool | None = None
    kiosk: bool | None = None
    kiosk_coupon: KioskCoupon | None = None
    owner_id: OwnerId = None


class TouchpointList(BaseModel):
    """Touchpoints in journey order."""

    items: list[Touchpoint]


class Code(BaseModel):
    """A printed code."""

    id: int
    touchpoint_id: int
    code: str = Field(examples=["7K3QX9PM"])
    label: str
    url: str = Field(examples=["https://fb.example.com/T/7K3QX9PM"])
    state: Literal["active", "paused", "expired"]
    created_at: datetime
    expires_at: datetime | None = Field(description="When the code stops leading to its page (None: never).")
    batch_id: int | None = Field(description="The mailing batch of a personal code; None for shared codes.")
    reference: str | None = Field(
        description="The recipient's external reference of a personal code (answers are not anonymous).",
        examples=["CRM-004711"],
    )


class CodeCreate(Strict):
    """A new code for a touchpoint (e.g. a print variant)."""

    label: str = Field(default="", max_length=80, examples=["Variant A"])


class CodeUpdate(Strict):
    """Changed fields of a code; codes are never deleted (they are printed), but can be paused or expire."""

    label: str | None = Field(default=None, max_length=80)
    paused: bool | None = Field(default=None, description="Paused codes show a polite 'campaign has ended' page.")
    expires_on: Day | None = Field(
        default=None, description="Last day (workspace time) the code leads to its page; null: never expires."
    )


class CodeList(BaseModel):
    """Codes of a touchpoint, oldest first."""

    items: list[Code]
    next_cursor: str | None = Field(default=None, description="Give as `cursor` for the next page; None at the end.")


class CodeQuery(Strict):
    """Filters and paging of a touchpoint's codes."""

    batch_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="Only the codes of this batch.")
    personal: bool | None = Field(default=None, description="Only personal (true) or only shared (false) codes.")
    limit: int = Field(default=1000, ge=1, le=5000)
    cursor: str | None = Field(default=None, max_length=200, description="next_cursor of the previous page.")


class CodeBatch(BaseModel):
    """Personalised codes of one mailing: one code per recipient reference."""

    id: int
    touchpoint_id: int
    name: str
    size: int
    created_at: datetime
    mailmerge_csv: str = Field(description="Address of the mail-merge CSV: reference, code, code_display, url.")
    codes_zip: str = Field(description="Address of the ZIP of PNG and SVG images (and the mail-merge CSV).")


class CodeBatchCreate(Strict):
    """A mailing: either the recipients' references (one code each) or a count of numbered codes (00001, …)."""

    name: str = Field(default="", max_length=80, examples=["Customer mailing March"])
    references: list[Annotated[str, Field(min_length=1, max_length=120)]] | None = Field(
        default=None, min_length=1, max_length=10_000, examples=[["CRM-004711", "CRM-004712"]]
    )
    count: int | None = Field(default=None, ge=1, le=10_000, examples=[100])


class CodeBatchList(BaseModel):
    """Mailing batches of a touchpoint, newest first."""

    items: list[CodeBatch]


class ZipQuery(Strict):
    """Image formats in the ZIP."""

    formats: Literal["png,svg", "png", "svg"] = "png,svg"
    size_mm: float = Field(default=40, ge=10, le=300)


class Period(Strict):
    """Optional period of local days (workspace time zone), both inclusive."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date | None = Field(default=None, alias="from", examples=["2026-03-01"])
    to: date | None = Field(default=None, examples=["2026-03-31"])


YesNo = Literal["yes", "no"]


class SegmentQuery(Strict):
    """A segment (all conditions combined with "and"): a saved one by id, or conditions. A condition that names
    nothing (a question the campaign does not ask, an option it does not offer) is refused with 422."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    segment: int | None = Field(default=None, ge=1, le=2**31 - 1, description="A saved segment's id.")
    answer: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=5,
        description="An answer: `key:option` (or `key:option|option`) for a choice question, `key:low-high` or "
        "`key:value` for a scale question.",
        examples=[["contact:yes"]],
    )
    nps: Literal["detractors", "passives", "promoters"] | None = Field(
        default=None, description="Respondents whose NPS answer lies in this group (0–6, 7–8, 9–10)."
    )
    language: str | None = Field(default=None, max_length=8, examples=["de"])
    device: Literal["mobile", "tablet", "desktop", "other"] | None = None
    visitor: Literal["new", "returning"] | None = Field(
        default=None,
        description="Returning: the same first-party cookie scanned a code of the workspace more than 30 minutes "
        "before; visitors without that cookie count as new.",
    )
    referred: YesNo | None = Field(default=None, description="Came through a respondent's invite.")
    arrival: Literal["symbol", "typed_url", "typed_code", "invite", "personal_mailing", "kiosk"] | None = None
    kiosk: YesNo | None = Field(default=None, description="Answered on a kiosk's shared screen.")

    def segment_args(self) -> dict[str, Any]:
        """The conditions as the dashboard's query string has them."""
        fields = ("segment", "answer", "nps", "language", "device", "visitor", "referred", "arrival", "kiosk")
        values = {name: getattr(self, name) for name in fields}
        return {k: (str(v) if isinstance(v, int) else v) for k, v in values.items() if v not in (None, [], "")}


class AnalysisQuery(Period, SegmentQuery):
    """A period and a segment."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Ratings(BaseModel):
    """The dashboard's rating rows (columns as in the CSV/XLSX download) and comparisons with the rest."""

    campaign: dict[str, Any]
    period: dict[str, Any]
    #: The segment the numbers are of (its saved id and name, and its conditions); absent without one.
    segment: dict[str, Any] | None = None
    currency: str
    generated_at: datetime
    campaign_rating: float | None
    touchpoints: list[dict[str, Any]] = Field(description="One object per touchpoint; keys are the export columns.")
    comparisons: list[dict[str, Any]] = Field(
        description="Each touchpoint against the rest of its campaign, Holm-adjusted."
    )
    drivers: list[dict[str, Any]] = Field(
        default_factory=list, description="The campaign's drivers of the NPS, as GET …/drivers lists them."
    )
    periods: list[dict[str, Any]] = Field(
        default_factory=list, description="The days against the period before and a year earlier (…/comparison)."
    )
    trend: list[dict[str, Any]] = Field(default_factory=list, description="The weeks, as GET …/trend lists them.")


class Driver(BaseModel):
    """One question (or one option of a single-choice question) against the NPS of the same response
    (docs/STATISTICS.md §1): an association, not proof of cause."""

    question_key: str
    question: str
    question_type: str | None = Field(description="csat, ces, rating or single_choice.")
    relation: Literal["spearman", "nps_difference"]
    option: str | None = Field(description="The option whose group is compared with the rest (differences).")
    option_label: str | None
    n: int = Field(description="Pairs (correlation) or the option's group (difference).")
    n_rest: int | None = Field(description="The question's other respondents (differences).")
    effect: float | None = Field(description="Spearman's ρ, or the NPS difference group − rest in points.")
    effect_low: float | None = Field(
        description="95 % interval, lower end: Fisher z with the Bonett–Wright SE (ρ), adjusted Wald (difference)."
    )
    effect_high: float | None = Field(description="Upper end of that interval.")
    effect_centre: float | None = Field(description="The adjusted-Wald difference, the interval's centre.")
    p: float | None
    p_holm: float | None = Field(description="Holm-adjusted over every test of the campaign.")
    family: int
    verdict: Literal["higher", "lower", "no_clear_relation", "too_few", "no_variation"]
    rank: int | None = Field(description="1 = strongest, significant ones first; null when not tested.")
    strength: float | None
    sentence: str


class Drivers(BaseModel):
    """Which questions of a campaign's surveys go together with its NPS, ranked."""

    campaign_id: int
    has_nps: bool = Field(description="False when none of the campaign's surveys asks the NPS question.")
    caveat: str
    drivers: list[Driver]


class ComparisonQuery(SegmentQuery):
    """What to compare: the chosen days (the last 28 complete ones without) against the period before or the same
    dates a year earlier, or this campaign against another of the workspace."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    against: Literal["previous", "last_year", "campaign"] = Field(default="previous")
    campaign_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The other campaign (against=campaign only)."
    )
    from_: date | None = Field(default=None, alias="from", examples=["2026-03-01"])
    to: date | None = Field(default=None, examples=["2026-03-28"])
    other_from: date | None = Field(default=None, description="The other campaign's first day (default: all).")
    other_to: date | None = Field(default=None, description="The other campaign's last day (default: all).")


class ComparisonRow(BaseModel):
    """One metric of one row (the campaign total, a touchpoint, or a channel and phase both campaigns have): A
    against B with the difference's interval and the Holm-adjusted p (docs/STATISTICS.md §3)."""

    against: str
    a_from: str | None
    a_to: str | None
    b_from: str | None
    b_to: str | None
    row: str = Field(description="total, a touchpoint id, or channel/phase.")
    label: str
    touchpoints_a: str = Field(description="The touchpoints summed into the row on A's side, comma-separated.")
    touchpoints_b: str
    metric: Literal["nps", "csat", "ces", "loyalty", "response_rate"]
    value_a: float | None = Field(description="NPS points, a share 0–1 (csat, response_rate) or a mean.")
    low_a: float | None = Field(description="95 % interval: adjusted Wald, Wilson or t.")
    high_a: float | None
    n_a: int
    value_b: float | None
    low_b: float | None
    high_b: float | None
    n_b: int
    effect: float | None = Field(description="A − B: NPS points, share difference, or probability of superiority.")
    effect_unit: Literal["points", "share", "superiority"]
    effect_low: float | None = Field(description="95 % interval of the difference (adjusted Wald, Newcombe).")
    effect_high: float | None
    effect_centre: float | None = Field(description="The adjusted-Wald difference, the interval's centre (NPS).")
    method: str | None
    p: float | None
    p_holm: float | None = Field(description="Holm-adjusted per metric over the rows below the total.")
    family: int
    verdict: Literal["higher", "lower", "not_enough_evidence", "no_variation", "too_few"]
    sentence: str


class PeriodComparison(BaseModel):
    """A against B, the campaign total first, then each touchpoint (or channel and phase)."""

    campaign_id: int
    against: Literal["previous", "last_year", "campaign"]
    other_campaign_id: int | None
    only_a: list[str] = Field(description="Touchpoints of this campaign whose channel and phase B lacks.")
    only_b: list[str] = Field(description="Touchpoints of the other campaign whose channel and phase A lacks.")
    rows: list[ComparisonRow]


class TrendWeek(BaseModel):
    """One ISO week: NPS (adjusted-Wald interval) and completion rate (Wilson interval)."""

    week: str
    week_start: date
    partial: bool
    nps: float | None
    nps_low: float | None
    nps_high: float | None
    nps_n: int
    enough: bool = Field(description="At least 10 NPS answers.")
    completion_rate: float | None
    completion_low: float | None
    completion_high: float | None
    starts: int


class Trend(BaseModel):
    """The campaign's weeks, from its first to its last answer unless days are chosen."""

    campaign_id: int
    weeks: list[TrendWeek]


class CohortQuery(Strict):
    """Whose cohorts, grouped how."""

    model_config = ConfigDict(extra="forbid")

    who: Literal["respondents", "customers"] = Field(
        default="respondents",
        description="respondents: first-party cookie visitors who completed a survey; customers: leads with a "
        "purchase (a won order or a redeemed coupon).",
    )
    by: Literal["month", "touchpoint"] = Field(
        default="month", description="Rows by the month (workspace time) or the touchpoint of first contact."
    )


class CohortCell(BaseModel):
    """One cohort in one month after its first contact (months not over yet are left out)."""

    who: str
    by: str
    cohort: str | int = Field(description="The month of first contact (YYYY-MM) or the touchpoint id.")
    label: str
    size: int = Field(description="Members of the cohort.")
    months_after: int = Field(description="k: the k-th calendar month after the month of first contact.")
    month: str | None = Field(description="That calendar month (YYYY-MM) for a month cohort; null by touchpoint.")
    came_back: int
    n: int = Field(description="Members whose month k is over (the rate's denominator).")
    rate: float | None = Field(description="came_back ÷ n (0…1), with its Wilson 95 % interval.")
    rate_low: float | None
    rate_high: float | None
    too_few: bool = Field(description="n below 10: shown, not to be read as a rate.")


class Cohorts(BaseModel):
    """A campaign's cohort table, one object per cell."""

    campaign_id: int
    who: str
    by: str
    months: list[str] = Field(description="The window's months (YYYY-MM), the current one last.")
    members: int
    left_out: int = Field(description="Completions that could not be followed (no first-party cookie, or a kiosk).")
    cells: list[CohortCell]


class ResponseQuery(SegmentQuery):
    """Filters and paging of the response list, and a segment (its answer conditions checked against every survey
    of the workspace)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    touchpoint_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    completed: bool | None = None
    reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="Only answers through the personal code of this reference.",
    )
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, max_length=200, description="next_cursor of the previous page.")


class SurveyResponse(BaseModel):
    """One respondent's answers at one touchpoint."""

    id: int
    touchpoint_id: int
    code: str | None
    reference: str | None = Field(description="The recipient's reference when answered through a personal code.")
    language: str
    started_at: datetime
    completed_at: datetime | None
    flagged: bool
    flag_reason: str
    answers: dict[str, Any] = Field(description="By question key: a number, a text, or a list of chosen options.")

    @classmethod
    def of(cls, response: ResponseRow, code: str | None, reference: str | None) -> SurveyResponse:
        """A response as the API (and the response.completed webhook) shows it."""
        return cls(
            id=response.id,
            touchpoint_id=response.touchpoint_id,
            code=code,
            reference=reference,
            language=response.language,
            started_at=response.started_at,
            completed_at=response.completed_at,
            flagged=response.flagged,
            flag_reason=response.flag_reason,
            answers=answers_by_key(response),
        )


class ResponseList(BaseModel):
    """Responses, newest first."""

    items: list[SurveyResponse]
    next_cursor: str | None


class ThemeQuery(SegmentQuery):
    """Filters of a campaign's open-text answers (all combined with "and"), for their themes, and a segment."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    q: str | None = Field(default=None, max_length=100, description="Only answers containing this text (any case).")
    touchpoint: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        default_factory=list, max_length=200, description="Only answers at these touchpoints of the campaign."
    )
    group: Literal["detractors", "passives", "promoters"] | None = Field(
        default=None, description="Only answers of responses whose NPS lies in this group (0–6, 7–8, 9–10)."
    )
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None


class CommentQuery(ThemeQuery):
    """The same filters, and paging of the answers."""

    page: int = Field(default=1, ge=1, le=100_000)
    limit: int = Field(default=50, ge=1, le=500)


class Comment(BaseModel):
    """One open-text answer with its question (in the respondent's language) and the response's NPS."""

    answer_id: int
    answered_at: datetime
    touchpoint_id: int
    touchpoint: str
    question_key: str
    question: str
    answer: str
    nps: int | None
    nps_group: Literal["detractors", "passives", "promoters"] | None
    language: str


class CommentList(BaseModel):
    """A page of a campaign's open-text answers, newest first."""

    items: list[Comment]
    matching: int = Field(description="Answers passing the filters.")
    total: int = Field(description="Open-text answers of the campaign in all.")
    page: int
    pages: int


class Theme(BaseModel):
    """A recurring term or phrase of the answers, with the marketer's name and merges applied."""

    key: str = Field(description="Stable key of the term or phrase (lower case).")
    label: str
    count: int = Field(description="Answers naming it.")
    share: float = Field(description="Share of the answers naming it (0–1).")
    ci_low: float | None = Field(description="Wilson 95 % interval of the share.")
    ci_high: float | None
    detractors_share: float | None = Field(description="Share among detractors' answers; null without any.")
    promoters_share: float | None = Field(description="Share among promoters' answers; null without any.")
    p_adjusted: float | None = Field(description="Holm-adjusted p of detractors against promoters; null: not tested.")
    more_among_detractors: bool
    quotes: list[str] = Field(description="Typical answers naming it (plain text, unescaped).")
    # added later, the same fields as the ratings download's `themes` (feedback/analysis/theme_catalogue.py)
    answers: int = Field(description="Answers the themes were found in.")
    detractors_n: int = Field(description="Detractors' answers (NPS 0–6).")
    detractors_count: int = Field(description="Detractors' answers naming it.")
    promoters_n: int = Field(description="Promoters' answers (NPS 9–10).")
    promoters_count: int = Field(description="Promoters' answers naming it.")
    difference: float | None = Field(description="Detractors' share − promoters' share; null: not tested.")
    difference_low: float | None = Field(description="Newcombe 95 % interval of the difference.")
    difference_high: float | None
    test: Literal["chi2", "fisher"] | None = Field(description="χ² without Yates, or Fisher's exact test.")
    p: float | None = Field(description="Unadjusted p of detractors against promoters.")
    family: int = Field(description="How many themes Holm adjusted over.")


class ThemeList(BaseModel):
    """The themes of a campaign's open-text answers passing the filters, most often named first."""

    items: list[Theme]
    answers: int = Field(description="Answers the themes were found in.")
    capped: bool = Field(description="True when only the newest answers were read.")


class Question(BaseModel):
    """One question of a survey version; `key` is stable across versions and names the answer columns."""

    key: str
    type: str = Field(examples=["nps"])
    required: bool
    text: dict[str, str] = Field(description="The question in each language it is written in: {language: text}.")
    text_de: str = Field(description="The German text (empty if none); kept for older integrations, see `text`.")
    text_en: str = Field(description="The English text (empty if none); kept for older integrations, see `text`.")
    options: list[dict[str, str]] = Field(description="Choices: the value and a label per language code.")
    condition: dict[str, Any] | None = Field(description="Shown only when an earlier scale answer lies in a range.")
    higher_is_better: bool = Field(
        True, description="False: the scale's low end is the good one; analysis reverses it before pooling."
    )
    loyalty: bool = Field(False, description="A rating question that counts as the loyalty metric.")


class Survey(BaseModel):
    """A survey with the questions of its newest version."""

    id: int
    name: str
    version: int
    archived: bool
    questions: list[Question]


class SurveyCreate(Strict):
    """A new survey filled from one of the built-in templates (both languages); edit it in the dashboard."""

    name: Name
    template: Literal["nps-reason", "csat-purchase", "trade-fair", "loyalty", "churn", "win-back"] = Field(
        examples=["nps-reason"]
    )


class SurveyList(BaseModel):
    """Surveys of the workspace."""

    items: list[Survey]


class ReferralNumbers(BaseModel):
    """Referral figures of one referring touchpoint or the whole campaign: the respondents who completed in the
    period, the invites they took and the friends those invites won (whenever the friends answered)."""

    touchpoint_id: int | None = Field(description="None for the campaign total.")
    invites: int = Field(description="Invites taken by the period's respondents.")
    opens: int
    unique_opens: int = Field(description="Distinct visitors who opened those invite links (own opens excluded).")
    acceptances: int = Field(description="Friends won: invited visitors who completed the survey.")
    completed_responses: int = Field(description="Respondents who completed in the period (U).")
    acceptance_rate: float | None = Field(
        description="Invites with at least one friend who completed ÷ invites issued (0…1); null without invites."
    )
    k_factor: float | None = Field(
        description="Friends won ÷ respondents (= invites per respondent × friends per invite)."
    )
    median_hours_to_accept: float | None
    invites_accepted: int = Field(description="Invites with at least one friend who completed.")
    acceptance_rate_low: float | None = Field(description="Wilson 95 % interval of the acceptance rate, lower end.")
    acceptance_rate_high: float | None = Field(description="Wilson 95 % interval of the acceptance rate, upper end.")
    friends_per_invite: float | None = Field(description="Friends won ÷ invites issued (may exceed 1).")
    friends_per_invite_low: float | None = Field(
        description="Seeded percentile bootstrap 95 % interval, lower end; null below 10 invites."
    )
    friends_per_invite_high: float | None = Field(description="Upper end of that interval.")
    k_factor_low: float | None = Field(
        description="Seeded percentile bootstrap 95 % interval over the respondents, lower end; null below 10."
    )
    k_factor_high: float | None = Field(description="Upper end of that interval.")


class Referrals(BaseModel):
    """Referral numbers per referring touchpoint and for the campaign."""

    total: ReferralNumbers
    touchpoints: list[ReferralNumbers]


WebhookEventName = Literal[
    "response.completed", "invite.accepted", "lead.qualified", "contact.stage_changed", "code.scanned"
]


class Webhook(BaseModel):
    """An endpoint of yours that receives signed events (see the dashboard's Integrations page for verifying)."""

    id: int
    url: str
    description: str
    events: list[WebhookEventName]
    paused: bool
    created_at: datetime


class WebhookCreated(Webhook):
    """A new endpoint, with the secret its deliveries are signed with (HMAC-SHA256)."""

    secret: str = Field(examples=["whsec_…"])


class WebhookCreate(Strict):
    """Where to send which events; code.scanned is one event per scan, so opt in only when needed."""

    url: str = Field(min_length=1, max_length=2000, examples=["https://crm.example.com/hooks/feedback"])
    events: list[WebhookEventName] = Field(min_length=1, max_length=5)
    description: str = Field(default="", max_length=120)


class WebhookUpdate(Strict):
    """Changed fields of an endpoint."""

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    events: list[WebhookEventName] | None = Field(default=None, min_length=1, max_length=5)
    description: str | None = Field(default=None, max_length=120)
    paused: bool | None = None


class WebhookList(BaseModel):
    """Endpoints of the workspace."""

    items: list[Webhook]


class WebhookDelivery(BaseModel):
    """One event sent (or to be sent) to an endpoint."""

    id: int
    event: str
    event_id: str
    status: Literal["pending", "delivered", "failed", "cancelled"] = Field(
        description="cancelled: never sent (again), as the response or contact it reported was erased."
    )
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str
    next_attempt_at: datetime | None = Field(description="When the next attempt is due (pending only).")


class WebhookDeliveryList(BaseModel):
    """The newest deliveries of an endpoint."""

    items: list[WebhookDelivery]


class CouponState(BaseModel):
    """A coupon and whether it can still be redeemed."""

    code: str = Field(examples=["K7Q3X9PM4T"])
    offer_id: int
    offer: str
    touchpoint_id: int
    issued_at: datetime
    expires_at: datetime | None
    redeemed_at: datetime | None
    order_value: Decimal | None = Field(description="The redeemed order value, as a string with two decimals.")
    redeemable: bool


class Redemption(Strict):
    """The order a coupon is redeemed with."""

    order_value: Money = Field(description='Order value in the workspace currency, e.g. "23.50"; 0 to 1,000,000.')


StageName = Literal[
    "new", "marketing_qualified", "sales_ready", "sales_accepted", "sales_qualified", "won", "lost"
]
LostReasonName = Literal["price", "competitor", "no_budget", "no_need", "timing", "no_response", "other"]


class ContactOut(BaseModel):
    """A person who agreed to be contacted, with the consent they gave and their lead score."""

    id: int
    name: str
    email: str
    phone: str
    score: int
    stage: StageName
    touchpoint_id: int | None
    consented_at: str
    consent_language: str
    consent_text: str
    created_at: str
    stage_changed_at: str | None = Field(default=None, description="When the lead last changed stage.")
    order_value: Decimal | None = Field(
        default=None, description="A won lead's order value (workspace currency, two decimals); null unless won."
    )
    lost_reason: LostReasonName | None = Field(default=None, description="Why a lost lead was lost; null unless lost.")
    lost_note: str = Field(default="", description="What else was said about the loss.")


class StageMove(Strict):
    """Move a lead on in the funnel (the score moves it among new, marketing_qualified and sales_ready): to
    sales_accepted (from those, or to reopen a lost lead), sales_qualified (from sales_accepted), won (from
    sales_qualified, with `order_value`) or lost (from any open stage, with `reason`; `note` required for other).
    Sending the stage the lead is at with the same values again changes nothing."""

    stage: Literal["sales_accepted", "sales_qualified", "won", "lost"]
    order_value: Money | None = Field(
        default=None, description='A won lead\'s order value in the workspace currency, e.g. "12500.00".'
    )
    reason: LostReasonName | None = Field(default=None, description="Why the lead was lost (stage lost only).")
    note: str = Field(default="", max_length=500, description="What else to say about the loss.")


class FunnelStep(BaseModel):
    """One step of the lead funnel."""

    step: Literal["lead", "marketing_qualified", "sales_accepted", "sales_qualified", "won"]
    reached: int = Field(description="Leads that reached this step or a later one.")
    now: int = Field(description="Leads at this step now.")
    conversion: float | None = Field(description="reached ÷ reached at the step before (0…1); null at the first step.")
    conversion_n: int | None = Field(description="The leads that reached the step before (the rate's n).")
    conversion_low: float | None = Field(description="Wilson 95 % interval, lower end.")
    conversion_high: float | None = Field(description="Wilson 95 % interval, upper end.")
    median_days: float | None = Field(description="Median days at this step, of the leads that left it.")
    median_days_n: int = Field(description="Leads that left the step (the median's n; those still there are not).")
    median_days_low: float | None = Field(
        description="Distribution-free (order statistic) 95 % interval, lower end; null below 6 leads."
    )
    median_days_high: float | None = Field(description="Upper end of that interval.")
    lost: int = Field(description="Leads lost at this step (lost now, and this was their last step).")


class FunnelNumbers(BaseModel):
    """The funnel of a group of leads: the campaign's (touchpoint_id null) or one touchpoint's."""

    touchpoint_id: int | None = None
    leads: int
    won: int
    won_rate: float | None = Field(description="Won ÷ leads (0…1), with its Wilson interval.")
    won_rate_low: float | None
    won_rate_high: float | None
    won_value: Decimal = Field(description="Order values of the won leads, as a string with two decimals.")
    lost: int
    lost_reasons: dict[str, int] = Field(description="Lost leads per reason.")
    steps: list[FunnelStep]


class LeadFunnel(BaseModel):
    """The lead funnel of a campaign's leads (captured in the period, if one is given) and of each touchpoint."""

    campaign_id: int
    total: FunnelNumbers
    touchpoints: list[FunnelNumbers]


class ContactQuery(Strict):
    """Filter of the contact list."""

    stage: StageName | None = None
    limit: int = Field(default=200, ge=1, le=1000)


class ContactList(BaseModel):
    """Contacts, best score first."""

    items: list[ContactOut]


class ContactExport(BaseModel):
    """Everything stored about a person (GDPR Art. 15)."""

    contact: ContactOut
    score_history: list[dict[str, Any]]
    stage_history: list[dict[str, Any]] = Field(default_factory=list)
    responses: list[dict[str, Any]]


class WinbackOption(BaseModel):
    """One answer option of a reason question and how many respondents of the batch chose it."""

    value: str = Field(description="The option's stable value.")
    labels: dict[str, str] = Field(description="The option's label per language of the workspace.")
    count: int


class WinbackReason(BaseModel):
    """A choice question of the batch's survey (why they stopped, what would bring them back)."""

    question: str = Field(description="The question's key.")
    texts: dict[str, str] = Field(description="The question's text per language of the workspace.")
    answered: int = Field(description="Respondents of the batch who answered it (the options' denominator).")
    options: list[WinbackOption]


class Winback(BaseModel):
    """A win-back mailing: a batch of personal codes for lapsed customers, and what it brought back."""

    id: int
    batch_id: int = Field(description="The mailing batch holding the codes (personal codes API and print kit).")
    name: str
    created_at: datetime
    lapsed_days: int = Field(description="Lapsed: no purchase for more than this many days when it was created.")
    include_detractors: bool
    suppressed_detractors: int = Field(description="Lapsed customers left out as detractors (latest NPS 0–6).")
    without_email: int = Field(description="Lapsed customers left out for lack of an e-mail address.")
    sent: int = Field(description="Codes in the batch, one per recipient (the rates' n).")
    responded: int = Field(description="Codes through which a survey was completed.")
    response_rate: float | None = Field(description="responded ÷ sent (0…1), with its Wilson 95 % interval.")
    response_rate_low: float | None
    response_rate_high: float | None
    redeemed: int = Field(description="Recipients who redeemed a coupon after the batch was created.")
    redemption_rate: float | None = Field(description="redeemed ÷ sent (0…1), with its Wilson 95 % interval.")
    redemption_rate_low: float | None
    redemption_rate_high: float | None
    reasons: list[WinbackReason]
    comments: int = Field(description="Open-text answers of the batch's respondents (the themes' base).")
    themes: list[Theme]


class WinbackList(BaseModel):
    """A touchpoint's win-back mailings, newest first."""

    touchpoint_id: int
    items: list[Winback]
