"""Rating assembly, pure: counts per touchpoint in, frozen rating rows out (STATS.md §1, §8; no Flask, no SQL)."""

from __future__ import annotations

import enum
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from feedback.analysis import comparisons, stats
from feedback.analysis.lifetime import CustomerTotals
from feedback.analysis.stats import Counts, MeanEstimate, Proportion
from feedback.analysis.summaries import (
    SCORES,
    WEIGHTS,
    GroupCounts,
    Metric,
    ReferralMetrics,
    Referrals,
    Summary,
    rate,
    referral_metrics,
    summarise,
    total,
)

#: Touchpoints whose smallest metric n is below this are rated but not ranked.
RANK_MIN_N = 10


class Quadrant(enum.StrEnum):
    """Where a ranked touchpoint sits in the matrix of rating × visitors, split at the medians of the ranked
    touchpoints: a description, not advice."""

    HIGH_WIDE = "high_rating_many_visitors"
    HIGH_NARROW = "high_rating_few_visitors"
    LOW_WIDE = "low_rating_many_visitors"
    LOW_NARROW = "low_rating_few_visitors"


class Position(enum.StrEnum):
    """The touchpoint against the rest of its campaign on its headline metric, Holm-adjusted (STATS.md §11)."""

    ABOVE = "above"
    LIKE = "like"  # not significant, whatever the point estimates
    BELOW = "below"


class Advice(enum.StrEnum):
    """What to do with a touchpoint's budget (STATS.md §11)."""

    KEEP = "keep"
    GROW = "grow"
    IMPROVE = "improve"
    CUT = "cut"  # rethink or cut
    CHEAPER = "make_cheaper"
    MEASURE = "measure"
    #: A segment whose scans are not counted (it asks about an answer): the position only, no budget advice.
    NO_REACH = "no_reach"


#: The metric that places a touchpoint against its campaign: the first one its answers have.
HEADLINE = (Metric.NPS, Metric.CSAT, Metric.CES, Metric.LOYALTY)
HEADLINE_TESTS = {
    Metric.NPS: comparisons.Comparison.NPS,
    Metric.CSAT: comparisons.Comparison.CSAT,
    Metric.CES: comparisons.Comparison.CES,
    Metric.LOYALTY: comparisons.Comparison.LOYALTY,
}


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
    #: Of the leads, won now, and the order values of those won.
    leads_won: int = 0
    won_value: Decimal = Decimal("0.00")
    #: The customers among the leads first captured here (a won order or a redeemed coupon) and their lifetime
    #: values so far (feedback/analysis/lifetime.py).
    customers: CustomerTotals = CustomerTotals()


#: The landing page's actions, in the order pages and downloads show them.
LANDING_ACTIONS = ("call", "calendar", "follow", "cta")


@dataclass(frozen=True)
class LandingActions:
    """Counted clicks on a landing page's actions (bots and team devices excluded): call, add to calendar, follow,
    and the main call to action."""

    call: int = 0
    calendar: int = 0
    follow: int = 0
    cta: int = 0

    def __post_init__(self) -> None:
        if any(self.of(action) < 0 for action in LANDING_ACTIONS):
            raise ValueError("click counts cannot be negative")

    def __add__(self, other: LandingActions) -> LandingActions:
        return LandingActions(*(self.of(a) + other.of(a) for a in LANDING_ACTIONS))

    def of(self, action: str) -> int:
        """Clicks on one action."""
        return int(getattr(self, action))

    @property
    def total(self) -> int:
        """Clicks on any action."""
        return sum(self.of(a) for a in LANDING_ACTIONS)

    def per_visitor(self, action: str, visitors: int) -> float | None:
        """Clicks ÷ visitors (counted per day): no interval, as the visitors are not distinct people across days and
        one visitor may click more than once (so it may exceed 1); None without visitors."""
        return self.of(action) / visitors if visitors else None


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
    #: The metrics its survey asks; the rating covers those of them that have answers here.
    asked: frozenset[Metric]
    referrals: Referrals = Referrals()
    #: Loyalty items one by one: {question key: {value: count}}.
    rating_items: Mapping[str, Counts] = field(default_factory=dict)
    outcomes: Outcomes = Outcomes()
    #: Clicks on the landing page's call, calendar, follow and main button.
    actions: LandingActions = LandingActions()
    #: Completions answered on a kiosk's shared screen (part of `counts.completions`).
    kiosk_completions: int = 0

    @property
    def redemption_rate(self) -> Proportion | None:
        """Redeemed coupons ÷ coupons issued, with Wilson interval; None where no coupon was issued."""
        return rate(self.outcomes.redemptions, self.outcomes.coupons_issued) if self.outcomes.coupons_issued else None

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

    @property
    def won_value_per_cost(self) -> float | None:
        """Order value of the won leads ÷ the touchpoint's cost, like the return on cost (1.0 = the won customers'
        orders paid for the touchpoint); None without a cost or without leads."""
        if self.cost is None or self.cost <= 0 or not self.outcomes.leads:
            return None
        return float(self.outcomes.won_value / self.cost)


@dataclass(frozen=True)
class TouchpointRating:
    """The rating row of one touchpoint."""

    touchpoint: TouchpointInput
    summary: Summary
    #: Visitors (counted per day) per copy printed / person reached: no interval, the visitors are not distinct
    #: people across days.
    scan_rate: float | None
    referrals: ReferralMetrics
    rating_items: dict[str, MeanEstimate]
    cost_per_scan: Decimal | None
    cost_per_completion: Decimal | None
    cost_per_promoter: Decimal | None
    #: None when nothing was answered here (STATS.md §11: no rating, no interval at n = 0).
    rating: float | None
    rating_sd: float | None
    ranking_key: float | None
    #: Smallest answer count among the metrics answered here.
    min_n: int
    ranked: bool
    rank: int | None = None
    quadrant: Quadrant | None = None
    #: The headline metric against the rest of the campaign, Holm-adjusted over the campaign's touchpoints.
    position: Position | None = None
    evidence: comparisons.Result | None = None
    #: Every metric of this touchpoint against the rest of the campaign (the one family pages, downloads and the
    #: API show: all touchpoints against the rest, Holm-adjusted per metric).
    vs_rest: tuple[comparisons.Result, ...] = ()
    #: Visitors at or above the median of the ranked touchpoints (None when unranked).
    wide_reach: bool | None = None
    advice: Advice = Advice.MEASURE

    @property
    def reach_exceeded(self) -> bool:
        """More visitors than the reach entered: the reach is too low (or the codes hang elsewhere too), so the
        scan rate is not computed; pages say so instead of showing nothing."""
        return bool(self.touchpoint.reach) and self.touchpoint.counts.visitors > (self.touchpoint.reach or 0)

    @property
    def acceptance_rate(self) -> Proportion | None:
        """Invites with a friend who completed ÷ invites issued (Wilson)."""
        return self.referrals.acceptance_rate

    @property
    def k_factor(self) -> float | None:
        """Friends won ÷ respondents."""
        return self.referrals.k_factor

    @property
    def rating_ci(self) -> stats.Interval | None:
        """Approximate 95 % interval of the rating (rating ± 1.96 SD, within 0–100)."""
        if self.rating is None or self.rating_sd is None:
            return None
        half = stats.Z95 * self.rating_sd
        return stats.Interval(max(0.0, self.rating - half), min(100.0, self.rating + half))

    @property
    def flag(self) -> stats.SampleFlag:
        """Sample-size flag of the smallest metric answered."""
        return stats.sample_flag(self.min_n)


@dataclass(frozen=True)
class CampaignRatings:
    """Rows in rank order (ranked first, then unranked by rating), the campaign total and the shrinkage used."""

    rows: list[TouchpointRating]
    total: Summary
    shrinkage: dict[Metric, stats.Shrinkage]
    #: 100·Σ w μ / Σ w over the metrics answered anywhere.
    campaign_rating: float | None
    #: Medians of the ranked touchpoints: the matrix's and the advice's splits.
    median_rating: float | None
    median_visitors: float | None
    #: Total cost ÷ total promoters of the touchpoints with a cost; redeemed value ÷ cost likewise.
    cost_per_promoter: Decimal | None
    return_on_cost: float | None
    referrals: ReferralMetrics

    @property
    def actions(self) -> LandingActions:
        """The landing actions of all the campaign's touchpoints."""
        return sum((row.touchpoint.actions for row in self.rows), LandingActions())


def _per(cost: Decimal | None, count: int) -> Decimal | None:
    if cost is None or count <= 0:
        return None
    return (cost / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _quadrant(row: TouchpointRating, median_rating: float, median_visitors: float) -> Quadrant:
    high, wide = (row.rating or 0) >= median_rating, row.touchpoint.counts.visitors >= median_visitors
    if high:
        return Quadrant.HIGH_WIDE if wide else Quadrant.HIGH_NARROW
    return Quadrant.LOW_WIDE if wide else Quadrant.LOW_NARROW


def _headline(summary: Summary) -> Metric | None:
    return next((m for m in HEADLINE if summary.n(m)), None)


def _advice(row: TouchpointRating, campaign: CampaignRatings) -> Advice:
    """STATS.md §11: position × reach, and cost only where a like-the-campaign touchpoint pays more per promoter
    than the campaign without returning more."""
    if not row.ranked or row.position is None:
        return Advice.MEASURE
    if row.wide_reach is None:
        return Advice.NO_REACH
    if row.position is Position.BELOW:
        return Advice.IMPROVE if row.wide_reach else Advice.CUT
    if row.position is Position.ABOVE:
        return Advice.KEEP if row.wide_reach else Advice.GROW
    costs = row.touchpoint.cost is not None and row.touchpoint.cost > 0
    no_promoters = costs and row.summary.nps.n > 0 and row.summary.nps.promoters == 0
    dearer = campaign.cost_per_promoter is not None and (
        no_promoters or (row.cost_per_promoter is not None and row.cost_per_promoter > campaign.cost_per_promoter)
    )
    better_return = (
        row.touchpoint.return_on_cost is not None
        and campaign.return_on_cost is not None
        and row.touchpoint.return_on_cost > campaign.return_on_cost
    )
    return Advice.CHEAPER if dearer and not better_return else Advice.KEEP


def _positions(rows: list[TouchpointRating], everything: GroupCounts) -> list[TouchpointRating]:
    """Each ranked touchpoint's headline metric against the rest of the campaign: the result of the family every
    page, download and the API show (all touchpoints against the rest, Holm per metric)."""
    found = comparisons.against_rest(dict(enumerate(row.summary for row in rows)), everything)
    placed = list(rows)
    for i, row in enumerate(rows):
        metric = _headline(row.summary)
        placed[i] = replace(row, vs_rest=tuple(found[i]))
        if not row.ranked or metric is None:
            continue
        evidence = next((r for r in found[i] if r.test is HEADLINE_TESTS[metric]), None)
        if evidence is None or evidence.verdict is comparisons.Verdict.TOO_FEW:
            # the rest of the campaign has fewer than 10 answers (or there is no rest): nothing was tested
            placed[i] = replace(placed[i], evidence=evidence)
            continue
        position = {
            comparisons.Verdict.HIGHER: Position.ABOVE,
            comparisons.Verdict.LOWER: Position.BELOW,
        }.get(evidence.verdict if evidence else None, Position.LIKE)  # type: ignore[arg-type]
        placed[i] = replace(placed[i], position=position, evidence=evidence)
    return placed


def _campaign_return(touchpoints: Sequence[TouchpointInput]) -> tuple[Decimal | None, float | None]:
    costed = [tp for tp in touchpoints if tp.cost is not None and tp.cost > 0]
    cost = sum((tp.cost for tp in costed), Decimal(0))  # type: ignore[misc]
    promoters = sum(stats.nps_categories(tp.counts.of(Metric.NPS))[0] for tp in costed)
    couponed = [tp for tp in costed if tp.outcomes.coupons_issued]
    coupon_cost = sum((tp.cost for tp in couponed), Decimal(0))  # type: ignore[misc]
    revenue = sum((tp.outcomes.revenue for tp in couponed), Decimal(0))
    return _per(cost, promoters) if costed else None, float(revenue / coupon_cost) if coupon_cost else None


def rate_touchpoints(
    touchpoints: Sequence[TouchpointInput], weights: Mapping[Metric, float] = WEIGHTS, reach_known: bool = True
) -> CampaignRatings:
    """Rate, rank, place and advise every touchpoint of a campaign (§8, §11). Without `reach_known` (a segment
    whose scans are not counted) no touchpoint has a reach, a quadrant or budget advice: only its position."""
    shrinkage = {
        metric: stats.shrink([stats.score_summary(tp.counts.of(metric), SCORES[metric]) for tp in touchpoints])
        for metric in Metric
    }
    answered_anywhere = [m for m in Metric if shrinkage[m].mean is not None]
    campaign = stats.composite([(weights[m], shrinkage[m].mean, 0.0) for m in answered_anywhere])  # type: ignore[misc]
    rows = []
    for i, tp in enumerate(touchpoints):
        summary = summarise(tp.counts)
        answered = [m for m in Metric if summary.n(m)]
        composite = stats.composite(
            [(weights[m], shrinkage[m].theta[i], shrinkage[m].posterior_sd[i]) for m in answered]  # type: ignore[misc]
        )
        min_n = min((summary.n(m) for m in answered), default=0)
        rows.append(
            TouchpointRating(
                touchpoint=tp,
                summary=summary,
                scan_rate=tp.counts.visitors / tp.reach
                if reach_known and tp.reach and tp.counts.visitors <= tp.reach
                else None,
                referrals=referral_metrics(tp.referrals),
                rating_items={key: stats.mean_estimate(c, 1, 5) for key, c in sorted(tp.rating_items.items())},
                cost_per_scan=_per(tp.cost, tp.counts.scans),
                cost_per_completion=_per(tp.cost, tp.counts.completions),
                cost_per_promoter=_per(tp.cost, summary.nps.promoters),
                rating=composite.rating if composite else None,
                rating_sd=composite.sd if composite else None,
                ranking_key=composite.ranking_key if composite else None,
                min_n=min_n,
                ranked=composite is not None and min_n >= RANK_MIN_N,
            )
        )
    everything = total(tp.counts for tp in touchpoints)
    rows = _positions(rows, everything)
    ranked = sorted((r for r in rows if r.ranked), key=lambda r: -(r.ranking_key or 0))
    median_rating = statistics.median(r.rating or 0 for r in ranked) if ranked else None
    visitors = [r.touchpoint.counts.visitors for r in ranked]
    median_visitors = statistics.median(visitors) if ranked and reach_known else None
    ordered = [
        replace(
            row,
            rank=position,
            quadrant=_quadrant(row, median_rating, median_visitors) if reach_known else None,  # type: ignore[arg-type]
            wide_reach=row.touchpoint.counts.visitors >= median_visitors if reach_known else None,  # type: ignore[operator]
        )
        for position, row in enumerate(ranked, start=1)
    ] + sorted((r for r in rows if not r.ranked), key=lambda r: (r.rating is None, -(r.rating or 0)))
    cost_per_promoter, return_on_cost = _campaign_return(touchpoints)
    result = CampaignRatings(
        rows=ordered,
        total=summarise(everything),
        shrinkage=shrinkage,
        campaign_rating=campaign.rating if campaign else None,
        median_rating=median_rating,
        median_visitors=median_visitors,
        cost_per_promoter=cost_per_promoter,
        return_on_cost=return_on_cost,
        referrals=referral_metrics(sum((tp.referrals for tp in touchpoints), Referrals())),
    )
    return replace(result, rows=[replace(row, advice=_advice(row, result)) for row in result.rows])
