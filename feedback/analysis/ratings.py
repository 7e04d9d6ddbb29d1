"""Rating assembly, pure: counts per touchpoint in, frozen rating rows out (STATS.md §1, §8; no Flask, no SQL)."""

from __future__ import annotations

import enum
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from feedback.analysis import stats
from feedback.analysis.stats import Counts, MeanEstimate, NpsEstimate, Proportion
from feedback.surveys.questions import DETRACTOR_MAX, PROMOTER_MIN, QuestionType


class Metric(enum.StrEnum):
    """The experience metrics that go into the composite rating."""

    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    LOYALTY = "loyalty"


#: Which question type measures which metric (loyalty items are the 1–5 rating questions).
METRIC_TYPES: dict[Metric, QuestionType] = {
    Metric.NPS: QuestionType.NPS,
    Metric.CSAT: QuestionType.CSAT,
    Metric.CES: QuestionType.CES,
    Metric.LOYALTY: QuestionType.RATING,
}
WEIGHTS: dict[Metric, float] = {Metric.NPS: 0.4, Metric.CSAT: 0.2, Metric.CES: 0.2, Metric.LOYALTY: 0.2}
#: Per-respondent score u ∈ [0, 1] of each answer value (§1); CES 2.0 is stored with 7 = easiest.
SCORES: dict[Metric, dict[int, float]] = {
    Metric.NPS: {v: 1.0 if v >= PROMOTER_MIN else 0.5 if v > DETRACTOR_MAX else 0.0 for v in range(11)},
    Metric.CSAT: {v: 1.0 if v >= 4 else 0.0 for v in range(1, 6)},
    Metric.CES: {v: (v - 1) / 6 for v in range(1, 8)},
    Metric.LOYALTY: {v: (v - 1) / 4 for v in range(1, 6)},
}
#: Touchpoints whose smallest metric n is below this are rated but not ranked.
RANK_MIN_N = 10


class Quadrant(enum.StrEnum):
    """Position in the touchpoint matrix: performance (rating) × reach (visitors), split at the campaign medians."""

    EFFECTIVE = "effective"  # good experience, many people
    PROMISING = "promising"  # good experience, few people: give it more reach
    COSTLY = "costly"  # many people, poor experience: budget spent on disappointment
    WEAK = "weak"  # few people, poor experience


class Advice(enum.StrEnum):
    """What to do with a touchpoint's budget."""

    KEEP = "keep"
    GROW = "grow"
    IMPROVE = "improve"
    CUT = "cut"
    MEASURE = "measure"


@dataclass(frozen=True)
class GroupCounts:
    """What the database counted for one group (a touchpoint, channel, code, device, week …)."""

    scans: int = 0
    visitors: int = 0
    starts: int = 0
    completions: int = 0
    #: {question type: {answer value: count}}
    answers: Mapping[QuestionType, Counts] = field(default_factory=dict)

    def __add__(self, other: GroupCounts) -> GroupCounts:
        """Counts of two disjoint groups together."""
        answers: dict[QuestionType, dict[int, int]] = {}
        for source in (self.answers, other.answers):
            for question_type, counts in source.items():
                merged = answers.setdefault(question_type, {})
                for value, count in counts.items():
                    merged[value] = merged.get(value, 0) + count
        return GroupCounts(
            self.scans + other.scans,
            self.visitors + other.visitors,
            self.starts + other.starts,
            self.completions + other.completions,
            answers,
        )

    def __sub__(self, other: GroupCounts) -> GroupCounts:
        """Counts of this group without a part of it (a campaign without one touchpoint)."""
        answers = {
            question_type: {v: c - other.answers.get(question_type, {}).get(v, 0) for v, c in counts.items()}
            for question_type, counts in self.answers.items()
        }
        return GroupCounts(
            self.scans - other.scans,
            self.visitors - other.visitors,
            self.starts - other.starts,
            self.completions - other.completions,
            answers,
        )

    def of(self, metric: Metric) -> Counts:
        """Answer counts of one metric."""
        return self.answers.get(METRIC_TYPES[metric], {})


def total(groups: Iterable[GroupCounts]) -> GroupCounts:
    """Sum of disjoint groups."""
    result = GroupCounts()
    for group in groups:
        result = result + group
    return result


def rate(k: int, n: int) -> Proportion | None:
    """k/n with Wilson interval; None when k > n (e.g. more visitors than the reach entered)."""
    return stats.wilson(k, n) if 0 <= k <= n else None


def acceptance_rate(acceptances: int, unique_opens: int) -> Proportion | None:
    """Invited friends who completed the survey ÷ unique opens of their invite links (Wilson interval); the one
    definition the ratings, the referral overview and the API use."""
    return rate(acceptances, unique_opens)


def k_factor(acceptances: int, completed_responses: int) -> float | None:
    """Acceptances ÷ completed responses of the referring touchpoint (= invites per respondent × acceptances per
    invite); None without responses."""
    return acceptances / completed_responses if completed_responses else None


@dataclass(frozen=True)
class Summary:
    """Every number of one group of answers and scans."""

    counts: GroupCounts
    #: Survey starts per scan, completions per start, completions per scan.
    start_rate: Proportion | None
    completion_rate: Proportion | None
    response_rate: Proportion | None
    nps: NpsEstimate
    #: CSAT = top-2-box share (4–5); the 1–5 mean is reported separately.
    csat: Proportion
    csat_mean: MeanEstimate
    ces: MeanEstimate
    #: CES top-3-box (5–7).
    ces_top3: Proportion
    loyalty: MeanEstimate
    loyalty_top2: Proportion

    def n(self, metric: Metric) -> int:
        """Answers of one metric."""
        return sum(self.counts.of(metric).values())


def summarise(counts: GroupCounts) -> Summary:
    """All metrics of one group."""
    return Summary(
        counts=counts,
        start_rate=rate(counts.starts, counts.scans),
        completion_rate=rate(counts.completions, counts.starts),
        response_rate=rate(counts.completions, counts.scans),
        nps=stats.nps_from_counts(counts.of(Metric.NPS)),
        csat=stats.top_box(counts.of(Metric.CSAT), 4),
        csat_mean=stats.mean_estimate(counts.of(Metric.CSAT), 1, 5),
        ces=stats.mean_estimate(counts.of(Metric.CES), 1, 7),
        ces_top3=stats.top_box(counts.of(Metric.CES), 5),
        loyalty=stats.mean_estimate(counts.of(Metric.LOYALTY), 1, 5),
        loyalty_top2=stats.top_box(counts.of(Metric.LOYALTY), 4),
    )


@dataclass(frozen=True)
class Referrals:
    """Referral inputs of a touchpoint (from the referrals feature)."""

    invites: int = 0
    unique_opens: int = 0
    acceptances: int = 0
    completed_responses: int = 0


@dataclass(frozen=True)
class Outcomes:
    """What a touchpoint brought in: coupons and the revenue of redeemed ones, and consented leads."""

    coupons_issued: int = 0
    redemptions: int = 0
    revenue: Decimal = Decimal("0.00")
    leads: int = 0
    #: Marketing-qualified or better.
    leads_qualified: int = 0
    leads_sales_ready: int = 0


@dataclass(frozen=True)
class TouchpointInput:
    """One touchpoint with what the database counted for it."""

    id: int
    name: str
    channel: str
    phase: str
    cost: Decimal | None
    reach: int | None
    counts: GroupCounts
    #: The metrics its survey asks (a metric asked but not yet answered counts with the campaign mean).
    asked: frozenset[Metric]
    referrals: Referrals = Referrals()
    #: Loyalty items one by one: {question key: {value: count}}.
    loyalty_items: Mapping[str, Counts] = field(default_factory=dict)
    outcomes: Outcomes = Outcomes()

    @property
    def redemption_rate(self) -> Proportion | None:
        """Share of completed responses whose coupon was redeemed, with Wilson interval."""
        return rate(self.outcomes.redemptions, self.counts.completions) if self.counts.completions else None

    @property
    def revenue_per_scan(self) -> Decimal | None:
        """Redeemed order value ÷ scans."""
        return _per(self.outcomes.revenue, self.counts.scans) if self.outcomes.coupons_issued else None

    @property
    def return_on_cost(self) -> float | None:
        """Redeemed order value ÷ the touchpoint's cost (1.0 = the touchpoint paid for itself)."""
        if self.cost is None or self.cost <= 0 or not self.outcomes.coupons_issued:
            return None
        return float(self.outcomes.revenue / self.cost)


@dataclass(frozen=True)
class TouchpointRating:
    """The rating row of one touchpoint."""

    touchpoint: TouchpointInput
    summary: Summary
    #: Unique visitors per copy printed / visitor reached.
    scan_rate: Proportion | None
    acceptance_rate: Proportion | None
    k_factor: float | None
    loyalty_items: dict[str, MeanEstimate]
    cost_per_scan: Decimal | None
    cost_per_completion: Decimal | None
    cost_per_promoter: Decimal | None
    rating: float | None
    rating_sd: float | None
    ranking_key: float | None
    #: Smallest answer count among the metrics asked.
    min_n: int
    ranked: bool
    rank: int | None
    quadrant: Quadrant | None
    advice: Advice

    @property
    def rating_ci(self) -> stats.Interval | None:
        """Approximate 95 % interval of the rating (rating ± 1.96 SD, within 0–100)."""
        if self.rating is None or self.rating_sd is None:
            return None
        half = stats.Z95 * self.rating_sd
        return stats.Interval(max(0.0, self.rating - half), min(100.0, self.rating + half))

    @property
    def flag(self) -> stats.SampleFlag:
        """Sample-size flag of the smallest metric asked."""
        return stats.sample_flag(self.min_n)


@dataclass(frozen=True)
class CampaignRatings:
    """Rows in rank order (ranked first, then unranked by rating), the campaign total and the shrinkage used."""

    rows: list[TouchpointRating]
    total: Summary
    shrinkage: dict[Metric, stats.Shrinkage]
    #: 100·Σ w μ / Σ w over the metrics asked anywhere: what n = 0 rates.
    campaign_rating: float | None
    median_rating: float | None
    median_visitors: float | None


def _per(cost: Decimal | None, count: int) -> Decimal | None:
    if cost is None or count <= 0:
        return None
    return (cost / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _quadrant(
    rating: float | None, visitors: int, median_rating: float | None, median_visitors: float | None
) -> Quadrant | None:
    if rating is None or median_rating is None or median_visitors is None:
        return None
    good, wide = rating >= median_rating, visitors >= median_visitors
    if good:
        return Quadrant.EFFECTIVE if wide else Quadrant.PROMISING
    return Quadrant.COSTLY if wide else Quadrant.WEAK


def _advice(row: TouchpointRating, campaign_rating: float | None) -> Advice:
    """Keep what is clearly good, grow what is good but small, improve what many see and dislike, cut the rest."""
    ci = row.rating_ci
    if not row.ranked or ci is None or campaign_rating is None:
        return Advice.MEASURE
    if ci.low > campaign_rating:
        return Advice.GROW if row.quadrant is Quadrant.PROMISING else Advice.KEEP
    if ci.high < campaign_rating:
        return Advice.IMPROVE if row.quadrant is Quadrant.COSTLY else Advice.CUT
    return Advice.KEEP if row.quadrant in (Quadrant.EFFECTIVE, Quadrant.PROMISING) else Advice.IMPROVE


def rate_touchpoints(
    touchpoints: Sequence[TouchpointInput], weights: Mapping[Metric, float] = WEIGHTS
) -> CampaignRatings:
    """Rate, rank and place every touchpoint of a campaign (§8)."""
    shrinkage = {
        metric: stats.shrink([stats.score_summary(tp.counts.of(metric), SCORES[metric]) for tp in touchpoints])
        for metric in Metric
    }
    asked_anywhere = [m for m in Metric if any(m in tp.asked for tp in touchpoints) and shrinkage[m].mean is not None]
    campaign = stats.composite([(weights[m], shrinkage[m].mean, 0.0) for m in asked_anywhere])  # type: ignore[misc]
    drafts = []
    for i, tp in enumerate(touchpoints):
        summary = summarise(tp.counts)
        asked = [m for m in Metric if m in tp.asked and shrinkage[m].mean is not None]
        composite = stats.composite(
            [(weights[m], shrinkage[m].theta[i], shrinkage[m].posterior_sd[i]) for m in asked]  # type: ignore[misc]
        )
        min_n = min((summary.n(m) for m in asked), default=0)
        promoters = summary.nps.promoters
        drafts.append(
            dict(
                touchpoint=tp,
                summary=summary,
                scan_rate=rate(tp.counts.visitors, tp.reach) if tp.reach else None,
                acceptance_rate=acceptance_rate(tp.referrals.acceptances, tp.referrals.unique_opens),
                k_factor=k_factor(tp.referrals.acceptances, tp.referrals.completed_responses),
                loyalty_items={key: stats.mean_estimate(c, 1, 5) for key, c in sorted(tp.loyalty_items.items())},
                cost_per_scan=_per(tp.cost, tp.counts.scans),
                cost_per_completion=_per(tp.cost, tp.counts.completions),
                cost_per_promoter=_per(tp.cost, promoters),
                rating=composite.rating if composite else None,
                rating_sd=composite.sd if composite else None,
                ranking_key=composite.ranking_key if composite else None,
                min_n=min_n,
                ranked=composite is not None and min_n >= RANK_MIN_N,
            )
        )
    rated = [d for d in drafts if d["rating"] is not None and d["min_n"] > 0]
    median_rating = statistics.median(d["rating"] for d in rated) if rated else None
    median_visitors = statistics.median(d["touchpoint"].counts.visitors for d in rated) if rated else None
    ranked = sorted((d for d in drafts if d["ranked"]), key=lambda d: -d["ranking_key"])
    for position, draft in enumerate(ranked, start=1):
        draft["rank"] = position
    rows = []
    for draft in ranked + sorted(
        (d for d in drafts if not d["ranked"]), key=lambda d: (d["rating"] is None, -(d["rating"] or 0))
    ):
        draft.setdefault("rank", None)
        draft["quadrant"] = (
            _quadrant(draft["rating"], draft["touchpoint"].counts.visitors, median_rating, median_visitors)
            if draft["min_n"] > 0
            else None
        )
        row = TouchpointRating(**draft, advice=Advice.MEASURE)
        rows.append(replace(row, advice=_advice(row, campaign.rating if campaign else None)))
    return CampaignRatings(
        rows=rows,
        total=summarise(total(tp.counts for tp in touchpoints)),
        shrinkage=shrinkage,
        campaign_rating=campaign.rating if campaign else None,
        median_rating=median_rating,
        median_visitors=median_visitors,
    )
