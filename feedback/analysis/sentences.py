"""Results stated in one plain sentence in the user's language."""

from __future__ import annotations

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _

from feedback.analysis import stats
from feedback.analysis.comparisons import Comparison, Result, Verdict
from feedback.analysis.ratings import Advice, TouchpointRating


def p_value(p: float | None) -> str:
    """p as marketers read it: three decimals, or below 0.001."""
    if p is None:
        return "–"
    return "p < " + format_decimal(0.001, format="0.000") if p < 0.001 else "p = " + format_decimal(p, format="0.000")


def differ_at_all(kw: stats.KruskalWallis) -> str:
    """The Kruskal–Wallis verdict across the touchpoints of a campaign, at the level of significance of §11."""
    h, p = format_decimal(kw.h, format="0.0") if kw.h is not None else "–", p_value(kw.p)
    if kw.no_variation:
        return _("every answer is the same")
    if kw.p < stats.ALPHA:
        return _("yes – the touchpoints differ (Kruskal–Wallis H = %(h)s, df = %(df)s, %(p)s).", h=h, df=kw.df, p=p)
    return _("not enough evidence of a difference (Kruskal–Wallis H = %(h)s, df = %(df)s, %(p)s).", h=h, df=kw.df, p=p)


def method_label(method: str) -> str:
    """The test's name as a reader knows it."""
    return {
        "adjusted_wald_z": _("z-test (adjusted Wald)"),
        "mann_whitney_asymptotic": _("Mann–Whitney U (asymptotic)"),
        "mann_whitney_exact": _("Mann–Whitney U (exact)"),
        "chi2": _("χ² test"),
        "fisher": _("Fisher's exact test"),
        "one_sided_z": _("one-sided z-test against the benchmark"),
        "none": _("none"),
    }.get(method, method or "–")


def _points(value: float) -> str:
    return format_decimal(value, format="+0;−0")


def _metric(test: Comparison) -> str:
    return {
        Comparison.NPS: _("NPS"),
        Comparison.CSAT: _("CSAT (share of 4–5)"),
        Comparison.CES: _("effort score (CES)"),
        Comparison.LOYALTY: _("loyalty"),
        Comparison.RESPONSE_RATE: _("response rate"),
        Comparison.BENCHMARK: _("NPS"),
    }[test]


def _difference(result: Result) -> str:
    diff = result.diff or 0.0
    if result.test in (Comparison.NPS, Comparison.BENCHMARK):
        text = _("%(diff)s points", diff=_points(diff))
        if result.ci is not None:
            text += " " + _(
                "(95 %% CI %(low)s to %(high)s)",
                low=format_decimal(result.ci.low, format="0;−0"),
                high=format_decimal(result.ci.high, format="0;−0"),
            )
        return text
    if result.test in (Comparison.CSAT, Comparison.RESPONSE_RATE):
        return _("%(diff)s percentage points", diff=format_decimal(100 * diff, format="+0.0;−0.0"))
    return _("%(diff)s on the mean", diff=format_decimal(diff, format="+0.00;−0.00"))


def comparison(result: Result, a: str, b: str) -> str:
    """E.g. "Trade-fair booth has a higher NPS than Postal mailing: +18 points (95 % CI 6 to 30), significant after
    adjustment, p = 0.003."."""
    metric = _metric(result.test)
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
    values = {"a": a, "b": b, "metric": metric, "diff": _difference(result), "p": p_value(result.p_adjusted)}
    if result.verdict is Verdict.HIGHER:
        return _("%(a)s has a higher %(metric)s than %(b)s: %(diff)s, significant after adjustment, %(p)s.", **values)
    if result.verdict is Verdict.LOWER:
        return _("%(a)s has a lower %(metric)s than %(b)s: %(diff)s, significant after adjustment, %(p)s.", **values)
    return _(
        "%(a)s vs %(b)s on %(metric)s: %(diff)s, not enough evidence for a difference (%(p)s after adjustment).",
        **values,
    )


def advice(row: TouchpointRating, campaign_rating: float | None, currency_format) -> str:  # noqa: ANN001
    """Keep, grow, improve, cut or measure longer, with the evidence behind it."""
    ci = row.rating_ci
    name = row.touchpoint.name
    if row.advice is Advice.MEASURE or ci is None or row.rating is None:
        return _(
            "%(name)s: measure longer – %(n)s answers so far; at least 10 are needed before it can be ranked.",
            name=name,
            n=row.min_n,
        )
    evidence = _(
        "rating %(rating)s (95 %% CI %(low)s–%(high)s, campaign %(campaign)s), %(visitors)s visitors",
        rating=format_decimal(row.rating, format="0"),
        low=format_decimal(ci.low, format="0"),
        high=format_decimal(ci.high, format="0"),
        campaign=format_decimal(campaign_rating or 0, format="0"),
        visitors=format_decimal(row.touchpoint.counts.visitors),
    )
    if row.cost_per_promoter is not None:
        evidence += ", " + _("%(cost)s per promoter", cost=currency_format(row.cost_per_promoter))
    sentences = {
        Advice.KEEP: _("%(name)s: keep – it works well (%(evidence)s).", name=name, evidence=evidence),
        Advice.GROW: _(
            "%(name)s: grow – people like it but few see it; give it more reach (%(evidence)s).",
            name=name,
            evidence=evidence,
        ),
        Advice.IMPROVE: _(
            "%(name)s: improve – many people see it but rate it below the campaign (%(evidence)s).",
            name=name,
            evidence=evidence,
        ),
        Advice.CUT: _(
            "%(name)s: cut or rethink – rated clearly below the campaign with little reach; move its budget to an "
            "effective touchpoint (%(evidence)s).",
            name=name,
            evidence=evidence,
        ),
    }
    return sentences[row.advice]


def share(value: float | None) -> str:
    """A share in the user's language."""
    return "–" if value is None else format_percent(value)
