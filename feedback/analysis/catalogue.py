"""The metric catalogue: what each number of a touchpoint is, in one place (STATS.md §1, §11).

Each entry names the metric's stable key (the download column), its label in the user's language, its unit, how
many answers it rests on, its 95 % interval and the method behind it, and the smallest n at which it is tested or
ranked. The downloads (CSV, XLSX, JSON), the API and `feedback ratings` read their values and the column sheet its
explanations from here; the pages and the PDF show the same fields of the same rating rows, which
tests/analysis/test_consistency.py checks output by output.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from feedback.analysis.ratings import RANK_MIN_N, TouchpointRating
from feedback.analysis.stats import Interval, MeanEstimate, Proportion


class Unit(enum.StrEnum):
    """How a metric's value reads."""

    SCORE = "score"  # 0–100 rating
    POINTS = "points"  # NPS, −100…100
    SHARE = "share"  # 0…1, shown as %
    MEAN = "mean"  # a mean on the question's scale
    COUNT = "count"
    RATIO = "ratio"  # may exceed 1
    MONEY = "money"


class Method(enum.StrEnum):
    """Where a metric's interval comes from."""

    SHRINKAGE = "shrinkage"  # rating ± 1.96 posterior SD (STATS.md §8)
    ADJUSTED_WALD = "adjusted_wald"  # NPS (§2)
    WILSON = "wilson"  # shares (§4)
    T = "t"  # means (§5)
    BOOTSTRAP = "bootstrap"  # k-factor, friends per invite: seeded percentile bootstrap, none below 10 (§11)
    NONE = "none"  # an exact count or ratio, or a number that has no interval ("no interval")


@dataclass(frozen=True)
class Estimate:
    """A metric's value for one touchpoint with its n and interval (None where the method gives none)."""

    value: float | int | Decimal | None
    n: int | None
    ci: Interval | None


@dataclass(frozen=True)
class MetricDef:
    """One metric: its definition and how to read it off a rating row."""

    key: str
    label: Any
    unit: Unit
    method: Method
    #: Below this n the metric is shown but neither tested nor ranked (0: no such limit).
    min_n: int
    definition: Any
    read: Callable[[TouchpointRating], Estimate]

    def of(self, row: TouchpointRating) -> Estimate:
        """The metric for one touchpoint."""
        return self.read(row)


def _share(p: Proportion | None) -> Estimate:
    return Estimate(None, 0, None) if p is None else Estimate(p.share, p.n, p.ci)


def _mean(m: MeanEstimate) -> Estimate:
    return Estimate(m.mean, m.n, m.ci)


def _per_visitor(r: TouchpointRating, action: str) -> Estimate:
    visitors = r.touchpoint.counts.visitors
    return Estimate(r.touchpoint.actions.per_visitor(action, visitors), visitors, None)


CATALOGUE: tuple[MetricDef, ...] = (
    MetricDef(
        "rating",
        _l("Rating"),
        Unit.SCORE,
        Method.SHRINKAGE,
        RANK_MIN_N,
        _l("Composite rating 0–100 (NPS 40 %, CSAT, CES, loyalty 20 % each), shrunk toward the campaign."),
        lambda r: Estimate(r.rating, r.min_n, r.rating_ci),
    ),
    MetricDef(
        "nps",
        _l("NPS"),
        Unit.POINTS,
        Method.ADJUSTED_WALD,
        RANK_MIN_N,
        _l("Net Promoter Score in points (−100…100)."),
        lambda r: Estimate(r.summary.nps.nps, r.summary.nps.n, r.summary.nps.ci),
    ),
    MetricDef(
        "csat",
        _l("CSAT"),
        Unit.SHARE,
        Method.WILSON,
        RANK_MIN_N,
        _l("CSAT: share of 4–5 on the 1–5 scale."),
        lambda r: _share(r.summary.csat),
    ),
    MetricDef(
        "csat_mean",
        _l("Satisfaction mean (1–5)"),
        Unit.MEAN,
        Method.T,
        RANK_MIN_N,
        _l("Mean satisfaction 1–5 (not the CSAT)."),
        lambda r: _mean(r.summary.csat_mean),
    ),
    MetricDef(
        "ces",
        _l("Effort (CES, 1–7)"),
        Unit.MEAN,
        Method.T,
        RANK_MIN_N,
        _l("Customer effort score 1–7 (7 = easiest)."),
        lambda r: _mean(r.summary.ces),
    ),
    MetricDef(
        "loyalty",
        _l("Loyalty (1–5)"),
        Unit.MEAN,
        Method.T,
        RANK_MIN_N,
        _l("Mean of the loyalty items 1–5."),
        lambda r: _mean(r.summary.loyalty),
    ),
    MetricDef(
        "loyalty_top2",
        _l("Loyalty top-2-box"),
        Unit.SHARE,
        Method.WILSON,
        RANK_MIN_N,
        _l("Loyalty top-2-box: share of 4–5 on the loyalty items."),
        lambda r: _share(r.summary.loyalty_top2),
    ),
    MetricDef(
        "start_rate",
        _l("Start rate"),
        Unit.SHARE,
        Method.WILSON,
        0,
        _l("Starts ÷ scans."),
        lambda r: _share(r.summary.start_rate),
    ),
    MetricDef(
        "completion_rate",
        _l("Completion rate"),
        Unit.SHARE,
        Method.WILSON,
        0,
        _l("Completions ÷ starts."),
        lambda r: _share(r.summary.completion_rate),
    ),
    MetricDef(
        "response_rate",
        _l("Response rate"),
        Unit.SHARE,
        Method.WILSON,
        RANK_MIN_N,
        _l("Completions ÷ scans."),
        lambda r: _share(r.summary.response_rate),
    ),
    MetricDef(
        "scans",
        _l("Scans"),
        Unit.COUNT,
        Method.NONE,
        0,
        _l("Scans that reached the landing page (bots excluded)."),
        lambda r: Estimate(r.touchpoint.counts.scans, None, None),
    ),
    MetricDef(
        "unique_visitors",
        _l("Visitors (per day)"),
        Unit.COUNT,
        Method.NONE,
        0,
        _l(
            "Visitors, counted per day: distinct visitors of each day, summed over the days of the period (visitors "
            "of different days cannot be linked, by design)."
        ),
        lambda r: Estimate(r.touchpoint.counts.visitors, None, None),
    ),
    MetricDef(
        "scan_rate",
        _l("Scan rate (visitors ÷ reach)"),
        Unit.SHARE,
        Method.NONE,
        0,
        _l("Visitors (counted per day) ÷ reach; no interval, as the visitors are not distinct people across days."),
        lambda r: Estimate(r.scan_rate, r.touchpoint.reach, None),
    ),
    MetricDef(
        "acceptance_rate",
        _l("Acceptance rate"),
        Unit.SHARE,
        Method.WILSON,
        0,
        _l("Invites with at least one friend who completed ÷ invites issued (at most 100 %)."),
        lambda r: _share(r.referrals.acceptance_rate),
    ),
    MetricDef(
        "friends_per_invite",
        _l("Friends per invite"),
        Unit.RATIO,
        Method.BOOTSTRAP,
        RANK_MIN_N,
        _l("Friends won ÷ invites issued (may exceed 1)."),
        lambda r: Estimate(r.referrals.friends_per_invite, r.referrals.invites, r.referrals.friends_per_invite_ci),
    ),
    MetricDef(
        "k_factor",
        _l("k-factor"),
        Unit.RATIO,
        Method.BOOTSTRAP,
        RANK_MIN_N,
        _l("Friends won ÷ respondents who completed here (invites per respondent × friends per invite)."),
        lambda r: Estimate(r.referrals.k_factor, r.referrals.completed, r.referrals.k_factor_ci),
    ),
    MetricDef(
        "redemption_rate",
        _l("Redemption rate"),
        Unit.SHARE,
        Method.WILSON,
        0,
        _l("Redemptions ÷ coupons issued; empty where no coupon was issued."),
        lambda r: _share(r.touchpoint.redemption_rate),
    ),
    MetricDef(
        "cost_per_promoter",
        _l("Cost per promoter"),
        Unit.MONEY,
        Method.NONE,
        0,
        _l("Cost ÷ promoters (NPS 9–10)."),
        lambda r: Estimate(r.cost_per_promoter, r.summary.nps.promoters, None),
    ),
    MetricDef(
        "return_on_cost",
        _l("Return on cost"),
        Unit.RATIO,
        Method.NONE,
        0,
        _l("Revenue ÷ cost of the touchpoint (1 = it paid for itself)."),
        lambda r: Estimate(r.touchpoint.return_on_cost, None, None),
    ),
    MetricDef(
        "won_customers",
        _l("Won customers"),
        Unit.COUNT,
        Method.NONE,
        0,
        _l("Leads first captured here (in the period) that are won now."),
        lambda r: Estimate(r.touchpoint.outcomes.leads_won, r.touchpoint.outcomes.leads, None),
    ),
    MetricDef(
        "won_value",
        _l("Won order value"),
        Unit.MONEY,
        Method.NONE,
        0,
        _l("Order values of those won customers."),
        lambda r: Estimate(r.touchpoint.outcomes.won_value, r.touchpoint.outcomes.leads_won, None),
    ),
    MetricDef(
        "won_value_per_cost",
        _l("Won value per cost"),
        Unit.RATIO,
        Method.NONE,
        0,
        _l("Order values of the won customers ÷ cost of the touchpoint (1 = they paid for it); empty without leads."),
        lambda r: Estimate(r.touchpoint.won_value_per_cost, r.touchpoint.outcomes.leads_won, None),
    ),
    MetricDef(
        "customers",
        _l("Customers"),
        Unit.COUNT,
        Method.NONE,
        0,
        _l(
            "Leads first captured here (in the period) with at least one purchase so far: a won order or a redeemed "
            "coupon (their own, or one of a later visit from the same phone's first-party cookie)."
        ),
        lambda r: Estimate(r.touchpoint.outcomes.customers.customers, r.touchpoint.outcomes.leads, None),
    ),
    MetricDef(
        "clv",
        _l("Customer lifetime value"),
        Unit.MONEY,
        Method.T,
        RANK_MIN_N,
        _l(
            "Mean of the customers' lifetime values (each customer's won order value and redeemed coupon order "
            "values so far), with the t interval of a mean, none below 2 customers; fewer than 10: too few."
        ),
        lambda r: _mean(r.touchpoint.outcomes.customers.clv),
    ),
    MetricDef(
        "repeat_purchase_rate",
        _l("Repeat purchase rate"),
        Unit.SHARE,
        Method.WILSON,
        RANK_MIN_N,
        _l("Customers with two purchases or more ÷ customers."),
        lambda r: _share(r.touchpoint.outcomes.customers.repeat_rate),
    ),
    MetricDef(
        "kiosk",
        _l("Kiosk answers"),
        Unit.COUNT,
        Method.NONE,
        0,
        _l(
            "Completions answered on a kiosk (a shared screen where one person answers after another, e.g. a "
            "trade-fair tablet); 0: none came from a kiosk."
        ),
        lambda r: Estimate(r.touchpoint.kiosk_completions, None, None),
    ),
    MetricDef(
        "action_call",
        _l("Calls"),
        Unit.COUNT,
        Method.NONE,
        0,
        _l("Clicks on the landing page's call button (bots and team devices excluded)."),
        lambda r: Estimate(r.touchpoint.actions.call, None, None),
    ),
    MetricDef(
        "action_calendar",
        _l("Calendar entries"),
        Unit.COUNT,
        Method.NONE,
        0,
        _l("Clicks on the landing page's “Add to calendar” (.ics), bots and team devices excluded."),
        lambda r: Estimate(r.touchpoint.actions.calendar, None, None),
    ),
    MetricDef(
        "action_follow",
        _l("Follows"),
        Unit.COUNT,
        Method.NONE,
        0,
        _l("Clicks on the landing page's “Follow us” link (bots and team devices excluded)."),
        lambda r: Estimate(r.touchpoint.actions.follow, None, None),
    ),
    MetricDef(
        "action_cta",
        _l("Main button clicks"),
        Unit.COUNT,
        Method.NONE,
        0,
        _l("Clicks on the landing page's main call to action (bots and team devices excluded)."),
        lambda r: Estimate(r.touchpoint.actions.cta, None, None),
    ),
    MetricDef(
        "action_call_per_visitor",
        _l("Calls per visitor"),
        Unit.RATIO,
        Method.NONE,
        0,
        _l("Calls ÷ visitors (counted per day); no interval, as visitors are counted per day and may click twice."),
        lambda r: _per_visitor(r, "call"),
    ),
    MetricDef(
        "action_calendar_per_visitor",
        _l("Calendar entries per visitor"),
        Unit.RATIO,
        Method.NONE,
        0,
        _l("Calendar entries ÷ visitors (counted per day); no interval."),
        lambda r: _per_visitor(r, "calendar"),
    ),
    MetricDef(
        "action_follow_per_visitor",
        _l("Follows per visitor"),
        Unit.RATIO,
        Method.NONE,
        0,
        _l("Follows ÷ visitors (counted per day); no interval."),
        lambda r: _per_visitor(r, "follow"),
    ),
    MetricDef(
        "action_cta_per_visitor",
        _l("Main button clicks per visitor"),
        Unit.RATIO,
        Method.NONE,
        0,
        _l("Main button clicks ÷ visitors (counted per day); no interval."),
        lambda r: _per_visitor(r, "cta"),
    ),
)
BY_KEY: dict[str, MetricDef] = {metric.key: metric for metric in CATALOGUE}
