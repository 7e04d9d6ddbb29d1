"""The statistics of ../shared/STATS.md, pure: counts in, frozen results out (no Flask, no SQL).

Answers arrive as value → count mappings (what a GROUP BY returns); the n = 0, n = 1 and no-variation cases are
handled here and nowhere else. Nulls are `None`, never NaN.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np
from scipy import stats as sps

from feedback.surveys.questions import DETRACTOR_MAX, PROMOTER_MIN

#: Two-sided 95 % critical value, norm.ppf(0.975).
Z95 = float(sps.norm.ppf(0.975))
#: One-sided 95 % critical value, norm.ppf(0.95): the ranking key and the benchmark test.
Z90_TWO_SIDED = float(sps.norm.ppf(0.95))
ALPHA = 0.05

Counts = Mapping[int, int]


class InvalidCounts(ValueError):
    """Counts that cannot describe real data (negative, or more successes than trials)."""


class SampleFlag(enum.StrEnum):
    """How far a sample of this size can be trusted (STATS.md §9)."""

    NO_DATA = "no_data"  # n = 0: every statistic is null
    INSUFFICIENT = "insufficient"  # 1–9: shown, not ranked, no significance test
    LOW_PRECISION = "low_precision"  # 10–29
    OK = "ok"


def sample_flag(n: int) -> SampleFlag:
    """The §9 flag for a sample of n answers."""
    if n <= 0:
        return SampleFlag.NO_DATA
    if n < 10:
        return SampleFlag.INSUFFICIENT
    if n < 30:
        return SampleFlag.LOW_PRECISION
    return SampleFlag.OK


def testable(n: int) -> bool:
    """Whether a sample is large enough for a significance test to be shown."""
    return n >= 10


@dataclass(frozen=True)
class Interval:
    """A confidence interval on the scale of its estimate."""

    low: float
    high: float


def _clip(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


def _check_count(count: object) -> int:
    """A count is a whole number ≥ 0; NaN, fractions, booleans and negatives are input errors, never computed."""
    if isinstance(count, bool) or not isinstance(count, int | np.integer):
        if isinstance(count, float) and count.is_integer() and count >= 0:
            return int(count)
        raise InvalidCounts(f"{count!r} is not a count")
    if count < 0:
        raise InvalidCounts("negative count")
    return int(count)


def _check_counts(counts: Counts) -> int:
    return sum(_check_count(c) for c in counts.values())


# --- NPS (§2, §3) -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NpsEstimate:
    """NPS in points with its Wald SE, the adjusted-Wald interval and the category shares."""

    n: int
    promoters: int
    passives: int
    detractors: int
    #: Raw NPS, −100…100 (the headline number).
    nps: float | None
    #: The adjusted-Wald centre NPS' (pulled toward 0): only the centre of `ci`.
    nps_adj: float | None
    #: Wald standard error in points.
    se: float | None
    #: Wald interval (degenerate when every answer is in one category).
    wald_ci: Interval | None
    #: Adjusted-Wald 95 % interval, clipped to ±100: the default.
    ci: Interval | None
    no_variation: bool

    @property
    def flag(self) -> SampleFlag:
        """Sample-size flag."""
        return sample_flag(self.n)

    def share(self, count: int) -> float | None:
        """A category's share of the answers."""
        return count / self.n if self.n else None

    @property
    def promoter_share(self) -> float | None:
        """Share of 9–10 answers."""
        return self.share(self.promoters)

    @property
    def passive_share(self) -> float | None:
        """Share of 7–8 answers."""
        return self.share(self.passives)

    @property
    def detractor_share(self) -> float | None:
        """Share of 0–6 answers."""
        return self.share(self.detractors)

    def _adjusted(self) -> tuple[float, float]:
        """(NPS' on the proportion scale, v'/n') of the adjusted-Wald method."""
        n_adj = self.n + 3
        p = (self.promoters + 0.75) / n_adj
        d = (self.detractors + 0.75) / n_adj
        return p - d, (p + d - (p - d) ** 2) / n_adj


def nps_categories(counts: Counts) -> tuple[int, int, int]:
    """(promoters, passives, detractors) from 0–10 answer counts."""
    _check_counts(counts)
    if any(not 0 <= value <= 10 for value, c in counts.items() if c):
        raise InvalidCounts("NPS answers lie in 0–10")
    promoters = sum(c for v, c in counts.items() if v >= PROMOTER_MIN)
    passives = sum(c for v, c in counts.items() if DETRACTOR_MAX < v < PROMOTER_MIN)
    detractors = sum(c for v, c in counts.items() if v <= DETRACTOR_MAX)
    return promoters, passives, detractors


def nps(promoters: int, passives: int, detractors: int) -> NpsEstimate:
    """NPS with Wald SE and the adjusted-Wald 95 % interval (n' = n + 3, ¾ added to P and D)."""
    promoters, passives, detractors = (_check_count(c) for c in (promoters, passives, detractors))
    n = promoters + passives + detractors
    if n == 0:
        return NpsEstimate(0, 0, 0, 0, None, None, None, None, None, no_variation=False)
    p, d = promoters / n, detractors / n
    se = math.sqrt(max(0.0, p + d - (p - d) ** 2) / n)
    estimate = NpsEstimate(
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        nps=100 * (p - d),
        nps_adj=None,
        se=100 * se,
        wald_ci=Interval(_clip(100 * (p - d - Z95 * se), -100, 100), _clip(100 * (p - d + Z95 * se), -100, 100)),
        ci=None,
        no_variation=max(promoters, passives, detractors) == n,
    )
    centre, variance = estimate._adjusted()
    half = Z95 * math.sqrt(variance)
    return replace(
        estimate,
        nps_adj=100 * centre,
        ci=Interval(_clip(100 * (centre - half), -100, 100), _clip(100 * (centre + half), -100, 100)),
    )


def nps_from_counts(counts: Counts) -> NpsEstimate:
    """NPS of 0–10 answer counts."""
    return nps(*nps_categories(counts))


@dataclass(frozen=True)
class NpsDifference:
    """A − B by the adjusted-Wald z-test (§3)."""

    #: Raw NPS difference in points (what the sentence states).
    diff: float
    #: Difference of the adjusted centres, the centre of `ci`.
    diff_adj: float
    ci: Interval
    z: float
    p: float


def compare_nps(a: NpsEstimate, b: NpsEstimate) -> NpsDifference | None:
    """Adjusted-Wald two-sample z-test; None when either sample is empty."""
    if a.n == 0 or b.n == 0 or a.nps is None or b.nps is None:
        return None
    centre_a, var_a = a._adjusted()
    centre_b, var_b = b._adjusted()
    diff = centre_a - centre_b
    se = math.sqrt(var_a + var_b)
    z = diff / se
    return NpsDifference(
        diff=a.nps - b.nps,
        diff_adj=100 * diff,
        ci=Interval(100 * (diff - Z95 * se), 100 * (diff + Z95 * se)),
        z=z,
        p=float(2 * sps.norm.sf(abs(z))),
    )


class Side(enum.StrEnum):
    """Which alternative a benchmark test takes: two-sided unless the marketer named the direction beforehand."""

    TWO_SIDED = "two-sided"
    ABOVE = "above"
    BELOW = "below"


@dataclass(frozen=True)
class BenchmarkTest:
    """One sample's NPS against a fixed value by the adjusted-Wald one-sample z-test (§3); `ci` is the interval
    that matches the test (two-sided 95 %, or a one-sided 95 % bound with the other end at the scale's limit)."""

    benchmark: float
    #: Raw NPS − benchmark in points (what the sentence states).
    diff: float
    #: Adjusted centre NPS' − benchmark: the tested quantity and the centre of `ci`.
    diff_adj: float
    ci: Interval
    z: float
    p: float
    side: Side


def nps_against_benchmark(a: NpsEstimate, benchmark: float, side: Side = Side.TWO_SIDED) -> BenchmarkTest | None:
    """Adjusted-Wald one-sample z-test against a benchmark NPS in points; None without answers.

    Two-sided by default; one-sided only for a direction stated before the data were seen (never the side the
    data happen to lie on: that doubles the false-alarm rate).
    """
    if a.n == 0 or a.nps is None:
        return None
    if not (isinstance(benchmark, int | float) and -100 <= benchmark <= 100):  # NaN fails the comparison too
        raise InvalidCounts("a benchmark NPS lies in −100…100")
    centre, variance = a._adjusted()
    se = math.sqrt(variance)
    z = (centre - benchmark / 100) / se
    p = {
        Side.TWO_SIDED: 2 * sps.norm.sf(abs(z)),
        Side.ABOVE: sps.norm.sf(z),
        Side.BELOW: sps.norm.cdf(z),
    }[side]
    # the interval that matches the test: two-sided 95 %, or the one-sided 95 % bound in the direction asked; an NPS
    # stays within −100…100, so the difference stays within −100 − benchmark … 100 − benchmark
    low, high = -100 - benchmark, 100 - benchmark
    one_sided = sps.norm.ppf(0.95)
    if side is Side.TWO_SIDED:
        low, high = max(low, 100 * (centre - Z95 * se) - benchmark), min(high, 100 * (centre + Z95 * se) - benchmark)
    elif side is Side.ABOVE:
        low = max(low, 100 * (centre - one_sided * se) - benchmark)
    else:
        high = min(high, 100 * (centre + one_sided * se) - benchmark)
    return BenchmarkTest(
        benchmark=benchmark,
        diff=a.nps - benchmark,
        diff_adj=100 * centre - benchmark,
        ci=Interval(low, high),
        z=z,
        p=float(p),
        side=side,
    )


# --- Proportions (§4) ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proportion:
    """k of n with its Wilson 95 % interval."""

    k: int
    n: int
    share: float | None
    ci: Interval | None

    @property
    def flag(self) -> SampleFlag:
        """Sample-size flag."""
        return sample_flag(self.n)


def wilson(k: int, n: int) -> Proportion:
    """Share k/n with the Wilson score interval; n = 0 gives nulls, k > n is an input error."""
    k, n = _check_count(k), _check_count(n)
    if k > n:
        raise InvalidCounts(f"{k} of {n} is more than all")
    if n == 0:
        return Proportion(0, 0, None, None)
    p = k / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # at k = 0 and k = n the exact bound is 0 or 1; rounding would leave the share just outside its own interval
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Proportion(k, n, p, Interval(low, high))


def top_box(counts: Counts, at_least: int) -> Proportion:
    """Share of answers ≥ `at_least` (CSAT and loyalty top-2-box: 4; CES top-3-box: 5)."""
    n = _check_counts(counts)
    return wilson(sum(c for v, c in counts.items() if v >= at_least), n)


@dataclass(frozen=True)
class RateComparison:
    """Two rates compared by χ² (no Yates) or, with an expected count below 5, Fisher's exact test; the difference
    of the shares with Newcombe's hybrid score interval (built from the two Wilson intervals, so it always holds
    the difference)."""

    a: Proportion
    b: Proportion
    test: str  # "chi2" | "fisher"
    statistic: float | None
    p: float
    no_variation: bool

    @property
    def diff(self) -> float:
        """Share of A − share of B (0…1 scale)."""
        return (self.a.share or 0.0) - (self.b.share or 0.0)

    @property
    def ci(self) -> Interval:
        """Newcombe (1998) method 10 interval of the difference."""
        return newcombe(self.a, self.b)


def newcombe(a: Proportion, b: Proportion) -> Interval:
    """95 % interval of share A − share B from the two Wilson intervals (Newcombe's hybrid score method)."""
    assert a.share is not None and b.share is not None and a.ci is not None and b.ci is not None
    diff = a.share - b.share
    low = diff - math.sqrt((a.share - a.ci.low) ** 2 + (b.ci.high - b.share) ** 2)
    high = diff + math.sqrt((a.ci.high - a.share) ** 2 + (b.share - b.ci.low) ** 2)
    return Interval(max(-1.0, low), min(1.0, high))


def compare_rates(k_a: int, n_a: int, k_b: int, n_b: int) -> RateComparison | None:
    """2×2 test of k_a/n_a against k_b/n_b; None when a sample is empty."""
    a, b = wilson(k_a, n_a), wilson(k_b, n_b)
    if n_a == 0 or n_b == 0:
        return None
    table = np.array([[k_a, n_a - k_a], [k_b, n_b - k_b]])
    if (table.sum(axis=0) == 0).any():  # nobody (or everybody) converted anywhere
        return RateComparison(a, b, "fisher", None, 1.0, no_variation=True)
    chi2 = sps.chi2_contingency(table, correction=False)
    if chi2.expected_freq.min() < 5:
        fisher = sps.fisher_exact(table, alternative="two-sided")
        return RateComparison(a, b, "fisher", float(fisher.statistic), float(fisher.pvalue), no_variation=False)
    return RateComparison(a, b, "chi2", float(chi2.statistic), float(chi2.pvalue), no_variation=False)


@dataclass(frozen=True)
class ContingencyTest:
    """Whether k groups differ in their category counts (NPS: detractor/passive/promoter; shares: yes/no)."""

    statistic: float | None
    df: int
    p: float
    test: str  # "chi2" | "fisher" (2 × 2, exact) | "fisher_permutation" (larger tables, small expected counts) | "none"
    groups: int
    no_variation: bool


#: Resamples and seed of the r×c permutation test used when expected counts are small (seeded: repeatable).
PERMUTATIONS = 9999
SEED = 20261205


def contingency(table: Sequence[Sequence[int]]) -> ContingencyTest | None:
    """χ² (no Yates) on a groups × categories table, or a seeded permutation version of Fisher's test when an
    expected count is below 5; None with fewer than two non-empty groups. Categories nobody chose are dropped."""
    rows = [[_check_count(c) for c in row] for row in table]
    rows = [row for row in rows if sum(row)]
    if len(rows) < 2:
        return None
    matrix = np.array(rows)
    matrix = matrix[:, matrix.sum(axis=0) > 0]
    if matrix.shape[1] < 2:
        return ContingencyTest(None, 0, 1.0, "none", len(rows), no_variation=True)
    chi2 = sps.chi2_contingency(matrix, correction=False)
    df = int(chi2.dof)
    if chi2.expected_freq.min() < 5:
        if matrix.shape == (2, 2):
            fisher, test = sps.fisher_exact(matrix, alternative="two-sided"), "fisher"
        else:
            method = sps.PermutationMethod(n_resamples=PERMUTATIONS, rng=np.random.default_rng(SEED))
            fisher, test = sps.fisher_exact(matrix, method=method), "fisher_permutation"
        return ContingencyTest(float(chi2.statistic), df, float(fisher.pvalue), test, len(rows), False)
    return ContingencyTest(float(chi2.statistic), df, float(chi2.pvalue), "chi2", len(rows), False)


# --- Means (§5) ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeanEstimate:
    """Mean of a bounded scale with SD and t interval (clipped to the scale)."""

    n: int
    mean: float | None
    sd: float | None
    ci: Interval | None
    no_variation: bool

    @property
    def flag(self) -> SampleFlag:
        """Sample-size flag."""
        return sample_flag(self.n)


@functools.lru_cache(maxsize=4096)
def _t975(df: int) -> float:
    """The t quantile of a two-sided 95 % interval (cached: SciPy's ppf is slow to call thousands of times)."""
    return float(sps.t.ppf(0.975, df))


def mean_estimate(counts: Counts, low: int, high: int) -> MeanEstimate:
    """Mean with t interval from answer counts; n = 1 has no SD, identical answers give [mean, mean]."""
    n = _check_counts(counts)
    if any(not low <= v <= high for v, c in counts.items() if c):
        raise InvalidCounts(f"answers lie in {low}–{high}")
    if n == 0:
        return MeanEstimate(0, None, None, None, no_variation=False)
    mean = sum(v * c for v, c in counts.items()) / n
    if n == 1:
        return MeanEstimate(1, mean, None, None, no_variation=False)
    squares = sum(c * (v - mean) ** 2 for v, c in counts.items())
    sd = math.sqrt(squares / (n - 1))
    if sum(1 for c in counts.values() if c) == 1:
        return MeanEstimate(n, mean, 0.0, Interval(mean, mean), no_variation=True)
    half = _t975(n - 1) * sd / math.sqrt(n)
    return MeanEstimate(n, mean, sd, Interval(_clip(mean - half, low, high), _clip(mean + half, low, high)), False)


def amount_mean(n: int, total: Decimal, squares: Decimal) -> MeanEstimate:
    """Mean of n non-negative amounts (money per customer) from their sum and sum of squares, with the t interval
    of §5 clipped at 0 below (an amount has no upper end). Decimal arithmetic keeps the variance exact, so equal
    amounts give SD 0 and [mean, mean] with the flag "no variation"; n = 1 has no SD and no interval. Negative or
    inconsistent sums (Σx² < (Σx)²/n) are input errors."""
    n = _check_count(n)
    if total < 0 or squares < 0:
        raise InvalidCounts("amounts cannot be negative")
    if n == 0:
        if total or squares:
            raise InvalidCounts("amounts without customers")
        return MeanEstimate(0, None, None, None, no_variation=False)
    mean = total / n
    if n == 1:
        return MeanEstimate(1, float(mean), None, None, no_variation=False)
    spread = squares - total * total / n
    if spread < 0:
        raise InvalidCounts("the sum of squares is smaller than the sum allows")
    if spread == 0:
        return MeanEstimate(n, float(mean), 0.0, Interval(float(mean), float(mean)), no_variation=True)
    sd = math.sqrt(float(spread / (n - 1)))
    half = _t975(n - 1) * sd / math.sqrt(n)
    return MeanEstimate(n, float(mean), sd, Interval(max(0.0, float(mean) - half), float(mean) + half), False)


# --- Rank tests (§6) ----------------------------------------------------------------------------------------------


def _expand(counts: Counts) -> np.ndarray:
    values = [v for v, c in sorted(counts.items()) if c]
    return np.repeat(np.array(values, dtype=float), [counts[v] for v in values])


@dataclass(frozen=True)
class MannWhitney:
    """Mann–Whitney U of A against B with effect sizes."""

    u: float
    p: float
    method: str  # "exact" | "asymptotic" | "none" (no variation)
    #: P(A > B) + ½ P(A = B): U_A / (n_A n_B).
    prob_superiority: float
    rank_biserial: float
    no_variation: bool


def _midranks(groups: Sequence[Counts]) -> tuple[dict[int, float], float, int]:
    """Mid-rank of each answer value in the pooled sample, Σ(t³ − t) over tie groups, and N."""
    pooled: dict[int, int] = {}
    for group in groups:
        for value, count in group.items():
            if count:
                pooled[value] = pooled.get(value, 0) + count
    ranks, below, ties = {}, 0, 0.0
    for value in sorted(pooled):
        t = pooled[value]
        ranks[value] = below + (t + 1) / 2
        below += t
        ties += t**3 - t
    return ranks, ties, below


def mann_whitney(a: Counts, b: Counts) -> MannWhitney | None:
    """Two-sided Mann–Whitney U from answer counts; None when a sample is empty.

    Rating answers are counts of a few values, so ranks are computed per value (O(values), not O(n log n)); the
    statistic and its tie-corrected normal approximation with continuity correction are SciPy's (`method='auto'`,
    checked against `scipy.stats.mannwhitneyu` in the tests). Small samples without ties use SciPy's exact test.
    """
    n1, n2 = sum(a.values()), sum(b.values())
    if n1 == 0 or n2 == 0:
        return None
    nn = n1 * n2
    ranks, ties, n = _midranks([a, b])
    if len(ranks) == 1:
        return MannWhitney(nn / 2, 1.0, "none", 0.5, 0.0, no_variation=True)
    if min(n1, n2) <= 8 and ties == 0:
        res = sps.mannwhitneyu(_expand(a), _expand(b), alternative="two-sided", method="exact")
        u = float(res.statistic)
        return MannWhitney(u, float(res.pvalue), "exact", u / nn, 2 * u / nn - 1, no_variation=False)
    u1 = sum(ranks[v] * c for v, c in a.items() if c) - n1 * (n1 + 1) / 2
    sd = math.sqrt(nn / 12 * ((n + 1) - ties / (n * (n - 1))))
    z = (max(u1, nn - u1) - nn / 2 - 0.5) / sd
    p = min(1.0, max(0.0, 2 * float(sps.norm.sf(z))))
    return MannWhitney(u1, p, "asymptotic", u1 / nn, 2 * u1 / nn - 1, no_variation=False)


@dataclass(frozen=True)
class KruskalWallis:
    """Kruskal–Wallis H across groups with at least one answer."""

    h: float | None
    df: int
    p: float
    epsilon_squared: float | None
    groups: int
    #: Groups with fewer than 5 answers (the test's approximation is rough there).
    small_groups: int
    no_variation: bool


def kruskal_wallis(groups: Sequence[Counts]) -> KruskalWallis | None:
    """Tie-corrected H with df = k − 1 from answer counts (SciPy's `kruskal`, computed per answer value);
    None with fewer than two non-empty groups."""
    samples = [g for g in groups if sum(g.values())]
    if len(samples) < 2:
        return None
    sizes = [sum(g.values()) for g in samples]
    small = sum(1 for size in sizes if size < 5)
    ranks, ties, n = _midranks(samples)
    df = len(samples) - 1
    if len(ranks) == 1:
        return KruskalWallis(None, df, 1.0, None, len(samples), small, no_variation=True)
    rank_sums = [sum(ranks[v] * c for v, c in g.items() if c) for g in samples]
    h = 12 / (n * (n + 1)) * sum(r * r / size for r, size in zip(rank_sums, sizes, strict=True)) - 3 * (n + 1)
    h /= 1 - ties / (n**3 - n)
    return KruskalWallis(h, df, float(sps.chi2.sf(h, df)), h * (n + 1) / (n * n - 1), len(samples), small, False)


#: Resamples of the k-factor's bootstrap interval (STATS.md §11: B ≥ 2,000).
BOOTSTRAP_RESAMPLES = 4000


def bootstrap_mean(counts: Counts, resamples: int = BOOTSTRAP_RESAMPLES) -> Interval | None:
    """Seeded percentile bootstrap 95 % interval of the mean of per-respondent values given as {value: how many};
    None below 10 respondents. Resampling n respondents with replacement is a multinomial draw over the values."""
    n = _check_counts(counts)
    if n < 10:
        return None
    values = np.array(sorted(v for v, c in counts.items() if c), dtype=float)
    weights = np.array([counts[int(v)] for v in values], dtype=float) / n
    draws = np.random.default_rng(SEED).multinomial(n, weights, size=resamples)
    means = draws @ values / n
    low, high = np.percentile(means, [2.5, 97.5])
    return Interval(float(low), float(high))


@dataclass(frozen=True)
class MedianEstimate:
    """The median of n values with its distribution-free 95 % interval (None below 6 values)."""

    n: int
    median: float | None
    ci: Interval | None


def median_estimate(values: Sequence[float]) -> MedianEstimate:
    """Median and its order-statistic 95 % interval: x₍ⱼ₎ … x₍ₙ₋ⱼ₊₁₎ with j = binom.ppf(0.025, n, ½), which
    covers the median with at least 95 % whatever the distribution; below 6 values no such interval exists (None).
    NaN and negative values are input errors (durations, amounts)."""
    if any(not math.isfinite(v) or v < 0 for v in values):
        raise InvalidCounts("values must be finite and not negative")
    n = len(values)
    if n == 0:
        return MedianEstimate(0, None, None)
    ordered = sorted(float(v) for v in values)
    middle = float(np.median(ordered))
    j = int(sps.binom.ppf(0.025, n, 0.5))
    if j < 1:
        return MedianEstimate(n, middle, None)
    return MedianEstimate(n, middle, Interval(ordered[j - 1], ordered[n - j]))


# --- Multiple comparisons (§7) ------------------------------------------------------------------------------------


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values in input order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[index]))
        adjusted[index] = running
    return adjusted


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg (FDR) adjusted p-values in input order."""
    if not pvalues:
        return []
    return [float(p) for p in sps.false_discovery_control(np.array(pvalues, dtype=float), method="bh")]


# --- Composite rating with shrinkage (§8) -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreSummary:
    """Per-respondent scores u ∈ [0, 1] of one metric at one touchpoint: n, mean and variance (ddof = 1)."""

    n: int
    mean: float | None
    variance: float | None


def score_summary(counts: Counts, score: Mapping[int, float]) -> ScoreSummary:
    """Summarise answer counts after mapping each answer value to its score u."""
    n = _check_counts(counts)
    if n == 0:
        return ScoreSummary(0, None, None)
    mean = sum(score[v] * c for v, c in counts.items()) / n
    if n == 1:
        return ScoreSummary(1, mean, None)
    return ScoreSummary(n, mean, sum(c * (score[v] - mean) ** 2 for v, c in counts.items()) / (n - 1))


@dataclass(frozen=True)
class Shrinkage:
    """Empirical-Bayes shrinkage of one metric across a campaign's touchpoints."""

    #: Campaign mean μ (None when nobody answered).
    mean: float | None
    #: Pooled within-touchpoint variance σ².
    within: float
    #: Between-touchpoint variance τ² (None when k < 3).
    between: float | None
    #: Prior strength m in pseudo-respondents.
    m: float
    #: Per touchpoint: shrunk score θ and its posterior SD.
    theta: tuple[float | None, ...]
    posterior_sd: tuple[float | None, ...]


#: For a score in [0, 1] no variance exceeds ¼; used when no touchpoint has two answers.
MAX_SCORE_VARIANCE = 0.25


def shrink(summaries: Sequence[ScoreSummary]) -> Shrinkage:
    """θ_i = (n_i ū_i + m μ)/(n_i + m) with m = σ²/τ² clamped to [10, 100] (30 when k < 3, 100 when τ² = 0)."""
    measured = [s for s in summaries if s.n > 0 and s.mean is not None]
    total = sum(s.n for s in measured)
    if total == 0:
        return Shrinkage(None, MAX_SCORE_VARIANCE, None, 30.0, (None,) * len(summaries), (None,) * len(summaries))
    mu = sum(s.n * s.mean for s in measured) / total  # type: ignore[operator]
    dof = sum(s.n - 1 for s in measured)
    within = sum((s.n - 1) * (s.variance or 0.0) for s in measured) / dof if dof else MAX_SCORE_VARIANCE
    k = len(measured)
    between: float | None = None
    if k < 3:
        m = 30.0
    else:
        msb = sum(s.n * (s.mean - mu) ** 2 for s in measured) / (k - 1)  # type: ignore[operator]
        n0 = (total - sum(s.n * s.n for s in measured) / total) / (k - 1)
        between = max(0.0, (msb - within) / n0) if n0 > 0 else 0.0
        m = 100.0 if between == 0 else _clip(within / between, 10.0, 100.0)
    theta = tuple((s.n * (s.mean or 0.0) + m * mu) / (s.n + m) for s in summaries)
    post = tuple(math.sqrt(within / (s.n + m)) for s in summaries)
    return Shrinkage(mu, within, between, m, theta, post)


@dataclass(frozen=True)
class Composite:
    """The 0–100 rating of one touchpoint, its SD and ranking key (lower 90 % bound)."""

    rating: float
    sd: float
    ranking_key: float


def composite(parts: Sequence[tuple[float, float, float]]) -> Composite | None:
    """Weighted mean of shrunk scores: parts are (weight, θ, posterior SD) of the metrics asked there."""
    parts = [p for p in parts if p[0] > 0]
    if not parts:
        return None
    weights = sum(w for w, _, _ in parts)
    rating = 100 * sum(w * theta for w, theta, _ in parts) / weights
    sd = 100 * math.sqrt(sum((w * sd) ** 2 for w, _, sd in parts)) / weights
    return Composite(rating, sd, rating - Z90_TWO_SIDED * sd)
