"""Results stated in one plain sentence in the user's language; each sentence quotes the numbers that decide it
(STATS.md §11) and never says more than they do."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal

from flask_babel import format_decimal, format_percent, ngettext
from flask_babel import gettext as _

from feedback.analysis import stats
from feedback.analysis.choices import ChoiceAnalysis
from feedback.analysis.comparisons import METRICS, Across, Comparison, Effect, Result, Verdict
from feedback.analysis.drivers import Driver
from feedback.analysis.drivers import Kind as DriverKind
from feedback.analysis.drivers import Verdict as DriverVerdict
from feedback.analysis.periods import Against, Line, PeriodComparison
from feedback.analysis.ratings import Advice, CampaignRatings, Position, TouchpointRating
from feedback.analysis.summaries import SCAN_SHARE_EXPECTED, Arrivals, Metric, Scannability, Summary

#: Below this a p-value reads "< 0.0001" (never 0).
P_FLOOR = 0.0001


def p_value(p: float | None) -> str:
    """p as marketers read it: p = 0.0123, or p < 0.0001; never rounded to 0."""
    if p is None:
        return "–"
    if p < P_FLOOR:
        return "p < " + format_decimal(P_FLOOR, format="0.0000")
    # rounded down, so that a p just below the level of significance never reads as the level itself (0.0496 is
    # "0.049", not "0.050")
    places = 4 if p < 0.001 else 3
    shown = math.floor(p * 10**places) / 10**places
    return "p = " + format_decimal(shown, format="0." + "0" * places)


def metric_name(metric: Metric) -> str:
    """A metric as a reader knows it."""
    return {
        Metric.NPS: _("NPS"),
        Metric.CSAT: _("CSAT (share of 4–5)"),
        Metric.CES: _("ease score (CES, 7 = easiest)"),
        Metric.LOYALTY: _("loyalty"),
    }[metric]


def differ_at_all(result: Across) -> str:
    """Whether the touchpoints differ on one metric, with the test, its family and the groups left out."""
    if result.no_variation:
        text = _("every answer is the same, so there is nothing to test.")
    else:
        statistic = "–" if result.statistic is None else format_decimal(result.statistic, format="0.0")
        test = {
            "chi2": _("χ² = %(x)s, df = %(df)s", x=statistic, df=result.df),
            "fisher": _("Fisher's exact test, df = %(df)s", df=result.df),
            "fisher_permutation": _("Fisher's exact test (permutation), df = %(df)s", df=result.df),
            "kruskal_wallis": _("Kruskal–Wallis H = %(x)s, df = %(df)s", x=statistic, df=result.df),
        }.get(result.method, result.method)
        values = {"test": test, "p": p_value(result.p_adjusted), "groups": result.groups}
        text = (
            _("yes – the %(groups)s touchpoints differ (%(test)s, %(p)s after adjustment).", **values)
            if result.verdict is Verdict.HIGHER
            else _(
                "not enough evidence of a difference between the %(groups)s touchpoints (%(test)s, %(p)s after "
                "adjustment).",
                **values,
            )
        )
    if result.excluded:
        text += " " + ngettext(
            "%(num)s touchpoint with fewer than 10 answers is left out of the test.",
            "%(num)s touchpoints with fewer than 10 answers are left out of the test.",
            result.excluded,
        )
    return text


def method_label(method: str) -> str:
    """The test's name as a reader knows it."""
    return {
        "adjusted_wald_z": _("z-test (adjusted Wald)"),
        "mann_whitney_asymptotic": _("Mann–Whitney U (asymptotic)"),
        "mann_whitney_exact": _("Mann–Whitney U (exact)"),
        "chi2": _("χ² test"),
        "fisher": _("Fisher's exact test"),
        "one_sided_z": _("one-sided z-test against the benchmark (direction chosen beforehand)"),
        "none": _("none"),
    }.get(method, method or "–")


def _points(value: float) -> str:
    return format_decimal(value, format="+0;−0")


def compared_metric(test: Comparison) -> str:
    """The metric a comparison tests, as a reader knows it."""
    if test in METRICS:
        return metric_name(METRICS[test])
    return _("response rate") if test is Comparison.RESPONSE_RATE else _("NPS")


def _share_points(value: float, signed: bool = True) -> str:
    return format_decimal(100 * value, format="+0.0;−0.0" if signed else "0.0;−0.0")


def effect(result: Result, a: str = "A", b: str = "B") -> str:
    """The tested effect with its interval, e.g. "+18 points (95 % CI 6 to 30)", "−4.2 percentage points
    (95 % CI −9.0 to 0.6)" or "answers tend to be higher: 62 % of pairs (no interval)"."""
    value = result.effect or 0.0
    if result.kind is Effect.POINTS:
        text = _("%(diff)s points", diff=_points(value))
        if result.ci is not None:
            centre = result.centre if result.centre is not None else value
            inside = result.ci.low <= value <= result.ci.high
            text += " " + (
                _(
                    "(95 %% CI %(low)s to %(high)s)",
                    low=format_decimal(result.ci.low, format="0;−0"),
                    high=format_decimal(result.ci.high, format="0;−0"),
                )
                if inside
                else _(
                    "(adjusted %(centre)s, 95 %% CI %(low)s to %(high)s; the interval is centred on the adjusted "
                    "difference, which small samples pull toward 0)",
                    centre=_points(centre),
                    low=format_decimal(result.ci.low, format="0;−0"),
                    high=format_decimal(result.ci.high, format="0;−0"),
                )
            )
        return text
    if result.kind is Effect.SHARE:
        text = _("%(diff)s percentage points", diff=_share_points(value))
        if result.ci is not None:
            text += " " + _(
                "(95 %% CI %(low)s to %(high)s)",
                low=_share_points(result.ci.low, False),
                high=_share_points(result.ci.high, False),
            )
        return text
    return _(
        "probability of superiority %(share)s: the chance that an answer at %(a)s is higher than one at %(b)s, "
        "ties counting half (no interval)",
        a=a,
        b=b,
        share=format_percent(value, format="0 %"),
    )


def comparison(result: Result, a: str, b: str) -> str:
    """E.g. "Trade-fair booth has a higher NPS than Postal mailing: +18 points (95 % CI 6 to 30), significant after
    adjustment, p = 0.003."."""
    metric = compared_metric(result.test)
    if result.test is Comparison.BENCHMARK:
        b = _("the benchmark (%(value)s)", value=format_decimal(result.benchmark or 0, format="0"))
    if result.verdict is Verdict.TOO_FEW:
        return (
            _(
                "%(a)s vs %(b)s on %(metric)s: too few answers for a test "
                "(%(na)s and %(nb)s; at least 10 each needed).",
                a=a,
                b=b,
                metric=metric,
                na=result.n_a,
                nb=result.n_b,
            )
            if result.test is not Comparison.BENCHMARK
            else _(
                "%(a)s against %(b)s: too few answers for a test (%(na)s; at least 10 needed).", a=a, b=b, na=result.n_a
            )
        )
    if result.verdict is Verdict.NO_VARIATION:
        return _(
            "%(a)s vs %(b)s on %(metric)s: every answer is the same, so there is nothing to test.",
            a=a,
            b=b,
            metric=metric,
        )
    values = {"a": a, "b": b, "metric": metric, "diff": effect(result, a, b), "p": p_value(result.p_adjusted)}
    adjusted = result.family > 1
    if result.verdict in (Verdict.HIGHER, Verdict.LOWER):
        higher = result.verdict is Verdict.HIGHER
        if adjusted:
            template = (
                _("%(a)s has a higher %(metric)s than %(b)s: %(diff)s, significant after adjustment, %(p)s.")
                if higher
                else _("%(a)s has a lower %(metric)s than %(b)s: %(diff)s, significant after adjustment, %(p)s.")
            )
        else:
            template = (
                _("%(a)s has a higher %(metric)s than %(b)s: %(diff)s, significant, %(p)s.")
                if higher
                else _("%(a)s has a lower %(metric)s than %(b)s: %(diff)s, significant, %(p)s.")
            )
        return template % values
    if adjusted:
        return _(
            "%(a)s vs %(b)s on %(metric)s: %(diff)s, not enough evidence for a difference (%(p)s after adjustment).",
            **values,
        )
    return _("%(a)s vs %(b)s on %(metric)s: %(diff)s, not enough evidence for a difference (%(p)s).", **values)


def _evidence(row: TouchpointRating, result: CampaignRatings, money: Callable[[Decimal], str]) -> str:
    """The numbers that decide the advice: the headline test against the campaign, reach, cost."""
    parts = []
    evidence = row.evidence
    if evidence is not None:
        metric = compared_metric(evidence.test)
        if evidence.tested:
            parts.append(
                _(
                    "%(metric)s against the rest of the campaign: %(diff)s, %(p)s after adjustment",
                    metric=metric,
                    diff=effect(evidence, row.touchpoint.name, _("the rest")),
                    p=p_value(evidence.p_adjusted),
                )
            )
        else:
            parts.append(_("%(metric)s: every answer is the same as in the rest of the campaign", metric=metric))
    if result.median_visitors is not None:
        parts.append(
            _(
                "%(visitors)s visitors (median of the ranked touchpoints %(median)s)",
                visitors=format_decimal(row.touchpoint.counts.visitors),
                median=format_decimal(result.median_visitors, format="#,##0.#"),
            )
        )
    cost = row.touchpoint.cost
    if row.cost_per_promoter is None and cost and row.summary.nps.n and result.cost_per_promoter is not None:
        parts.append(
            _(
                "no promoter for %(cost)s (campaign %(campaign)s per promoter)",
                cost=money(cost),
                campaign=money(result.cost_per_promoter),
            )
        )
    if row.cost_per_promoter is not None and result.cost_per_promoter is not None:
        parts.append(
            _(
                "%(cost)s per promoter (campaign %(campaign)s)",
                cost=money(row.cost_per_promoter),
                campaign=money(result.cost_per_promoter),
            )
        )
    if row.touchpoint.return_on_cost is not None and result.return_on_cost is not None:
        parts.append(
            _(
                "return %(mine)s× the cost (campaign %(campaign)s×)",
                mine=format_decimal(row.touchpoint.return_on_cost, format="0.00"),
                campaign=format_decimal(result.return_on_cost, format="0.00"),
            )
        )
    return "; ".join(parts)


def advice(row: TouchpointRating, result: CampaignRatings, money: Callable[[Decimal], str]) -> str:
    """Keep, grow, improve, rethink or cut, make cheaper, or measure longer – with the evidence behind it."""
    name = row.touchpoint.name
    if row.advice is Advice.MEASURE:
        if row.min_n == 0:
            return _("%(name)s: measure longer – no answers yet.", name=name)
        if row.ranked:
            return ngettext(
                "%(name)s: measure longer – %(num)s answer here, but only %(rest)s in the rest of the campaign; at "
                "least 10 are needed there to compare.",
                "%(name)s: measure longer – %(num)s answers here, but only %(rest)s in the rest of the campaign; at "
                "least 10 are needed there to compare.",
                row.min_n,
                name=name,
                rest=row.evidence.n_b if row.evidence else 0,
            )
        return ngettext(
            "%(name)s: measure longer – %(num)s answer so far; at least 10 of each question are needed before it can "
            "be ranked and compared.",
            "%(name)s: measure longer – %(num)s answers so far; at least 10 of each question are needed before it "
            "can be ranked and compared.",
            row.min_n,
            name=name,
        )
    evidence = _evidence(row, result, money)
    where = {
        Position.ABOVE: _("above the campaign"),
        Position.LIKE: _("like the campaign (no significant difference)"),
        Position.BELOW: _("below the campaign"),
    }[row.position or Position.LIKE]
    if row.advice is Advice.NO_REACH:
        return _(
            "%(name)s: %(where)s (%(evidence)s); no budget advice for a segment whose visitors are not counted.",
            name=name,
            where=where,
            evidence=evidence,
        )
    reach = _("more visitors than the median") if row.wide_reach else _("fewer visitors than the median")
    sentences = {
        Advice.KEEP: _("%(name)s: keep – %(where)s, %(reach)s (%(evidence)s)."),
        Advice.GROW: _("%(name)s: grow – %(where)s but %(reach)s; give it more reach (%(evidence)s)."),
        Advice.IMPROVE: _("%(name)s: improve – %(where)s with %(reach)s (%(evidence)s)."),
        Advice.CUT: _(
            "%(name)s: rethink or cut – %(where)s with %(reach)s; its budget may work better elsewhere (%(evidence)s)."
        ),
        Advice.CHEAPER: _(
            "%(name)s: make cheaper – %(where)s, but each promoter costs more than in the campaign as a whole "
            "(%(evidence)s)."
        ),
    }
    return sentences[row.advice] % {"name": name, "where": where, "reach": reach, "evidence": evidence}


def share(value: float | None) -> str:
    """A share in the user's language."""
    return "–" if value is None else format_percent(value)


def interval(ci: stats.Interval | None, as_share: bool = False) -> str:
    """ "95 % CI a–b", or "no interval" where none exists."""
    if ci is None:
        return _("no interval")
    if as_share:
        return _("95 %% CI %(low)s–%(high)s", low=format_percent(ci.low), high=format_percent(ci.high))
    return _(
        "95 %% CI %(low)s–%(high)s",
        low=format_decimal(ci.low, format="0.00"),
        high=format_decimal(ci.high, format="0.00"),
    )


def _contingency(test: stats.ContingencyTest) -> str:
    statistic = "–" if test.statistic is None else format_decimal(test.statistic, format="0.0")
    if test.test == "fisher":
        return _("Fisher's exact test, df = %(df)s", df=test.df)
    if test.test == "fisher_permutation":
        return _("Fisher's exact test (permutation), df = %(df)s", df=test.df)
    return _("χ² = %(x)s, df = %(df)s", x=statistic, df=test.df)


def choice_tests(analysis: ChoiceAnalysis, label: Callable[[str], str]) -> list[str]:
    """Whether the touchpoints answer a choice question differently: one sentence for a single-choice question, one
    per option that differs (else one saying none does) for a multiple-choice one; groups left out named."""
    if not analysis.tests:
        return [_("Fewer than two touchpoints have 10 answers to this question: nothing is tested yet.")]
    lines = []
    if not analysis.multiple:
        found = analysis.tests[0]
        values = {"test": _contingency(found.test), "p": p_value(found.p_adjusted)}
        if found.test.no_variation:
            lines.append(_("every answer is the same, so there is nothing to test."))
        elif found.differ:
            lines.append(_("The touchpoints' answers differ (%(test)s, %(p)s).", **values))
        else:
            lines.append(_("Not enough evidence that the touchpoints' answers differ (%(test)s, %(p)s).", **values))
    else:
        differing = [t for t in analysis.tests if t.differ]
        family = sum(not t.test.no_variation for t in analysis.tests)
        for found in differing:
            lines.append(
                _(
                    "The touchpoints differ in the share choosing “%(option)s” (%(test)s, %(p)s after adjustment "
                    "over %(m)s options).",
                    option=label(found.value or ""),
                    test=_contingency(found.test),
                    p=p_value(found.p_adjusted),
                    m=family,
                )
            )
        if not differing:
            smallest = min(t.p_adjusted for t in analysis.tests)
            lines.append(
                _(
                    "Not enough evidence that the touchpoints differ on any option (smallest %(p)s after adjustment "
                    "over %(m)s options).",
                    p=p_value(smallest),
                    m=max(family, 1),
                )
            )
    if analysis.excluded:
        lines.append(
            ngettext(
                "%(num)s touchpoint with fewer than 10 answers is left out of the test.",
                "%(num)s touchpoints with fewer than 10 answers are left out of the test.",
                analysis.excluded,
            )
        )
    return lines


def scannability(arrivals: Arrivals) -> str:
    """How people reach a print's code, and what that says about the print (STATS.md §11: the verdict only when
    the share's whole interval lies on one side of the mark)."""
    share = arrivals.scan_share
    n = arrivals.through_print
    if share is None or share.share is None or share.ci is None:
        return _("No visits through the printed code yet: nothing to say about how well it scans.")
    values = {
        "share": format_percent(share.share),
        "low": format_percent(share.ci.low),
        "high": format_percent(share.ci.high),
        "n": format_decimal(n),
        "typed": format_decimal(arrivals.typed),
        "mark": format_percent(SCAN_SHARE_EXPECTED),
    }
    verdict = arrivals.scannability
    if verdict is Scannability.TOO_FEW:
        return ngettext(
            "%(share)s of %(n)s visit through the print arrived by scanning; too few to judge how well it scans.",
            "%(share)s of %(n)s visits through the print arrived by scanning; too few to judge how well it scans.",
            n,
            **values,
        )
    if verdict is Scannability.LOW:
        return _(
            "Only %(share)s (95 %% CI %(low)s to %(high)s) of %(n)s visits arrive by scanning, %(typed)s typed the "
            "address or code: print the code larger or with more contrast, or place it where a phone can reach it.",
            **values,
        )
    if verdict is Scannability.FINE:
        return _(
            "%(share)s (95 %% CI %(low)s to %(high)s) of %(n)s visits arrive by scanning: the code scans well.",
            **values,
        )
    return _(
        "%(share)s (95 %% CI %(low)s to %(high)s) of %(n)s visits arrive by scanning: not enough evidence yet whether "
        "fewer than %(mark)s scan it.",
        **values,
    )


# --- drivers of the NPS (docs/STATISTICS.md §1) -----------------------------------------------------------------


def driver_caveat() -> str:
    """The one line above every list of drivers."""
    return _(
        "These are associations, not proof of cause: people who answer one question well may simply be happier "
        "customers overall."
    )


def _rho(value: float) -> str:
    return format_decimal(value, format="0.00;−0.00")


def driver_effect(driver: Driver) -> str:
    """The tested number with its interval, e.g. "ρ = 0.52 (95 % CI 0.31 to 0.68)" or "−24 points (95 % CI −38
    to −9)"."""
    if driver.effect is None:
        return "–"
    if driver.kind is DriverKind.CORRELATION:
        text = "ρ = " + _rho(driver.effect)
        if driver.ci is None:
            return text + " (" + _("no interval") + ")"
        return text + " " + _("(95 %% CI %(low)s to %(high)s)", low=_rho(driver.ci.low), high=_rho(driver.ci.high))
    centre = driver.centre if driver.centre is not None else driver.effect
    return effect(
        Result(
            test=Comparison.NPS,
            effect=driver.effect,
            ci=driver.ci,
            centre=centre,
            n_a=driver.n,
            n_b=driver.n_rest or 0,
            p=driver.p,
            p_adjusted=driver.p_adjusted,
            method="adjusted_wald_z",
            verdict=Verdict.HIGHER,
            family=driver.family,
        )
    )


def driver(driver: Driver, question: str, option: str = "") -> str:
    """One driver in a sentence that says no more than its adjusted test, e.g. "Customers who rated “Coffee” higher
    also gave higher recommendation scores (0–10): ρ = 0.52 (95 % CI 0.31 to 0.68), significant after adjustment,
    p < 0.001. This is an association, not proof of cause."."""
    values = {"question": question, "option": option, "n": driver.n, "rest": driver.n_rest or 0}
    if driver.verdict is DriverVerdict.TOO_FEW:
        if driver.kind is DriverKind.CORRELATION:
            return _(
                "“%(question)s”: too few answers to relate it to the NPS (%(n)s pairs; at least 10 needed).", **values
            )
        return _(
            "“%(question)s”: too few answers to compare those who chose “%(option)s” (%(n)s and %(rest)s others; at "
            "least 10 each needed).",
            **values,
        )
    if driver.verdict is DriverVerdict.NO_VARIATION:
        return _(
            "“%(question)s”: its answers or the recommendation scores are all the same, so there is nothing to "
            "relate.",
            **values,
        )
    values.update(effect=driver_effect(driver), p=p_value(driver.p_adjusted))
    if driver.verdict is DriverVerdict.NO_CLEAR_RELATION:
        if driver.kind is DriverKind.CORRELATION:
            return _(
                "“%(question)s”: not enough evidence of a relation with the recommendation score: %(effect)s, not "
                "significant after adjustment (%(p)s, n = %(n)s).",
                **values,
            )
        return _(
            "“%(question)s”: not enough evidence of an NPS difference between those who chose “%(option)s” and the "
            "others: %(effect)s, not significant after adjustment (%(p)s, n = %(n)s and %(rest)s).",
            **values,
        )
    higher = driver.verdict is DriverVerdict.HIGHER
    if driver.kind is DriverKind.CORRELATION:
        template = (
            _(
                "Customers who rated “%(question)s” higher also gave higher recommendation scores (0–10): %(effect)s, "
                "significant after adjustment, %(p)s (n = %(n)s). This is an association, not proof of cause."
            )
            if higher
            else _(
                "Customers who rated “%(question)s” higher gave lower recommendation scores (0–10): %(effect)s, "
                "significant after adjustment, %(p)s (n = %(n)s). This is an association, not proof of cause."
            )
        )
    else:
        template = (
            _(
                "Respondents who chose “%(option)s” (“%(question)s”) gave a higher NPS than the others: %(effect)s, "
                "significant after adjustment, %(p)s (n = %(n)s and %(rest)s). This is an association, not proof of "
                "cause."
            )
            if higher
            else _(
                "Respondents who chose “%(option)s” (“%(question)s”) gave a lower NPS than the others: %(effect)s, "
                "significant after adjustment, %(p)s (n = %(n)s and %(rest)s). This is an association, not proof of "
                "cause."
            )
        )
    return template % values


def _level_value(test: Comparison, summary: Summary) -> float | None:
    """NPS in points or a share in %; None for scales."""
    if test is Comparison.NPS:
        return summary.nps.nps
    share_of = {Comparison.CSAT: summary.csat, Comparison.RESPONSE_RATE: summary.response_rate}.get(test)
    return None if share_of is None or share_of.share is None else 100 * share_of.share


def level(test: Comparison, summary: Summary, decimals: int | None = None) -> str | None:
    """The value a change is quoted from or to: NPS in points (whole), a share in % (one decimal), or with
    `decimals`; None for scales (their test compares ranks, so a sentence quotes no means beside it, STATS.md §5)."""
    value = _level_value(test, summary)
    if value is None:
        return None
    places = decimals if decimals is not None else 0 if test is Comparison.NPS else 1
    pattern = "0" + ("." + "0" * places if places else "")
    text = format_decimal(value, format=f"{pattern};−{pattern}")
    return text if test is Comparison.NPS else text + " %"


def levels(result: Result, after: Summary, before: Summary) -> tuple[str | None, str | None]:
    """The two values a change is quoted between, with one decimal more when the rounded values would not add up to
    the rounded difference beside them ("47 to 33: −13" reads wrong; "46.6 to 33.4: −13" does not)."""
    first, second = _level_value(result.test, after), _level_value(result.test, before)
    places = 0 if result.test is Comparison.NPS else 1
    if first is not None and second is not None and result.effect is not None:
        diff = result.effect * (100 if result.kind is Effect.SHARE else 1)
        shown = round(first, places) - round(second, places)
        if abs(shown - round(diff, places)) > 10**-places / 2:
            places += 1
    return level(result.test, after, places), level(result.test, before, places)


def change(
    result: Result, subject: str, a: str, b: str, after: str | None, before: str | None, over_time: bool = True
) -> str:
    """A period against an earlier one ("NPS of Booth rose from 31 to 45: +14 points (95 % CI 2 to 26),
    significant, p = 0.004.") or one campaign against another, with "not enough evidence" where the test finds
    none and "too few answers" below 10 a side; `a` and `b` name the sides, `after` and `before` their values."""
    metric = compared_metric(result.test)
    names = {"metric": metric, "subject": subject, "a": a, "b": b}
    if result.verdict is Verdict.TOO_FEW:
        return _(
            "%(metric)s of %(subject)s: too few answers to compare (%(na)s in %(a)s, %(nb)s in %(b)s; at least 10 "
            "each needed).",
            na=result.n_a,
            nb=result.n_b,
            **names,
        )
    if result.verdict is Verdict.NO_VARIATION:
        return _("%(metric)s of %(subject)s: every answer is the same in %(a)s and %(b)s, nothing to test.", **names)
    adjusted = result.family > 1
    values = {
        **names,
        "diff": effect(result, a, b),
        "p": p_value(result.p_adjusted),
        "significant": _("significant after adjustment") if adjusted else _("significant"),
        "after": after,
        "before": before,
    }
    quoted = after is not None and before is not None
    if result.verdict in (Verdict.HIGHER, Verdict.LOWER):
        up = result.verdict is Verdict.HIGHER
        if over_time and quoted:
            template = (
                _("%(metric)s of %(subject)s rose from %(before)s to %(after)s: %(diff)s, %(significant)s, %(p)s.")
                if up
                else _("%(metric)s of %(subject)s fell from %(before)s to %(after)s: %(diff)s, %(significant)s, %(p)s.")
            )
        elif over_time:
            template = (
                _("%(metric)s of %(subject)s rose: %(diff)s, %(significant)s, %(p)s.")
                if up
                else _("%(metric)s of %(subject)s fell: %(diff)s, %(significant)s, %(p)s.")
            )
        elif quoted:
            template = (
                _(
                    "%(metric)s of %(subject)s is higher in %(a)s than in %(b)s (%(after)s against %(before)s): "
                    "%(diff)s, %(significant)s, %(p)s."
                )
                if up
                else _(
                    "%(metric)s of %(subject)s is lower in %(a)s than in %(b)s (%(after)s against %(before)s): "
                    "%(diff)s, %(significant)s, %(p)s."
                )
            )
        else:
            template = (
                _("%(metric)s of %(subject)s is higher in %(a)s than in %(b)s: %(diff)s, %(significant)s, %(p)s.")
                if up
                else _("%(metric)s of %(subject)s is lower in %(a)s than in %(b)s: %(diff)s, %(significant)s, %(p)s.")
            )
        return template % values
    if adjusted:
        values["p"] = _("%(p)s after adjustment", p=values["p"])
    if over_time and quoted:
        return _(
            "%(metric)s of %(subject)s went from %(before)s to %(after)s: %(diff)s, not enough evidence of a change "
            "(%(p)s).",
            **values,
        )
    if over_time:
        return _("%(metric)s of %(subject)s: %(diff)s, not enough evidence of a change (%(p)s).", **values)
    if quoted:
        return _(
            "%(metric)s of %(subject)s: %(after)s in %(a)s, %(before)s in %(b)s (%(diff)s), not enough evidence of "
            "a difference (%(p)s).",
            **values,
        )
    return _("%(metric)s of %(subject)s: %(diff)s, not enough evidence of a difference (%(p)s).", **values)


def side_names(found: PeriodComparison, campaign: str) -> tuple[str, str]:
    """What the sentences call A and B: this period and the period before (or a year earlier), or the campaigns."""
    if found.against is Against.CAMPAIGN:
        return campaign, found.other_name
    before = _("the previous period") if found.against is Against.PREVIOUS else _("the same period last year")
    return _("this period"), before


def period_sentence(found: PeriodComparison, campaign: str) -> Callable[[Result, Line], str]:
    """The sentence of one row's result (the same function for the page, the XLSX sheet and the API)."""
    a, b = side_names(found, campaign)
    over_time = found.against is not Against.CAMPAIGN

    def say(result: Result, line: Line) -> str:
        subject = line.label if not line.total or over_time else _("the whole campaign")
        return change(result, subject, a, b, *levels(result, line.a, line.b), over_time=over_time)

    return say
