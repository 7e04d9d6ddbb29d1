"""What one group of scans and answers counts and what those counts give (STATS.md §1), pure: the layer under
comparisons and ratings."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from feedback.analysis import stats
from feedback.analysis.stats import Counts, MeanEstimate, NpsEstimate, Proportion
from feedback.surveys.questions import DETRACTOR_MAX, PROMOTER_MIN, QuestionType


class Metric(enum.StrEnum):
    """The experience metrics that go into the composite rating."""

    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    LOYALTY = "loyalty"


#: Which question type measures which metric (loyalty: the 1–5 rating questions marked as loyalty, see rollups).
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
    """What the database counted of one referring touchpoint's respondents (or a campaign's): the respondents who
    completed in the period, the invites they took and the friends those invites won (whenever the friends
    answered), so that numerator and denominator cover the same people (STATS.md §1)."""

    #: {(took an invite, friends won): respondents}
    respondents: Mapping[tuple[bool, int], int] = field(default_factory=dict)
    #: Distinct visitors who opened the respondents' invite links (their own opens excluded).
    unique_opens: int = 0

    def __add__(self, other: Referrals) -> Referrals:
        """Referrals of two disjoint groups together."""
        merged = dict(self.respondents)
        for key, count in other.respondents.items():
            merged[key] = merged.get(key, 0) + count
        return Referrals(merged, self.unique_opens + other.unique_opens)

    @property
    def completed(self) -> int:
        """U: respondents who completed in the period."""
        return sum(self.respondents.values())

    @property
    def invites(self) -> int:
        """Invites those respondents took."""
        return sum(c for (invited, _), c in self.respondents.items() if invited)

    @property
    def invites_accepted(self) -> int:
        """Invites with at least one friend who completed."""
        return sum(c for (invited, friends), c in self.respondents.items() if invited and friends)

    @property
    def friends(self) -> int:
        """Friends won through those invites."""
        return sum(friends * c for (_, friends), c in self.respondents.items())


@dataclass(frozen=True)
class ReferralMetrics:
    """Acceptance rate (Wilson), friends per invite and k-factor (seeded bootstrap intervals, none below 10)."""

    completed: int
    invites: int
    invites_accepted: int
    friends: int
    unique_opens: int
    #: Invites with at least one friend who completed ÷ invites issued (≤ 100 %).
    acceptance_rate: Proportion | None
    #: Friends won ÷ invites issued (may exceed 1).
    friends_per_invite: float | None
    friends_per_invite_ci: stats.Interval | None
    #: Friends won ÷ respondents = invites per respondent × friends per invite.
    k_factor: float | None
    k_factor_ci: stats.Interval | None


def referral_metrics(referrals: Referrals) -> ReferralMetrics:
    """The one definition of every referral number the service shows (pages, exports, API)."""
    per_respondent: dict[int, int] = {}
    per_invite: dict[int, int] = {}
    for (invited, friends), count in referrals.respondents.items():
        per_respondent[friends] = per_respondent.get(friends, 0) + count
        if invited:
            per_invite[friends] = per_invite.get(friends, 0) + count
    completed, invites, friends = referrals.completed, referrals.invites, referrals.friends
    return ReferralMetrics(
        completed=completed,
        invites=invites,
        invites_accepted=referrals.invites_accepted,
        friends=friends,
        unique_opens=referrals.unique_opens,
        acceptance_rate=stats.wilson(referrals.invites_accepted, invites) if invites else None,
        friends_per_invite=friends / invites if invites else None,
        friends_per_invite_ci=stats.bootstrap_mean(per_invite),
        k_factor=friends / completed if completed else None,
        k_factor_ci=stats.bootstrap_mean(per_respondent),
    )


#: Below this share of visits arriving by scanning the symbol, a print is harder to scan than it should be: most
#: people who hold a print with a code scan it, typing the address or code is the way out (STATS.md §11: the
#: verdict needs the whole 95 % interval on one side).
SCAN_SHARE_EXPECTED = 0.7
#: The smallest number of visits through a print at which its scan share gets a verdict.
SCAN_SHARE_MIN_N = 10


class Scannability(enum.StrEnum):
    """What the scan share of a print says (a verdict only when its interval lies on one side of the mark)."""

    TOO_FEW = "too_few"
    LOW = "low"
    FINE = "fine"
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class Arrivals:
    """How the counted scans of a code (or a touchpoint) arrived: {arrival: scans}, "" for scans recorded before
    arrivals were (Scan.arrival)."""

    counts: Mapping[str, int] = field(default_factory=dict)

    def __add__(self, other: Arrivals) -> Arrivals:
        merged = dict(self.counts)
        for arrival, n in other.counts.items():
            merged[arrival] = merged.get(arrival, 0) + n
        return Arrivals(merged)

    def of(self, arrival: str) -> int:
        """Scans that arrived this way."""
        return self.counts.get(arrival, 0)

    @property
    def scanned(self) -> int:
        """Arrived by scanning the printed symbol."""
        return self.of("symbol")

    @property
    def typed(self) -> int:
        """Typed the printed address or the code."""
        return self.of("typed_url") + self.of("typed_code")

    @property
    def through_print(self) -> int:
        """Visits through the shared print: scanned or typed (invites and personal mailings are not)."""
        return self.scanned + self.typed

    @property
    def scan_share(self) -> Proportion | None:
        """Scanned ÷ (scanned + typed), with Wilson interval; None without such visits."""
        return stats.wilson(self.scanned, self.through_print) if self.through_print else None

    @property
    def scannability(self) -> Scannability:
        """The verdict on the print: low when the whole interval lies below SCAN_SHARE_EXPECTED."""
        share = self.scan_share
        if share is None or share.ci is None or self.through_print < SCAN_SHARE_MIN_N:
            return Scannability.TOO_FEW
        if share.ci.high < SCAN_SHARE_EXPECTED:
            return Scannability.LOW
        if share.ci.low >= SCAN_SHARE_EXPECTED:
            return Scannability.FINE
        return Scannability.UNCLEAR
