"""The lead funnel, pure: each lead's path through the stages in, counts per step, step conversion rates with Wilson
intervals and the median time per step out (docs/STATISTICS.md §4; no Flask, no SQL).

The steps are lead → marketing-qualified → sales-accepted → sales-qualified → won. Sales-ready (the score's
threshold for handing a lead to sales) is part of the marketing-qualified step. A lead counts as having reached a
step when it was at that step or any later one at some time: a lead sales accepted straight from "new" has passed
marketing qualification. Lost is not a step but an exit: lost leads are counted by the step they were lost at and
by reason.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from feedback.analysis import stats
from feedback.analysis.stats import MedianEstimate, Proportion

SECONDS_PER_DAY = 86_400


class Step(enum.IntEnum):
    """The funnel's steps, in order."""

    LEAD = 0
    MQL = 1
    SAL = 2
    SQL = 3
    WON = 4


#: The step each stored stage belongs to (lost belongs to none: it is an exit).
STEP_OF_STAGE: dict[str, Step] = {
    "new": Step.LEAD,
    "marketing_qualified": Step.MQL,
    "sales_ready": Step.MQL,
    "sales_accepted": Step.SAL,
    "sales_qualified": Step.SQL,
    "won": Step.WON,
}
LOST = "lost"


@dataclass(frozen=True)
class LeadPath:
    """One lead: when it was captured (at "new"), its moves in order as (stage moved to, when), and what it is now."""

    created_at: datetime
    moves: tuple[tuple[str, datetime], ...] = ()
    #: The order value if it is won now.
    won_value: Decimal | None = None
    #: The reason if it is lost now.
    lost_reason: str | None = None

    @property
    def stage_now(self) -> str:
        """Its stage now: the last move's, or new."""
        return self.moves[-1][0] if self.moves else "new"

    def furthest(self) -> Step:
        """The furthest step it ever reached."""
        reached = [STEP_OF_STAGE[stage] for stage, _at in self.moves if stage in STEP_OF_STAGE]
        return max([Step.LEAD, *reached])

    def entered(self, step: Step) -> datetime | None:
        """When it first came to the step (the lead step: when it was captured); None if it never was there."""
        if step is Step.LEAD:
            return self.created_at
        return next((at for stage, at in self.moves if STEP_OF_STAGE.get(stage) is step), None)

    def time_in(self, step: Step) -> float | None:
        """Days from first coming to the step to the first move out of it (up, down or lost); None while it is still
        there or when it never was."""
        start = self.entered(step)
        if start is None:
            return None
        moves = self.moves if step is Step.LEAD else self.moves[self._first_index(step) + 1 :]
        for stage, at in moves:
            if at >= start and STEP_OF_STAGE.get(stage) is not step:
                return max(0.0, (at - start).total_seconds() / SECONDS_PER_DAY)
        return None

    def _first_index(self, step: Step) -> int:
        return next(i for i, (stage, _at) in enumerate(self.moves) if STEP_OF_STAGE.get(stage) is step)

    def lost_at(self) -> Step | None:
        """The step it was at when it was lost, if it is lost now."""
        if self.stage_now != LOST:
            return None
        before = [STEP_OF_STAGE[stage] for stage, _at in self.moves[:-1] if stage in STEP_OF_STAGE]
        return before[-1] if before else Step.LEAD


@dataclass(frozen=True)
class StepNumbers:
    """One step of the funnel."""

    step: Step
    #: Leads that reached this step (or a later one).
    reached: int
    #: reached ÷ reached at the step before, with its Wilson interval; None at the first step.
    conversion: Proportion | None
    #: Leads at this step now.
    now: int
    #: Days spent at the step by the leads that left it (median with its order-statistic interval); the leads still
    #: there are not in it.
    time: MedianEstimate
    #: Lost at this step (now lost, and this was the last step they were at).
    lost: int


@dataclass(frozen=True)
class Funnel:
    """The funnel of a group of leads (a campaign, or one touchpoint)."""

    steps: tuple[StepNumbers, ...]
    #: Won ÷ leads, with its Wilson interval (None without leads).
    overall: Proportion | None
    won_value: Decimal
    lost: int
    lost_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def leads(self) -> int:
        """Leads in the group."""
        return self.steps[0].reached

    def of(self, step: Step) -> StepNumbers:
        """The numbers of one step."""
        return self.steps[step]


def funnel(paths: Iterable[LeadPath]) -> Funnel:
    """Count the steps, conversions, times and losses of the leads' paths."""
    leads: Sequence[LeadPath] = list(paths)
    furthest = [path.furthest() for path in leads]
    lost_at = Counter(step for path in leads if (step := path.lost_at()) is not None)
    steps = []
    for step in Step:
        reached = sum(1 for f in furthest if f >= step)
        before = sum(1 for f in furthest if f >= step - 1) if step > Step.LEAD else None
        times = [t for path in leads if (t := path.time_in(step)) is not None]
        now = sum(1 for path in leads if STEP_OF_STAGE.get(path.stage_now) is step)
        steps.append(
            StepNumbers(
                step=step,
                reached=reached,
                conversion=stats.wilson(reached, before) if before is not None else None,
                now=now,
                time=stats.median_estimate(times) if step is not Step.WON else stats.MedianEstimate(0, None, None),
                lost=lost_at.get(step, 0),
            )
        )
    won = steps[Step.WON].reached
    return Funnel(
        steps=tuple(steps),
        overall=stats.wilson(won, len(leads)) if leads else None,
        won_value=sum((p.won_value for p in leads if p.won_value is not None), Decimal("0.00")),
        lost=sum(lost_at.values()),
        lost_reasons=dict(Counter(p.lost_reason for p in leads if p.lost_reason)),
    )


def _low(p: Proportion | MedianEstimate | None) -> float | None:
    return p.ci.low if p is not None and p.ci is not None else None


def _high(p: Proportion | MedianEstimate | None) -> float | None:
    return p.ci.high if p is not None and p.ci is not None else None


def document(numbers: Funnel) -> dict[str, object]:
    """The funnel as the API and the JSON download show it (shares 0…1, times in days, money as a string)."""
    return {
        "leads": numbers.leads,
        "won": numbers.of(Step.WON).reached,
        "won_rate": numbers.overall.share if numbers.overall else None,
        "won_rate_low": _low(numbers.overall),
        "won_rate_high": _high(numbers.overall),
        "won_value": f"{numbers.won_value:.2f}",
        "lost": numbers.lost,
        "lost_reasons": dict(sorted(numbers.lost_reasons.items())),
        "steps": [
            {
                "step": STEP_KEYS[s.step],
                "reached": s.reached,
                "now": s.now,
                "conversion": s.conversion.share if s.conversion else None,
                "conversion_n": s.conversion.n if s.conversion else None,
                "conversion_low": _low(s.conversion),
                "conversion_high": _high(s.conversion),
                "median_days": s.time.median,
                "median_days_n": s.time.n,
                "median_days_low": _low(s.time),
                "median_days_high": _high(s.time),
                "lost": s.lost,
            }
            for s in numbers.steps
        ],
    }


#: The steps' stable names in the API and downloads.
STEP_KEYS = {
    Step.LEAD: "lead",
    Step.MQL: "marketing_qualified",
    Step.SAL: "sales_accepted",
    Step.SQL: "sales_qualified",
    Step.WON: "won",
}
