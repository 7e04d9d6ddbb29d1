"""How each lead activity relates to winning, in plain sentences: each quotes the counts, intervals and the adjusted
test it rests on and says no more (STATS.md §11); a weight is suggested only where that test is significant."""

from __future__ import annotations

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

from feedback.analysis import sentences
from feedback.analysis.lead_weights import FEW_LEADS, FEW_WON, ActivityEvidence, WeightEvidence
from feedback.analysis.stats import Proportion


def _share(rate: Proportion) -> str:
    """ "30 % (12 of 40; 95 % interval 18 %–45 %)", or "no leads"."""
    if rate.share is None or rate.ci is None:
        return _("no leads")
    return _(
        "%(share)s (%(k)s of %(n)s; 95 %% interval %(low)s–%(high)s)",
        share=format_percent(rate.share),
        k=rate.k,
        n=rate.n,
        low=format_percent(rate.ci.low),
        high=format_percent(rate.ci.high),
    )


def _points(value: float, signed: bool = True) -> str:
    return format_decimal(100 * value, format="+0.0;−0.0" if signed else "0.0;−0.0")


def _difference(evidence: ActivityEvidence) -> str:
    """ "+20.0 percentage points (95 % CI 4.1 to 35.2; χ² test, p = 0.012 after Holm adjustment over 7 activities)"."""
    assert evidence.comparison is not None and evidence.diff is not None and evidence.ci is not None
    return _(
        "%(diff)s percentage points (95 %% CI %(low)s to %(high)s; %(test)s, %(p)s after Holm adjustment over "
        "%(family)s activities)",
        diff=_points(evidence.diff),
        low=_points(evidence.ci.low, False),
        high=_points(evidence.ci.high, False),
        test=sentences.method_label(evidence.comparison.test),
        p=sentences.p_value(evidence.p_adjusted),
        family=evidence.family,
    )


def activity(evidence: ActivityEvidence, name: str) -> str:
    """One activity's sentence: the two won shares, the difference and its test, and the weight it supports."""
    shares = {
        "name": name,
        "with": _share(evidence.with_activity),
        "without": _share(evidence.without_activity),
    }
    if evidence.comparison is None and evidence.without_activity.n == 0:
        return _(
            "“%(name)s”: every lead has it; %(share)s were won. There is no lead without it to compare with: no "
            "suggested weight.",
            name=name,
            share=_share(evidence.with_activity),
        )
    if evidence.comparison is None and evidence.with_activity.n == 0:
        return _("“%(name)s”: no lead has it yet: no suggested weight.", name=name)
    if evidence.comparison is None:
        return _(
            "“%(name)s”: won with it %(with)s, without it %(without)s. Fewer than 10 leads on one side: no test, no "
            "suggested weight.",
            **shares,
        )
    if evidence.comparison.no_variation:
        return _(
            "“%(name)s”: won with it %(with)s, without it %(without)s. Either no lead or every lead was won, so there "
            "is nothing to compare.",
            **shares,
        )
    difference = _difference(evidence)
    if not evidence.significant or evidence.weight is None or evidence.diff is None:
        return _(
            "“%(name)s”: not enough evidence that leads with it were won more or less often – won with it %(with)s, "
            "without it %(without)s, a difference of %(difference)s. No weight is suggested.",
            difference=difference,
            **shares,
        )
    if evidence.diff > 0:
        return _(
            "“%(name)s”: leads with it were won more often – %(with)s against %(without)s without it, a difference "
            "of %(difference)s. Suggested relative weight: %(weight)s (100 = the strongest such activity).",
            difference=difference,
            weight=evidence.weight,
            **shares,
        )
    return _(
        "“%(name)s”: leads with it were won less often – %(with)s against %(without)s without it, a difference of "
        "%(difference)s. Suggested weight: 0 (no points).",
        difference=difference,
        **shares,
    )


def caveats(evidence: WeightEvidence) -> list[str]:
    """What the numbers cannot say: small samples, open leads, association rather than cause."""
    found = []
    if evidence.small:
        found.append(
            _(
                "Only %(won)s won leads among %(leads)s leads: with fewer than %(few_won)s won or %(few_leads)s leads "
                "the intervals are wide, and the next few leads may change any suggestion.",
                won=evidence.won,
                leads=evidence.leads,
                few_won=FEW_WON,
                few_leads=FEW_LEADS,
            )
        )
    found.append(
        _(
            "These are associations, not causes: interested leads tend to do more of everything. Leads still open "
            "count as not won (yet); an activity counts only if it came before the lead was won."
        )
    )
    return found
