"""Drivers of the NPS, pure: which other questions of a campaign's surveys go together with the NPS answer of the
same response (docs/STATISTICS.md §1). Pair counts in, frozen results out (no Flask, no SQL).

- A scale question (CSAT 1–5, CES 1–7, rating 1–5, already turned so that higher is better, §1) is related to the
  NPS by Spearman's rank correlation ρ of the pairs (`scipy.stats.spearmanr`, tie-corrected, its p-value) with a
  95 % interval from Fisher's z = atanh(ρ) and the Bonett–Wright standard error √((1 + ρ²/2)/(n − 3)):
  tanh(z ± 1.96·SE).
- A single-choice question: each option's respondents against the others who answered the question, the NPS
  difference by the adjusted-Wald z-test of §3 (`stats.compare_nps`). A question with two options is tested once
  (its second option's test is the same one mirrored).
- All tests of the campaign form one Holm family (§7). Under 10 pairs (or 10 answers in either group) a question is
  "too few answers": not tested, not ranked.
- Ranked: significant ones first, then by strength, the end of the interval nearest 0 (0 when it spans 0) of ρ as it
  is and of an NPS difference in hundreds of points, then by adjusted p.
This is association, not cause: the pages and downloads say so.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats as sps

from feedback.analysis import stats
from feedback.analysis.stats import ALPHA, Z95, Interval

#: Fewest pairs for a correlation, and fewest answers in each group for an NPS difference.
MIN_N = 10

#: {(oriented scale answer, NPS answer): responses}
ScalePairs = Mapping[tuple[int, int], int]
#: {(chosen option, NPS answer): responses}
ChoicePairs = Mapping[tuple[str, int], int]


class Kind(enum.StrEnum):
    """How a question is related to the NPS."""

    CORRELATION = "spearman"  # ρ of a scale question
    DIFFERENCE = "nps_difference"  # an option's group against the rest, NPS points


class Verdict(enum.StrEnum):
    """What the (adjusted) test allows one to say."""

    HIGHER = "higher"  # significant positive ρ / the group's NPS is higher
    LOWER = "lower"
    NO_CLEAR_RELATION = "no_clear_relation"
    TOO_FEW = "too_few"
    NO_VARIATION = "no_variation"


@dataclass(frozen=True)
class ScaleQuestion:
    """A scale question's pairs with the NPS."""

    key: str
    pairs: ScalePairs


@dataclass(frozen=True)
class ChoiceQuestion:
    """A single-choice question's options (in the survey's order) and its pairs with the NPS."""

    key: str
    options: tuple[str, ...]
    pairs: ChoicePairs


@dataclass(frozen=True)
class Driver:
    """One question (or option) against the NPS."""

    key: str
    #: The option whose group is compared with the rest (differences only).
    option: str | None
    kind: Kind
    #: Pairs (correlation) or the option's group (difference).
    n: int
    #: The rest of the question's respondents (differences only).
    n_rest: int | None
    #: ρ, or the raw NPS difference group − rest in points.
    effect: float | None
    ci: Interval | None
    #: The adjusted-Wald difference, the centre of `ci` (differences only).
    centre: float | None
    p: float | None
    p_adjusted: float | None
    verdict: Verdict
    #: The ordering key (0…1) described in the module docstring; None when not tested.
    strength: float | None = None
    #: 1 = strongest; None when not tested.
    rank: int | None = None
    #: How many tests the Holm adjustment was over.
    family: int = 0

    @property
    def tested(self) -> bool:
        """Whether a test was run (enough answers, some variation)."""
        return self.p is not None

    @property
    def significant(self) -> bool:
        """Whether the adjusted p is below 0.05."""
        return self.p_adjusted is not None and self.p_adjusted < ALPHA


def _expand(pairs: Mapping[tuple[int, int], int]) -> tuple[np.ndarray, np.ndarray]:
    items = [(x, y, stats._check_count(c)) for (x, y), c in pairs.items() if c]
    counts = np.array([c for _, _, c in items], dtype=int)
    return (
        np.repeat(np.array([x for x, _, _ in items], dtype=float), counts),
        np.repeat(np.array([y for _, y, _ in items], dtype=float), counts),
    )


def spearman_interval(rho: float, n: int) -> Interval | None:
    """95 % interval of Spearman's ρ: Fisher z with the Bonett–Wright SE √((1 + ρ²/2)/(n − 3)); None for n ≤ 3."""
    if n <= 3:
        return None
    if abs(rho) >= 1:
        return Interval(rho, rho)
    z = math.atanh(rho)
    se = math.sqrt((1 + rho**2 / 2) / (n - 3))
    return Interval(math.tanh(z - Z95 * se), math.tanh(z + Z95 * se))


def correlate(question: ScaleQuestion) -> Driver:
    """Spearman's ρ of a scale question with the NPS, its interval and p (not yet adjusted)."""
    x, y = _expand(question.pairs)
    n = len(x)
    base = Driver(question.key, None, Kind.CORRELATION, n, None, None, None, None, None, None, Verdict.TOO_FEW)
    if n < MIN_N:
        return base
    if np.all(x == x[0]) or np.all(y == y[0]):
        return replace(base, verdict=Verdict.NO_VARIATION)
    result = sps.spearmanr(x, y)
    rho = float(result.statistic)
    return replace(base, effect=rho, ci=spearman_interval(rho, n), p=float(result.pvalue))


def _nps(counts: Mapping[int, int]) -> stats.NpsEstimate:
    return stats.nps_from_counts(counts)


def differences(question: ChoiceQuestion) -> list[Driver]:
    """Each option's NPS against the rest of the question's respondents (adjusted-Wald, not yet adjusted for
    multiplicity); one test for a question with two options."""
    by_option: dict[str, dict[int, int]] = {}
    for (option, score), count in question.pairs.items():
        if count:
            by_option.setdefault(option, {})
            by_option[option][score] = by_option[option].get(score, 0) + stats._check_count(count)
    options = [o for o in question.options if o in by_option] + sorted(set(by_option) - set(question.options))
    if len(options) == 2:
        options = options[:1]
    found = []
    for option in options:
        rest: dict[int, int] = {}
        for other, counts in by_option.items():
            if other != option:
                for score, count in counts.items():
                    rest[score] = rest.get(score, 0) + count
        group, others = _nps(by_option[option]), _nps(rest)
        base = Driver(
            question.key, option, Kind.DIFFERENCE, group.n, others.n, None, None, None, None, None, Verdict.TOO_FEW
        )
        test = stats.compare_nps(group, others) if min(group.n, others.n) >= MIN_N else None
        if test is None:
            found.append(base)
            continue
        found.append(replace(base, effect=test.diff, ci=test.ci, centre=test.diff_adj, p=test.p))
    return found


def _strength(driver: Driver) -> float:
    """How far the effect surely is from none: the end of its interval nearest 0 (0 when it spans 0), for ρ as it
    is and for an NPS difference (−200…200 points) in hundreds, so a noisy difference does not outrank a tight ρ."""
    ci = driver.ci
    if ci is None or ci.low <= 0 <= ci.high:
        return 0.0
    nearest = min(abs(ci.low), abs(ci.high))
    return nearest / 100 if driver.kind is Kind.DIFFERENCE else nearest


def _verdict(driver: Driver, p_adjusted: float) -> Verdict:
    if p_adjusted >= ALPHA:
        return Verdict.NO_CLEAR_RELATION
    return Verdict.HIGHER if (driver.effect or 0.0) > 0 else Verdict.LOWER


def rank(found: Sequence[Driver]) -> list[Driver]:
    """Holm-adjust the tested drivers as one family, give each its verdict and strength, and order them: ranked
    ones (significant first, then strength, then adjusted p), then the untested ones in their given order."""
    tested = [d for d in found if d.p is not None]
    adjusted = stats.holm([d.p for d in tested])  # type: ignore[misc]
    judged = [
        replace(d, p_adjusted=p, verdict=_verdict(d, p), strength=_strength(d), family=len(tested))
        for d, p in zip(tested, adjusted, strict=True)
    ]
    judged.sort(key=lambda d: (not d.significant, -(d.strength or 0.0), d.p_adjusted))
    ranked = [replace(d, rank=i) for i, d in enumerate(judged, start=1)]
    return ranked + [d for d in found if d.p is None]


def drivers(scales: Sequence[ScaleQuestion], choices: Sequence[ChoiceQuestion]) -> list[Driver]:
    """Every question of a campaign against the NPS, ranked (see the module docstring)."""
    found = [correlate(q) for q in scales]
    for question in choices:
        found.extend(differences(question))
    return rank(found)
