"""The lead funnel in plain sentences: each quotes the counts and the interval it rests on and says nothing more
(STATS.md §11); no verdict on which step is weakest, as no test compares the steps."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from feedback.analysis.funnel import Funnel, Step, StepNumbers

#: Below this many leads at the step before, a rate's interval is wide (STATS.md §9: "insufficient").
FEW = 10

#: How each step is named in sentences and tables.
STEP_LABELS = {
    Step.LEAD: _l("Lead"),
    Step.MQL: _l("Marketing-qualified"),
    Step.SAL: _l("Sales-accepted"),
    Step.SQL: _l("Sales-qualified"),
    Step.WON: _l("Won"),
}


def _days(value: float) -> str:
    return format_decimal(value, format="0.#")


def conversion(step: StepNumbers, before: StepNumbers) -> str:
    """How many of the leads at the step before reached this one, with the rate's Wilson interval."""
    names = {"step": STEP_LABELS[step.step], "before": STEP_LABELS[before.step]}
    rate = step.conversion
    if rate is None or rate.n == 0 or rate.share is None or rate.ci is None:
        return _("No lead has reached “%(before)s” yet, so there is no rate for “%(step)s”.", **names)
    text = _(
        "%(k)s of %(n)s leads that reached “%(before)s” reached “%(step)s”: %(share)s (95 %% interval %(low)s–"
        "%(high)s).",
        k=rate.k,
        n=rate.n,
        share=format_percent(rate.share),
        low=format_percent(rate.ci.low),
        high=format_percent(rate.ci.high),
        **names,
    )
    if rate.n < FEW:
        text += " " + _("Fewer than %(few)s leads: the interval is wide, measure longer.", few=FEW)
    return text


def time_at(step: StepNumbers) -> str:
    """The median days at a step, of the leads that left it, with its interval and how many are still there."""
    name = STEP_LABELS[step.step]
    if step.time.n == 0 or step.time.median is None:
        if step.now:
            return _("No lead has left “%(step)s” yet (%(now)s still there).", step=name, now=step.now)
        return _("No lead has been at “%(step)s” yet.", step=name)
    if step.time.ci is None:
        return _(
            "The %(n)s leads that left “%(step)s” spent a median of %(days)s days there (no interval below 6 leads); "
            "%(now)s are still there.",
            n=step.time.n,
            step=name,
            days=_days(step.time.median),
            now=step.now,
        )
    return _(
        "The %(n)s leads that left “%(step)s” spent a median of %(days)s days there (95 %% interval %(low)s–%(high)s "
        "days); %(now)s are still there.",
        n=step.time.n,
        step=name,
        days=_days(step.time.median),
        low=_days(step.time.ci.low),
        high=_days(step.time.ci.high),
        now=step.now,
    )


def overall(numbers: Funnel, money: Callable[[Decimal], str]) -> str:
    """Won of all leads, with the interval, and the order values won."""
    rate = numbers.overall
    if rate is None or rate.share is None or rate.ci is None:
        return _("No leads yet.")
    return _(
        "%(won)s of %(leads)s leads were won: %(share)s (95 %% interval %(low)s–%(high)s), with orders worth "
        "%(value)s; %(lost)s were lost.",
        won=rate.k,
        leads=rate.n,
        share=format_percent(rate.share),
        low=format_percent(rate.ci.low),
        high=format_percent(rate.ci.high),
        value=money(numbers.won_value),
        lost=numbers.lost,
    )


def sentences(numbers: Funnel, money: Callable[[Decimal], str]) -> list[str]:
    """The funnel's sentences: overall, then each step's rate and time."""
    found = [overall(numbers, money)]
    if not numbers.leads:
        return found
    for before, step in zip(numbers.steps, numbers.steps[1:], strict=False):
        found.append(conversion(step, before))
    found.extend(time_at(step) for step in numbers.steps[:-1])
    return found


def caveat() -> str:
    """Why recent leads pull the later rates down."""
    return _(
        "Leads captured recently have had less time to move on: they count as not (yet) converted, so the later "
        "steps' rates are lower than they will be. Times at a step count only the leads that left it."
    )
